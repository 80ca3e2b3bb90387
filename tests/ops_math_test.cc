// tests/ops_math_test.cc — values of the elementwise math ops and activations
// against independently computed numbers, their behaviour at the edges (large
// inputs, NaN, ties, domain limits), exact error messages, the parameter text tools
// show, and replay: new input data through a recorded tape gives bit for bit what a
// fresh recording gives, without allocating.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

class MathTest : public ::testing::Test {
 protected:
  void SetUp() override { t_ = tg_tape_new(); }
  void TearDown() override { tg_tape_free(t_); }
  tg_tensor* Leaf(std::vector<int64_t> shape, std::vector<float> values, bool grad = false) {
    tg_tensor* x = tg_tape_leaf(t_, static_cast<int>(shape.size()), shape.data(),
                                values.empty() ? nullptr : values.data(), grad);
    EXPECT_NE(x, nullptr) << tg_tape_message(t_);
    return x;
  }
  tg_tensor* Vec(std::vector<float> values, bool grad = false) {
    return Leaf({static_cast<int64_t>(values.size())}, values, grad);
  }
  static std::vector<float> Values(const tg_tensor* y) {
    return y ? std::vector<float>(y->data, y->data + y->size) : std::vector<float>();
  }
  static std::vector<float> Grad(const tg_tensor* x) {
    return std::vector<float>(x->grad, x->grad + x->size);
  }
  // Backward from sum(y), so every output element's gradient is 1.
  void BackwardSum(tg_tensor* y) {
    ASSERT_NE(y, nullptr) << tg_tape_message(t_);
    ASSERT_EQ(tg_tape_backward(t_, tg_sum(t_, y)), TG_OK) << tg_tape_message(t_);
  }
  void ExpectError(tg_tensor* y, tg_status code, const char* message) {
    EXPECT_EQ(y, nullptr);
    EXPECT_EQ(tg_tape_status(t_), code) << tg_status_name(tg_tape_status(t_));
    EXPECT_STREQ(tg_tape_message(t_), message);
    tg_tape_clear(t_);
  }
  std::string Describe(const tg_tensor* y) {
    const tg_node* n = tg_tape_node(t_, y->node);
    char buf[64] = "";
    if (n->op->describe) n->op->describe(n, buf, sizeof buf);
    return buf;
  }
  tg_tape* t_ = nullptr;
};

void ExpectNear(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * (1.0 + std::fabs(want[i]))) << "element " << i;
}

// ---- GELU against numbers computed in double precision, outside tapegrad:
//   /usr/bin/python3 -c "import math; xs=[-3.0,-1.0,-0.5,0.0,0.5,1.0,2.0,3.0];
//     print([0.5*x*(1+math.erf(x/math.sqrt(2))) for x in xs]);
//     print([0.5*x*(1+math.tanh(math.sqrt(2/math.pi)*(x+0.044715*x**3))) for x in xs])"
const std::vector<float> kGeluX = {-3.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 2.0f, 3.0f};

TEST_F(MathTest, GeluExactMatchesTheErfForm) {
  ExpectNear(Values(tg_gelu(t_, Vec(kGeluX), TG_GELU_NONE)),
             {-0.00404969409, -0.158655254, -0.154268769, 0.0, 0.345731231, 0.841344746, 1.95449974,
              2.99595031},
             2e-6);
}

TEST_F(MathTest, GeluTanhMatchesTheApproximation) {
  ExpectNear(Values(tg_gelu(t_, Vec(kGeluX), TG_GELU_TANH)),
             {-0.00363739208, -0.158808009, -0.15428599, 0.0, 0.34571401, 0.841191991, 1.95459769,
              2.99636261},
             2e-6);
}

TEST_F(MathTest, GeluGradientAtZeroIsOneHalf) {
  // d/dx x Φ(x) = Φ(x) + x φ(x) = 1/2 at 0, in both forms.
  for (tg_gelu_approximate a : {TG_GELU_NONE, TG_GELU_TANH}) {
    tg_tensor* x = Vec({0.0f}, true);
    BackwardSum(tg_gelu(t_, x, a));
    EXPECT_FLOAT_EQ(x->grad[0], 0.5f);
    tg_tape_clear(t_);
  }
}

// ---- stability for large inputs

TEST_F(MathTest, LogSoftmaxIsStableForLargeInputs) {
  // Shifted by the max 100: [0, -100, -200] minus log(1 + e^-100 + e^-200) = 0 in float.
  tg_tensor* x = Vec({100.0f, 0.0f, -100.0f}, true);
  tg_tensor* y = tg_log_softmax(t_, x, -1);
  EXPECT_EQ(Values(y), (std::vector<float>{0.0f, -100.0f, -200.0f}));
  // d/dx_j sum_k y_k = 1 - 3 softmax_j = [-2, 1, 1] (softmax = [1, e^-100, e^-200]).
  BackwardSum(y);
  ExpectNear(Grad(x), {-2.0, 1.0, 1.0}, 1e-6);
}

TEST_F(MathTest, LogSoftmaxMatchesLogSumExp) {
  // log_softmax([1, 2, 3]) = x - 3 - log(e^-2 + e^-1 + 1) = x - 3.40760596444438:
  //   /usr/bin/python3 -c "import math; print(3+math.log(sum(math.exp(v-3) for v in [1,2,3])))"
  ExpectNear(Values(tg_log_softmax(t_, Vec({1.0f, 2.0f, 3.0f}), 0)),
             {-2.40760596444438, -1.40760596444438, -0.40760596444438}, 1e-6);
}

TEST_F(MathTest, SoftplusIsStableForLargeInputs) {
  // softplus(100) = 100 + log1p(e^-100) = 100; softplus(-100) = log1p(e^-100) = e^-100
  // = 3.720076e-44 (a float subnormal: steps of 1.4e-45, so within 2%).
  tg_tensor* x = Vec({100.0f, -100.0f, 0.0f, 20.0f}, true);
  tg_tensor* y = tg_softplus(t_, x);
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->data[0], 100.0f);
  EXPECT_GT(y->data[1], 0.0f);
  EXPECT_NEAR(y->data[1], 3.720076e-44, 0.02 * 3.720076e-44);
  EXPECT_FLOAT_EQ(y->data[2], 0.693147181f);  // log 2
  EXPECT_FLOAT_EQ(y->data[3], 20.0f);         // 20 + 2.06e-9
  BackwardSum(y);  // sigmoid(x): 1, e^-100 (0 in float or a subnormal), 1/2, 1 - 2e-9
  EXPECT_EQ(x->grad[0], 1.0f);
  EXPECT_GE(x->grad[1], 0.0f);
  EXPECT_LT(x->grad[1], 1e-40f);
  EXPECT_EQ(x->grad[2], 0.5f);
  EXPECT_FLOAT_EQ(x->grad[3], 1.0f);
}

TEST_F(MathTest, SiluAndEluMatchReferences) {
  // /usr/bin/python3 -c "import math; print([x/(1+math.exp(-x)) for x in [-2.0,1.0,3.0]],
  //   [0.7*math.expm1(x) for x in [-1.0,-0.001]])"
  ExpectNear(Values(tg_silu(t_, Vec({-2.0f, 1.0f, 3.0f}))),
             {-0.2384058440442351, 0.7310585786300049, 2.8577223804672998}, 1e-6);
  ExpectNear(Values(tg_elu(t_, Vec({-1.0f, -0.001f, 2.0f}), 0.7f)),
             {-0.44248439117999033, -0.0006996501166375059, 2.0}, 1e-6);
  // silu(-100) = -100 e^-100 = -3.72e-42, a subnormal (no exp overflow, no NaN);
  // sigmoid(-100) is a subnormal with steps of 1.4e-45, hence 3%.
  tg_tensor* s = tg_silu(t_, Vec({-100.0f, 100.0f}));
  EXPECT_NEAR(s->data[0], -3.720076e-42, 0.03 * 3.720076e-42);
  EXPECT_EQ(s->data[1], 100.0f);
}

TEST_F(MathTest, HardSigmoidIsKeras3s) {
  // max(0, min(1, x/6 + 1/2)): by hand.
  EXPECT_EQ(Values(tg_hard_sigmoid(t_, Vec({-4.0f, -3.0f, 0.0f, 1.5f, 3.0f, 4.0f}))),
            (std::vector<float>{0.0f, 0.0f, 0.5f, 0.75f, 1.0f, 1.0f}));
  // Gradient 1/6 strictly inside (-3, 3), 0 at and beyond the kinks.
  tg_tensor* x = Vec({-3.0f, -1.0f, 2.0f, 3.0f}, true);
  BackwardSum(tg_hard_sigmoid(t_, x));
  EXPECT_EQ(Grad(x), (std::vector<float>{0.0f, 1.0f / 6.0f, 1.0f / 6.0f, 0.0f}));
}

TEST_F(MathTest, LeakyReluScalesTheNegativeSide) {
  tg_tensor* x = Vec({-2.0f, 0.0f, 3.0f}, true);
  tg_tensor* y = tg_leaky_relu(t_, x, 0.3f);
  EXPECT_EQ(Values(y), (std::vector<float>{-0.6f, 0.0f, 3.0f}));
  BackwardSum(y);
  EXPECT_EQ(Grad(x), (std::vector<float>{0.3f, 0.3f, 1.0f}));
}

// ---- elementwise math: by hand

TEST_F(MathTest, DivBroadcastsAndFollowsIeee) {
  // [[1, 2], [3, 4]] / [2, 4] = [[0.5, 0.5], [1.5, 1]]
  EXPECT_EQ(Values(tg_div(t_, Leaf({2, 2}, {1, 2, 3, 4}), Vec({2, 4}))),
            (std::vector<float>{0.5f, 0.5f, 1.5f, 1.0f}));
  tg_tensor* y = tg_div(t_, Vec({1.0f, -1.0f, 0.0f}), Vec({0.0f}));
  EXPECT_EQ(y->data[0], kInf);
  EXPECT_EQ(y->data[1], -kInf);
  EXPECT_TRUE(std::isnan(y->data[2]));
}

TEST_F(MathTest, DivGradientsSumOverTheBroadcastAxis) {
  // y = a / b, a [2x2], b [2]: da = 1/b per element, db_j = -sum_i a_ij / b_j^2.
  tg_tensor* a = Leaf({2, 2}, {1, 2, 3, 4}, true);
  tg_tensor* b = Vec({2, 4}, true);
  BackwardSum(tg_div(t_, a, b));
  EXPECT_EQ(Grad(a), (std::vector<float>{0.5f, 0.25f, 0.5f, 0.25f}));
  EXPECT_EQ(Grad(b), (std::vector<float>{-1.0f, -0.375f}));  // -(1+3)/4, -(2+4)/16
}

TEST_F(MathTest, DomainEdgesGiveIeeeResultsNotErrors) {
  tg_tensor* l = tg_log(t_, Vec({0.0f, -1.0f, 1.0f}));
  tg_tensor* s = tg_sqrt(t_, Vec({-1.0f, 0.0f, 4.0f}));
  tg_tensor* r = tg_rsqrt(t_, Vec({0.0f, 4.0f}));
  tg_tensor* q = tg_reciprocal(t_, Vec({0.0f, -4.0f}));
  tg_tensor* p = tg_pow(t_, Vec({-2.0f, -2.0f, 0.0f}), 0.5f);
  ASSERT_EQ(tg_tape_status(t_), TG_OK) << tg_tape_message(t_);
  EXPECT_EQ(l->data[0], -kInf);
  EXPECT_TRUE(std::isnan(l->data[1]));
  EXPECT_EQ(l->data[2], 0.0f);
  EXPECT_TRUE(std::isnan(s->data[0]));
  EXPECT_EQ(s->data[2], 2.0f);
  EXPECT_EQ(r->data[0], kInf);
  EXPECT_EQ(r->data[1], 0.5f);
  EXPECT_EQ(q->data[0], kInf);
  EXPECT_EQ(q->data[1], -0.25f);
  EXPECT_TRUE(std::isnan(p->data[0]));
  EXPECT_EQ(p->data[2], 0.0f);
}

TEST_F(MathTest, PowIntegerExponentsTakeNegativeBasesAndZeroHasNoGradient) {
  EXPECT_EQ(Values(tg_pow(t_, Vec({-2.0f, 3.0f}), 3.0f)), (std::vector<float>{-8.0f, 27.0f}));
  tg_tensor* x = Vec({0.0f, -2.0f, 5.0f}, true);
  tg_tensor* y = tg_pow(t_, x, 0.0f);
  EXPECT_EQ(Values(y), (std::vector<float>{1.0f, 1.0f, 1.0f}));
  BackwardSum(y);
  EXPECT_EQ(Grad(x), (std::vector<float>{0.0f, 0.0f, 0.0f}));  // not 0 * inf at 0
}

TEST_F(MathTest, AbsGradientAtZeroIsZero) {
  tg_tensor* x = Vec({-2.0f, 0.0f, 3.0f}, true);
  BackwardSum(tg_abs(t_, x));
  EXPECT_EQ(Grad(x), (std::vector<float>{-1.0f, 0.0f, 1.0f}));
}

TEST_F(MathTest, WhereSelectsAndRoutesGradients) {
  // mask [3x1] per row, a [3x2], b [2] per column; NaN in a mask counts as true.
  tg_tensor* m = Leaf({3, 1}, {1.0f, 0.0f, kNaN});
  tg_tensor* a = Leaf({3, 2}, {1, 2, 3, 4, 5, 6}, true);
  tg_tensor* b = Vec({-1.0f, -2.0f}, true);
  tg_tensor* y = tg_where(t_, m, a, b);
  EXPECT_EQ(Values(y), (std::vector<float>{1, 2, -1, -2, 5, 6}));
  BackwardSum(y);
  EXPECT_EQ(Grad(a), (std::vector<float>{1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(Grad(b), (std::vector<float>{1, 1}));  // row 1 only
}

TEST_F(MathTest, WhereGivesTheMaskNoGradient) {
  tg_tensor* m = Vec({1.0f, 0.0f}, true);
  BackwardSum(tg_where(t_, m, Vec({1.0f, 2.0f}, true), Vec({3.0f, 4.0f})));
  EXPECT_EQ(Grad(m), (std::vector<float>{0.0f, 0.0f}));
}

// ---- NaN and ties in maximum, minimum, clip

TEST_F(MathTest, MaximumAndMinimumPropagateNaN) {
  tg_tensor* a = Vec({kNaN, 1.0f, kNaN, 2.0f});
  tg_tensor* b = Vec({1.0f, kNaN, kNaN, 1.0f});
  for (tg_tensor* y : {tg_maximum(t_, a, b), tg_minimum(t_, a, b)}) {
    ASSERT_NE(y, nullptr);
    EXPECT_TRUE(std::isnan(y->data[0]));
    EXPECT_TRUE(std::isnan(y->data[1]));
    EXPECT_TRUE(std::isnan(y->data[2]));
  }
  EXPECT_EQ(tg_maximum(t_, a, b)->data[3], 2.0f);
  EXPECT_EQ(tg_minimum(t_, a, b)->data[3], 1.0f);
}

TEST_F(MathTest, MaximumGradientGoesToTheLargerAndSplitsTies) {
  tg_tensor* a = Vec({3.0f, 1.0f, 2.0f, kNaN}, true);
  tg_tensor* b = Vec({1.0f, 3.0f, 2.0f, 0.0f}, true);
  BackwardSum(tg_maximum(t_, a, b));
  // larger gets 1; a tie gives each 1/2; a NaN gives both the gradient (as PyTorch).
  EXPECT_EQ(Grad(a), (std::vector<float>{1.0f, 0.0f, 0.5f, 1.0f}));
  EXPECT_EQ(Grad(b), (std::vector<float>{0.0f, 1.0f, 0.5f, 1.0f}));
}

TEST_F(MathTest, MinimumGradientGoesToTheSmallerAndSplitsTies) {
  tg_tensor* a = Vec({3.0f, 1.0f, 2.0f}, true);
  tg_tensor* b = Leaf({1, 3}, {1.0f, 3.0f, 2.0f}, true);  // broadcast [3] vs [1x3]
  BackwardSum(tg_minimum(t_, a, b));
  EXPECT_EQ(Grad(a), (std::vector<float>{0.0f, 1.0f, 0.5f}));
  EXPECT_EQ(Grad(b), (std::vector<float>{1.0f, 0.0f, 0.5f}));
}

TEST_F(MathTest, ClipPropagatesNaNAndPassesGradientOnTheClosedInterval) {
  tg_tensor* x = Vec({kNaN, -2.0f, -1.0f, 0.5f, 1.0f, 2.0f}, true);
  tg_tensor* y = tg_clip(t_, x, -1.0f, 1.0f);
  ASSERT_NE(y, nullptr);
  EXPECT_TRUE(std::isnan(y->data[0]));
  EXPECT_EQ(std::vector<float>(y->data + 1, y->data + 6),
            (std::vector<float>{-1.0f, -1.0f, 0.5f, 1.0f, 1.0f}));
  BackwardSum(y);
  EXPECT_EQ(Grad(x), (std::vector<float>{0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 0.0f}));
  // An infinite bound clips one side only.
  EXPECT_EQ(Values(tg_clip(t_, Vec({-5.0f, 5.0f}), 0.0f, kInf)), (std::vector<float>{0.0f, 5.0f}));
}

// ---- softmax along any axis

// The last-axis softmax exactly as it was before axes existed (the reference for
// "bits identical").
std::vector<float> OldSoftmaxLastAxis(const std::vector<float>& xs, int64_t c) {
  std::vector<float> ys(xs.size());
  for (size_t r = 0; r < xs.size() / static_cast<size_t>(c); ++r) {
    const float* x = xs.data() + r * c;
    float* y = ys.data() + r * c;
    float m = x[0];
    for (int64_t j = 1; j < c; ++j) m = x[j] > m ? x[j] : m;
    double s = 0.0;
    for (int64_t j = 0; j < c; ++j) s += (y[j] = expf(x[j] - m));
    for (int64_t j = 0; j < c; ++j) y[j] = static_cast<float>(y[j] / s);
  }
  return ys;
}

std::vector<float> RandomValues(uint64_t seed, int64_t n, float scale) {
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = scale * (tg_rng_uniform(&rng) - 0.5f);
  return v;
}

TEST_F(MathTest, SoftmaxLastAxisKeepsItsBits) {
  const std::vector<float> xv = RandomValues(5, 6 * 7, 8.0f);
  tg_tensor* x = Leaf({6, 7}, xv);
  const std::vector<float> want = OldSoftmaxLastAxis(xv, 7);
  for (tg_tensor* y : {tg_softmax(t_, x), tg_softmax_axis(t_, x, -1), tg_softmax_axis(t_, x, 1)}) {
    ASSERT_NE(y, nullptr) << tg_tape_message(t_);
    EXPECT_EQ(0, std::memcmp(y->data, want.data(), want.size() * sizeof(float)));
  }
}

TEST_F(MathTest, SoftmaxAlongAnAxisIsTheLastAxisSoftmaxOfTheTranspose) {
  // x [3x4] along axis 0 == softmax rows of x^T [4x3], transposed back; same bits
  // (the same arithmetic per lane).
  const std::vector<float> xv = RandomValues(6, 12, 6.0f);
  std::vector<float> xt(12);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) xt[j * 3 + i] = xv[i * 4 + j];
  const std::vector<float> rows = OldSoftmaxLastAxis(xt, 3);
  for (int axis : {0, -2}) {
    tg_tensor* y = tg_softmax_axis(t_, Leaf({3, 4}, xv), axis);
    ASSERT_NE(y, nullptr);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) EXPECT_EQ(y->data[i * 4 + j], rows[j * 3 + i]);
  }
  // Rank 3, middle axis: every lane sums to 1.
  tg_tensor* z = tg_softmax_axis(t_, Leaf({2, 3, 2}, RandomValues(7, 12, 4.0f)), 1);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 2; ++i) {
      double s = 0.0;
      for (int j = 0; j < 3; ++j) s += z->data[o * 6 + j * 2 + i];
      EXPECT_NEAR(s, 1.0, 1e-6);
    }
}

TEST_F(MathTest, LogSoftmaxIsLogOfSoftmaxOnEveryAxis) {
  const std::vector<float> xv = RandomValues(8, 24, 6.0f);
  for (int axis = -3; axis < 3; ++axis) {
    tg_tensor* x = Leaf({2, 3, 4}, xv);
    tg_tensor* a = tg_log_softmax(t_, x, axis);
    tg_tensor* b = tg_log(t_, tg_softmax_axis(t_, x, axis));
    ASSERT_NE(b, nullptr) << tg_tape_message(t_);
    for (int64_t k = 0; k < a->size; ++k) EXPECT_NEAR(a->data[k], b->data[k], 1e-5) << axis;
  }
}

// ---- errors, exact messages

TEST_F(MathTest, ErrorsNameTheOpAndTheArgument) {
  ExpectError(tg_clip(t_, Vec({1.0f}), 2.0f, 1.0f), TG_ERR_ARG, "clip: lo 2 > hi 1");
  ExpectError(tg_clip(t_, Vec({1.0f}), kNaN, 1.0f), TG_ERR_ARG, "clip: lo is NaN");
  ExpectError(tg_clip(t_, Vec({1.0f}), 0.0f, kNaN), TG_ERR_ARG, "clip: hi is NaN");
  ExpectError(tg_pow(t_, Vec({1.0f}), kInf), TG_ERR_ARG, "pow: exponent inf is not finite");
  ExpectError(tg_pow(t_, Vec({1.0f}), kNaN), TG_ERR_ARG, "pow: exponent nan is not finite");
  ExpectError(tg_leaky_relu(t_, Vec({1.0f}), -kInf), TG_ERR_ARG,
              "leaky_relu: alpha -inf is not finite");
  ExpectError(tg_elu(t_, Vec({1.0f}), kNaN), TG_ERR_ARG, "elu: alpha nan is not finite");
  ExpectError(tg_gelu(t_, Vec({1.0f}), static_cast<tg_gelu_approximate>(7)), TG_ERR_ARG,
              "gelu: approximate 7 is neither TG_GELU_NONE (0) nor TG_GELU_TANH (1)");
}

TEST_F(MathTest, BroadcastErrorsNameTheShapes) {
  ExpectError(tg_div(t_, Leaf({2, 3}, {}), Leaf({4}, {})), TG_ERR_SHAPE,
              "div: [2x3] / [4]: dimensions 3 and 4 cannot be broadcast (axis 1 from the right)");
  ExpectError(
      tg_maximum(t_, Leaf({2, 3}, {}), Leaf({4}, {})), TG_ERR_SHAPE,
      "maximum: [2x3] and [4]: dimensions 3 and 4 cannot be broadcast (axis 1 from the right)");
  ExpectError(
      tg_minimum(t_, Leaf({5, 3}, {}), Leaf({4, 1}, {})), TG_ERR_SHAPE,
      "minimum: [5x3] and [4x1]: dimensions 5 and 4 cannot be broadcast (axis 2 from the right)");
  ExpectError(tg_where(t_, Leaf({2, 3}, {}), Leaf({3}, {}), Leaf({2}, {})), TG_ERR_SHAPE,
              "where: mask [2x3], a [3] and b [2]: dimensions 3 and 2 cannot be broadcast (axis 1 "
              "from the right)");
}

TEST_F(MathTest, AxisErrorsNameTheAxisAndTheShape) {
  ExpectError(tg_softmax_axis(t_, Leaf({3, 4}, {}), 2), TG_ERR_ARG,
              "softmax: axis 2 out of range for rank 2 input [3x4]");
  ExpectError(tg_log_softmax(t_, Leaf({3, 4}, {}), -3), TG_ERR_ARG,
              "log_softmax: axis -3 out of range for rank 2 input [3x4]");
  ExpectError(tg_log_softmax(t_, Leaf({}, {}), 0), TG_ERR_RANK,
              "log_softmax: input []: needs an axis to normalise over (rank >= 1)");
  ExpectError(tg_softmax(t_, Leaf({}, {})), TG_ERR_RANK,
              "softmax: input []: needs an axis to normalise over (rank >= 1)");
  ExpectError(tg_exp(t_, nullptr), TG_ERR_NULL_ARG, "exp: input 1 is NULL");
  ExpectError(tg_where(t_, Vec({1.0f}), Vec({1.0f}), nullptr), TG_ERR_NULL_ARG,
              "where: input 3 is NULL");
}

// ---- what tools show

TEST_F(MathTest, ParametersDescribeThemselves) {
  tg_tensor* x = Leaf({2, 3}, {});
  EXPECT_EQ(Describe(tg_leaky_relu(t_, x, 0.3f)), "alpha=0.3");
  EXPECT_EQ(Describe(tg_elu(t_, x, 1.0f)), "alpha=1");
  EXPECT_EQ(Describe(tg_pow(t_, x, 2.5f)), "exponent=2.5");
  EXPECT_EQ(Describe(tg_clip(t_, x, -1.0f, 0.5f)), "lo=-1 hi=0.5");
  EXPECT_EQ(Describe(tg_gelu(t_, x, TG_GELU_NONE)), "approximate=none");
  EXPECT_EQ(Describe(tg_gelu(t_, x, TG_GELU_TANH)), "approximate=tanh");
  EXPECT_EQ(Describe(tg_softmax(t_, x)), "axis=1");  // -1 resolved against rank 2
  EXPECT_EQ(Describe(tg_softmax_axis(t_, x, 0)), "axis=0");
  EXPECT_EQ(Describe(tg_log_softmax(t_, x, -2)), "axis=0");
  EXPECT_EQ(Describe(tg_exp(t_, x)), "");  // nothing to say
}

// ---- replay

// Every op of this family on one tape, from leaves x [3x4], p [4] (positive), m [3x1]
// (a 0/1 mask); the loss sums every output, so backward runs every VJP.
struct AllOps {
  tg_tensor* x;
  tg_tensor* p;
  tg_tensor* loss;
};

// Fixed weights 0.5 + 0.1 k (alternating sign), the same on every recording.
tg_tensor* Weights(tg_tape* t, const tg_tensor* like, int salt) {
  std::vector<float> w(static_cast<size_t>(like->size));
  for (size_t k = 0; k < w.size(); ++k)
    w[k] = (0.5f + 0.1f * static_cast<float>((k + salt) % 7)) * ((k % 2) ? -1.0f : 1.0f);
  return tg_tape_leaf(t, like->rank, like->shape, w.data(), false);
}

AllOps RecordAllOps(tg_tape* t, const std::vector<float>& xv, const std::vector<float>& pv,
                    const std::vector<float>& mv) {
  const int64_t sx[2] = {3, 4}, sp[1] = {4}, sm[2] = {3, 1};
  AllOps r;
  r.x = tg_tape_leaf(t, 2, sx, xv.data(), true);
  r.p = tg_tape_leaf(t, 1, sp, pv.data(), true);
  tg_tensor* m = tg_tape_leaf(t, 2, sm, mv.data(), false);
  tg_tensor* x = r.x;
  tg_tensor* p = r.p;
  tg_tensor* outs[] = {
      tg_neg(t, x),
      tg_exp(t, x),
      tg_log(t, p),
      tg_sqrt(t, p),
      tg_rsqrt(t, p),
      tg_square(t, x),
      tg_abs(t, x),
      tg_reciprocal(t, p),
      tg_div(t, x, p),
      tg_pow(t, p, 1.5f),
      tg_maximum(t, x, p),
      tg_minimum(t, x, p),
      tg_clip(t, x, -0.3f, 0.4f),
      tg_where(t, m, x, p),
      tg_leaky_relu(t, x, 0.3f),
      tg_elu(t, x, 1.0f),
      tg_gelu(t, x, TG_GELU_NONE),
      tg_gelu(t, x, TG_GELU_TANH),
      tg_softplus(t, x),
      tg_silu(t, x),
      tg_hard_sigmoid(t, tg_scale(t, x, 5.0f)),
      tg_log_softmax(t, x, 0),
      tg_softmax_axis(t, x, 0),
      tg_softmax(t, x),
  };
  tg_tensor* total = nullptr;
  int salt = 0;
  for (tg_tensor* o : outs) {
    if (o == nullptr) return AllOps{nullptr, nullptr, nullptr};
    tg_tensor* s = tg_sum(t, tg_mul(t, o, Weights(t, o, salt++)));
    total = total ? tg_add(t, total, s) : s;
  }
  r.loss = total;
  return r;
}

struct Data {
  std::vector<float> x, p, m;
};

Data MakeData(uint64_t seed) {
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  Data d;
  for (int k = 0; k < 12; ++k) d.x.push_back(2.0f * tg_rng_uniform(&rng) - 1.0f);
  for (int k = 0; k < 4; ++k) d.p.push_back(0.2f + tg_rng_uniform(&rng));
  for (int k = 0; k < 3; ++k) d.m.push_back(tg_rng_uniform(&rng) < 0.5f ? 0.0f : 1.0f);
  return d;
}

void ExpectSameBits(const float* a, const float* b, int64_t n, const char* what, int node) {
  EXPECT_EQ(0, std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)))
      << what << " of node " << node;
}

TEST(MathReplayTest, ReplayWithNewDataEqualsAFreshRecordingBitForBitAndAllocatesNothing) {
  const Data first = MakeData(1), second = MakeData(2);
  tgtest::CountingAllocator counting;
  tg_tape* t = tg_tape_new_ex(counting.get());
  AllOps rec = RecordAllOps(t, first.x, first.p, first.m);
  ASSERT_NE(rec.loss, nullptr) << tg_tape_message(t);
  ASSERT_EQ(tg_tape_backward(t, rec.loss), TG_OK) << tg_tape_message(t);

  // New data into the recorded leaves (the mask is leaf 2: node -1, found by data).
  std::memcpy(rec.x->data, second.x.data(), 12 * sizeof(float));
  std::memcpy(rec.p->data, second.p.data(), 4 * sizeof(float));
  const int allocs = counting.allocs(), frees = counting.frees();
  tg_tensor* mask = nullptr;
  for (int i = 0; i < tg_tape_node_count(t) && mask == nullptr; ++i) {
    const tg_node* n = tg_tape_node(t, i);
    if (n->op == &tg_op_where) mask = n->in[0];
  }
  ASSERT_NE(mask, nullptr);
  std::memcpy(mask->data, second.m.data(), 3 * sizeof(float));
  tg_tensor_zero_grad(rec.x);
  tg_tensor_zero_grad(rec.p);
  ASSERT_EQ(tg_tape_forward(t), TG_OK);
  ASSERT_EQ(tg_tape_backward(t, rec.loss), TG_OK);
  EXPECT_EQ(counting.allocs(), allocs);
  EXPECT_EQ(counting.frees(), frees);

  tg_tape* fresh = tg_tape_new();
  AllOps ref = RecordAllOps(fresh, second.x, second.p, second.m);
  ASSERT_NE(ref.loss, nullptr) << tg_tape_message(fresh);
  ASSERT_EQ(tg_tape_backward(fresh, ref.loss), TG_OK);
  ASSERT_EQ(tg_tape_node_count(t), tg_tape_node_count(fresh));
  for (int i = 0; i < tg_tape_node_count(t); ++i) {
    const tg_tensor* a = tg_tape_node(t, i)->out;
    const tg_tensor* b = tg_tape_node(fresh, i)->out;
    ASSERT_EQ(a->size, b->size);
    ExpectSameBits(a->data, b->data, a->size, tg_tape_node(t, i)->op->name, i);
  }
  ExpectSameBits(rec.x->grad, ref.x->grad, 12, "grad of x", -1);
  ExpectSameBits(rec.p->grad, ref.p->grad, 4, "grad of p", -1);
  // The data really changed: the loss differs from the first recording's.
  tg_tape* old = tg_tape_new();
  AllOps o = RecordAllOps(old, first.x, first.p, first.m);
  ASSERT_NE(o.loss, nullptr);
  EXPECT_NE(o.loss->data[0], rec.loss->data[0]);
  tg_tape_free(old);
  tg_tape_free(fresh);
  tg_tape_free(t);
  EXPECT_EQ(counting.allocs(), counting.frees());
}

}  // namespace
