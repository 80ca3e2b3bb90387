// tests/ops_grad_cases.h — what the op gradient suites share: leaf specs and one
// registration macro, so the every-registered-op test knows which ops have a case
// before any test runs (it holds under --gtest_shuffle and --gtest_filter).
//
//   OP_GRAD_TEST(relu, ReluOffTheKink) {   // registers "relu", defines a TEST
//     ExpectGradOk({S({4, 6})}, [](tg_tape* t, const L& x) { return tg_relu(t, x[0]); });
//   }
// Every file of the suite is a source of //tests:ops_grad_test (one binary).
#ifndef TAPEGRAD_TESTS_OPS_GRAD_CASES_H_
#define TAPEGRAD_TESTS_OPS_GRAD_CASES_H_

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/gradcheck.h"

namespace tgtest {

using L = std::vector<tg_tensor*>;

// Ops with a registered case (filled during static initialisation).
std::set<std::string>& OpsWithGradCase();
inline bool RegisterOpGradCase(const char* op) {
  OpsWithGradCase().insert(op);
  return true;
}

inline LeafSpec S(std::vector<int64_t> shape, bool grad = true) {
  LeafSpec s;
  s.shape = std::move(shape);
  s.requires_grad = grad;
  return s;
}

// Values in [lo, hi] (only positive): probabilities, targets, off-kink offsets.
inline LeafSpec P(std::vector<int64_t> shape, float lo, float hi, bool grad = true) {
  LeafSpec s = S(std::move(shape), grad);
  s.positive = true;
  s.min_abs = lo;
  s.max_abs = hi;
  return s;
}

// Central differences on the graph agree with backward, and something was compared.
inline void ExpectGradOk(const std::vector<LeafSpec>& specs, const GraphFn& f,
                         const GradCheckOptions& options = GradCheckOptions()) {
  GradCheckResult r = CheckGradients(specs, f, options);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_GT(r.checked, 0);
}

}  // namespace tgtest

// A case that also checks another op (registers it too); put it before the test.
#define OP_GRAD_ALSO(op, name) \
  static const bool op_grad_also_##op##_##name = ::tgtest::RegisterOpGradCase(#op)

#define OP_GRAD_TEST(op, name)                                               \
  static const bool op_grad_case_##name = ::tgtest::RegisterOpGradCase(#op); \
  TEST(OpsGradTest, name)

#endif  // TAPEGRAD_TESTS_OPS_GRAD_CASES_H_
