// tests/gradcheck_test.cc — the public checker (testing/gradcheck.h) through its C
// API, as a user's test calls it: it passes right gradients, catches a 1% error and
// names the element, draws and copies leaves as documented, and reports why a check
// could not run.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

extern "C" {
#include "ops/ops.h"
#include "testing/gradcheck.h"
}

namespace {

tg_tensor* MatmulTanh(tg_tape* t, tg_tensor* const* x, void*) {
  return tg_tanh(t, tg_matmul(t, x[0], x[1]));
}

tg_gradcheck_leaf Spec(int rank, int64_t d0, int64_t d1, bool grad) {
  tg_gradcheck_leaf l = {};
  l.rank = rank;
  l.shape[0] = d0;
  l.shape[1] = d1;
  l.requires_grad = grad;
  return l;
}

TEST(GradcheckTest, RightGradientsPass) {
  tg_gradcheck_leaf leaves[2] = {Spec(2, 3, 4, true), Spec(2, 4, 2, true)};
  tg_gradcheck_result r;
  ASSERT_EQ(tg_gradcheck(leaves, 2, MatmulTanh, nullptr, nullptr, &r), TG_OK) << r.report;
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 12 + 8);
  EXPECT_EQ(r.failed, 0);
  EXPECT_STREQ(r.report, "");
  EXPECT_LT(r.max_abs_err, 1e-3);
}

// y = 3x with a backward that says 3.03.
void WrongForward(tg_node* n) {
  for (int64_t i = 0; i < n->out->size; ++i) n->out->data[i] = 3.0f * n->in[0]->data[i];
}
void WrongBackward(tg_node* n) {
  for (int64_t i = 0; i < n->out->size; ++i) n->in[0]->grad[i] += 3.03f * n->out->grad[i];
}
tg_status SameShape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char*, size_t) {
  *rank = n->in[0]->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = n->in[0]->shape[d];
  return TG_OK;
}
tg_op_def MakeWrong() {
  tg_op_def d{};
  d.name = "wrong";
  d.arity = 1;
  d.shape = SameShape;
  d.forward = WrongForward;
  d.backward = WrongBackward;
  return d;
}
const tg_op_def kWrong = MakeWrong();

tg_tensor* Wrong(tg_tape* t, tg_tensor* const* x, void*) {
  return tg_tape_apply(t, &kWrong, x, 1, nullptr);
}

TEST(GradcheckTest, CatchesAOnePercentErrorAndNamesTheElement) {
  tg_gradcheck_leaf leaf = Spec(1, 1, 0, true);
  const float values[1] = {0.5f};
  leaf.values = values;
  tg_gradcheck_result r;
  ASSERT_EQ(tg_gradcheck(&leaf, 1, Wrong, nullptr, nullptr, &r), TG_OK);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.checked, 1);
  EXPECT_EQ(r.failed, 1);
  // A one-element output is the loss itself: analytic 3.03, numeric 3 (to float).
  EXPECT_EQ(std::string(r.report).rfind("leaf 0 element 0: analytic 3.03 numeric 3", 0), 0u)
      << r.report;
}

TEST(GradcheckTest, ReportsAtMostEightFailureLines) {
  tg_gradcheck_leaf leaf = Spec(2, 5, 4, true);
  tg_gradcheck_result r;
  ASSERT_EQ(tg_gradcheck(&leaf, 1, Wrong, nullptr, nullptr, &r), TG_OK);
  EXPECT_EQ(r.failed, 20);
  int lines = 0;
  for (const char* c = r.report; *c; ++c) lines += *c == '\n';
  EXPECT_EQ(lines, 8);
}

struct Seen {
  float first[4];
  float second[4];
};

tg_tensor* Record(tg_tape* t, tg_tensor* const* x, void* ctx) {
  Seen* s = static_cast<Seen*>(ctx);
  for (int i = 0; i < 4; ++i) s->first[i] = x[0]->data[i];
  for (int i = 0; i < 4; ++i) s->second[i] = x[1]->data[i];
  return tg_mul(t, x[0], x[1]);
}

TEST(GradcheckTest, LeavesAreDrawnAsDocumentedAndYoursAreKept) {
  tg_error err = {};
  const int64_t shape[1] = {4};
  tg_tensor* mine = tg_tensor_new(1, shape, true, &err);
  ASSERT_NE(mine, nullptr);
  for (int i = 0; i < 4; ++i) mine->data[i] = 0.25f * static_cast<float>(i + 1);
  tg_gradcheck_leaf leaves[2] = {Spec(1, 4, 0, true), {}};
  leaves[0].positive = true;
  leaves[0].min_abs = 2.0f;
  leaves[0].max_abs = 3.0f;
  leaves[1].tensor = mine;
  Seen seen;
  tg_gradcheck_result r;
  ASSERT_EQ(tg_gradcheck(leaves, 2, Record, &seen, nullptr, &r), TG_OK) << r.report;
  EXPECT_TRUE(r.ok) << r.report;
  for (int i = 0; i < 4; ++i) {
    EXPECT_GE(seen.first[i], 2.0f);
    EXPECT_LE(seen.first[i], 3.0f);
    EXPECT_EQ(mine->data[i], 0.25f * static_cast<float>(i + 1));  // restored
    EXPECT_EQ(seen.second[i], mine->data[i]);
    // d/dmine sum(w * a * mine) = w * a: the analytic gradient is left in the grad.
    EXPECT_NE(mine->grad[i], 0.0f);
  }
  tg_tensor_free(mine);
}

TEST(GradcheckTest, TheSameSeedGivesTheSameLeaves) {
  tg_gradcheck_leaf leaves[2] = {Spec(1, 4, 0, true), Spec(1, 4, 0, true)};
  Seen a, b;
  tg_gradcheck_result r;
  tg_gradcheck_options o = tg_gradcheck_defaults();
  ASSERT_EQ(tg_gradcheck(leaves, 2, Record, &a, &o, &r), TG_OK);
  ASSERT_EQ(tg_gradcheck(leaves, 2, Record, &b, &o, &r), TG_OK);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(a.first[i], b.first[i]);
  o.seed = 99;
  ASSERT_EQ(tg_gradcheck(leaves, 2, Record, &b, &o, &r), TG_OK);
  EXPECT_NE(a.first[0], b.first[0]);
}

tg_tensor* BadShapes(tg_tape* t, tg_tensor* const* x, void*) { return tg_matmul(t, x[0], x[0]); }

TEST(GradcheckTest, SaysWhyACheckCouldNotRun) {
  tg_gradcheck_result r;
  tg_gradcheck_leaf leaf = Spec(2, 3, 4, true);
  EXPECT_EQ(tg_gradcheck(&leaf, 1, BadShapes, nullptr, nullptr, &r), TG_ERR_SHAPE);
  EXPECT_FALSE(r.ok);
  EXPECT_STREQ(r.report, "tape error: matmul: [3x4] @ [3x4]: inner dimensions 4 and 3 differ");

  tg_gradcheck_leaf no_grad = Spec(2, 3, 4, false);
  EXPECT_EQ(tg_gradcheck(&no_grad, 1, Wrong, nullptr, nullptr, &r), TG_ERR_ARG);
  EXPECT_STREQ(r.report,
               "tape error: tg_tape_backward: loss does not depend on any tensor that requires a "
               "gradient");

  EXPECT_EQ(tg_gradcheck(&leaf, 1, nullptr, nullptr, nullptr, &r), TG_ERR_NULL_ARG);
  EXPECT_STREQ(r.report, "tg_gradcheck: graph is NULL");
  EXPECT_EQ(tg_gradcheck(nullptr, 1, Wrong, nullptr, nullptr, &r), TG_ERR_NULL_ARG);
  EXPECT_STREQ(r.report, "tg_gradcheck: leaves is NULL");
  EXPECT_EQ(tg_gradcheck(&leaf, 1, Wrong, nullptr, nullptr, nullptr), TG_ERR_NULL_ARG);

  tg_gradcheck_options o = tg_gradcheck_defaults();
  o.eps = 0.0;
  EXPECT_EQ(tg_gradcheck(&leaf, 1, Wrong, nullptr, &o, &r), TG_ERR_ARG);
  EXPECT_STREQ(r.report, "tg_gradcheck: eps 0 must be positive and finite");
  o = tg_gradcheck_defaults();
  o.rtol = -1.0;
  EXPECT_EQ(tg_gradcheck(&leaf, 1, Wrong, nullptr, &o, &r), TG_ERR_ARG);
  EXPECT_STREQ(r.report, "tg_gradcheck: atol 0.001 and rtol -1 must be finite and >= 0");

  tg_gradcheck_leaf bad = Spec(5, 1, 1, true);
  EXPECT_EQ(tg_gradcheck(&bad, 1, Wrong, nullptr, nullptr, &r), TG_ERR_RANK);
  EXPECT_EQ(std::string(r.report).rfind("tg_gradcheck: leaf 0: ", 0), 0u) << r.report;
}

}  // namespace
