// tests/test_files.h — scratch files for tests: a path under Bazel's TEST_TMPDIR and
// a whole-file read.
#ifndef TAPEGRAD_TESTS_TEST_FILES_H_
#define TAPEGRAD_TESTS_TEST_FILES_H_

#include <string>

namespace tgtest {

// `name` inside $TEST_TMPDIR (or /tmp outside Bazel).
std::string TempPath(const std::string& name);

// The whole file as bytes; "" if it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace tgtest

#endif  // TAPEGRAD_TESTS_TEST_FILES_H_
