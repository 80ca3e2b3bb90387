// tests/dot_report_test.cc — the text and JSON reports of the gradient analysis.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/dot_test_util.h"

extern "C" {
#include "tools/analysis.h"
#include "tools/report.h"
}

namespace {

using tgtest::HandMlp;
using tgtest::Init;

std::string Report(const tg_tape* t, float tol, tg_report_format format) {
  tg_error err = {};
  tg_analysis* a = tg_analysis_new(t, tol, &err);
  EXPECT_NE(a, nullptr) << err.message;
  if (a == nullptr) return "";
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  const tg_status s = format == TG_REPORT_JSON ? tg_report_write_json(a, f, &err)
                                               : tg_report_write_text(a, f, &err);
  EXPECT_EQ(s, TG_OK) << err.message;
  fclose(f);
  std::string out(buf, len);
  free(buf);
  tg_analysis_free(a);
  return out;
}

TEST(DotReportTest, ZeroInitTextNamesBothCauses) {
  HandMlp m(1, {{16, true}, {16, true}, {2, false}}, Init::kZeros);
  const std::string expected =
      "tapegrad gradient report\n"
      "loss: mse = 0.006425 (node 8)\n"
      "tolerance: 1e-06\n"
      "\n"
      "layer dense_1 (relu, hidden): 16 units -> 1 distinct (symmetric)\n"
      "  within tolerance 1e-06: 1 distinct\n"
      "  identical units: {0-15}\n"
      "  dead ReLU units (zero on all 10 samples): 16 of 16\n"
      "  dense_1/kernel [1x16]: value min 0 max 0 mean 0 l2 0 | grad min 0 max 0 mean 0 l2 0 | "
      "zero grads 16/16 (exactly zero)\n"
      "  dense_1/bias [16]: value min 0 max 0 mean 0 l2 0 | grad min 0 max 0 mean 0 l2 0 | "
      "zero grads 16/16 (exactly zero)\n"
      "layer dense_2 (relu, hidden): 16 units -> 1 distinct (symmetric)\n"
      "  within tolerance 1e-06: 1 distinct\n"
      "  identical units: {0-15}\n"
      "  dead ReLU units (zero on all 10 samples): 16 of 16\n"
      "  dense_2/kernel [16x16]: value min 0 max 0 mean 0 l2 0 | grad min 0 max 0 mean 0 l2 0 | "
      "zero grads 256/256 (exactly zero)\n"
      "  dense_2/bias [16]: value min 0 max 0 mean 0 l2 0 | grad min 0 max 0 mean 0 l2 0 | "
      "zero grads 16/16 (exactly zero)\n"
      "layer dense_3 (linear, output): 2 units -> 2 distinct\n"
      "  within tolerance 1e-06: 2 distinct\n"
      "  dense_3/kernel [16x2]: value min 0 max 0 mean 0 l2 0 | grad min 0 max 0 mean 0 l2 0 | "
      "zero grads 32/32 (exactly zero)\n"
      "  dense_3/bias [2]: value min 0 max 0 mean 0 l2 0 | grad min -0.1 max -0.045 mean -0.0725 "
      "l2 0.1097 | zero grads 0/2\n"
      "\n"
      "diagnosis:\n"
      "  symmetric layers: dense_1 (16 -> 1) dense_2 (16 -> 1)\n"
      "    identical units compute the same function and get the same gradient, so they stay "
      "identical:\n"
      "    such a layer has the capacity of one unit per group; initialise kernels randomly (e.g. "
      "glorot_uniform)\n"
      "  exactly-zero gradients: dense_1/kernel dense_1/bias dense_2/kernel dense_2/bias "
      "dense_3/kernel\n"
      "    these parameters do not learn at all; only these get a gradient: dense_3/bias\n"
      "  dead ReLU units: dense_1 16/16 dense_2 16/16\n"
      "    a ReLU that is zero on every sample passes no gradient back\n";
  EXPECT_EQ(Report(m.tape(), 1e-6f, TG_REPORT_TEXT), expected);
}

TEST(DotReportTest, HealthyTapeSaysSo) {
  HandMlp m(1, {{4, false}, {1, false}}, Init::kRandom);  // linear layers: no ReLU
  const std::string text = Report(m.tape(), 0.0f, TG_REPORT_TEXT);
  EXPECT_NE(text.find("layer dense_1 (linear, hidden): 4 units -> 4 distinct\n"),
            std::string::npos);
  EXPECT_EQ(text.find("within tolerance"), std::string::npos);  // tolerance 0: exact only
  EXPECT_NE(text.find("\ndiagnosis: no symmetric layer, no exactly-zero gradient, no dead ReLU "
                      "unit\n"),
            std::string::npos);
}

TEST(DotReportTest, JsonCarriesTheSameFindings) {
  HandMlp m(1, {{16, true}, {16, true}, {2, false}}, Init::kZeros);
  const std::string json = Report(m.tape(), 0.0f, TG_REPORT_JSON);
  EXPECT_EQ(
      json.rfind("{\n  \"loss\": {\"op\": \"mse\", \"node\": 8, \"value\": 0.0064250003},\n", 0),
      0u);
  EXPECT_NE(json.find("{\"name\": \"dense_1\", \"activation\": \"relu\", \"hidden\": true, "
                      "\"units\": 16, \"distinct\": 1, \"distinct_within_tolerance\": 1, "
                      "\"symmetric\": true"),
            std::string::npos);
  EXPECT_NE(json.find("\"groups\": [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]]"),
            std::string::npos);
  EXPECT_NE(json.find("\"groups\": [[0], [1]]"), std::string::npos);
  EXPECT_NE(json.find("\"dead_relu_units\": null"), std::string::npos);
  EXPECT_NE(json.find("\"diagnosis\": {\"symmetric_layers\": [\"dense_1\", \"dense_2\"], "
                      "\"zero_gradient_params\": [\"dense_1/kernel\", \"dense_1/bias\", "
                      "\"dense_2/kernel\", \"dense_2/bias\", \"dense_3/kernel\"], "
                      "\"dead_relu_layers\": [\"dense_1\", \"dense_2\"]}\n}\n"),
            std::string::npos);
  // Numbers are the shortest text that reads back as the same float32.
  EXPECT_NE(
      json.find(
          "\"grad\": {\"count\": 2, \"zeros\": 0, \"nonfinite\": 0, \"min\": -0.1, "
          "\"max\": -0.045, \"mean\": -0.072500005, \"l2\": 0.10965856, \"nan\": 0, \"inf\": 0}"),
      std::string::npos)
      << json;
  EXPECT_NE(Report(m.tape(), 1e-6f, TG_REPORT_JSON).find("\"tolerance\": 1e-06,"),
            std::string::npos);
  // Balanced brackets and braces: a cheap structural check without a JSON parser.
  int depth = 0;
  for (char c : json) {
    depth += (c == '{' || c == '[') - (c == '}' || c == ']');
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
}

TEST(DotReportTest, SaveWritesTheFileAndReportsErrors) {
  HandMlp m(1, {{2, true}, {1, false}}, Init::kConstant);
  tg_error err = {};
  tg_analysis* a = tg_analysis_new(m.tape(), 0.0f, &err);
  ASSERT_NE(a, nullptr);
  const std::string path = tgtest::TempPath("report.json");
  ASSERT_EQ(tg_report_save(a, TG_REPORT_JSON, path.c_str(), &err), TG_OK) << err.message;
  EXPECT_EQ(tgtest::ReadFile(path), Report(m.tape(), 0.0f, TG_REPORT_JSON));
  EXPECT_EQ(tg_report_save(a, TG_REPORT_TEXT, "/nonexistent-dir/r.txt", &err), TG_ERR_IO);
  EXPECT_STREQ(err.message,
               "tg_report_save: cannot create a temporary file beside '/nonexistent-dir/r.txt': No "
               "such file or directory");
  EXPECT_EQ(tg_report_save(a, static_cast<tg_report_format>(7), path.c_str(), &(err = {})),
            TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_report_save: unknown format 7");
  EXPECT_EQ(tg_report_write_text(nullptr, stdout, &(err = {})), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_report_write_text: analysis is NULL");
  EXPECT_EQ(tg_report_write_json(a, nullptr, &(err = {})), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_report_write_json: out is NULL");
  tg_analysis_free(a);
}

}  // namespace
