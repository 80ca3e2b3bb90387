// tests/test_files.cc — scratch paths and whole-file reads for tests.
#include "tests/test_files.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tgtest {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tgtest
