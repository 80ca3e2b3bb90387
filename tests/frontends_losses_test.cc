// tests/frontends_losses_test.cc — every loss against values worked out here in
// double, including Keras' clipping of probabilities and the gradients it cuts.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

extern "C" {
#include "frontends/losses.h"
#include "ops/ops.h"
}

namespace {

class LossesTest : public testing::Test {
 protected:
  void SetUp() override { tape_ = tg_tape_new(); }
  void TearDown() override { tg_tape_free(tape_); }

  tg_tensor* Leaf(std::vector<int64_t> shape, std::vector<float> v, bool grad) {
    return tg_tape_leaf(tape_, static_cast<int>(shape.size()), shape.data(), v.data(), grad);
  }
  // Loss value; p->grad holds d(loss)/dp afterwards.
  double Run(tg_loss loss, tg_tensor* p, tg_tensor* y) {
    tg_tensor* l = tg_loss_apply(tape_, loss, p, y);
    EXPECT_NE(l, nullptr) << tg_tape_message(tape_);
    if (l == nullptr) return NAN;
    EXPECT_EQ(tg_tape_backward(tape_, l), TG_OK) << tg_tape_message(tape_);
    return l->data[0];
  }

  tg_tape* tape_ = nullptr;
};

TEST_F(LossesTest, MeanSquaredAndAbsoluteError) {
  tg_tensor* p = Leaf({2, 2}, {1.0f, -2.0f, 0.5f, 3.0f}, true);
  tg_tensor* y = Leaf({2, 2}, {0.0f, 1.0f, 0.5f, 1.0f}, false);
  EXPECT_NEAR(Run({TG_LOSS_MAE, false}, p, y), (1.0 + 3.0 + 0.0 + 2.0) / 4.0, 1e-7);
  const float want[4] = {0.25f, -0.25f, 0.0f, 0.25f};  // sign(p - y)/n, sign(0) = 0
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(p->grad[i], want[i]);
  tg_tape_clear(tape_);
  p = Leaf({2, 2}, {1.0f, -2.0f, 0.5f, 3.0f}, true);
  y = Leaf({2, 2}, {0.0f, 1.0f, 0.5f, 1.0f}, false);
  EXPECT_NEAR(Run({TG_LOSS_MSE, false}, p, y), (1.0 + 9.0 + 0.0 + 4.0) / 4.0, 1e-6);
}

TEST_F(LossesTest, MeanSquaredErrorSumsItsSquaresInDoubleInOrder) {
  // The value is the float of (Σ (p - y)² in double, element by element) / n,
  // exactly: sizes 1 to 13 cover whole groups of four squares and every tail.
  for (int n = 1; n <= 13; ++n) {
    std::vector<float> pv(static_cast<size_t>(n)), yv(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      pv[static_cast<size_t>(i)] = 0.37f * static_cast<float>(i * i % 7) - 1.1f;
      yv[static_cast<size_t>(i)] = 1.0f / static_cast<float>(i + 3);
    }
    double s = 0.0;
    for (int i = 0; i < n; ++i) {
      const double d = static_cast<double>(pv[static_cast<size_t>(i)]) -
                       static_cast<double>(yv[static_cast<size_t>(i)]);
      s += d * d;
    }
    tg_tensor* l = tg_mse(tape_, Leaf({n}, pv, false), Leaf({n}, yv, false));
    ASSERT_NE(l, nullptr) << tg_tape_message(tape_);
    EXPECT_EQ(l->data[0], static_cast<float>(s / n)) << n;
  }
}

TEST_F(LossesTest, BinaryCrossentropyOnProbabilitiesClipsLikeKeras) {
  // p = 0 with target 1 costs -log(1e-7) = 16.118, and the clip cuts its gradient.
  tg_tensor* p = Leaf({4}, {0.8f, 0.3f, 0.0f, 1.0f}, true);
  tg_tensor* y = Leaf({4}, {1.0f, 0.0f, 1.0f, 1.0f}, false);
  const double eps = 1e-7f;
  const double want =
      (-std::log(0.8) - std::log(0.7) - std::log(eps) - std::log((double)(1.0f - 1e-7f))) / 4.0;
  EXPECT_NEAR(Run({TG_LOSS_BINARY_CROSSENTROPY, false}, p, y), want, 1e-5);
  EXPECT_NEAR(p->grad[0], -1.0 / 0.8 / 4.0, 1e-6);
  EXPECT_NEAR(p->grad[1], 1.0 / 0.7 / 4.0, 1e-6);
  EXPECT_EQ(p->grad[2], 0.0f);
  EXPECT_EQ(p->grad[3], 0.0f);
}

TEST_F(LossesTest, BinaryCrossentropyFromLogitsIsStableForLargeLogits) {
  tg_tensor* z = Leaf({3}, {0.5f, -100.0f, 100.0f}, true);
  tg_tensor* y = Leaf({3}, {1.0f, 1.0f, 1.0f}, false);
  const double s = 1.0 / (1.0 + std::exp(-0.5));
  EXPECT_NEAR(Run({TG_LOSS_BINARY_CROSSENTROPY, true}, z, y), (-std::log(s) + 100.0 + 0.0) / 3.0,
              1e-5);
  EXPECT_NEAR(z->grad[0], (s - 1.0) / 3.0, 1e-7);
  EXPECT_NEAR(z->grad[1], -1.0 / 3.0, 1e-7);
  EXPECT_NEAR(z->grad[2], 0.0, 1e-7);
}

TEST_F(LossesTest, CategoricalCrossentropyNormalisesRowsThenClips) {
  // Row 1 sums to 2: q = [0.25, 0.75]. Row 2 puts q = 0 on the true class: 1e-7.
  tg_tensor* p = Leaf({2, 2}, {0.5f, 1.5f, 0.0f, 1.0f}, true);
  tg_tensor* y = Leaf({2, 2}, {0.0f, 1.0f, 1.0f, 0.0f}, false);
  const double want = (-std::log(0.75) - std::log(1e-7f)) / 2.0;
  EXPECT_NEAR(Run({TG_LOSS_CATEGORICAL_CROSSENTROPY, false}, p, y), want, 1e-5);
  // Row 1: L = -log(p1 / (p0 + p1)); dL/dp0 = 1/s, dL/dp1 = -1/p1 + 1/s, halved by the mean.
  EXPECT_NEAR(p->grad[0], 0.5 * (1.0 / 2.0), 1e-6);
  EXPECT_NEAR(p->grad[1], 0.5 * (-1.0 / 1.5 + 1.0 / 2.0), 1e-6);
  // Row 2: the clipped class passes no gradient, and the other class has t = 0.
  EXPECT_EQ(p->grad[2], 0.0f);
  EXPECT_EQ(p->grad[3], 0.0f);
}

TEST_F(LossesTest, CategoricalCrossentropyFromLogitsIsLogSoftmax) {
  tg_tensor* z = Leaf({1, 3}, {1.0f, 2.0f, 1000.0f}, true);
  tg_tensor* y = Leaf({1, 3}, {0.0f, 1.0f, 0.0f}, false);
  // lse = 1000 + log(1 + e^-998 + e^-999) ~ 1000; loss = lse - 2 = 998.
  EXPECT_NEAR(Run({TG_LOSS_CATEGORICAL_CROSSENTROPY, true}, z, y), 998.0, 1e-3);
  EXPECT_NEAR(z->grad[0], 0.0, 1e-7);
  EXPECT_NEAR(z->grad[1], -1.0, 1e-7);
  EXPECT_NEAR(z->grad[2], 1.0, 1e-7);
}

TEST_F(LossesTest, ErrorsNameTheOpAndTheShapes) {
  tg_tensor* p = Leaf({3, 2}, {1, 2, 3, 4, 5, 6}, true);
  tg_tensor* y = Leaf({2, 3}, {1, 2, 3, 4, 5, 6}, false);
  EXPECT_EQ(tg_loss_apply(tape_, {TG_LOSS_CATEGORICAL_CROSSENTROPY, false}, p, y), nullptr);
  EXPECT_STREQ(tg_tape_message(tape_),
               "categorical_crossentropy: prediction [3x2] and target [2x3]: shapes differ");
  tg_tape_clear(tape_);
  p = Leaf({}, {1}, true);
  EXPECT_EQ(tg_loss_apply(tape_, {TG_LOSS_CATEGORICAL_CROSSENTROPY, true}, p, p), nullptr);
  EXPECT_STREQ(tg_tape_message(tape_),
               "softmax_cross_entropy: prediction []: needs a class axis (rank >= 1)");
  tg_tape_clear(tape_);
  p = Leaf({2}, {1, 2}, true);
  EXPECT_EQ(tg_loss_apply(tape_, {static_cast<tg_loss_kind>(9), false}, p, p), nullptr);
  EXPECT_STREQ(tg_tape_message(tape_), "tg_loss_apply: unknown loss kind 9");
  EXPECT_STREQ(tg_loss_kind_name(TG_LOSS_MSE), "mean_squared_error");
}

}  // namespace
