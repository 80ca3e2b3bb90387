// tests/tape_hook_test.cc — the backward progress hook: when it runs, what `done`
// says, and that a leaf's gradient is final once `done` passes its last consumer.
#include <gtest/gtest.h>

#include <vector>

extern "C" {
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

struct Calls {
  std::vector<int> done;
  const tg_tensor* watched = nullptr;  // a leaf whose gradient we snapshot
  int last_consumer = -1;
  std::vector<float> snapshot;  // its gradient the first time done <= last_consumer
};

void Record(void* ctx, const tg_tape* t, int done) {
  Calls* c = static_cast<Calls*>(ctx);
  EXPECT_GE(done, 0);
  EXPECT_LT(done, tg_tape_node_count(t));
  c->done.push_back(done);
  if (c->watched && c->snapshot.empty() && done <= c->last_consumer)
    c->snapshot.assign(c->watched->grad, c->watched->grad + c->watched->size);
}

TEST(TapeHookTest, RunsAfterEachNodeInDecreasingOrder) {
  tg_tape* t = tg_tape_new();
  int64_t s[1] = {3};
  float xv[3] = {1.0f, -2.0f, 3.0f};
  tg_tensor* x = tg_tape_leaf(t, 1, s, xv, true);
  // nodes: 0 scale, 1 sum, 2 mul, 3 sum, 4 add
  tg_tensor* loss = tg_add(t, tg_sum(t, tg_scale(t, x, 3.0f)), tg_sum(t, tg_mul(t, x, x)));
  Calls c;
  tg_tape_set_backward_hook(t, Record, &c);
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK) << tg_tape_message(t);
  EXPECT_EQ(c.done, (std::vector<int>{4, 3, 2, 1, 0}));
  // Replaying calls it again; turning it off stops the calls.
  c.done.clear();
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  EXPECT_EQ(c.done.size(), 5u);
  tg_tape_set_backward_hook(t, nullptr, &c);
  c.done.clear();
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  EXPECT_TRUE(c.done.empty());
  tg_tape_free(t);
}

TEST(TapeHookTest, KeptAcrossClearAndLeafGradientFinalAfterLastConsumer) {
  tg_tape* t = tg_tape_new();
  Calls c;
  tg_tape_set_backward_hook(t, Record, &c);
  tg_tape_clear(t);
  int64_t sx[2] = {2, 3}, sw[2] = {3, 2}, sb[1] = {2}, sy[2] = {2, 2};
  float xv[6] = {0.5f, -1.0f, 2.0f, 1.5f, 0.25f, -0.75f};
  float wv[6] = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
  float bv[2] = {0.05f, -0.05f};
  float yv[4] = {0.0f, 1.0f, 1.0f, 0.0f};
  tg_tensor* x = tg_tape_leaf(t, 2, sx, xv, false);
  tg_tensor* w = tg_tape_leaf(t, 2, sw, wv, true);
  tg_tensor* b = tg_tape_leaf(t, 1, sb, bv, true);
  tg_tensor* y = tg_tape_leaf(t, 2, sy, yv, false);
  // node 0 matmul(x, w), 1 add(., b), 2 relu, 3 mul(relu, relu), 4 mse against y
  tg_tensor* h = tg_relu(t, tg_add(t, tg_matmul(t, x, w), b));
  tg_tensor* loss = tg_mse(t, tg_mul(t, h, h), y);
  ASSERT_EQ(tg_tape_status(t), TG_OK) << tg_tape_message(t);
  c.watched = w;
  c.last_consumer = 0;  // only the matmul reads w
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK) << tg_tape_message(t);
  ASSERT_EQ(c.snapshot.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(c.snapshot[i], w->grad[i]) << i;
  EXPECT_EQ(c.done.back(), 0);
  for (size_t i = 1; i < c.done.size(); ++i) EXPECT_LT(c.done[i], c.done[i - 1]);
  // Unplanned, every node reports.
  tg_tape_set_planning(t, false);
  c.done.clear();
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK) << tg_tape_message(t);
  EXPECT_EQ(c.done, (std::vector<int>{4, 3, 2, 1, 0}));
  tg_tape_set_planning(t, true);
  // The plan runs add, relu and mul (nodes 1 to 3, elementwise, each reading the
  // previous one's output) as one chain: it reports once, with its lowest node.
  int first = -1;
  ASSERT_EQ(tg_tape_plan_chain(t, 2, &first), 3);
  EXPECT_EQ(first, 1);
  ASSERT_EQ(tg_tape_forward(t), TG_OK);
  c.done.clear();
  c.snapshot.clear();
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK) << tg_tape_message(t);
  EXPECT_EQ(c.done, (std::vector<int>{4, 1, 0}));
  ASSERT_EQ(c.snapshot.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(c.snapshot[i], w->grad[i]) << i;
  tg_tape_free(t);
}

}  // namespace
