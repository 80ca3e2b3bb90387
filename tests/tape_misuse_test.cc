// Misuse a tape must refuse with a clear message at record time: tensors of another
// tape, tensors recorded before tg_tape_clear, a leaf given as the loss, a NULL
// input array; and public helpers given NULL, zero or out-of-range arguments.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "ops/ops.h"
}

namespace {

tg_tensor* Leaf(tg_tape* t, int64_t n, bool grad = false) {
  const int64_t s[1] = {n};
  return tg_tape_leaf(t, 1, s, nullptr, grad);
}

TEST(TapeMisuseTest, ATensorOfAnotherTapeIsRefusedAtRecordTime) {
  tg_tape* t1 = tg_tape_new();
  tg_tape* t2 = tg_tape_new();
  tg_tensor* a = tg_relu(t1, Leaf(t1, 3, true));  // an intermediate of tape 1
  tg_tensor* b = Leaf(t2, 3, true);
  EXPECT_EQ(nullptr, tg_mul(t2, b, a));
  EXPECT_EQ(TG_ERR_ARG, tg_tape_status(t2));
  EXPECT_STREQ("mul: input 2 belongs to another tape", tg_tape_message(t2));
  EXPECT_EQ(0, tg_tape_node_count(t2));
  // A leaf of tape 1 too (the first input this time).
  tg_tape_clear(t2);
  EXPECT_EQ(nullptr, tg_relu(t2, Leaf(t1, 2)));
  EXPECT_STREQ("relu: input 1 belongs to another tape", tg_tape_message(t2));
  tg_tape_free(t1);
  tg_tape_free(t2);
}

TEST(TapeMisuseTest, ATensorFromBeforeClearIsRefused) {
  tg_tape* t = tg_tape_new();
  tg_tensor* old = tg_relu(t, Leaf(t, 4, true));
  ASSERT_NE(nullptr, old);
  tg_tape_clear(t);
  EXPECT_EQ(nullptr, tg_add(t, Leaf(t, 4), old));
  EXPECT_EQ(TG_ERR_ARG, tg_tape_status(t));
  EXPECT_STREQ("add: input 2 was recorded before the last tg_tape_clear of this tape",
               tg_tape_message(t));
  tg_tape_clear(t);
  tg_tensor* loss = tg_sum(t, Leaf(t, 2, true));
  tg_tape_clear(t);
  EXPECT_EQ(TG_ERR_ARG, tg_tape_backward(t, loss));
  EXPECT_STREQ("tg_tape_backward: loss [] was recorded before the last tg_tape_clear",
               tg_tape_message(t));
  tg_tape_free(t);
}

TEST(TapeMisuseTest, CallerOwnedTensorsAreForAnyTape) {
  tg_error err = {};
  const int64_t s[1] = {3};
  tg_tensor* w = tg_tensor_new(1, s, true, &err);
  ASSERT_NE(nullptr, w) << err.message;
  float data[3] = {1, -2, 3};
  tg_tensor view;
  ASSERT_EQ(TG_OK, tg_tensor_init_view(&view, 1, s, data, nullptr, TG_ROLE_INPUT, &err));
  for (int i = 0; i < 2; ++i) {
    tg_tape* t = tg_tape_new();
    tg_tensor* loss = tg_sum(t, tg_mul(t, w, &view));
    ASSERT_NE(nullptr, loss) << tg_tape_message(t);
    EXPECT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
    tg_tape_clear(t);  // and again after a clear
    EXPECT_NE(nullptr, tg_relu(t, w)) << tg_tape_message(t);
    tg_tape_free(t);
  }
  EXPECT_FLOAT_EQ(2.0f, w->grad[0]);  // two tapes each added d(sum)/dw0 = 1
  tg_tensor_free(w);
}

TEST(TapeMisuseTest, ALeafAsTheLossSaysSo) {
  tg_tape* t = tg_tape_new();
  tg_tensor* leaf = Leaf(t, 1, true);
  EXPECT_EQ(TG_ERR_ARG, tg_tape_backward(t, leaf));
  EXPECT_STREQ(
      "tg_tape_backward: loss [1] is a leaf, not the output of an op recorded on this tape",
      tg_tape_message(t));
  tg_tape_free(t);
}

TEST(TapeMisuseTest, ANullInputArrayIsNamedAsSuch) {
  tg_tape* t = tg_tape_new();
  EXPECT_EQ(nullptr, tg_tape_apply(t, &tg_op_relu, nullptr, 1, nullptr));
  EXPECT_STREQ("relu: the input array is NULL (n_in is 1)", tg_tape_message(t));
  tg_tape_clear(t);
  tg_tensor* x = Leaf(t, 2);
  tg_tensor* four[4] = {x, x, x, x};
  EXPECT_EQ(nullptr, tg_tape_apply(t, &tg_op_add, four, 4, nullptr));
  EXPECT_STREQ("add: expects 2 inputs, got 4", tg_tape_message(t));
  tg_tape_free(t);
}

TEST(PublicHelpersTest, SplitHandlesDegenerateArguments) {
  int64_t b = -1, e = -1;
  tg_threadpool_split(100, 0, 0, &b, &e);  // no workers counts as one
  EXPECT_EQ(0, b);
  EXPECT_EQ(100, e);
  tg_threadpool_split(100, 5, 2, &b, &e);  // a worker beyond the count: empty
  EXPECT_EQ(b, e);
  tg_threadpool_split(100, -1, 2, &b, &e);
  EXPECT_EQ(b, e);
  tg_threadpool_split(-5, 0, 2, &b, &e);
  EXPECT_EQ(0, b);
  EXPECT_EQ(0, e);
  tg_threadpool_split(100, 0, 2, nullptr, nullptr);  // nothing to write: no crash
  // The ordinary case still covers [0, n) in cache lines.
  tg_threadpool_split(100, 0, 2, &b, &e);
  EXPECT_EQ(0, b);
  EXPECT_EQ(64, e);
  tg_threadpool_split(100, 1, 2, &b, &e);
  EXPECT_EQ(64, b);
  EXPECT_EQ(100, e);
}

TEST(PublicHelpersTest, ShapeHelpersHandleNull) {
  tg_tape* t = tg_tape_new();
  tg_tensor* x = Leaf(t, 2);
  EXPECT_FALSE(tg_same_shape(x, nullptr));
  EXPECT_FALSE(tg_same_shape(nullptr, x));
  EXPECT_FALSE(tg_same_shape(nullptr, nullptr));
  EXPECT_TRUE(tg_same_shape(x, x));
  char buf[32];
  EXPECT_STREQ("[invalid rank 9]", tg_shape_format(buf, sizeof buf, 9, nullptr));
  EXPECT_STREQ("[invalid rank 2]", tg_shape_format(buf, sizeof buf, 2, nullptr));
  EXPECT_EQ(nullptr, tg_shape_format(nullptr, 8, 1, x->shape));
  EXPECT_EQ(nullptr, tg_tensor_shape_str(x, nullptr, 8));
  tg_rng_seed(nullptr, 1);
  EXPECT_EQ(0u, tg_rng_next(nullptr));
  tg_tape_free(t);
}

}  // namespace
