// tests/errors_test.cc — every error path returns a code and an exact message that
// names the function or op, the argument and the shapes; nothing aborts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

extern "C" {
#include "core/tape.h"
#include "core/tensor.h"
#include "ops/ops.h"
}

namespace {

class ErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override { t_ = tg_tape_new(); }
  void TearDown() override { tg_tape_free(t_); }
  tg_tensor* Leaf(std::initializer_list<int64_t> shape, bool grad = false) {
    std::vector<int64_t> s(shape);
    return tg_tape_leaf(t_, static_cast<int>(s.size()), s.data(), nullptr, grad);
  }
  void ExpectError(tg_status code, const char* message) {
    EXPECT_EQ(tg_tape_status(t_), code) << tg_status_name(tg_tape_status(t_));
    EXPECT_STREQ(tg_tape_message(t_), message);
  }
  tg_tape* t_ = nullptr;
};

TEST_F(ErrorsTest, MatmulInnerDimensionsDiffer) {
  EXPECT_EQ(tg_matmul(t_, Leaf({10, 1}), Leaf({16, 16})), nullptr);
  ExpectError(TG_ERR_SHAPE, "matmul: [10x1] @ [16x16]: inner dimensions 1 and 16 differ");
}

TEST_F(ErrorsTest, MatmulRank) {
  EXPECT_EQ(tg_matmul(t_, Leaf({3}), Leaf({3, 4})), nullptr);
  ExpectError(
      TG_ERR_RANK,
      "matmul: [3] @ [3x4]: operands must be 2-D, or a 3-D batch times a 2-D or 3-D operand");
}

TEST_F(ErrorsTest, MatmulBatchSizesDiffer) {
  EXPECT_EQ(tg_matmul(t_, Leaf({2, 3, 4}), Leaf({3, 4, 5})), nullptr);
  ExpectError(TG_ERR_SHAPE, "matmul: [2x3x4] @ [3x4x5]: batch sizes 2 and 3 differ");
}

TEST_F(ErrorsTest, AddCannotBroadcast) {
  EXPECT_EQ(tg_add(t_, Leaf({10, 16}), Leaf({2})), nullptr);
  ExpectError(
      TG_ERR_SHAPE,
      "add: [10x16] + [2]: dimensions 16 and 2 cannot be broadcast (axis 1 from the right)");
}

TEST_F(ErrorsTest, SubAndMulCannotBroadcast) {
  EXPECT_EQ(tg_sub(t_, Leaf({3, 2, 5}), Leaf({4, 5})), nullptr);
  ExpectError(
      TG_ERR_SHAPE,
      "sub: [3x2x5] - [4x5]: dimensions 2 and 4 cannot be broadcast (axis 2 from the right)");
  tg_tape_clear(t_);
  EXPECT_EQ(tg_mul(t_, Leaf({3}), Leaf({4})), nullptr);
  ExpectError(TG_ERR_SHAPE,
              "mul: [3] * [4]: dimensions 3 and 4 cannot be broadcast (axis 1 from the right)");
}

TEST_F(ErrorsTest, MseShapesDiffer) {
  EXPECT_EQ(tg_mse(t_, Leaf({10, 2}), Leaf({10, 1})), nullptr);
  ExpectError(TG_ERR_SHAPE, "mse: prediction [10x2] and target [10x1]: shapes differ");
}

TEST_F(ErrorsTest, MeanOfNothing) {
  EXPECT_EQ(tg_mean(t_, Leaf({0, 3})), nullptr);
  ExpectError(TG_ERR_SHAPE, "mean: [0x3]: cannot average zero elements");
  tg_tape_clear(t_);
  EXPECT_EQ(tg_mse(t_, Leaf({0}), Leaf({0})), nullptr);
  ExpectError(TG_ERR_SHAPE, "mse: [0]: cannot average zero elements");
}

TEST_F(ErrorsTest, ScaleByNonFinite) {
  EXPECT_EQ(tg_scale(t_, Leaf({2}), std::numeric_limits<float>::infinity()), nullptr);
  ExpectError(TG_ERR_ARG, "scale: factor inf is not finite");
}

TEST_F(ErrorsTest, NullInputNamesTheOpAndPosition) {
  EXPECT_EQ(tg_add(t_, Leaf({2}), nullptr), nullptr);
  ExpectError(TG_ERR_NULL_ARG, "add: input 2 is NULL");
}

TEST_F(ErrorsTest, NullTapeIsHarmless) {
  EXPECT_EQ(tg_relu(nullptr, nullptr), nullptr);
  EXPECT_EQ(tg_tape_status(nullptr), TG_ERR_NULL_ARG);
  EXPECT_STREQ(tg_tape_message(nullptr), "tape is NULL");
  EXPECT_EQ(tg_tape_forward(nullptr), TG_ERR_NULL_ARG);
  EXPECT_EQ(tg_tape_backward(nullptr, nullptr), TG_ERR_NULL_ARG);
  tg_tape_clear(nullptr);
  tg_tape_free(nullptr);
  tg_tape_set_scope(nullptr, "x");
}

TEST_F(ErrorsTest, ErrorsAreStickyAndTheFirstOneWins) {
  tg_tensor* bad = tg_matmul(t_, Leaf({10, 1}), Leaf({16, 16}));
  tg_tensor* later = tg_relu(t_, bad);
  EXPECT_EQ(later, nullptr);
  EXPECT_EQ(tg_mse(t_, Leaf({1}), Leaf({2})), nullptr);
  EXPECT_EQ(Leaf({2}), nullptr);
  ExpectError(TG_ERR_SHAPE, "matmul: [10x1] @ [16x16]: inner dimensions 1 and 16 differ");
  EXPECT_EQ(tg_tape_forward(t_), TG_ERR_SHAPE);
  EXPECT_EQ(tg_tape_backward(t_, later), TG_ERR_SHAPE);
}

TEST_F(ErrorsTest, BackwardLossNull) {
  EXPECT_EQ(tg_tape_backward(t_, nullptr), TG_ERR_NULL_ARG);
  ExpectError(TG_ERR_NULL_ARG, "tg_tape_backward: loss is NULL");
}

TEST_F(ErrorsTest, BackwardLossNotScalar) {
  tg_tensor* y = tg_relu(t_, Leaf({10, 2}, true));
  EXPECT_EQ(tg_tape_backward(t_, y), TG_ERR_SHAPE);
  ExpectError(TG_ERR_SHAPE, "tg_tape_backward: loss must have exactly one element, got [10x2]");
}

TEST_F(ErrorsTest, BackwardLossFromAnotherTape) {
  tg_tape* other = tg_tape_new();
  int64_t s[1] = {2};
  tg_tensor* foreign = tg_sum(other, tg_tape_leaf(other, 1, s, nullptr, true));
  tg_relu(t_, Leaf({1}));  // one node here too, so the index alone would match
  EXPECT_EQ(tg_tape_backward(t_, foreign), TG_ERR_ARG);
  ExpectError(TG_ERR_ARG, "tg_tape_backward: loss [] belongs to another tape");
  tg_tape_free(other);
}

TEST_F(ErrorsTest, BackwardLossWithoutParameters) {
  tg_tensor* loss = tg_sum(t_, Leaf({3}));
  EXPECT_EQ(tg_tape_backward(t_, loss), TG_ERR_ARG);
  ExpectError(TG_ERR_ARG,
              "tg_tape_backward: loss does not depend on any tensor that requires a gradient");
}

TEST_F(ErrorsTest, LeafRankAndShape) {
  int64_t s[5] = {1, 1, 1, 1, 1};
  EXPECT_EQ(tg_tape_leaf(t_, 5, s, nullptr, false), nullptr);
  ExpectError(TG_ERR_RANK, "tg_tape_leaf: rank 5 is outside 0..4");
  tg_tape_clear(t_);
  int64_t neg[2] = {3, -1};
  EXPECT_EQ(tg_tape_leaf(t_, 2, neg, nullptr, false), nullptr);
  ExpectError(TG_ERR_SHAPE, "tg_tape_leaf: shape [3x-1] has a negative dimension");
  tg_tape_clear(t_);
  EXPECT_EQ(tg_tape_leaf(t_, 2, nullptr, nullptr, false), nullptr);
  ExpectError(TG_ERR_NULL_ARG, "tg_tape_leaf: shape is NULL for rank 2");
}

TEST_F(ErrorsTest, LeafSizeOverflow) {
  int64_t huge[3] = {INT64_C(1) << 30, INT64_C(1) << 30, INT64_C(1) << 30};
  EXPECT_EQ(tg_tape_leaf(t_, 3, huge, nullptr, false), nullptr);
  ExpectError(
      TG_ERR_OVERFLOW,
      "tg_tape_leaf: output shape [1073741824x1073741824x1073741824] has too many elements");
}

TEST_F(ErrorsTest, OutputSizeOverflowFromBroadcast) {
  // Each operand is small enough to be described, their broadcast product is not:
  // use views so nothing real is allocated.
  int64_t sa[2] = {INT64_C(1) << 40, 1}, sb[2] = {1, INT64_C(1) << 40};
  tg_tensor a, b;
  float dummy = 0.0f;
  tg_error err = {};
  ASSERT_EQ(tg_tensor_init_view(&a, 2, sa, &dummy, nullptr, TG_ROLE_INPUT, &err), TG_OK);
  ASSERT_EQ(tg_tensor_init_view(&b, 2, sb, &dummy, nullptr, TG_ROLE_INPUT, &err), TG_OK);
  EXPECT_EQ(tg_add(t_, &a, &b), nullptr);
  ExpectError(TG_ERR_OVERFLOW,
              "add: output shape [1099511627776x1099511627776] has too many elements");
}

TEST(TensorErrorsTest, NewRejectsBadShapes) {
  tg_error err = {};
  int64_t s5[5] = {1, 1, 1, 1, 1};
  EXPECT_EQ(tg_tensor_new(5, s5, false, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_RANK);
  EXPECT_STREQ(err.message, "tg_tensor_new: rank 5 is outside 0..4");

  tg_error err2 = {};
  int64_t neg[2] = {2, -3};
  EXPECT_EQ(tg_tensor_new(2, neg, true, &err2), nullptr);
  EXPECT_EQ(err2.code, TG_ERR_SHAPE);
  EXPECT_STREQ(err2.message, "tg_tensor_new: shape [2x-3] has a negative dimension");

  tg_error err3 = {};
  int64_t huge[2] = {INT64_MAX / 2, 4};
  EXPECT_EQ(tg_tensor_new(2, huge, false, &err3), nullptr);
  EXPECT_EQ(err3.code, TG_ERR_OVERFLOW);
  EXPECT_STREQ(err3.message, "tg_tensor_new: shape [4611686018427387903x4] has too many elements");

  tg_error err4 = {};
  EXPECT_EQ(tg_tensor_new(2, nullptr, false, &err4), nullptr);
  EXPECT_STREQ(err4.message, "tg_tensor_new: shape is NULL for rank 2");

  // A NULL error record is allowed.
  EXPECT_EQ(tg_tensor_new(5, s5, false, nullptr), nullptr);
}

TEST(TensorErrorsTest, NewFailsCleanlyWhenTheAllocatorFails) {
  tg_allocator failing = {[](void*, size_t) -> void* { return nullptr; }, [](void*, void*) {},
                          nullptr};
  tg_error err = {};
  int64_t s[1] = {4};
  EXPECT_EQ(tg_tensor_new_ex(1, s, true, &failing, &err), nullptr);
  EXPECT_EQ(err.code, TG_ERR_NOMEM);
  EXPECT_STREQ(err.message, "tg_tensor_new: out of memory for 4 floats");
}

TEST(TensorErrorsTest, TapeReportsOutOfMemory) {
  // Allow the tape object itself, then fail every later allocation.
  struct Budget {
    int left = 1;
  } budget;
  tg_allocator limited = {[](void* ctx, size_t n) -> void* {
                            auto* b = static_cast<Budget*>(ctx);
                            if (b->left-- <= 0) return nullptr;
                            return std::malloc(n);
                          },
                          [](void*, void* p) { std::free(p); }, &budget};
  tg_tape* t = tg_tape_new_ex(&limited);
  ASSERT_NE(t, nullptr);
  int64_t s[1] = {4};
  EXPECT_EQ(tg_tape_leaf(t, 1, s, nullptr, false), nullptr);
  EXPECT_EQ(tg_tape_status(t), TG_ERR_NOMEM);
  EXPECT_STREQ(tg_tape_message(t), "tg_tape_leaf: out of memory for a [4] tensor");
  tg_tape_free(t);
}

TEST(TensorErrorsTest, SetDataChecksCount) {
  tg_error err = {};
  int64_t s[2] = {2, 3};
  tg_tensor* t = tg_tensor_new(2, s, false, &err);
  float v[5] = {0};
  EXPECT_EQ(tg_tensor_set_data(t, v, 5, &err), TG_ERR_SHAPE);
  EXPECT_STREQ(err.message, "tg_tensor_set_data: 5 values for a [2x3] tensor of 6");
  tg_error err2 = {};
  EXPECT_EQ(tg_tensor_set_data(t, nullptr, 6, &err2), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err2.message, "tg_tensor_set_data: values is NULL");
  tg_tensor_free(t);
}

TEST(TensorErrorsTest, ViewRejectsNullData) {
  tg_tensor v;
  tg_error err = {};
  int64_t s[1] = {3};
  EXPECT_EQ(tg_tensor_init_view(&v, 1, s, nullptr, nullptr, TG_ROLE_PARAM, &err), TG_ERR_NULL_ARG);
  EXPECT_STREQ(err.message, "tg_tensor_init_view: data is NULL");
}

TEST(StatusTest, NamesAreStable) {
  EXPECT_STREQ(tg_status_name(TG_OK), "TG_OK");
  EXPECT_STREQ(tg_status_name(TG_ERR_SHAPE), "TG_ERR_SHAPE");
  EXPECT_STREQ(tg_status_name(static_cast<tg_status>(999)), "TG_ERR_UNKNOWN");
}

}  // namespace
