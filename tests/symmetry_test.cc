// tests/symmetry_test.cc — the gradient analysis: unit groups (exact and within a
// tolerance), dead ReLU units, exactly-zero gradients and statistics, on hand-built
// tapes whose answers are worked out by hand below.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "tests/dot_test_util.h"

extern "C" {
#include "ops/ops.h"
#include "tools/analysis.h"
}

namespace {

using tgtest::DenseSpec;
using tgtest::HandMlp;
using tgtest::Init;

// Frees the analysis at the end of a test.
struct Analysis {
  explicit Analysis(const tg_tape* t, float tol = 0.0f) : a(tg_analysis_new(t, tol, &err)) {}
  ~Analysis() { tg_analysis_free(a); }
  tg_error err = {};
  tg_analysis* a;
};

std::vector<int> Groups(const tg_analysis_layer& l, bool tol = false) {
  return std::vector<int>(tol ? l.group_tol : l.group, (tol ? l.group_tol : l.group) + l.units);
}

// Kernel [2x4] whose columns 1 and 3 are equal, bias entries 1 and 3 equal, and an
// output kernel whose rows 1 and 3 are `w1` and `w3`: units 1 and 3 get the same
// gradient exactly when w1 == w3.
HandMlp* DuplicatedUnits(float w1, float w3, float kernel_shift = 0.0f) {
  std::vector<std::vector<float>> p = {
      {0.5f, -0.3f, 0.8f, -0.3f + kernel_shift, 0.2f, 0.7f, -0.4f, 0.7f},  // dense_1/kernel
      {0.1f, 0.05f, 0.0f, 0.05f},                                          // dense_1/bias
      {0.3f, w1, -0.5f, w3},                                               // dense_2/kernel
      {0.0f}};                                                             // dense_2/bias
  std::vector<float> x = {1.0f, 2.0f, 0.5f, -1.0f, 2.0f, 0.3f};
  std::vector<float> y = {1.0f, -1.0f, 0.5f};
  return new HandMlp(2, {{4, true}, {1, false}}, p, x, y);
}

TEST(SymmetryTest, TwoDuplicatedUnitsOfFourGiveThreeGroups) {
  std::unique_ptr<HandMlp> m(DuplicatedUnits(0.6f, 0.6f));
  ASSERT_EQ(tg_tape_status(m->tape()), TG_OK) << tg_tape_message(m->tape());
  Analysis an(m->tape());
  ASSERT_NE(an.a, nullptr) << an.err.message;
  ASSERT_EQ(an.a->n_layers, 2);
  const tg_analysis_layer& l = an.a->layers[0];
  EXPECT_STREQ(l.name, "dense_1");
  EXPECT_STREQ(l.activation, "relu");
  EXPECT_TRUE(l.hidden);
  EXPECT_EQ(l.units, 4);
  EXPECT_EQ(l.groups, 3);
  EXPECT_EQ(Groups(l), (std::vector<int>{0, 1, 2, 1}));
  EXPECT_TRUE(l.symmetric);
  // The duplicated columns really received equal, non-zero gradients.
  const tg_tensor* k = m->param(0);
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(k->grad[r * 4 + 1], k->grad[r * 4 + 3]);
    EXPECT_NE(k->grad[r * 4 + 1], 0.0f);
  }
}

TEST(SymmetryTest, EqualWeightsWithDifferentGradientsAreDistinct) {
  std::unique_ptr<HandMlp> m(DuplicatedUnits(0.6f, 0.61f));
  Analysis an(m->tape());
  ASSERT_NE(an.a, nullptr) << an.err.message;
  EXPECT_EQ(an.a->layers[0].groups, 4);
  EXPECT_FALSE(an.a->layers[0].symmetric);
}

TEST(SymmetryTest, ToleranceGroupsNearlyEqualUnits) {
  std::unique_ptr<HandMlp> m(DuplicatedUnits(0.6f, 0.6f, 1e-5f));
  Analysis exact(m->tape(), 0.0f);
  Analysis loose(m->tape(), 1e-3f);
  ASSERT_NE(exact.a, nullptr);
  ASSERT_NE(loose.a, nullptr);
  EXPECT_EQ(exact.a->layers[0].groups, 4);
  EXPECT_EQ(exact.a->layers[0].groups_tol, 4);
  EXPECT_EQ(loose.a->layers[0].groups, 4);
  EXPECT_EQ(loose.a->layers[0].groups_tol, 3);
  EXPECT_EQ(Groups(loose.a->layers[0], true), (std::vector<int>{0, 1, 2, 1}));
  EXPECT_FALSE(loose.a->layers[0].symmetric);
  EXPECT_TRUE(loose.a->layers[0].symmetric_tol);
}

TEST(SymmetryTest, GroupUnitsComparesAgainstTheFirstUnitOfEachGroup) {
  int64_t ks[2] = {1, 4};
  tg_tensor* k = tg_tensor_new(2, ks, false, nullptr);
  const float v[4] = {1.0f, 1.0005f, 1.2f, 1.0012f};
  ASSERT_EQ(tg_tensor_set_data(k, v, 4, nullptr), TG_OK);
  int g[4];
  EXPECT_EQ(tg_group_units(k, nullptr, 0.0f, g), 4);
  // Unit 3 is within 1e-3 of unit 1 but not of unit 0, its group's first unit.
  EXPECT_EQ(tg_group_units(k, nullptr, 1e-3f, g), 3);
  EXPECT_EQ(std::vector<int>(g, g + 4), (std::vector<int>{0, 0, 1, 2}));
  EXPECT_EQ(tg_group_units(k, nullptr, 1e-2f, g), 2);
  EXPECT_EQ(std::vector<int>(g, g + 4), (std::vector<int>{0, 0, 1, 0}));
  tg_tensor_free(k);
}

TEST(SymmetryTest, GroupUnitsUsesBiasAndRejectsBadArguments) {
  int64_t ks[2] = {2, 3}, bs[1] = {3}, bad[1] = {2};
  tg_tensor* k = tg_tensor_new(2, ks, false, nullptr);  // all zero: one group
  tg_tensor* b = tg_tensor_new(1, bs, false, nullptr);
  tg_tensor* b2 = tg_tensor_new(1, bad, false, nullptr);
  int g[3];
  EXPECT_EQ(tg_group_units(k, nullptr, 0.0f, g), 1);
  b->data[2] = 0.25f;
  EXPECT_EQ(tg_group_units(k, b, 0.0f, g), 2);
  EXPECT_EQ(std::vector<int>(g, g + 3), (std::vector<int>{0, 0, 1}));
  EXPECT_EQ(tg_group_units(k, b2, 0.0f, g), -1);       // bias [2] for 3 units
  EXPECT_EQ(tg_group_units(b, nullptr, 0.0f, g), -1);  // rank-1 "kernel"
  EXPECT_EQ(tg_group_units(nullptr, nullptr, 0.0f, g), -1);
  EXPECT_EQ(tg_group_units(k, nullptr, 0.0f, nullptr), -1);
  EXPECT_EQ(tg_group_units(k, nullptr, -1.0f, g), -1);
  EXPECT_EQ(tg_group_units(k, nullptr, std::numeric_limits<float>::quiet_NaN(), g), -1);
  tg_tensor_free(k);
  tg_tensor_free(b);
  tg_tensor_free(b2);
}

TEST(SymmetryTest, DeadReluOnCraftedInput) {
  // x in {1, 2, 3}. Pre-activations x*w + b per unit:
  //   unit 0: x        > 0 on every sample  -> alive
  //   unit 1: -x       < 0 on every sample  -> dead
  //   unit 2: 0.5x-10  < 0 on every sample  -> dead
  //   unit 3: x-1.5    < 0 for x=1 only     -> alive (dead on one sample is not dead)
  std::vector<std::vector<float>> p = {
      {1.0f, -1.0f, 0.5f, 1.0f}, {0.0f, 0.0f, -10.0f, -1.5f}, {1.0f, 1.0f, 1.0f, 1.0f}, {0.0f}};
  HandMlp m(1, {{4, true}, {1, false}}, p, {1.0f, 2.0f, 3.0f}, {0.0f, 0.0f, 0.0f});
  Analysis an(m.tape());
  ASSERT_NE(an.a, nullptr) << an.err.message;
  const tg_analysis_layer& l = an.a->layers[0];
  EXPECT_EQ(l.dead_units, 2);
  EXPECT_EQ(l.batch_rows, 3);
  EXPECT_EQ(std::vector<bool>(l.dead, l.dead + 4), (std::vector<bool>{false, true, true, false}));
  // A dead unit passes no gradient: its kernel column and bias get exactly 0.
  EXPECT_EQ(m.param(0)->grad[1], 0.0f);
  EXPECT_EQ(m.param(0)->grad[2], 0.0f);
  EXPECT_NE(m.param(0)->grad[0], 0.0f);
  EXPECT_EQ(an.a->layers[1].dead_units, -1);  // linear output layer: no ReLU
  EXPECT_EQ(an.a->layers[1].dead, nullptr);
}

TEST(SymmetryTest, SeedMlpAtZeroInitCollapsesAndGetsZeroGradients) {
  HandMlp m(1, {{16, true}, {16, true}, {2, false}}, Init::kZeros);
  Analysis an(m.tape(), 1e-6f);
  ASSERT_NE(an.a, nullptr) << an.err.message;
  ASSERT_EQ(an.a->n_layers, 3);
  for (int i = 0; i < 2; ++i) {
    const tg_analysis_layer& l = an.a->layers[i];
    EXPECT_EQ(l.units, 16);
    EXPECT_EQ(l.groups, 1) << l.name;
    EXPECT_EQ(l.groups_tol, 1) << l.name;
    EXPECT_TRUE(l.symmetric) << l.name;
    EXPECT_EQ(l.dead_units, 16) << l.name;
  }
  // The output layer's units are tied to different targets: never "symmetric".
  EXPECT_FALSE(an.a->layers[2].hidden);
  EXPECT_FALSE(an.a->layers[2].symmetric);
  EXPECT_EQ(an.a->layers[2].groups, 2);
  // Every kernel and hidden bias gradient is exactly 0; only the output bias learns:
  // d(mse)/db_j = (2/20) * sum_i (0 - y_ij) = -0.1 * sum_i y_ij = -0.1 and -0.045.
  for (int p = 0; p < 5; ++p) {
    const int leaf = tg_analysis_leaf_of(an.a, m.param(p));
    ASSERT_GE(leaf, 0);
    EXPECT_TRUE(an.a->leaves[leaf].grad_all_zero) << m.param(p)->name;
  }
  const int out_bias = tg_analysis_leaf_of(an.a, m.param(5));
  EXPECT_FALSE(an.a->leaves[out_bias].grad_all_zero);
  EXPECT_NEAR(m.param(5)->grad[0], -0.1f, 1e-6);
  EXPECT_NEAR(m.param(5)->grad[1], -0.045f, 1e-6);
  // Loss at zero init: mean of y^2 = (10 * 0.01 + 0.0285) / 20.
  ASSERT_NE(an.a->loss, nullptr);
  EXPECT_NEAR(an.a->loss->data[0], 0.006425, 1e-7);
  EXPECT_STREQ(an.a->loss_op, "mse");
}

TEST(SymmetryTest, SeedMlpAtConstantInitIsSymmetricButLearns) {
  HandMlp m(1, {{16, true}, {16, true}, {2, false}}, Init::kConstant, 0.5f);
  Analysis an(m.tape());
  ASSERT_NE(an.a, nullptr) << an.err.message;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(an.a->layers[i].groups, 1);
    EXPECT_TRUE(an.a->layers[i].symmetric);
    EXPECT_EQ(an.a->layers[i].dead_units, 0);
  }
  for (int i = 0; i < an.a->n_leaves; ++i) EXPECT_FALSE(an.a->leaves[i].grad_all_zero) << i;
}

TEST(SymmetryTest, SeedMlpAtRandomInitHasSixteenGroups) {
  HandMlp m(1, {{16, true}, {16, true}, {2, false}}, Init::kRandom);
  Analysis an(m.tape(), 1e-6f);
  ASSERT_NE(an.a, nullptr) << an.err.message;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(an.a->layers[i].groups, 16);
    EXPECT_EQ(an.a->layers[i].groups_tol, 16);
    EXPECT_FALSE(an.a->layers[i].symmetric);
  }
}

TEST(SymmetryTest, LeavesAreNumberedInFirstUseOrder) {
  HandMlp m(1, {{2, true}, {1, false}}, Init::kConstant);
  Analysis an(m.tape());
  ASSERT_NE(an.a, nullptr);
  ASSERT_EQ(an.a->n_leaves, 6);
  const char* expected[6] = {"input 1",        "dense_1/kernel", "dense_1/bias",
                             "dense_2/kernel", "dense_2/bias",   "input 2"};
  for (int i = 0; i < 6; ++i) EXPECT_STREQ(an.a->leaves[i].label, expected[i]);
  EXPECT_FALSE(an.a->leaves[0].is_param);
  EXPECT_TRUE(an.a->leaves[1].is_param);
  EXPECT_EQ(an.a->layers[0].kernel_leaf, 1);
  EXPECT_EQ(an.a->layers[0].bias_leaf, 2);
  EXPECT_EQ(tg_analysis_find_layer(an.a, "dense_2"), &an.a->layers[1]);
  EXPECT_EQ(tg_analysis_find_layer(an.a, "dense_9"), nullptr);
}

TEST(SymmetryTest, TapeWithoutBackwardHasNoLoss) {
  tg_tape* t = tg_tape_new();
  int64_t s[2] = {2, 2};
  tg_tensor* w = tg_tape_leaf(t, 2, s, nullptr, true);
  tg_tape_set_scope(t, "dense_1");
  tg_matmul(t, w, w);
  Analysis an(t);
  ASSERT_NE(an.a, nullptr) << an.err.message;
  EXPECT_EQ(an.a->loss, nullptr);
  EXPECT_EQ(an.a->loss_node, -1);
  EXPECT_STREQ(an.a->loss_op, "");
  ASSERT_EQ(an.a->n_layers, 1);
  EXPECT_STREQ(an.a->layers[0].activation, "linear");
  EXPECT_EQ(an.a->layers[0].bias_leaf, -1);
  EXPECT_STREQ(an.a->leaves[0].label, "param 1");
  tg_tape_free(t);
}

TEST(SymmetryTest, StatsCountZerosAndNonFiniteEntries) {
  const float inf = std::numeric_limits<float>::infinity();
  const float v[6] = {0.0f, -0.0f, 1.0f, -3.0f, std::nanf(""), inf};
  tg_stats s = tg_stats_of(v, 6);
  EXPECT_EQ(s.count, 6);
  EXPECT_EQ(s.zeros, 2);
  EXPECT_EQ(s.nonfinite, 2);
  EXPECT_EQ(s.min, -3.0);
  EXPECT_EQ(s.max, 1.0);
  EXPECT_DOUBLE_EQ(s.mean, -0.5);
  EXPECT_DOUBLE_EQ(s.l2, std::sqrt(10.0));
  tg_stats e = tg_stats_of(nullptr, 0);
  EXPECT_EQ(e.count, 0);
  EXPECT_EQ(e.l2, 0.0);
}

TEST(SymmetryTest, ErrorsNameTheFunctionAndTheProblem) {
  tg_error err = {};
  EXPECT_EQ(tg_analysis_new(nullptr, 0.0f, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_analysis_new: tape is NULL");

  tg_tape* t = tg_tape_new();
  int64_t s[2] = {2, 3};
  tg_tensor* a = tg_tape_leaf(t, 2, s, nullptr, true);
  EXPECT_EQ(tg_analysis_new(t, -1.0f, &(err = {})), nullptr);
  EXPECT_EQ(err.code, TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_analysis_new: tolerance must be finite and >= 0, got -1");
  EXPECT_EQ(tg_analysis_new(t, std::numeric_limits<float>::infinity(), &(err = {})), nullptr);
  EXPECT_STREQ(err.message, "tg_analysis_new: tolerance must be finite and >= 0, got inf");

  EXPECT_EQ(tg_matmul(t, a, a), nullptr);
  EXPECT_EQ(tg_analysis_new(t, 0.0f, &(err = {})), nullptr);
  EXPECT_EQ(err.code, TG_ERR_STATE);
  EXPECT_STREQ(err.message,
               "tg_analysis_new: the tape holds an error: matmul: [2x3] @ [2x3]: inner "
               "dimensions 3 and 2 differ");
  tg_analysis_free(nullptr);  // allowed
  tg_tape_free(t);
}

}  // namespace
