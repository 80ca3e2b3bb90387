// The NaN sentinel (tg_tape_set_check_finite): the first non-finite value stops
// recording, replay or backward with a message naming the op, the node and its
// scope; off, the same programs run through.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

extern "C" {
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(NanSentinelTest, RecordingStopsAtTheFirstNonFiniteOutput) {
  tg_tape* t = tg_tape_new();
  tg_tape_set_check_finite(t, true);
  const int64_t s[1] = {3};
  const float v[3] = {1.0f, kNaN, 2.0f};
  tg_tape_set_scope(t, "dense_1");
  tg_tensor* x = tg_tape_leaf(t, 1, s, v, false);
  tg_tensor* w = tg_tape_leaf(t, 1, s, nullptr, true);
  EXPECT_NE(nullptr, tg_add(t, w, w));  // node 0: finite
  EXPECT_EQ(nullptr, tg_relu(t, x));    // node 1: the NaN passes through
  EXPECT_EQ(TG_ERR_ARG, tg_tape_status(t));
  EXPECT_STREQ("relu (node 1, scope dense_1): produced NaN at element 1 of [3]",
               tg_tape_message(t));
  tg_tape_free(t);
}

TEST(NanSentinelTest, ReplayStopsAtTheOpThatMetTheNewNaN) {
  tg_tape* t = tg_tape_new();
  tg_tape_set_check_finite(t, true);
  // add + relu would be a chain of the plan; the sentinel runs node by node all the same.
  const int64_t sx[2] = {2, 3}, sb[1] = {3};
  tg_tensor* x = tg_tape_leaf(t, 2, sx, nullptr, false);
  tg_tensor* b = tg_tape_leaf(t, 1, sb, nullptr, true);
  tg_tensor* y = tg_relu(t, tg_add(t, x, b));
  tg_tensor* loss = tg_sum(t, y);
  ASSERT_NE(nullptr, loss) << tg_tape_message(t);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
  x->data[4] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(TG_ERR_ARG, tg_tape_forward(t));
  EXPECT_STREQ("add (node 0): produced -inf at element 4 of [2x3]", tg_tape_message(t));
  tg_tape_free(t);
}

TEST(NanSentinelTest, BackwardNamesTheVjpThatOverflowed) {
  tg_tape* t = tg_tape_new();
  tg_tape_set_check_finite(t, true);
  const int64_t s[1] = {1};
  const float xv[1] = {1e3f}, wv[1] = {1e-2f};
  tg_tensor* x = tg_tape_leaf(t, 1, s, xv, false);
  tg_tensor* w = tg_tape_leaf(t, 1, s, wv, true);
  // Forward: x*w = 10, *1e37 = 1e38, finite. Backward: d/dw = 1e37 * x = 1e40 = inf.
  tg_tensor* loss = tg_sum(t, tg_scale(t, tg_mul(t, x, w), 1e37f));
  ASSERT_NE(nullptr, loss) << tg_tape_message(t);
  EXPECT_EQ(TG_ERR_ARG, tg_tape_backward(t, loss));
  EXPECT_STREQ("mul backward (node 0): produced inf in the gradient of input 2 at element 0 of [1]",
               tg_tape_message(t));
  tg_tape_free(t);
}

TEST(NanSentinelTest, OffByDefault) {
  tg_tape* t = tg_tape_new();
  const int64_t s[1] = {2};
  const float v[2] = {kNaN, 1.0f};
  tg_tensor* y = tg_relu(t, tg_tape_leaf(t, 1, s, v, false));
  ASSERT_NE(nullptr, y);
  EXPECT_TRUE(std::isnan(y->data[0]));
  EXPECT_EQ(TG_OK, tg_tape_forward(t));
  tg_tape_set_check_finite(t, true);
  EXPECT_EQ(TG_ERR_ARG, tg_tape_forward(t));  // the same tape, checked from now on
  EXPECT_STREQ("relu (node 0): produced NaN at element 0 of [2]", tg_tape_message(t));
  tg_tape_set_check_finite(nullptr, true);  // no crash
  tg_tape_free(t);
}

}  // namespace
