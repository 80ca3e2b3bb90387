// tests/plot_test.cc — SVG training charts: where points land, how non-finite values
// and log axes are handled, the history CSV reader's errors, and that a real renderer
// (rsvg-convert, from librsvg2-bin) draws every chart without an error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/test_files.h"

extern "C" {
#include "tools/plot.h"
}

namespace {

using tgtest::ReadFile;
using tgtest::TempPath;

std::string Chart(const tg_plot_options& o, const std::vector<tg_plot_series>& s) {
  const std::string path = TempPath("chart.svg");
  tg_error err = {};
  EXPECT_EQ(TG_OK, tg_plot_save(path.c_str(), &o, s.data(), static_cast<int>(s.size()), &err))
      << err.message;
  return ReadFile(path);
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// The plot area of a 640x400 chart is x in [72, 490], y in [40, 348] (margins 72 left,
// 150 right, 40 top, 52 bottom). x spans the data exactly; y is padded by 5 % of the
// range on each side.
TEST(PlotTest, PointsLandWhereTheAxesSay) {
  const double x[3] = {1, 2, 3}, y[3] = {0, 5, 10};
  const std::string svg = Chart({}, {{"loss", x, y, 3}});
  // y range [-0.5, 10.5]: y=0 at 348 - 0.5/11*308 = 334.0, y=5 at 194.0, y=10 at 54.0;
  // x=1 at 72, x=2 at 281, x=3 at 490.
  EXPECT_NE(std::string::npos, svg.find("points=\"72.0,334.0 281.0,194.0 490.0,54.0\"")) << svg;
  EXPECT_EQ(3, Count(svg, "<circle"));
  EXPECT_NE(std::string::npos, svg.find(">loss</text>"));
}

TEST(PlotTest, NonFiniteValuesBreakTheLineAndLeaveTheAxes) {
  const double x[5] = {1, 2, 3, 4, 5};
  const double y[5] = {1, 2, NAN, 4, INFINITY};
  const std::string svg = Chart({}, {{"loss", x, y, 5}});
  EXPECT_EQ(2, Count(svg, "<polyline"));  // 1-2, then 4 alone
  EXPECT_EQ(3, Count(svg, "<circle"));
  EXPECT_EQ(std::string::npos, svg.find("nan"));
  EXPECT_EQ(std::string::npos, svg.find("inf"));
}

TEST(PlotTest, LogAxisFallsBackToLinearForNonPositiveValues) {
  const double x[2] = {1, 2}, pos[2] = {1, 100}, with_zero[2] = {0, 100};
  tg_plot_options o = {};
  o.log_y = true;
  o.y_label = "loss";
  EXPECT_NE(std::string::npos, Chart(o, {{"a", x, pos, 2}}).find("loss (log scale)"));
  EXPECT_EQ(std::string::npos, Chart(o, {{"a", x, with_zero, 2}}).find("log scale"));
}

TEST(PlotTest, TextIsEscaped) {
  const double x[1] = {1}, y[1] = {1};
  tg_plot_options o = {};
  o.title = "a<b & \"c\"";
  const std::string svg = Chart(o, {{"x>y", x, y, 1}});
  EXPECT_NE(std::string::npos, svg.find("a&lt;b &amp; &quot;c&quot;"));
  EXPECT_NE(std::string::npos, svg.find("x&gt;y"));
}

TEST(PlotTest, BadArgumentsAreErrors) {
  tg_error err = {};
  const double x[1] = {1};
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_plot_write(stdout, nullptr, nullptr, 1, &err));
  EXPECT_STREQ("tg_plot_write: series is NULL", err.message);
  err = {};
  tg_plot_series s = {"loss", x, nullptr, 1};
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_plot_write(stdout, nullptr, &s, 1, &err));
  EXPECT_STREQ("tg_plot_write: series 0 ('loss') has a NULL y", err.message);
  err = {};
  s = {"loss", x, x, -1};
  EXPECT_EQ(TG_ERR_ARG, tg_plot_save(TempPath("never.svg").c_str(), nullptr, &s, 1, &err));
  EXPECT_STREQ("tg_plot_write: series 0 ('loss') has -1 points", err.message);
  EXPECT_EQ("", ReadFile(TempPath("never.svg")));
}

TEST(PlotTest, WritingToAFullDeviceIsAnError) {
  FILE* full = std::fopen("/dev/full", "w");
  if (full == nullptr) GTEST_SKIP() << "no /dev/full";
  const double x[1] = {1};
  tg_plot_series s = {"loss", x, x, 1};
  tg_error err = {};
  EXPECT_EQ(TG_ERR_IO, tg_plot_write(full, nullptr, &s, 1, &err));
  std::fclose(full);
}

void WriteText(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(PlotHistoryTest, OneChartPerQuantityWithItsValidationTwin) {
  const std::string dir = TempPath("");
  const std::string csv = TempPath("history.csv");
  WriteText(csv,
            "epoch,loss,accuracy,val_loss,val_accuracy,grad_norm/dense_1,grad_norm/dense_2\n"
            "1,0.9,0.6,1.0,0.55,0.5,2.0\n"
            "2,0.5,0.8,0.6,0.75,0.3,1.5\n"
            "3,0.3,0.9,,0.85,0.2,1.2\n");
  tg_error err = {};
  int n = 0;
  ASSERT_EQ(TG_OK, tg_plot_history(csv.c_str(), dir.c_str(), &n, &err)) << err.message;
  EXPECT_EQ(3, n);
  const std::string loss = ReadFile(dir + "/loss.svg");
  EXPECT_NE(std::string::npos, loss.find(">val_loss</text>"));
  EXPECT_NE(std::string::npos, loss.find("(log scale)"));
  EXPECT_EQ(2, Count(loss, "<polyline"));  // val_loss has no value at epoch 3
  EXPECT_NE(std::string::npos, ReadFile(dir + "/accuracy.svg").find(">val_accuracy</text>"));
  const std::string grads = ReadFile(dir + "/grad_norm.svg");
  EXPECT_NE(std::string::npos, grads.find(">dense_1</text>"));
  EXPECT_NE(std::string::npos, grads.find(">dense_2</text>"));
  EXPECT_EQ("", ReadFile(dir + "/val_loss.svg"));  // drawn with loss, not alone
}

TEST(PlotHistoryTest, ErrorsNameTheFileLineAndColumn) {
  const std::string csv = TempPath("bad.csv");
  tg_error err = {};
  WriteText(csv, "epoch,loss\n1,0.5\n2,abc\n");
  EXPECT_EQ(TG_ERR_PARSE, tg_plot_history(csv.c_str(), TempPath("").c_str(), nullptr, &err));
  EXPECT_EQ("tg_plot_history: " + csv + ":3:3: 'abc' is not a number", std::string(err.message));
  err = {};
  WriteText(csv, "epoch,loss\n1\n");
  EXPECT_EQ(TG_ERR_PARSE, tg_plot_history(csv.c_str(), TempPath("").c_str(), nullptr, &err));
  EXPECT_EQ("tg_plot_history: " + csv + ":2: 1 fields, the header has 2", std::string(err.message));
  err = {};
  WriteText(csv, "epoch,loss\n");
  EXPECT_EQ(TG_ERR_PARSE, tg_plot_history(csv.c_str(), TempPath("").c_str(), nullptr, &err));
  EXPECT_EQ("tg_plot_history: " + csv + ": no rows after the header", std::string(err.message));
  err = {};
  EXPECT_EQ(TG_ERR_IO, tg_plot_history(TempPath("missing.csv").c_str(), ".", nullptr, &err));
  EXPECT_NE(std::string::npos, std::string(err.message).find("No such file or directory"));
}

// rsvg-convert parses and renders each chart; it exits non-zero on malformed SVG.
TEST(PlotRenderTest, EveryChartRendersInARealRenderer) {
  ASSERT_EQ(0, std::system("command -v rsvg-convert >/dev/null"))
      << "rsvg-convert is missing: apt-get install librsvg2-bin";
  const std::string dir = TempPath("");
  const std::string csv = TempPath("render.csv");
  std::string text = "epoch,loss,val_loss,accuracy,grad_norm/dense_1\n";
  for (int e = 1; e <= 80; ++e) {  // more than 60 points: lines without markers
    char row[128];
    std::snprintf(row, sizeof row, "%d,%g,%g,%g,%g\n", e, 2.0 * std::exp(-0.05 * e),
                  2.1 * std::exp(-0.045 * e), 1.0 - std::exp(-0.1 * e), 0.3 / e);
    text += row;
  }
  WriteText(csv, text);
  tg_error err = {};
  int n = 0;
  ASSERT_EQ(TG_OK, tg_plot_history(csv.c_str(), dir.c_str(), &n, &err)) << err.message;
  ASSERT_EQ(3, n);
  for (const char* chart : {"loss", "accuracy", "grad_norm"}) {
    const std::string svg = dir + "/" + chart + ".svg", png = dir + "/" + chart + ".png";
    const std::string cmd = "rsvg-convert '" + svg + "' -o '" + png + "'";
    EXPECT_EQ(0, std::system(cmd.c_str())) << chart;
    const std::string bytes = ReadFile(png);
    ASSERT_GT(bytes.size(), 1000u) << chart;
    EXPECT_EQ("\x89PNG", bytes.substr(0, 4)) << chart;
  }
}

}  // namespace
