// tests/data_csv_test.cc — the CSV loader: header, label column by name and number,
// integer / one-hot / float targets, gzip, and every error with its line:column.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <string>

#include "tests/counting_allocator.h"
#include "tests/test_files.h"

extern "C" {
#include "data/csv.h"
}

namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = tgtest::TempPath(name);
  FILE* f = std::fopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return path;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  return path;
}

std::string WriteGz(const std::string& name, const std::string& text) {
  const std::string path = tgtest::TempPath(name);
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return path;
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  return path;
}

const char kIris[] =
    "# a comment before the header\n"
    "sepal,petal,species,width\n"
    "5.1, 1.4, 0, 0.2\n"
    "\n"
    "4.9,1.4,2,0.2\r\n"
    "\"6.3\",4.9,1,1.5\n";

TEST(CsvTest, LabelByNameWithHeader) {
  const std::string p = Write("iris.csv", kIris);
  tg_csv_options o = {};
  o.header = true;
  o.label_name = "species";
  tg_dataset d;
  tg_error err = {};
  ASSERT_EQ(tg_csv_load(p.c_str(), &o, nullptr, &d, &err), TG_OK) << err.message;
  EXPECT_EQ(d.n, 3);
  EXPECT_EQ(d.row_rank, 1);
  EXPECT_EQ(d.row_size, 3);  // sepal, petal, width
  const float x[9] = {5.1f, 1.4f, 0.2f, 4.9f, 1.4f, 0.2f, 6.3f, 4.9f, 1.5f};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(d.x[i], x[i]) << i;
  ASSERT_EQ(d.label_kind, TG_LABELS_INT);
  EXPECT_EQ(d.labels[0], 0);
  EXPECT_EQ(d.labels[1], 2);
  EXPECT_EQ(d.labels[2], 1);
  EXPECT_EQ(d.num_classes, 3);
  tg_dataset_free(&d);
}

TEST(CsvTest, LabelByNumberOneHotAndGzip) {
  const std::string p = WriteGz("iris.csv.gz", kIris);
  tg_csv_options o = {};
  o.header = true;
  o.label_column = 3;
  o.mode = TG_CSV_LABEL_ONE_HOT;
  o.num_classes = 4;
  tg_dataset d;
  tg_error err = {};
  ASSERT_EQ(tg_csv_load(p.c_str(), &o, nullptr, &d, &err), TG_OK) << err.message;
  ASSERT_EQ(d.label_kind, TG_LABELS_FLOAT);
  EXPECT_EQ(d.target_size, 4);
  const float y[12] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0};
  for (int i = 0; i < 12; ++i) EXPECT_EQ(d.y[i], y[i]) << i;
  EXPECT_EQ(d.x[3], 4.9f);
  tg_dataset_free(&d);
}

TEST(CsvTest, DefaultLabelIsTheLastColumnAndFloatTargets) {
  const std::string p = Write("reg.csv", "0.0,0.1,0.00\n0.1,0.1,0.01\n");
  tg_csv_options o = {};
  o.mode = TG_CSV_LABEL_FLOAT;
  o.label_count = 2;  // the last two columns
  tg_dataset d;
  tg_error err = {};
  ASSERT_EQ(tg_csv_load(p.c_str(), &o, nullptr, &d, &err), TG_OK) << err.message;
  EXPECT_EQ(d.n, 2);
  EXPECT_EQ(d.row_size, 1);
  EXPECT_EQ(d.target_size, 2);
  EXPECT_EQ(d.x[1], 0.1f);
  EXPECT_EQ(d.y[3], 0.01f);
  tg_dataset_free(&d);
  o = {};  // integer label in the last column, semicolons
  o.delimiter = ';';
  const std::string q = Write("semi.csv", "1;2;3\n4;5;0\n");
  ASSERT_EQ(tg_csv_load(q.c_str(), &o, nullptr, &d, &err), TG_OK) << err.message;
  EXPECT_EQ(d.labels[0], 3);
  EXPECT_EQ(d.labels[1], 0);
  EXPECT_EQ(d.num_classes, 4);
  EXPECT_EQ(d.x[2], 4.0f);
  tg_dataset_free(&d);
  o = {};
  o.mode = TG_CSV_LABEL_NONE;
  o.delimiter = ';';
  ASSERT_EQ(tg_csv_load(q.c_str(), &o, nullptr, &d, &err), TG_OK);
  EXPECT_EQ(d.row_size, 3);
  EXPECT_EQ(d.label_kind, TG_LABELS_NONE);
  tg_dataset_free(&d);
}

struct ErrorCase {
  const char* text;
  int label_column;
  int32_t num_classes;
  const char* where_and_what;  // after "tg_csv_load: <path>"
};

TEST(CsvTest, ErrorsNameLineAndColumn) {
  const ErrorCase cases[] = {
      {"a,b,label\n1,2,3\n1,2,12\n", 3, 10, ":3:5: label 12 out of range for 10 classes"},
      {"a,b,label\n1,2,3\n1,abc,3\n", 3, 0, ":3:3: expected a number, got 'abc'"},
      {"a,b,label\n1,2,3\n1,2\n", 3, 0, ":3:4: expected 3 columns (as line 1), got 2"},
      {"a,b,label\n1,2,3\n1,2,3,4\n", 3, 0, ":3:7: expected 3 columns (as line 1), got more"},
      {"a,b,label\n1,2,2.5\n", 3, 0, ":2:5: label '2.5' is not an integer"},
      {"a,b,label\n1,2,-1\n", 3, 0, ":2:5: label -1 is negative (classes are 0, 1, ...)"},
      {"a,b,label\n1,,1\n", 3, 0, ":2:3: expected a number, got ''"},
      {"a,b,label\n1,1e999,1\n", 3, 0, ":2:3: '1e999' is not a finite float"},
      {"a,b,label\n1,nan,1\n", 3, 0, ":2:3: 'nan' is not a finite float"},
      {"a,b,label\n", 3, 0, ": no data rows"},
      {"a,b,label\n1,2,3\n", 5, 0,
       ":1: label column 5 (and 0 after it) but the file has 3 columns"},
      {"label\n1\n", 1, 0, ":1: no feature column: all 1 columns are labels"},
  };
  int i = 0;
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string p = Write("bad" + std::to_string(i++) + ".csv", c.text);
    tg_csv_options o = {};
    o.header = true;
    o.label_column = c.label_column;
    o.num_classes = c.num_classes;
    tg_dataset d;
    tg_error err = {};
    EXPECT_EQ(tg_csv_load(p.c_str(), &o, nullptr, &d, &err), TG_ERR_PARSE);
    EXPECT_EQ(std::string(err.message), "tg_csv_load: " + p + c.where_and_what);
    EXPECT_EQ(d.x, nullptr);
  }
}

TEST(CsvTest, TheIssuesExampleAtColumn65) {
  // 32 two-character feature fields "0," put the label at column 65 of line 17.
  std::string text = "# sixteen rows of 32 features and a label\n";
  std::string row;
  for (int j = 0; j < 32; ++j) row += "0,";
  for (int r = 0; r < 15; ++r) text += row + "1\n";
  text += row + "12\n";
  const std::string p = Write("data.csv", text);
  tg_csv_options o = {};
  o.num_classes = 10;
  tg_dataset d;
  tg_error err = {};
  EXPECT_EQ(tg_csv_load(p.c_str(), &o, nullptr, &d, &err), TG_ERR_PARSE);
  EXPECT_EQ(std::string(err.message),
            "tg_csv_load: " + p + ":17:65: label 12 out of range for 10 classes");
}

TEST(CsvTest, UnknownLabelNameAndBadOptions) {
  const std::string p = Write("names.csv", "x,y\n1,0\n");
  tg_csv_options o = {};
  o.header = true;
  o.label_name = "target";
  tg_dataset d;
  tg_error err = {};
  EXPECT_EQ(tg_csv_load(p.c_str(), &o, nullptr, &d, &err), TG_ERR_PARSE);
  EXPECT_EQ(std::string(err.message),
            "tg_csv_load: " + p + ":1: no column named 'target' in the header 'x,y'");
  o.header = false;
  EXPECT_EQ(tg_csv_load(p.c_str(), &o, nullptr, &d, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_csv_load: label_name 'target' needs a header (header = true)");
  o = {};
  o.label_count = 2;
  EXPECT_EQ(tg_csv_load(p.c_str(), &o, nullptr, &d, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message,
               "tg_csv_load: label_count 2 needs float targets (integer labels are one column)");
  EXPECT_EQ(tg_csv_load("/nonexistent-dir/d.csv", &(o = {}), nullptr, &d, &(err = {})), TG_ERR_IO);
  EXPECT_STREQ(err.message,
               "tg_csv_load: cannot open '/nonexistent-dir/d.csv': No such file or directory");
}

TEST(CsvTest, LongLinesAndEverythingFreed) {
  // One line of 5000 features is longer than the reader's first buffer.
  std::string line;
  for (int j = 0; j < 5000; ++j) line += std::to_string(j % 7) + ",";
  const std::string p = Write("wide.csv", line + "1\n" + line + "0");  // no final newline
  tgtest::CountingAllocator counting;
  tg_csv_options o = {};
  tg_dataset d;
  tg_error err = {};
  ASSERT_EQ(tg_csv_load(p.c_str(), &o, counting.get(), &d, &err), TG_OK) << err.message;
  EXPECT_EQ(d.n, 2);
  EXPECT_EQ(d.row_size, 5000);
  EXPECT_EQ(d.x[5000 + 4999], 4999 % 7);
  EXPECT_EQ(d.labels[1], 0);
  tg_dataset_free(&d);
  const std::string q = Write("wide_bad.csv", line + "1\n" + line + "x");
  EXPECT_EQ(tg_csv_load(q.c_str(), &o, counting.get(), &d, &err), TG_ERR_PARSE);
  EXPECT_EQ(counting.allocs(), counting.frees());
}

}  // namespace
