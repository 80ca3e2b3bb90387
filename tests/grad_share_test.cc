// tests/grad_share_test.cc — identity VJPs handled by the tape (core/op.h,
// identity_grads): an intermediate whose only consumer hands it the output's
// gradient unchanged (add's operands, sub's a) gets the output's gradient buffer
// itself once the tape is planned; everywhere else (a leaf, add(x, x), a broadcast,
// a second consumer, a view of it read elsewhere) the tape adds the gradient into
// the input's own buffer. The gradients are the ones worked by hand, recording more
// nodes gives the buffers back when they are no longer safe to share, and an op of
// our own gets the same service by setting one bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
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

void ZeroLeaves(const Dense& d) {
  for (tg_tensor* leaf : {d.x, d.w, d.b}) std::fill(leaf->grad, leaf->grad + leaf->size, 0.0f);
}

TEST(GradShareTest, MatmulOutputTakesTheAddsGradientBuffer) {
  Dense d = Record();
  ASSERT_NE(nullptr, d.y);
  EXPECT_NE(d.z->grad, d.y->grad);  // recorded: each its own
  // loss = sum(3y): dy = dz = 3, db = 6 per column, dw = xᵀ·3, dx = 3·wᵀ.
  tg_tensor* loss = tg_sum(d.t, tg_scale(d.t, d.y, 3.0f));
  ASSERT_EQ(TG_OK, tg_tape_backward(d.t, loss)) << tg_tape_message(d.t);
  EXPECT_EQ(d.z->grad, d.y->grad);  // planned: one buffer
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

TEST(GradShareTest, AChainWithASharedBufferMatchesByHand) {
  Dense d = Record();
  tg_tensor* r = tg_relu(d.t, d.y);
  tg_tensor* loss = tg_sum(d.t, tg_scale(d.t, r, 2.0f));
  for (int rep = 0; rep < 2; ++rep) {  // the first step, then a replay
    ZeroLeaves(d);
    if (rep == 1) {
      ASSERT_EQ(TG_OK, tg_tape_forward(d.t));
    }
    ASSERT_EQ(TG_OK, tg_tape_backward(d.t, loss)) << tg_tape_message(d.t);
    EXPECT_EQ(3, tg_tape_plan_chain(d.t, 1, nullptr));  // add, relu, scale
    EXPECT_EQ(d.z->grad, d.y->grad);
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

TEST(GradShareTest, ASecondConsumerKeepsTheBuffersApart) {
  Dense d = Record();
  // loss = sum(y * z): dy = z, dz = y + dy = 2z + b.
  tg_tensor* loss = tg_sum(d.t, tg_mul(d.t, d.y, d.z));
  ASSERT_EQ(TG_OK, tg_tape_backward(d.t, loss)) << tg_tape_message(d.t);
  EXPECT_NE(d.z->grad, d.y->grad);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      const float z = ZAt(i, j);
      EXPECT_FLOAT_EQ(z, d.y->grad[i * 2 + j]);
      EXPECT_FLOAT_EQ(2.0f * z + kB[j], d.z->grad[i * 2 + j]);
    }
  tg_tape_free(d.t);
}

TEST(GradShareTest, RecordingMoreGivesTheBufferBack) {
  Dense d = Record();
  tg_tensor* first = tg_sum(d.t, d.y);
  ASSERT_EQ(TG_OK, tg_tape_backward(d.t, first)) << tg_tape_message(d.t);
  ASSERT_EQ(d.z->grad, d.y->grad);
  // z gets a second consumer, through a view: the next plan must split them, and
  // the view must follow z's own buffer. loss2 = sum(y) + sum(4 z): dz = 1 + 4.
  const int64_t flat[1] = {4};
  tg_tensor* v = tg_reshape(d.t, d.z, 1, flat);
  tg_tensor* loss = tg_add(d.t, first, tg_sum(d.t, tg_scale(d.t, v, 4.0f)));
  ASSERT_NE(nullptr, loss) << tg_tape_message(d.t);
  ZeroLeaves(d);
  ASSERT_EQ(TG_OK, tg_tape_backward(d.t, loss)) << tg_tape_message(d.t);
  EXPECT_NE(d.z->grad, d.y->grad);
  EXPECT_EQ(d.z->grad, v->grad);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(1.0f, d.y->grad[i]);
    EXPECT_EQ(5.0f, d.z->grad[i]);
  }
  EXPECT_EQ(2.0f, d.b->grad[0]);  // two rows, dy = 1
  for (int p = 0; p < 3; ++p) EXPECT_EQ(5.0f * (kX[p] + kX[3 + p]), d.w->grad[p * 2]);
  tg_tape_free(d.t);
}

TEST(GradShareTest, LeavesTwiceUsedInputsAndBroadcastsKeepTheirOwnBuffers) {
  tg_tape* t = tg_tape_new();
  int64_t s[1] = {3};
  float v[3] = {1, 2, 3};
  tg_tensor* x = tg_tape_leaf(t, 1, s, v, true);
  tg_tensor* leaf_sum = tg_add(t, x, x);  // a leaf, and used twice
  tg_tensor* sq = tg_scale(t, x, 2.0f);
  tg_tensor* twice = tg_add(t, sq, sq);  // add(x, x) of an intermediate
  tg_tensor* s1 = tg_sum(t, x);          // [1] broadcast over [3]
  tg_tensor* bc = tg_add(t, s1, x);
  // loss = sum(4x) + sum(x + x) + sum(x + sum(x)): dx = 4 + 2 + 1 + 3.
  tg_tensor* loss = tg_add(t, tg_sum(t, tg_add(t, twice, leaf_sum)), tg_sum(t, bc));
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  EXPECT_NE(x->grad, leaf_sum->grad);
  EXPECT_NE(sq->grad, twice->grad);
  EXPECT_NE(s1->grad, bc->grad);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(2.0f * 2.0f + 2.0f + 1.0f + 3.0f, x->grad[i]);
  EXPECT_EQ(3.0f, s1->grad[0]);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(2.0f, sq->grad[i]);
  tg_tape_free(t);
}

TEST(GradShareTest, SubSharesOnlyItsFirstOperand) {
  tg_tape* t = tg_tape_new();
  const int64_t s[1] = {2};
  const float av[2] = {1.0f, -2.0f}, bv[2] = {0.5f, 4.0f};
  tg_tensor* a = tg_tape_leaf(t, 1, s, av, true);
  tg_tensor* b = tg_tape_leaf(t, 1, s, bv, true);
  tg_tensor* ea = tg_scale(t, a, 3.0f);
  tg_tensor* eb = tg_scale(t, b, 5.0f);
  tg_tensor* d = tg_sub(t, ea, eb);  // eb was made before ea's consumer: sub reads both once
  tg_tensor* loss = tg_sum(t, tg_scale(t, d, 2.0f));
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  EXPECT_EQ(ea->grad, d->grad);  // da = dd
  EXPECT_NE(eb->grad, d->grad);  // db = -dd: its own buffer
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(2.0f, ea->grad[i]);
    EXPECT_EQ(-2.0f, eb->grad[i]);
    EXPECT_EQ(6.0f, a->grad[i]);
    EXPECT_EQ(-10.0f, b->grad[i]);
  }
  tg_tape_free(t);
}

// An op of our own, y = x (a "pass"), whose only VJP is the identity: it sets the
// bit and its backward does nothing; the tape shares or adds as it can.
void PassForward(tg_node* n) {
  std::memcpy(n->out->data, n->in[0]->data, static_cast<size_t>(n->out->size) * sizeof(float));
}
void PassBackward(tg_node*) {}
tg_status PassShape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char*, size_t) {
  *rank = n->in[0]->rank;
  for (int i = 0; i < TG_MAX_RANK; ++i) shape[i] = n->in[0]->shape[i];
  return TG_OK;
}

TEST(GradShareTest, AnyOpGetsItBySettingTheBit) {
  tg_op_def pass{};
  pass.name = "pass";
  pass.arity = 1;
  pass.shape = PassShape;
  pass.forward = PassForward;
  pass.backward = PassBackward;
  pass.identity_grads = 1u;
  for (bool planned : {true, false}) {
    tg_tape* t = tg_tape_new();
    tg_tape_set_planning(t, planned);
    const int64_t s[1] = {3};
    const float xv[3] = {1, 2, 3};
    tg_tensor* x = tg_tape_leaf(t, 1, s, xv, true);
    tg_tensor* h = tg_scale(t, x, 2.0f);
    tg_tensor* in[1] = {h};
    tg_tensor* p = tg_tape_apply(t, &pass, in, 1, nullptr);  // an intermediate: shared
    tg_tensor* in2[1] = {x};
    tg_tensor* q = tg_tape_apply(t, &pass, in2, 1, nullptr);  // a leaf: added
    // loss = sum(7 p) + sum(q): dx = 2·7 + 1.
    tg_tensor* loss = tg_add(t, tg_sum(t, tg_scale(t, p, 7.0f)), tg_sum(t, q));
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
    EXPECT_EQ(planned, h->grad == p->grad);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(7.0f, h->grad[i]);
      EXPECT_EQ(15.0f, x->grad[i]);
    }
    tg_tape_free(t);
  }
}

}  // namespace
