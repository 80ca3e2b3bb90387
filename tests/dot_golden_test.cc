// tests/dot_golden_test.cc — the DOT of the seed model (1-16r-16r-2, every weight 0,
// one forward+backward on the seed data) must match tests/golden/seed_zero_init.dot
// byte for byte, whether it comes from the library or from tgdot. After a deliberate
// change to the output, regenerate it with tools/regen_golden.sh and review the diff.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "tests/dot_test_util.h"

extern "C" {
#include "frontends/seed_problem.h"
#include "tools/dot_export.h"
}

namespace {

const char kGolden[] = "tests/golden/seed_zero_init.dot";
// The title tgdot gives the picture for the arguments in tools/regen_golden.sh.
const char kTitle[] = "tgdot 1-16r-16r-2 --init zeros --seed 1 --train 0";

// "" when equal, else where the first difference is and how to regenerate.
std::string Difference(const std::string& got, const std::string& want) {
  if (got == want) return "";
  std::istringstream g(got), w(want);
  std::string gl, wl;
  for (int line = 1;; ++line) {
    const bool more_g = static_cast<bool>(std::getline(g, gl));
    const bool more_w = static_cast<bool>(std::getline(w, wl));
    if (!more_g && !more_w) break;
    if (gl != wl || more_g != more_w)
      return "first difference at line " + std::to_string(line) +
             ":\n  got:    " + gl.substr(0, 300) + "\n  golden: " + wl.substr(0, 300) +
             "\nIf the change is deliberate, run tools/regen_golden.sh and review the diff.";
  }
  return "files differ in line endings";
}

TEST(DotGoldenTest, LibraryOutputForTheSeedModelAtZeroInit) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_seed_data(x, y);
  const tg_initializer zero = tg_init_zeros();
  tg_error err = {};
  tg_model* m = tg_seed_model_new(&zero, 1, nullptr, &err);
  ASSERT_NE(m, nullptr) << err.message;
  tg_model_set_keep_gradients(m, true);  // the picture reads every value and gradient
  float loss = 0.0f;
  ASSERT_EQ(tg_model_compute_gradients(m, x, TG_SEED_ROWS, y, &loss), TG_OK) << tg_model_message(m);
  tg_dot_options opt = {};
  opt.tolerance = 1e-6f;
  opt.title = kTitle;
  const std::string path = tgtest::TempPath("seed_zero_init.dot");
  ASSERT_EQ(tg_dot_save(tg_model_tape(m), &opt, path.c_str(), &err), TG_OK) << err.message;
  tg_model_free(m);
  const std::string golden = tgtest::ReadFile(kGolden);
  ASSERT_FALSE(golden.empty()) << kGolden << " is missing";
  EXPECT_EQ(Difference(tgtest::ReadFile(path), golden), "");
}

TEST(DotGoldenTest, TgdotOutputForTheSeedModelAtZeroInit) {
  const std::string path = tgtest::TempPath("tgdot_seed_zero_init.dot");
  const std::string cmd = "tools/tgdot 1-16r-16r-2 --init zeros -o '" + path + "' 2>/dev/null";
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd;
  EXPECT_EQ(Difference(tgtest::ReadFile(path), tgtest::ReadFile(kGolden)), "");
}

TEST(DotGoldenTest, GoldenRendersWithoutWarnings) {
  if (tgtest::DotBinary().empty()) GTEST_SKIP() << "Graphviz dot is not installed";
  const std::string copy = tgtest::TempPath("golden_copy.dot");
  FILE* f = std::fopen(copy.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  const std::string golden = tgtest::ReadFile(kGolden);
  std::fwrite(golden.data(), 1, golden.size(), f);
  std::fclose(f);
  EXPECT_EQ(tgtest::RenderProblems(copy), "");
}

}  // namespace
