// tests/tgdot_test.cc — the tgdot command line: its parsers (model spec, CSV) as
// functions, and the binary itself for every error path (exit status and message)
// and the outputs it writes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/dot_test_util.h"

extern "C" {
#include "frontends/persist.h"
#include "tools/csv.h"
#include "tools/model_spec.h"
}

namespace {

using tgtest::ReadFile;
using tgtest::TempPath;

struct Result {
  int status;
  std::string out, err;
};

// Runs tools/tgdot (a data dependency, relative to the runfiles directory).
Result Tgdot(const std::string& args) {
  static int n = 0;
  const std::string out = TempPath("tgdot_out_" + std::to_string(n));
  const std::string err = TempPath("tgdot_err_" + std::to_string(n++));
  const std::string cmd = "tools/tgdot " + args + " > '" + out + "' 2> '" + err + "'";
  const int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ReadFile(out), ReadFile(err)};
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const char kSyntaxHint[] = "(run tgdot --help for the syntax)\n";

TEST(TgdotSpecTest, ParsesTheSeedSpec) {
  tg_model_spec s;
  tg_error err = {};
  ASSERT_EQ(tg_model_spec_parse("1-16r-16r-2", &s, &err), TG_OK) << err.message;
  EXPECT_EQ(s.input_dim, 1);
  ASSERT_EQ(s.n_layers, 3);
  EXPECT_EQ(s.units[0], 16);
  EXPECT_EQ(s.activation[0], TG_ACT_RELU);
  EXPECT_EQ(s.activation[1], TG_ACT_RELU);
  EXPECT_EQ(s.units[2], 2);
  EXPECT_EQ(s.activation[2], TG_ACT_LINEAR);
  ASSERT_EQ(tg_model_spec_parse("3-8s-4t-5l", &s, &err), TG_OK) << err.message;
  char buf[64];
  EXPECT_STREQ(tg_model_spec_format(&s, buf, sizeof buf), "3-8s-4t-5");
}

// A spec built by hand with a layer count outside the array is refused, not read
// past its end.
TEST(TgdotSpecTest, BuildRejectsALayerCountOutsideTheArray) {
  tg_model_spec spec = {};
  spec.input_dim = 1;
  for (int n : {TG_SPEC_MAX_LAYERS + 1, -1}) {
    spec.n_layers = n;
    tg_error err = {};
    EXPECT_EQ(nullptr, tg_model_spec_build(&spec, nullptr, nullptr, 1, &err));
    EXPECT_EQ(TG_ERR_ARG, err.code);
    EXPECT_EQ("tg_model_spec_build: " + std::to_string(n) + " layers is outside 0..64",
              std::string(err.message));
    char buf[64];
    EXPECT_STREQ("(invalid spec)", tg_model_spec_format(&spec, buf, sizeof buf));
  }
}

TEST(TgdotSpecTest, RejectsBadSpecsWithTheReason) {
  struct Case {
    const char* spec;
    const char* message;
  } cases[] = {
      {"1",
       "tg_model_spec_parse: '1': needs at least one layer after the input width, e.g. "
       "1-16r-2"},
      {"x-16",
       "tg_model_spec_parse: 'x-16': must start with the input width (1..1048576), e.g. "
       "1-16r-16r-2"},
      {"0-16",
       "tg_model_spec_parse: '0-16': must start with the input width (1..1048576), e.g. "
       "1-16r-16r-2"},
      {"1-16q-2",
       "tg_model_spec_parse: '1-16q-2': layer 1 '16q': unknown activation 'q' "
       "(r=relu, s=sigmoid, t=tanh, l or nothing=linear)"},
      {"1-16rr-2",
       "tg_model_spec_parse: '1-16rr-2': layer 1 '16rr': unknown activation 'rr' "
       "(r=relu, s=sigmoid, t=tanh, l or nothing=linear)"},
      {"1--2", "tg_model_spec_parse: '1--2': layer 1 is empty"},
      {"1-16-", "tg_model_spec_parse: '1-16-': layer 2 is empty"},
      {"1-r", "tg_model_spec_parse: '1-r': layer 1 'r' does not start with a unit count"},
      {"1-0r", "tg_model_spec_parse: '1-0r': layer 1 '0r': units must be 1..1048576"},
  };
  for (const Case& c : cases) {
    tg_model_spec s;
    tg_error err = {};
    EXPECT_EQ(tg_model_spec_parse(c.spec, &s, &err), TG_ERR_PARSE) << c.spec;
    EXPECT_STREQ(err.message, c.message);
  }
}

TEST(TgdotCsvTest, ReadsInputsThenTargetsSkippingCommentsAndBlankLines) {
  const std::string path =
      WriteTemp("ok.csv", "# x, y1, y2\n0.0, 0.1, 0\n\n 0.5 ,0.1,0.005\r\n1e-1,2,-3");
  tg_csv_data d;
  tg_error err = {};
  ASSERT_EQ(tg_csv_read(path.c_str(), 1, 2, &d, &err), TG_OK) << err.message;
  ASSERT_EQ(d.rows, 3);
  EXPECT_EQ(d.x[1], 0.5f);
  EXPECT_EQ(d.x[2], 0.1f);
  EXPECT_EQ(d.y[2], 0.1f);
  EXPECT_EQ(d.y[3], 0.005f);
  EXPECT_EQ(d.y[5], -3.0f);
  tg_csv_data_free(&d);
  tg_csv_data_free(nullptr);
}

// Subnormal values are finite floats (strtof flags them with ERANGE all the same),
// and a value below the smallest subnormal reads as 0, as float32 stores it.
TEST(TgdotCsvTest, SubnormalAndUnderflowingValuesAreNumbers) {
  const std::string path = WriteTemp("subnormal.csv", "1e-39, 1e-45, 1e-50\n");
  tg_csv_data d;
  tg_error err = {};
  ASSERT_EQ(tg_csv_read(path.c_str(), 1, 2, &d, &err), TG_OK) << err.message;
  EXPECT_EQ(d.x[0], 1e-39f);
  EXPECT_GT(d.x[0], 0.0f);
  EXPECT_EQ(d.y[0], 1e-45f);  // the smallest subnormal
  EXPECT_EQ(d.y[1], 0.0f);
  tg_csv_data_free(&d);
}

TEST(TgdotCsvTest, ErrorsCarryLineAndColumn) {
  struct Case {
    const char* text;
    tg_status code;
    const char* where_and_what;
  } cases[] = {
      {"0.0, 0.1, 0.0\n0.1, abc, 0.01\n", TG_ERR_PARSE, ":2:6: expected a number, got 'abc'"},
      {"0.1, 0.2\n", TG_ERR_PARSE, ":1:9: expected 3 columns (1 input then 2 targets), got 2"},
      {"0,1,2,3\n", TG_ERR_PARSE, ":1:7: expected 3 columns (1 input then 2 targets), got more"},
      {"0,1,\n", TG_ERR_PARSE, ":1:5: expected a number, got ''"},
      {"0,1,2x\n", TG_ERR_PARSE, ":1:5: expected a number, got '2x'"},
      {"0,inf,2\n", TG_ERR_PARSE, ":1:3: 'inf' is not a finite float"},
      {"0,1e39,2\n", TG_ERR_PARSE, ":1:3: '1e39' is not a finite float"},
      {"# only a comment\n\n", TG_ERR_PARSE, ": no data rows"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = WriteTemp("bad" + std::to_string(i++) + ".csv", c.text);
    tg_csv_data d;
    tg_error err = {};
    EXPECT_EQ(tg_csv_read(path.c_str(), 1, 2, &d, &err), c.code) << c.text;
    EXPECT_EQ(std::string(err.message), "tg_csv_read: " + path + c.where_and_what);
    EXPECT_EQ(d.x, nullptr);
  }
  tg_csv_data d;
  tg_error err = {};
  EXPECT_EQ(tg_csv_read("/nonexistent-dir/data.csv", 1, 2, &d, &err), TG_ERR_IO);
  EXPECT_STREQ(err.message,
               "tg_csv_read: cannot open '/nonexistent-dir/data.csv': No such file or directory");
  EXPECT_EQ(tg_csv_read("x.csv", 0, 2, &d, &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_csv_read: n_inputs and n_targets must be 1..1048576, got 0 and 2");
}

TEST(TgdotCliTest, BadSpecExitsWithUsageStatus) {
  Result r = Tgdot("1-16q-2");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "tgdot: tg_model_spec_parse: '1-16q-2': layer 1 '16q': unknown activation 'q' "
            "(r=relu, s=sigmoid, t=tanh, l or nothing=linear)\n");
}

TEST(TgdotCliTest, UnknownInitializer) {
  Result r = Tgdot("1-16r-16r-2 --init glorot");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("tgdot: tg_initializer_parse: unknown initializer \"glorot\"; expected "
                        "zeros, ones, constant:V,",
                        0),
            0u)
      << r.err;
  r = Tgdot("1-16r-16r-2 --init constant:abc");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "tgdot: tg_initializer_parse: \"constant:abc\": constant needs a finite "
            "number, e.g. constant:0.5\n");
  r = Tgdot("1-16r-16r-2 --bias-init nope");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown initializer \"nope\""), std::string::npos);
}

TEST(TgdotCliTest, UnreadableCsv) {
  Result r = Tgdot("1-16r-16r-2 --csv /nonexistent-dir/data.csv");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "tgdot: tg_csv_read: cannot open '/nonexistent-dir/data.csv': No such file or "
            "directory\n");
}

TEST(TgdotCliTest, MalformedCsvNamesLineAndColumn) {
  const std::string path = WriteTemp("cli_bad.csv", "0.0,0.1,0.0\n0.1,0.1\n");
  Result r = Tgdot("1-16r-16r-2 --csv " + path);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "tgdot: tg_csv_read: " + path +
                       ":2:8: expected 3 columns (1 input then 2 targets), got 2\n");
}

TEST(TgdotCliTest, UsageErrors) {
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"", "missing the model spec (e.g. 1-16r-16r-2) or --load FILE"},
      {"1-2 --load m.tgm", "give either a model spec ('1-2') or --load m.tgm, not both"},
      {"--load m.tgm --init zeros",
       "--init has no effect with --load (the file holds the weights)"},
      {"--load m.tgm --seed 3", "--seed has no effect with --load (the file holds the weights)"},
      {"1-2 --save", "option --save needs a value"},
      {"1-2 --frobnicate", "unknown option '--frobnicate'"},
      {"1-2 -o", "option -o needs a value"},
      {"1-2 3-4", "unexpected argument '3-4' (the spec is '1-2')"},
      {"1-2 --train many", "--train needs a step count 0..100000000, got 'many'"},
      {"1-2 --train -1", "--train needs a step count 0..100000000, got '-1'"},
      {"1-2 --seed -3", "--seed needs a non-negative integer, got '-3'"},
      {"1-2 --tolerance -1", "--tolerance needs a finite number >= 0, got '-1'"},
      {"1-2 --report xml", "--report must be text or json, got 'xml'"},
      {"1-2 --render pdf -o g.dot", "--render must be svg or png, got 'pdf'"},
      {"1-2 --render svg", "--render svg needs -o FILE for the DOT"},
      {"1-2 --table-max 5000", "--table-max needs an integer -1..1024, got '5000'"},
  };
  for (const Case& c : cases) {
    Result r = Tgdot(c.args);
    EXPECT_EQ(r.status, 2) << c.args;
    EXPECT_EQ(r.err, std::string("tgdot: ") + c.message + "\n" + kSyntaxHint) << c.args;
  }
}

TEST(TgdotCliTest, DefaultDataNeedsTheSeedShape) {
  Result r = Tgdot("2-4r-1");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "tgdot: the default data (the seed's 10 samples) has 1 input and 2 targets, "
            "but '2-4r-1' has 2 inputs and 1 outputs: give --csv FILE\n");
}

TEST(TgdotCliTest, HelpDocumentsTheSpecSyntax) {
  Result r = Tgdot("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("r=relu, s=sigmoid, t=tanh"), std::string::npos);
  EXPECT_NE(r.out.find("--render svg|png"), std::string::npos);
}

TEST(TgdotCliTest, ZeroInitReportAndGraph) {
  if (tgtest::DotBinary().empty()) GTEST_SKIP() << "Graphviz dot is not installed (--render svg)";
  const std::string dot = TempPath("cli_zero.dot");
  Result r = Tgdot("1-16r-16r-2 --init zeros --report text --backward --render svg -o " + dot);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "tgdot: wrote " + dot + "\ntgdot: rendered " + TempPath("cli_zero.svg") + "\n");
  EXPECT_NE(r.out.find("layer dense_1 (relu, hidden): 16 units -> 1 distinct (symmetric)\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("  exactly-zero gradients: dense_1/kernel dense_1/bias dense_2/kernel "
                       "dense_2/bias dense_3/kernel\n"),
            std::string::npos);
  const std::string text = ReadFile(dot);
  EXPECT_NE(text.find("<B>tgdot 1-16r-16r-2 --init zeros --seed 1 --train 0</B>"),
            std::string::npos);
  EXPECT_NE(text.find("style=dashed"), std::string::npos);
  EXPECT_EQ(tgtest::RenderProblems(dot), "");
  EXPECT_EQ(ReadFile(TempPath("cli_zero.svg")).rfind("<?xml", 0), 0u);
}

TEST(TgdotCliTest, WritesDotToStdoutByDefault) {
  Result r = Tgdot("1-4t-2 --init constant:0.5");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph tapegrad {\n", 0), 0u);
  EXPECT_NE(r.out.find("4 units -&gt; 1 distinct (symmetric)"), std::string::npos);
  EXPECT_NE(r.out.find("(Dense 4 tanh, hidden)"), std::string::npos);  // the layer as declared
}

// -o through a symbolic link writes the file it points at and keeps the link; a
// device or "-" (standard output) is written as a stream, never replaced.
TEST(TgdotCliTest, OutputThroughLinksDevicesAndDash) {
  const std::string real = TempPath("cli_real.dot"), link = TempPath("cli_link.dot");
  unlink(real.c_str());
  unlink(link.c_str());
  ASSERT_EQ(0, symlink(real.c_str(), link.c_str()));
  Result r = Tgdot("1-4t-2 -o " + link);
  ASSERT_EQ(r.status, 0) << r.err;
  struct stat st;
  ASSERT_EQ(0, lstat(link.c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(ReadFile(real).rfind("digraph tapegrad {\n", 0), 0u);
  r = Tgdot("1-4t-2 -o /dev/null");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(0, lstat("/dev/null", &st));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  r = Tgdot("1-4t-2 -o -");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph tapegrad {\n", 0), 0u);
}

TEST(TgdotCliTest, CsvDataMatchesTheBuiltInSeedData) {
  std::string csv = "# x, y1, y2\n";
  for (int i = 0; i < 10; ++i)
    csv += std::to_string(i / 10.0) + "," + "0.1," + std::to_string(0.01 * i) + "\n";
  const std::string path = WriteTemp("seed.csv", csv);
  Result from_csv = Tgdot("1-16r-16r-2 --report json --csv " + path);
  Result built_in = Tgdot("1-16r-16r-2 --report json");
  ASSERT_EQ(from_csv.status, 0) << from_csv.err;
  ASSERT_EQ(built_in.status, 0) << built_in.err;
  EXPECT_EQ(from_csv.out, built_in.out);
  EXPECT_NE(built_in.out.find("\"symmetric_layers\": []"), std::string::npos);
}

TEST(TgdotCliTest, TrainingMovesTheLossButNotTheZeroGradients) {
  Result r = Tgdot("1-16r-16r-2 --init zeros --train 200 --report text");
  ASSERT_EQ(r.status, 0) << r.err;
  // Only the output bias learns: the loss falls from 0.006425 towards var(0.01 i)/2,
  // and every kernel gradient is still exactly zero.
  EXPECT_EQ(r.out.find("loss: mse = 0.006425"), std::string::npos);
  EXPECT_NE(r.out.find("dense_3/kernel [16x2]: value min 0 max 0 mean 0 l2 0 | grad min 0 max 0 "
                       "mean 0 l2 0 | zero grads 32/32 (exactly zero)"),
            std::string::npos)
      << r.out;
}

// --save and --load: a model trained, saved, loaded and trained on gives the same
// analysis, bit for bit, as one trained for all the steps at once.
TEST(TgdotPersistTest, SaveThenLoadContinuesTrainingBitForBit) {
  const std::string path = TempPath("cli_resume.tgm");
  Result first = Tgdot("1-16r-16r-2 --train 30 --save " + path + " --report text");
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.err, "tgdot: saved " + path + "\n");
  Result resumed = Tgdot("--load " + path + " --train 30 --report json");
  Result straight = Tgdot("1-16r-16r-2 --train 60 --report json");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  ASSERT_EQ(straight.status, 0) << straight.err;
  EXPECT_EQ(resumed.out, straight.out);
  // The file holds the 30 Adam steps.
  tg_error err = {};
  tg_model* m = tg_model_load(path.c_str(), nullptr, &err);
  ASSERT_NE(m, nullptr) << err.message;
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 30);
  tg_model_free(m);
}

TEST(TgdotPersistTest, DrawsALoadedUncompiledModel) {
  tg_error err = {};
  tg_model_options o = {};
  o.input_dim = 1;
  tg_model* m = tg_sequential_new(&o, &err);
  ASSERT_NE(m, nullptr) << err.message;
  tg_dense_options d = {};
  d.units = 4;
  d.activation = TG_ACT_TANH;
  d.kernel_init = tg_init_constant(0.5f);
  ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
  d.units = 2;
  d.activation = TG_ACT_LINEAR;
  ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
  const std::string path = TempPath("cli_uncompiled.tgm");
  ASSERT_EQ(tg_model_save(m, path.c_str(), &err), TG_OK) << err.message;
  tg_model_free(m);
  Result r = Tgdot("--load " + path);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("<B>tgdot --load " + path + " --train 0</B>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 units -&gt; 1 distinct (symmetric)"), std::string::npos);
}

TEST(TgdotPersistTest, LoadAndSaveErrors) {
  Result r = Tgdot("--load /nonexistent-dir/m.tgm");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "tgdot: tg_model_load: cannot open '/nonexistent-dir/m.tgm': No such file or "
            "directory\n");
  const std::string text = WriteTemp("not_a_model.tgm", "0.0,0.1,0.0\n");
  r = Tgdot("--load " + text);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "tgdot: tg_model_load: '" + text +
                       "': not a tapegrad model: it starts with bytes 30 2e 30 2c 30 2e 31 2c, "
                       "not \"TAPEGRAD\"\n");
  r = Tgdot("1-16r-16r-2 --save /nonexistent-dir/m.tgm");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "tgdot: tg_model_save: cannot create a temporary file beside "
            "'/nonexistent-dir/m.tgm': No such file or directory\n");
  // A saved model whose shape does not fit the default data, and one without layers.
  tg_error err = {};
  tg_model_options o = {};
  o.input_dim = 2;
  tg_model* m = tg_sequential_new(&o, &err);
  ASSERT_NE(m, nullptr) << err.message;
  const std::string empty = TempPath("cli_empty.tgm");
  ASSERT_EQ(tg_model_save(m, empty.c_str(), &err), TG_OK) << err.message;
  tg_dense_options d = {};
  d.units = 1;
  ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
  const std::string wide = TempPath("cli_wide.tgm");
  ASSERT_EQ(tg_model_save(m, wide.c_str(), &err), TG_OK) << err.message;
  tg_model_free(m);
  r = Tgdot("--load " + empty);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "tgdot: '" + empty + "' holds a model without layers: nothing to draw\n");
  r = Tgdot("--load " + wide);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "tgdot: the default data (the seed's 10 samples) has 1 input and 2 targets, "
            "but '" +
                wide + "' has 2 inputs and 1 outputs: give --csv FILE\n");
}

}  // namespace
