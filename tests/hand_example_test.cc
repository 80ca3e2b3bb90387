// tests/hand_example_test.cc — a 2x2 matmul + bias + relu + mse whose every number
// was worked out by hand (below), not by tapegrad.
#include <gtest/gtest.h>

extern "C" {
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

// x = [[1, 2], [3, -1]]   W = [[0.5, -1], [1, 0.25]]   b = [0.1, -0.2]   y = [[1, 0], [0, 1]]
// z = x·W + b = [[2.5+0.1, -0.5-0.2], [0.5+0.1, -3.25-0.2]] = [[2.6, -0.7], [0.6, -3.45]]
// h = relu(z) = [[2.6, 0], [0.6, 0]]
// loss = mean((h - y)²) = (1.6² + 0² + 0.6² + 1²) / 4 = (2.56 + 0.36 + 1) / 4 = 0.98
// dh = 2 (h - y) / 4 = [[0.8, 0], [0.3, -0.5]]
// dz = dh ⊙ (z > 0) = [[0.8, 0], [0.3, 0]]        (the -0.5 is blocked by the ReLU)
// db = column sums of dz = [1.1, 0]
// dW = xᵀ·dz = [[1·0.8 + 3·0.3, 0], [2·0.8 - 1·0.3, 0]] = [[1.7, 0], [1.3, 0]]
// dx = dz·Wᵀ = [[0.8·0.5, 0.8·1], [0.3·0.5, 0.3·1]] = [[0.4, 0.8], [0.15, 0.3]]
// dy = -dh = [[-0.8, 0], [-0.3, 0.5]]
TEST(HandExampleTest, DenseReluMseGradientsMatchHandComputation) {
  tg_tape* t = tg_tape_new();
  int64_t s22[2] = {2, 2}, s2[1] = {2};
  const float xv[4] = {1, 2, 3, -1}, wv[4] = {0.5f, -1, 1, 0.25f}, bv[2] = {0.1f, -0.2f};
  const float yv[4] = {1, 0, 0, 1};
  tg_tensor* x = tg_tape_leaf(t, 2, s22, xv, true);
  tg_tensor* w = tg_tape_leaf(t, 2, s22, wv, true);
  tg_tensor* b = tg_tape_leaf(t, 1, s2, bv, true);
  tg_tensor* y = tg_tape_leaf(t, 2, s22, yv, true);
  tg_tensor* z = tg_add(t, tg_matmul(t, x, w), b);
  tg_tensor* h = tg_relu(t, z);
  tg_tensor* loss = tg_mse(t, h, y);
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK) << tg_tape_message(t);

  const float z_expected[4] = {2.6f, -0.7f, 0.6f, -3.45f};
  const float h_expected[4] = {2.6f, 0.0f, 0.6f, 0.0f};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(z->data[i], z_expected[i], 1e-6) << i;
    EXPECT_NEAR(h->data[i], h_expected[i], 1e-6) << i;
  }
  EXPECT_NEAR(loss->data[0], 0.98f, 1e-6);

  const float dw[4] = {1.7f, 0.0f, 1.3f, 0.0f};
  const float db[2] = {1.1f, 0.0f};
  const float dx[4] = {0.4f, 0.8f, 0.15f, 0.3f};
  const float dy[4] = {-0.8f, 0.0f, -0.3f, 0.5f};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(w->grad[i], dw[i], 1e-6) << "dW " << i;
    EXPECT_NEAR(x->grad[i], dx[i], 1e-6) << "dx " << i;
    EXPECT_NEAR(y->grad[i], dy[i], 1e-6) << "dy " << i;
  }
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(b->grad[i], db[i], 1e-6) << "db " << i;
  tg_tape_free(t);
}

// relu'(0) = 0: a layer whose pre-activations are all exactly 0 passes no gradient.
TEST(HandExampleTest, ReluAtExactlyZeroBlocksTheGradient) {
  tg_tape* t = tg_tape_new();
  int64_t s[2] = {3, 2};
  tg_tensor* z = tg_tape_leaf(t, 2, s, nullptr, true);  // all zeros
  tg_tensor* loss = tg_sum(t, tg_relu(t, z));
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(z->grad[i], 0.0f);
  tg_tape_free(t);
}

}  // namespace
