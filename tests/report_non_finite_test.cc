// Non-finite values and gradients in the report and the DOT picture: counted
// separately for values and gradients (NaN and inf), never summarised as if they
// were numbers, named first in the diagnosis, and drawn in their own colour.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tests/dot_test_util.h"

extern "C" {
#include "tools/analysis.h"
#include "tools/dot_export.h"
#include "tools/report.h"
}

namespace {

using tgtest::HandMlp;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string Capture(const std::function<void(FILE*)>& write) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  write(f);
  std::fclose(f);
  std::string s(buf, len);
  free(buf);
  return s;
}

// 2 inputs -> Dense(16, relu) -> Dense(1): dense_1/kernel (32 values) all NaN.
struct NanKernel {
  NanKernel()
      : m(2, {{16, true}, {1, false}},
          {std::vector<float>(32, kNaN), std::vector<float>(16, 0.0f), std::vector<float>(16, 0.5f),
           std::vector<float>(1, 0.0f)},
          {0.1f, 0.2f, 0.3f, 0.4f}, {1.0f, 2.0f}) {}
  HandMlp m;
};

TEST(ReportNonFiniteTest, TextSaysAllValuesAreNaNAndNamesThemFirst) {
  NanKernel k;
  tg_error err = {};
  tg_analysis* a = tg_analysis_new(k.m.tape(), 0.0f, &err);
  ASSERT_NE(nullptr, a) << err.message;
  const std::string text = Capture([&](FILE* f) { tg_report_write_text(a, f, &err); });
  EXPECT_NE(std::string::npos,
            text.find("  dense_1/kernel [2x16]: value all 32 non-finite (32 NaN, 0 inf) | grad "))
      << text;
  EXPECT_EQ(std::string::npos, text.find("dense_1/kernel [2x16]: value min")) << text;
  EXPECT_NE(std::string::npos,
            text.find("diagnosis:\n  non-finite values (the model diverged or got bad input): "
                      "the loss dense_1/kernel (32 of 32 values)"))
      << text;
  tg_analysis_free(a);
}

TEST(ReportNonFiniteTest, JsonHasNullStatisticsAndTheCounts) {
  NanKernel k;
  tg_error err = {};
  tg_analysis* a = tg_analysis_new(k.m.tape(), 0.0f, &err);
  ASSERT_NE(nullptr, a) << err.message;
  const std::string json = Capture([&](FILE* f) { tg_report_write_json(a, f, &err); });
  EXPECT_NE(std::string::npos,
            json.find("\"value\": {\"count\": 32, \"zeros\": 0, \"nonfinite\": 32, \"min\": null, "
                      "\"max\": null, \"mean\": null, \"l2\": null, \"nan\": 32, \"inf\": 0}"))
      << json;
  EXPECT_EQ(std::string::npos, json.find("\"nonfinite\": 32, \"min\": 0")) << json;
  tg_analysis_free(a);
}

TEST(ReportNonFiniteTest, PartlyNonFiniteStatisticsSaySoAndDotMarksTheParameter) {
  std::vector<float> kernel(32, 0.25f);
  kernel[3] = std::numeric_limits<float>::infinity();
  HandMlp m(2, {{16, true}, {1, false}},
            {kernel, std::vector<float>(16, 0.0f), std::vector<float>(16, 0.5f),
             std::vector<float>(1, 0.0f)},
            {0.1f, 0.2f, 0.3f, 0.4f}, {1.0f, 2.0f});
  tg_error err = {};
  tg_analysis* a = tg_analysis_new(m.tape(), 0.0f, &err);
  ASSERT_NE(nullptr, a) << err.message;
  const std::string text = Capture([&](FILE* f) { tg_report_write_text(a, f, &err); });
  EXPECT_NE(std::string::npos,
            text.find("value min 0.25 max 0.25 mean 0.25 l2 1.392 of the finite entries; 1 "
                      "non-finite (0 NaN, 1 inf)"))
      << text;
  tg_analysis_free(a);
  const std::string dot = Capture([&](FILE* f) { tg_dot_write(m.tape(), nullptr, f, &err); });
  EXPECT_NE(std::string::npos, dot.find("non-finite values and gradient: NaN or inf")) << dot;
  EXPECT_NE(std::string::npos, dot.find("COLOR=\"#000000\" BGCOLOR=\"#fff8dc\"")) << dot;
}

}  // namespace
