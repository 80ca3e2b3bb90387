// tests/ops_grad_cases.cc — the set OP_GRAD_TEST fills (one per test binary).
#include "tests/ops_grad_cases.h"

namespace tgtest {

std::set<std::string>& OpsWithGradCase() {
  static std::set<std::string> ops;
  return ops;
}

}  // namespace tgtest
