// tests/dot_export_test.cc — the DOT exporter: deterministic bytes, what the picture
// contains, options, errors; every file written here must render with the real
// Graphviz `dot -Tsvg` without a single warning.
#include <dirent.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "tests/dot_test_util.h"

extern "C" {
#include "ops/ops.h"
#include "tools/dot_export.h"
}

namespace {

using tgtest::DenseSpec;
using tgtest::HandMlp;
using tgtest::Init;

const std::vector<DenseSpec> kSeed = {{16, true}, {16, true}, {2, false}};

// Saves the DOT of `t`, checks that dot renders it cleanly, returns the text.
std::string SaveAndRender(const tg_tape* t, const tg_dot_options* opt, const std::string& name) {
  const std::string path = tgtest::TempPath(name);
  tg_error err = {};
  EXPECT_EQ(tg_dot_save(t, opt, path.c_str(), &err), TG_OK) << err.message;
  if (tgtest::DotBinary().empty()) {
    // CI installs graphviz; without it only the rendering check is left out.
    static bool told = false;
    if (!told) std::fprintf(stderr, "note: Graphviz dot is not installed: rendering not checked\n");
    told = true;
  } else {
    EXPECT_EQ(tgtest::RenderProblems(path), "") << path;
  }
  return tgtest::ReadFile(path);
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(DotExportTest, ZeroInitShowsCollapsedLayersAndZeroGradients) {
  HandMlp m(1, kSeed, Init::kZeros);
  tg_dot_options opt = {};
  opt.tolerance = 1e-6f;
  const std::string dot = SaveAndRender(m.tape(), &opt, "zero.dot");
  EXPECT_EQ(dot.rfind("digraph tapegrad {\n", 0), 0u);
  // One cluster per layer, named after it, with the symmetry verdict.
  EXPECT_EQ(Count(dot, "subgraph cluster_"), 4u);  // 3 layers + legend
  EXPECT_NE(dot.find("label=<<B>dense_1</B> (relu, hidden)<BR/>"), std::string::npos);
  EXPECT_EQ(Count(dot, "16 units -&gt; 1 distinct (symmetric)"), 2u);
  EXPECT_NE(dot.find("2 units -&gt; 2 distinct>;"), std::string::npos);
  EXPECT_NE(dot.find("identical units: {0-15}"), std::string::npos);
  // Five parameters get exactly zero gradients; both ReLUs are dead on all samples.
  EXPECT_EQ(Count(dot, "gradient exactly 0: does not learn"), 5u);
  EXPECT_NE(dot.find("zero gradients: 5 of 6 parameters get exactly 0 and do not learn: "
                     "dense_1/kernel dense_1/bias dense_2/kernel dense_2/bias dense_3/kernel"
                     "</B></FONT><BR ALIGN=\"LEFT\"/><B>only these learn: dense_3/bias</B>"),
            std::string::npos);
  EXPECT_EQ(dot.find("no symmetric layer"), std::string::npos);
  EXPECT_EQ(Count(dot, "16/16 units dead"), 2u);
  // Parameters with their statistics, the 16x16 gradient drawn cell by cell in grey.
  EXPECT_NE(dot.find("<B>dense_2/kernel</B> [16x16]"), std::string::npos);
  EXPECT_NE(dot.find("zeros 256/256"), std::string::npos);
  EXPECT_NE(dot.find("grad min -0.1 max -0.045 mean -0.0725 l2 0.1097"), std::string::npos);
  EXPECT_GE(Count(dot, "<TD BGCOLOR=\"#9e9e9e\" WIDTH=\"9\" HEIGHT=\"9\"></TD>"), 2u * 256u);
  // Edges carry shapes; the loss node shows its value.
  EXPECT_NE(dot.find("L0 -> N0 [label=\" [10x1]\"];"), std::string::npos);
  EXPECT_NE(dot.find("N2 -> N3 [label=\" [10x16]\"];"), std::string::npos);
  EXPECT_NE(dot.find("N8 [shape=doubleoctagon"), std::string::npos);
  EXPECT_NE(dot.find("loss 0.006425"), std::string::npos);
  EXPECT_NE(dot.find("legend [shape=plain"), std::string::npos);
  EXPECT_EQ(dot.find("style=dashed"), std::string::npos);  // no gradient flow by default
}

TEST(DotExportTest, DefaultInitHasNoSymmetricLayer) {
  HandMlp m(1, kSeed, Init::kRandom);
  const std::string dot = SaveAndRender(m.tape(), nullptr, "random.dot");
  EXPECT_EQ(Count(dot, "16 units -&gt; 16 distinct"), 2u);
  EXPECT_EQ(dot.find("(symmetric)"), std::string::npos);
  EXPECT_EQ(dot.find("does not learn"), std::string::npos);
  EXPECT_NE(dot.find("no symmetric layer: the hidden units are distinct"), std::string::npos);
  EXPECT_NE(dot.find("every parameter gets a non-zero gradient"), std::string::npos);
}

TEST(DotExportTest, SameTapeAndEqualTapesGiveTheSameBytes) {
  HandMlp a(1, kSeed, Init::kRandom, 0.0f, 7);
  HandMlp b(1, kSeed, Init::kRandom, 0.0f, 7);  // other addresses, same values
  tg_dot_options opt = {};
  opt.backward = true;
  const std::string first = SaveAndRender(a.tape(), &opt, "det_a1.dot");
  const std::string again = SaveAndRender(a.tape(), &opt, "det_a2.dot");
  const std::string other = SaveAndRender(b.tape(), &opt, "det_b.dot");
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, again);
  EXPECT_EQ(first, other);
}

TEST(DotExportTest, BackwardDrawsOneVjpEdgePerInputWithAGradient) {
  HandMlp m(1, kSeed, Init::kZeros);
  tg_dot_options opt = {};
  opt.backward = true;
  const std::string dot = SaveAndRender(m.tape(), &opt, "backward.dot");
  // 3 layers x (matmul: x-side + kernel, add: 2, relu/none) : every input that needs a
  // gradient. dense_1's matmul input x has none.
  // dense_1: kernel, matmul->add, bias, add->relu     = 4
  // dense_2: relu1->matmul, kernel, matmul->add, bias, add->relu = 5
  // dense_3: relu2->matmul, kernel, matmul->add, bias = 4; mse: prediction = 1
  EXPECT_EQ(Count(dot, "style=dashed"), 14u);
  // Zero gradients flow in grey; the output bias and the prediction carry real ones.
  EXPECT_NE(dot.find("N0 -> L1 [style=dashed, constraint=false, color=\"#9e9e9e\""),
            std::string::npos);
  EXPECT_NE(dot.find("N7 -> L6 [style=dashed, constraint=false, color=\"#c0392b\", "
                     "fontcolor=\"#c0392b\", label=\" grad 0.1097\"];"),
            std::string::npos);
}

TEST(DotExportTest, TableMaxControlsTheCellGrids) {
  HandMlp m(1, kSeed, Init::kConstant);
  tg_dot_options opt = {};
  opt.table_max = -1;
  const std::string none = SaveAndRender(m.tape(), &opt, "no_tables.dot");
  EXPECT_EQ(none.find("WIDTH=\"9\""), std::string::npos);
  opt.table_max = 2;  // only dense_3/bias [2] fits
  const std::string small = SaveAndRender(m.tape(), &opt, "small_tables.dot");
  EXPECT_EQ(Count(small, "WIDTH=\"9\""), 4u);
}

TEST(DotExportTest, LargeParametersShowStatisticsOnly) {
  // 40 units > 32: no per-entry table, the statistics are still there.
  HandMlp m(1, {{40, true}, {1, false}}, Init::kRandom);
  const std::string dot = SaveAndRender(m.tape(), nullptr, "large.dot");
  EXPECT_NE(dot.find("<B>dense_1/kernel</B> [1x40]"), std::string::npos);
  EXPECT_NE(dot.find("<B>dense_2/kernel</B> [40x1]"), std::string::npos);
  EXPECT_EQ(Count(dot, "WIDTH=\"9\""), 2u);  // dense_2/bias [1]: value and gradient
}

TEST(DotExportTest, NamesAreEscapedAndOddTapesRender) {
  tg_tape* t = tg_tape_new();
  int64_t s[2] = {2, 2}, v[1] = {2};
  tg_tensor* x = tg_tape_leaf(t, 2, s, nullptr, false);
  tg_tensor* w = tg_tape_leaf(t, 2, s, nullptr, true);
  tg_tensor* b = tg_tape_leaf(t, 1, v, nullptr, true);
  tg_tensor_set_name(w, "w<1>&\"q\"");
  w->data[0] = 1.0f;
  tg_tape_set_scope(t, "a&b <layer>");
  tg_tensor* y = tg_tanh(t, tg_add(t, tg_matmul(t, x, w), b));
  tg_tape_set_scope(t, "");
  tg_tensor* loss = tg_sum(t, tg_mul(t, y, y));  // an unscoped op that is not the loss too
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  const std::string dot = SaveAndRender(t, nullptr, "escaped.dot");
  EXPECT_NE(dot.find("<B>w&lt;1&gt;&amp;&quot;q&quot;</B> [2x2]"), std::string::npos);
  EXPECT_NE(dot.find("<B>a&amp;b &lt;layer&gt;</B> (tanh, output)"), std::string::npos);
  EXPECT_NE(dot.find("<B>param 1</B> [2]"), std::string::npos);
  EXPECT_NE(dot.find("<B>input 1</B> [2x2]"), std::string::npos);
  tg_tape_free(t);
}

TEST(DotExportTest, TapeWithoutBackwardStillRenders) {
  tg_tape* t = tg_tape_new();
  int64_t s[2] = {3, 3};
  tg_tensor* w = tg_tape_leaf(t, 2, s, nullptr, true);
  tg_relu(t, tg_matmul(t, w, w));
  const std::string dot = SaveAndRender(t, nullptr, "no_backward.dot");
  EXPECT_NE(dot.find("no backward has run on this tape"), std::string::npos);
  tg_tape_free(t);
}

// Index tensors (labels into a sparse loss, argmax's output) carry no floats: the
// analysis and the picture skip their values instead of reading them.
TEST(DotExportTest, IndexTensorsRender) {
  tg_tape* t = tg_tape_new();
  int64_t s[2] = {2, 3}, sl[1] = {2};
  const int32_t labels[2] = {2, 0};
  tg_tensor* logits = tg_tape_leaf(t, 2, s, nullptr, true);
  tg_tensor* y = tg_tape_index_leaf(t, 1, sl, labels);
  tg_argmax(t, logits, 1, false);
  tg_tensor* loss = tg_sparse_categorical_crossentropy(t, logits, y, true);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  const std::string dot = SaveAndRender(t, nullptr, "index_tensors.dot");
  EXPECT_NE(dot.find("argmax"), std::string::npos);
  EXPECT_NE(dot.find("sparse_categorical_crossentropy"), std::string::npos);
  tg_tape_free(t);
}

TEST(DotExportTest, WritesToAStream) {
  HandMlp m(1, {{2, true}, {1, false}}, Init::kConstant);
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  tg_error err = {};
  ASSERT_EQ(tg_dot_write(m.tape(), nullptr, f, &err), TG_OK) << err.message;
  fclose(f);
  const std::string streamed(buf, len);
  free(buf);
  EXPECT_EQ(streamed, SaveAndRender(m.tape(), nullptr, "stream.dot"));
}

TEST(DotExportTest, SaveLeavesNoTemporaryFiles) {
  HandMlp m(1, {{2, true}, {1, false}}, Init::kConstant);
  const std::string dir = tgtest::TempPath("save_dir");
  mkdir(dir.c_str(), 0755);
  tg_error err = {};
  ASSERT_EQ(tg_dot_save(m.tape(), nullptr, (dir + "/g.dot").c_str(), &err), TG_OK);
  ASSERT_EQ(tg_dot_save(m.tape(), nullptr, (dir + "/g.dot").c_str(), &err), TG_OK);  // replaces
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  closedir(d);
  EXPECT_EQ(names, std::vector<std::string>{"g.dot"});
}

TEST(DotExportTest, ErrorsNameTheFunctionAndTheProblem) {
  HandMlp m(1, {{2, true}, {1, false}}, Init::kConstant);
  tg_error err = {};
  EXPECT_EQ(tg_dot_write(nullptr, nullptr, stdout, &err), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_dot_write: tape is NULL");
  EXPECT_EQ(tg_dot_write(m.tape(), nullptr, nullptr, &(err = {})), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_dot_write: out is NULL");
  EXPECT_EQ(tg_dot_save(m.tape(), nullptr, "", &(err = {})), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_dot_save: path is NULL or empty");
  EXPECT_EQ(tg_dot_save(m.tape(), nullptr, "/nonexistent-dir/g.dot", &(err = {})), TG_ERR_IO);
  EXPECT_STREQ(err.message,
               "tg_dot_save: cannot create a temporary file beside '/nonexistent-dir/g.dot': No "
               "such file or directory");
  tg_dot_options opt = {};
  opt.tolerance = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(tg_dot_save(m.tape(), &opt, "x.dot", &(err = {})), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_dot_save: tolerance must be finite and >= 0, got nan");

  tg_tape* t = tg_tape_new();
  int64_t s[1] = {3};
  tg_tensor* a = tg_tape_leaf(t, 1, s, nullptr, false);
  EXPECT_EQ(tg_matmul(t, a, a), nullptr);
  EXPECT_EQ(tg_dot_write(t, nullptr, stdout, &(err = {})), TG_ERR_STATE);
  EXPECT_STREQ(err.message,
               "tg_dot_write: the tape holds an error: matmul: [3] @ [3]: operands must be 2-D, "
               "or a 3-D batch times a 2-D or 3-D operand");
  tg_tape_free(t);
}

}  // namespace
