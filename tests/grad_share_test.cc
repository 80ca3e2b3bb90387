// tests/grad_share_test.cc — tg_tape_share_grad: add's `a`, made by the node right
// before it, keeps its gradient in the add's own buffer; the gradients are the ones
// computed by hand, a later consumer of `a` splits the buffers again, and the
// cases that must not share (a leaf, add(x, x), a broadcast a) keep two buffers.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

extern "C" {
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

// x (2x3), w (3x2), b (2): z = x·w, y = z + b.
struct Dense {
  tg_tape* t;
  tg_tensor *x, *w, *b, *z, *y;
};

const float kX[6] = {1, 2, -1, 0, 3, 2};
const float kW[6] = {1, -1, 2, 0, -3, 1};
const float kB[2] = {0.5f, -0.25f};

Dense Record() {
  Dense d;
  d.t = tg_tape_new();
  int64_t xs[2] = {2, 3}, ws[2] = {3, 2}, bs[1] = {2};
  d.x = tg_tape_leaf(d.t, 2, xs, kX, true);
  d.w = tg_tape_leaf(d.t, 2, ws, kW, true);
  d.b = tg_tape_leaf(d.t, 1, bs, kB, true);
  d.z = tg_matmul(d.t, d.x, d.w);
  d.y = tg_add(d.t, d.z, d.b);
  return d;
}

float ZAt(int i, int j) {
  float s = 0.0f;
  for (int p = 0; p < 3; ++p) s += kX[i * 3 + p] * kW[p * 2 + j];
  return s;
}

TEST(GradShareTest, MatmulOutputSharesTheAddsGradient) {
  Dense d = Record();
  ASSERT_NE(nullptr, d.y);
  EXPECT_EQ(d.z->grad, d.y->grad);
  // loss = sum(3y): dy = dz = 3, db = 6 per column, dw = xᵀ·3, dx = 3·wᵀ.
  tg_tensor* loss = tg_sum(d.t, tg_scale(d.t, d.y, 3.0f));
  ASSERT_EQ(TG_OK, tg_tape_backward(d.t, loss)) << tg_tape_message(d.t);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(3.0f, d.y->grad[i]);
    EXPECT_EQ(3.0f, d.z->grad[i]);
  }
  EXPECT_EQ(6.0f, d.b->grad[0]);
  EXPECT_EQ(6.0f, d.b->grad[1]);
  for (int p = 0; p < 3; ++p)
    for (int j = 0; j < 2; ++j) EXPECT_EQ(3.0f * (kX[p] + kX[3 + p]), d.w->grad[p * 2 + j]);
  for (int i = 0; i < 2; ++i)
    for (int p = 0; p < 3; ++p) EXPECT_EQ(3.0f * (kW[p * 2] + kW[p * 2 + 1]), d.x->grad[i * 3 + p]);
  // A second backward (replay) gives the same again: the shared buffer is zeroed once.
  ASSERT_EQ(TG_OK, tg_tape_forward(d.t));
  ASSERT_EQ(TG_OK, tg_tape_backward(d.t, loss));
  EXPECT_EQ(12.0f, d.b->grad[0]);  // leaves accumulate across calls, by design
  EXPECT_EQ(3.0f, d.z->grad[0]);
  tg_tape_free(d.t);
}

TEST(GradShareTest, FusedReplayWithASharedBufferMatchesByHand) {
  Dense d = Record();

  tg_tensor* r = tg_relu(d.t, d.y);
  tg_tensor* loss = tg_sum(d.t, tg_scale(d.t, r, 2.0f));
  for (int rep = 0; rep < 2; ++rep) {  // recorded, then replayed through the fusion
    for (tg_tensor* leaf : {d.x, d.w, d.b}) std::fill(leaf->grad, leaf->grad + leaf->size, 0.0f);
    if (rep == 1) {
      ASSERT_EQ(TG_OK, tg_tape_forward(d.t));
    }
    ASSERT_EQ(TG_OK, tg_tape_backward(d.t, loss)) << tg_tape_message(d.t);
    float db[2] = {0, 0};
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const float g = ZAt(i, j) + kB[j] > 0.0f ? 2.0f : 0.0f;
        EXPECT_EQ(g, d.z->grad[i * 2 + j]) << rep;
        db[j] += g;
      }
    EXPECT_EQ(db[0], d.b->grad[0]) << rep;
    EXPECT_EQ(db[1], d.b->grad[1]) << rep;
  }
  tg_tape_free(d.t);
}

TEST(GradShareTest, ALaterConsumerOfTheInputSplitsTheBuffers) {
  Dense d = Record();
  // loss = sum(y * z): dy = z, dz = y + dy = 2z + b.
  tg_tensor* loss = tg_sum(d.t, tg_mul(d.t, d.y, d.z));
  EXPECT_NE(d.z->grad, d.y->grad);
  ASSERT_EQ(TG_OK, tg_tape_backward(d.t, loss)) << tg_tape_message(d.t);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      const float z = ZAt(i, j);
      EXPECT_FLOAT_EQ(z, d.y->grad[i * 2 + j]);
      EXPECT_FLOAT_EQ(2.0f * z + kB[j], d.z->grad[i * 2 + j]);
    }
  tg_tape_free(d.t);
}

TEST(GradShareTest, LeavesTwiceUsedInputsAndBroadcastsKeepTheirOwnBuffers) {
  tg_tape* t = tg_tape_new();
  int64_t s[1] = {3};
  float v[3] = {1, 2, 3};
  tg_tensor* x = tg_tape_leaf(t, 1, s, v, true);
  tg_tensor* leaf_sum = tg_add(t, x, x);  // a leaf, and used twice
  EXPECT_NE(x->grad, leaf_sum->grad);
  tg_tensor* sq = tg_scale(t, x, 2.0f);
  tg_tensor* twice = tg_add(t, sq, sq);  // add(x, x) of the previous node's output
  EXPECT_NE(sq->grad, twice->grad);
  tg_tensor* s1 = tg_sum(t, x);  // [1] broadcast over [3]
  tg_tensor* bc = tg_add(t, s1, x);
  EXPECT_NE(s1->grad, bc->grad);
  EXPECT_FALSE(tg_tape_share_grad(t, bc, x));
  EXPECT_FALSE(tg_tape_share_grad(nullptr, bc, s1));
  // loss = sum(4x) + sum(x + sum(x)): dx = 4 + 1 + 3.
  tg_tensor* loss = tg_add(t, tg_sum(t, tg_add(t, twice, leaf_sum)), tg_sum(t, bc));
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(2.0f * 2.0f + 2.0f + 1.0f + 3.0f, x->grad[i]);
  tg_tape_free(t);
}

}  // namespace
