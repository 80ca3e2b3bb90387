// Writing to a full device (/dev/full: every write fails with ENOSPC, which a
// buffered stream shows only when it is flushed) is an error with the reason, from
// every writer: the DOT and report streams, their savers (with the path), the model
// summary, and tgdot itself.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/dot_test_util.h"

extern "C" {
#include "frontends/model.h"
#include "tools/analysis.h"
#include "tools/dot_export.h"
#include "tools/report.h"
}

namespace {

using tgtest::HandMlp;
using tgtest::Init;

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full here";
    full_ = std::fopen("/dev/full", "w");
    ASSERT_NE(nullptr, full_);
  }
  void TearDown() override {
    if (full_) std::fclose(full_);
  }
  FILE* full_ = nullptr;
};

TEST_F(FullDiskTest, DotWriteAndSaveSayWhyTheyFailed) {
  HandMlp m(1, {{2, true}, {1, false}}, Init::kConstant);
  tg_error err = {};
  EXPECT_EQ(TG_ERR_IO, tg_dot_write(m.tape(), nullptr, full_, &err));
  EXPECT_STREQ("tg_dot_write: writing the DOT text failed: No space left on device", err.message);
  err = {};
  EXPECT_EQ(TG_ERR_IO, tg_dot_save(m.tape(), nullptr, "/dev/full", &err));
  EXPECT_STREQ("tg_dot_save: writing '/dev/full' failed: No space left on device", err.message);
}

TEST_F(FullDiskTest, ReportWritersAndSaveSayWhyTheyFailed) {
  HandMlp m(1, {{2, true}, {1, false}}, Init::kConstant);
  tg_error err = {};
  tg_analysis* a = tg_analysis_new(m.tape(), 0.0f, &err);
  ASSERT_NE(nullptr, a) << err.message;
  EXPECT_EQ(TG_ERR_IO, tg_report_write_text(a, full_, &err));
  EXPECT_STREQ("tg_report_write_text: writing the report failed: No space left on device",
               err.message);
  std::clearerr(full_);
  err = {};
  EXPECT_EQ(TG_ERR_IO, tg_report_write_json(a, full_, &err));
  EXPECT_STREQ("tg_report_write_json: writing the report failed: No space left on device",
               err.message);
  err = {};
  EXPECT_EQ(TG_ERR_IO, tg_report_save(a, TG_REPORT_TEXT, "/dev/full", &err));
  EXPECT_STREQ("tg_report_save: writing '/dev/full' failed: No space left on device", err.message);
  tg_analysis_free(a);
}

TEST_F(FullDiskTest, ModelSummaryReportsTheWriteError) {
  tg_model_options mo = {};
  mo.input_dim = 1;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&mo, &err);
  ASSERT_NE(nullptr, m);
  tg_dense_options d = {};
  d.units = 2;
  ASSERT_EQ(TG_OK, tg_model_add_dense(m, d));
  EXPECT_EQ(TG_ERR_IO, tg_model_summary(m, full_));
  tg_model_free(m);
}

TEST_F(FullDiskTest, TgdotSaysWhyItFailed) {
  const std::string err_path = tgtest::TempPath("full_disk_err.txt");
  for (const char* args : {"1-4t-2 --report text", "1-4t-2 --report json", "1-4t-2"}) {
    const std::string cmd =
        std::string("tools/tgdot ") + args + " > /dev/full 2> '" + err_path + "'";
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(1, WEXITSTATUS(rc)) << args;
    const std::string err = tgtest::ReadFile(err_path);
    EXPECT_NE(std::string::npos, err.find("No space left on device")) << args << ": " << err;
  }
}

}  // namespace
