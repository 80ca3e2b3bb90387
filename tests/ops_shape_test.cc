// tests/ops_shape_test.cc — values and errors of the shape ops, axis reductions and
// indexing: views share their base's buffers, exact error messages for every op,
// forward values against numbers worked by hand, and replay with new data equal bit
// for bit to a fresh recording, without allocating.
#include <gtest/gtest.h>

#include <cmath>
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

class OpsShapeTest : public ::testing::Test {
 protected:
  void SetUp() override { t_ = tg_tape_new(); }
  void TearDown() override { tg_tape_free(t_); }

  tg_tensor* Leaf(std::vector<int64_t> shape, std::vector<float> v = {}, bool grad = false) {
    return tg_tape_leaf(t_, static_cast<int>(shape.size()), shape.data(),
                        v.empty() ? nullptr : v.data(), grad);
  }
  // 0, 1, 2, ... in row-major order.
  tg_tensor* Iota(std::vector<int64_t> shape) {
    tg_tensor* x = Leaf(shape);
    for (int64_t i = 0; x != nullptr && i < x->size; ++i) x->data[i] = static_cast<float>(i);
    return x;
  }
  tg_tensor* Index(std::vector<int64_t> shape, std::vector<int32_t> v) {
    return tg_tape_index_leaf(t_, static_cast<int>(shape.size()), shape.data(), v.data());
  }
  // The op failed with exactly `message` and the given code.
  void ExpectError(const tg_tensor* y, tg_status code, const std::string& message) {
    EXPECT_EQ(nullptr, y);
    EXPECT_EQ(code, tg_tape_status(t_)) << tg_tape_message(t_);
    EXPECT_EQ(message, tg_tape_message(t_));
    tg_tape_clear(t_);
  }
  static std::vector<int64_t> Shape(const tg_tensor* y) {
    return std::vector<int64_t>(y->shape, y->shape + y->rank);
  }
  static std::vector<float> Values(const tg_tensor* y) {
    return std::vector<float>(y->data, y->data + y->size);
  }

  tg_tape* t_ = nullptr;
};

using V = std::vector<float>;
using Sh = std::vector<int64_t>;

// ---- views

TEST_F(OpsShapeTest, ViewOfAParameterLeafAccumulatesIntoItsGradAcrossBackwards) {
  tg_error err = {};
  const int64_t ws[2] = {2, 3};
  tg_tensor* w = tg_tensor_new(2, ws, true, &err);
  ASSERT_NE(nullptr, w);
  for (int i = 0; i < 6; ++i) w->data[i] = 0.5f * static_cast<float>(i);
  const int64_t vs[2] = {3, 2};
  tg_tensor* v = tg_reshape(t_, w, 2, vs);
  ASSERT_NE(nullptr, v) << tg_tape_message(t_);
  EXPECT_EQ(w->data, v->data);
  EXPECT_EQ(w->grad, v->grad);
  // loss = Σ c ∘ v, so d loss / d w (in w's element order) = c.
  tg_tensor* c = Leaf({3, 2}, {1, -2, 3, -4, 5, -6});
  tg_tensor* loss = tg_sum(t_, tg_mul(t_, v, c));
  ASSERT_EQ(TG_OK, tg_tape_backward(t_, loss)) << tg_tape_message(t_);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(c->data[i], w->grad[i]) << i;
  // Backward again without zeroing: the leaf's grad is not reset, it doubles.
  ASSERT_EQ(TG_OK, tg_tape_backward(t_, loss));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(2.0f * c->data[i], w->grad[i]) << i;
  tg_tensor_free(w);
}

TEST_F(OpsShapeTest, ViewsShareDataAndHaveTheirShapes) {
  tg_tensor* x = Iota({2, 3, 4});
  tg_tensor* f = tg_flatten(t_, x);
  tg_tensor* e = tg_expand_dims(t_, x, 1);
  tg_tensor* s = tg_squeeze(t_, e, -3);
  const int64_t r[2] = {-1, 6};
  tg_tensor* re = tg_reshape(t_, x, 2, r);
  tg_tensor* v = tg_flatten(t_, Iota({5}));
  ASSERT_NE(nullptr, v) << tg_tape_message(t_);
  EXPECT_EQ(Sh({2, 12}), Shape(f));
  EXPECT_EQ(Sh({2, 1, 3, 4}), Shape(e));
  EXPECT_EQ(Sh({2, 3, 4}), Shape(s));
  EXPECT_EQ(Sh({4, 6}), Shape(re));
  EXPECT_EQ(Sh({5, 1}), Shape(v));  // Keras: (batch,) -> (batch, 1)
  for (tg_tensor* y : {f, e, s, re}) EXPECT_EQ(x->data, y->data);
  EXPECT_EQ(Sh({1, 1}), Shape(tg_reshape(t_, Leaf({}), 2, std::vector<int64_t>{1, -1}.data())));
  EXPECT_EQ(Sh({}), Shape(tg_reshape(t_, Leaf({1, 1}), 0, nullptr)));
}

TEST_F(OpsShapeTest, ChainOfViewsSharesTheIntermediatesGradient) {
  tg_tensor* x = Leaf({2, 6}, {}, true);
  tg_tensor* h = tg_tanh(t_, x);
  const int64_t s[3] = {2, 2, 3};
  tg_tensor* v = tg_flatten(t_, tg_expand_dims(t_, tg_reshape(t_, h, 3, s), 0));
  ASSERT_NE(nullptr, v) << tg_tape_message(t_);
  EXPECT_EQ(h->data, v->data);
  EXPECT_EQ(h->grad, v->grad);
}

TEST_F(OpsShapeTest, ViewOfAnAddWhoseOperandSharesItsGradient) {
  tg_tensor* x = Leaf({4, 3});
  tg_tensor* w = Leaf({3, 6}, {}, true);
  tg_tensor* b = Leaf({6}, {}, true);
  tg_tensor* m = tg_matmul(t_, x, w);
  tg_tensor* y = tg_add(t_, m, b);
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  const int64_t s[1] = {24};
  tg_tensor* v = tg_reshape(t_, y, 1, s);
  tg_tensor* loss = tg_sum(t_, v);
  ASSERT_NE(nullptr, loss) << tg_tape_message(t_);
  ASSERT_EQ(TG_OK, tg_tape_backward(t_, loss)) << tg_tape_message(t_);
  EXPECT_EQ(m->grad, y->grad);  // the plan gives m the add's gradient buffer (core/op.h)
  EXPECT_EQ(y->grad, v->grad);  // a view's gradient is its base's
  for (int i = 0; i < 24; ++i) EXPECT_EQ(1.0f, m->grad[i]);
  for (int j = 0; j < 6; ++j) EXPECT_EQ(4.0f, b->grad[j]);  // four rows
}

// ---- copies: values

TEST_F(OpsShapeTest, TransposeAndPermuteValues) {
  // x = [[0 1 2] [3 4 5]] -> xᵀ = [[0 3] [1 4] [2 5]].
  tg_tensor* y = tg_transpose(t_, Iota({2, 3}));
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  EXPECT_EQ(Sh({3, 2}), Shape(y));
  EXPECT_EQ(V({0, 3, 1, 4, 2, 5}), Values(y));
  // x[i][j][k] = 6i + 3j + k... with shape [2x2x3]: x[i][j][k] = 6i + 3j + k.
  // perm (2, 0, 1): y[k][i][j] = x[i][j][k], shape [3x2x2];
  // y[0] = [[0 3] [6 9]], y[1] = [[1 4] [7 10]], y[2] = [[2 5] [8 11]].
  const int perm[3] = {2, 0, -2};
  tg_tensor* p = tg_permute(t_, Iota({2, 2, 3}), perm);
  ASSERT_NE(nullptr, p) << tg_tape_message(t_);
  EXPECT_EQ(Sh({3, 2, 2}), Shape(p));
  EXPECT_EQ(V({0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}), Values(p));
}

TEST_F(OpsShapeTest, ConcatValuesAlongEachAxis) {
  tg_tensor* a = Iota({2, 2});            // [[0 1] [2 3]]
  tg_tensor* b = Leaf({2, 1}, {10, 11});  // [[10] [11]]
  tg_tensor* in[3] = {a, b, a};
  tg_tensor* y = tg_concat(t_, in, 3, -1);
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  EXPECT_EQ(Sh({2, 5}), Shape(y));
  EXPECT_EQ(V({0, 1, 10, 0, 1, 2, 3, 11, 2, 3}), Values(y));
  tg_tensor* r[2] = {a, Leaf({1, 2}, {7, 8})};
  tg_tensor* z = tg_concat(t_, r, 2, 0);
  ASSERT_NE(nullptr, z);
  EXPECT_EQ(V({0, 1, 2, 3, 7, 8}), Values(z));
}

TEST_F(OpsShapeTest, SliceValuesWithStepsAndNegativeBounds) {
  // x = arange(20).reshape(4, 5); numpy: x[1:4:2, -2:] = [[8 9] [18 19]].
  tg_tensor* x = Iota({4, 5});
  const int64_t lo[2] = {1, -2}, hi[2] = {4, TG_SLICE_END}, st[2] = {2, 1};
  tg_tensor* y = tg_slice(t_, x, lo, hi, st);
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  EXPECT_EQ(Sh({2, 2}), Shape(y));
  EXPECT_EQ(V({8, 9, 18, 19}), Values(y));
  // x[:, ::3] = columns 0 and 3; x[-100:2] = rows 0, 1; x[3:1] is empty.
  tg_tensor* c = tg_slice_axis(t_, x, 1, 0, TG_SLICE_END, 3);
  EXPECT_EQ(V({0, 3, 5, 8, 10, 13, 15, 18}), Values(c));
  tg_tensor* r = tg_slice_axis(t_, x, -2, -100, 2, 1);
  EXPECT_EQ(Sh({2, 5}), Shape(r));
  tg_tensor* e = tg_slice_axis(t_, x, 0, 3, 1, 1);
  ASSERT_NE(nullptr, e) << tg_tape_message(t_);
  EXPECT_EQ(Sh({0, 5}), Shape(e));
  EXPECT_EQ(Sh({4, 5}), Shape(tg_slice(t_, x, nullptr, nullptr, nullptr)));
}

TEST_F(OpsShapeTest, BroadcastToAndPadValues) {
  // [[1] [2]] to [2x2x3]: every row of 3 repeats its column value.
  tg_tensor* y = tg_broadcast_to(t_, Leaf({2, 1}, {1, 2}), 3, Sh({2, 2, 3}).data());
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  EXPECT_EQ(V({1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}), Values(y));
  // [[1 2]] padded by (1, 0) rows and (0, 2) columns with 9:
  // [[9 9 9 9] [1 2 9 9]].
  const int64_t before[2] = {1, 0}, after[2] = {0, 2};
  tg_tensor* p = tg_pad(t_, Leaf({1, 2}, {1, 2}), before, after, 9.0f);
  ASSERT_NE(nullptr, p) << tg_tape_message(t_);
  EXPECT_EQ(Sh({2, 4}), Shape(p));
  EXPECT_EQ(V({9, 9, 9, 9, 1, 2, 9, 9}), Values(p));
}

// ---- errors: views

TEST_F(OpsShapeTest, ReshapeErrors) {
  tg_tensor* x = Leaf({6, 4});
  ExpectError(tg_reshape(t_, x, 2, Sh({5, -1}).data()), TG_ERR_SHAPE,
              "reshape: [6x4] cannot become [5x-1]: 24 elements");
  x = Leaf({6, 4});
  ExpectError(tg_reshape(t_, x, 2, Sh({5, 5}).data()), TG_ERR_SHAPE,
              "reshape: [6x4] cannot become [5x5]: 24 elements");
  x = Leaf({6, 4});
  ExpectError(tg_reshape(t_, x, 2, Sh({-1, -1}).data()), TG_ERR_SHAPE,
              "reshape: [6x4] cannot become [-1x-1]: only one dimension may be -1");
  x = Leaf({6, 4});
  ExpectError(tg_reshape(t_, x, 2, Sh({-2, -12}).data()), TG_ERR_SHAPE,
              "reshape: [6x4] cannot become [-2x-12]: dimension -2 is negative");
  x = Leaf({6, 4});
  ExpectError(tg_reshape(t_, x, 5, Sh({1, 1, 1, 6, 4}).data()), TG_ERR_RANK,
              "reshape: [6x4]: rank 5 is outside 0..4");
  x = Leaf({6, 4});
  ExpectError(tg_reshape(t_, x, 2, nullptr), TG_ERR_NULL_ARG,
              "reshape: [6x4]: shape is NULL for rank 2");
  x = Leaf({0, 4});
  ExpectError(tg_reshape(t_, x, 2, Sh({0, -1}).data()), TG_ERR_SHAPE,
              "reshape: [0x4] cannot become [0x-1]: 0 elements");
  ExpectError(tg_reshape(t_, nullptr, 1, Sh({1}).data()), TG_ERR_NULL_ARG,
              "reshape: input 1 is NULL");
  tg_tensor* idx = Index({2}, {0, 1});
  ExpectError(tg_reshape(t_, idx, 2, Sh({1, 2}).data()), TG_ERR_ARG,
              "reshape: input 1 [2] is int32, expected float32");
}

TEST_F(OpsShapeTest, FlattenSqueezeExpandDimsErrors) {
  ExpectError(tg_flatten(t_, Leaf({})), TG_ERR_RANK,
              "flatten: input []: a scalar has no batch axis to keep");
  ExpectError(tg_squeeze(t_, Leaf({2, 1}), 2), TG_ERR_ARG,
              "squeeze: axis 2 out of range for rank 2");
  ExpectError(tg_squeeze(t_, Leaf({2, 1}), -3), TG_ERR_ARG,
              "squeeze: axis -3 out of range for rank 2");
  ExpectError(tg_squeeze(t_, Leaf({2, 3}), 1), TG_ERR_SHAPE,
              "squeeze: axis 1 of [2x3] has size 3, not 1");
  ExpectError(tg_expand_dims(t_, Leaf({1, 2, 3, 4}), 0), TG_ERR_RANK,
              "expand_dims: [1x2x3x4] is already rank 4 (at most 4)");
  ExpectError(tg_expand_dims(t_, Leaf({3}), 2), TG_ERR_ARG,
              "expand_dims: axis 2 out of range for rank 1 (output rank 2)");
  ExpectError(tg_expand_dims(t_, Leaf({3}), -3), TG_ERR_ARG,
              "expand_dims: axis -3 out of range for rank 1 (output rank 2)");
}

// ---- errors: copies

TEST_F(OpsShapeTest, TransposeAndPermuteErrors) {
  ExpectError(tg_transpose(t_, Leaf({2, 3, 4})), TG_ERR_RANK,
              "transpose: expects a matrix (rank 2), got [2x3x4] (permute takes any order of "
              "axes)");
  const int dup[3] = {0, 0, 1};
  ExpectError(tg_permute(t_, Leaf({2, 3, 4}), dup), TG_ERR_ARG,
              "permute: perm [0 0 1] is not a permutation of the 3 axes of [2x3x4]");
  const int out[2] = {0, 2};
  ExpectError(tg_permute(t_, Leaf({2, 3}), out), TG_ERR_ARG,
              "permute: perm [0 2] is not a permutation of the 2 axes of [2x3]");
  ExpectError(tg_permute(t_, Leaf({2, 3}), nullptr), TG_ERR_NULL_ARG,
              "permute: perm is NULL for [2x3]");
}

TEST_F(OpsShapeTest, ConcatErrors) {
  tg_tensor* in[2] = {Leaf({2, 3}), Leaf({3, 4})};
  ExpectError(tg_concat(t_, in, 2, 1), TG_ERR_SHAPE,
              "concat: input 1 [2x3] and input 2 [3x4] differ outside axis 1");
  tg_tensor* ranks[3] = {Leaf({2, 3}), Leaf({2, 3}), Leaf({2, 3, 1})};
  ExpectError(tg_concat(t_, ranks, 3, 0), TG_ERR_SHAPE,
              "concat: input 1 [2x3] and input 3 [2x3x1] differ outside axis 0");
  tg_tensor* one[1] = {Leaf({2, 3})};
  ExpectError(tg_concat(t_, one, 1, 2), TG_ERR_ARG, "concat: axis 2 out of range for rank 2");
  tg_tensor* scalars[2] = {Leaf({}), Leaf({})};
  ExpectError(tg_concat(t_, scalars, 2, 0), TG_ERR_ARG, "concat: axis 0 out of range for rank 0");
  ExpectError(tg_concat(t_, one, 0, 0), TG_ERR_ARG, "concat: expects 1 to 64 inputs, got 0");
  ExpectError(tg_concat(t_, nullptr, 2, 0), TG_ERR_NULL_ARG,
              "concat: the input array is NULL (n_in is 2)");
  tg_tensor* holes[2] = {Leaf({2}), nullptr};
  ExpectError(tg_concat(t_, holes, 2, 0), TG_ERR_NULL_ARG, "concat: input 2 is NULL");
}

TEST_F(OpsShapeTest, SliceErrors) {
  ExpectError(tg_slice_axis(t_, Leaf({4, 5}), 2, 0, 1, 1), TG_ERR_ARG,
              "slice: axis 2 out of range for rank 2");
  ExpectError(tg_slice_axis(t_, Leaf({4, 5}), -3, 0, 1, 1), TG_ERR_ARG,
              "slice: axis -3 out of range for rank 2");
  ExpectError(tg_slice_axis(t_, Leaf({4, 5}), 1, 0, 5, 0), TG_ERR_ARG,
              "slice: step 0 on axis 1 of [4x5] must be positive");
  const int64_t st[2] = {1, -1};
  ExpectError(tg_slice(t_, Leaf({4, 5}), nullptr, nullptr, st), TG_ERR_ARG,
              "slice: step -1 on axis 1 of [4x5] must be positive");
}

TEST_F(OpsShapeTest, BroadcastToAndPadErrors) {
  ExpectError(tg_broadcast_to(t_, Leaf({2, 3}), 2, Sh({4, 3}).data()), TG_ERR_SHAPE,
              "broadcast_to: [2x3] cannot broadcast to [4x3]: axis 0 has 2, not 1 or 4");
  ExpectError(tg_broadcast_to(t_, Leaf({2, 3}), 1, Sh({3}).data()), TG_ERR_SHAPE,
              "broadcast_to: [2x3] cannot broadcast to [3]: it has more dimensions");
  ExpectError(tg_broadcast_to(t_, Leaf({1}), 2, Sh({-1, 1}).data()), TG_ERR_SHAPE,
              "broadcast_to: [1] cannot broadcast to [-1x1]: dimension -1 is negative");
  ExpectError(tg_broadcast_to(t_, Leaf({1}), 5, Sh({1, 1, 1, 1, 1}).data()), TG_ERR_RANK,
              "broadcast_to: [1]: rank 5 is outside 0..4");
  ExpectError(tg_broadcast_to(t_, Leaf({1}), 1, nullptr), TG_ERR_NULL_ARG,
              "broadcast_to: [1]: shape is NULL for rank 1");
  const int64_t neg[2] = {0, -1}, zero[2] = {0, 0};
  ExpectError(tg_pad(t_, Leaf({2, 3}), neg, zero, 0.0f), TG_ERR_ARG,
              "pad: before[1] = -1 is negative (input [2x3])");
  ExpectError(tg_pad(t_, Leaf({2, 3}), zero, neg, 0.0f), TG_ERR_ARG,
              "pad: after[1] = -1 is negative (input [2x3])");
}

// ---- reductions

TEST_F(OpsShapeTest, ReductionShapesWithAndWithoutKeepdims) {
  tg_tensor* x = Iota({2, 3, 4});
  const int a02[2] = {0, -1};
  EXPECT_EQ(Sh({3}), Shape(tg_sum_axes(t_, x, a02, 2, false)));
  EXPECT_EQ(Sh({1, 3, 1}), Shape(tg_sum_axes(t_, x, a02, 2, true)));
  EXPECT_EQ(Sh({}), Shape(tg_mean_axes(t_, x, nullptr, 0, false)));
  EXPECT_EQ(Sh({1, 1, 1}), Shape(tg_max_axes(t_, x, nullptr, 0, true)));
  EXPECT_EQ(Sh({2, 4}), Shape(tg_argmax(t_, x, 1, false)));
  EXPECT_EQ(Sh({2, 1, 4}), Shape(tg_argmax(t_, x, -2, true)));
  // The full reduction equals tg_sum bit for bit (both sum in double).
  EXPECT_EQ(tg_sum(t_, x)->data[0], tg_sum_axes(t_, x, nullptr, 0, false)->data[0]);
  EXPECT_EQ(tg_mean(t_, x)->data[0], tg_mean_axes(t_, x, nullptr, 0, false)->data[0]);
}

TEST_F(OpsShapeTest, ReductionValuesWorkedByHand) {
  // x = [[1 2 3 4] [8 6 -1 5]].
  tg_tensor* x = Leaf({2, 4}, {1, 2, 3, 4, 8, 6, -1, 5});
  const int last[1] = {1}, first[1] = {0};
  EXPECT_EQ(V({10, 18}), Values(tg_sum_axes(t_, x, last, 1, false)));
  EXPECT_EQ(V({2.5f, 4.5f}), Values(tg_mean_axes(t_, x, last, 1, false)));
  EXPECT_EQ(V({4, 8}), Values(tg_max_axes(t_, x, last, 1, false)));
  EXPECT_EQ(V({1, 2, -1, 4}), Values(tg_min_axes(t_, x, first, 1, false)));
  // Population variance of row 0: mean 2.5, squares 2.25 .25 .25 2.25 -> 5/4;
  // row 1: mean 4.5, squares 12.25 2.25 30.25 .25 -> 45/4 = 11.25.
  EXPECT_EQ(V({1.25f, 11.25f}), Values(tg_var_axes(t_, x, last, 1, false)));
}

TEST_F(OpsShapeTest, LogsumexpValuesAreStable) {
  // Rows, each along axis 1:
  //   [0, ln 3]        -> ln(1 + 3) = ln 4 = 1.3862944
  //   [1000, 1000]     -> 1000 + ln 2 = 1000.6931 (exp(1000) overflows unshifted)
  //   [-1000, 0]       -> ln(e^-1000 + 1) = 0 (to far below float precision)
  // Columns along axis 0: [0, 1000, -1000] and [ln 3, 1000, 0] -> 1000 each
  // (the other terms are below e^-990 relative to e^1000).
  tg_tensor* x = Leaf({3, 2}, {0.0f, std::log(3.0f), 1000, 1000, -1000, 0});
  const int rows[1] = {1}, cols[1] = {-2};
  tg_tensor* r = tg_logsumexp(t_, x, rows, 1, false);
  tg_tensor* c = tg_logsumexp(t_, x, cols, 1, true);
  ASSERT_NE(nullptr, c) << tg_tape_message(t_);
  EXPECT_NEAR(1.3862944f, r->data[0], 1e-6f);
  EXPECT_FLOAT_EQ(1000.6931f, r->data[1]);
  EXPECT_EQ(0.0f, r->data[2]);
  EXPECT_EQ(Sh({1, 2}), Shape(c));
  EXPECT_EQ(V({1000, 1000}), Values(c));
  // Every term -inf gives -inf; a +inf term gives +inf.
  const float inf = std::numeric_limits<float>::infinity();
  tg_tensor* z = tg_logsumexp(t_, Leaf({2, 2}, {-inf, -inf, 1, inf}), rows, 1, false);
  ASSERT_NE(nullptr, z);
  EXPECT_EQ(-inf, z->data[0]);
  EXPECT_EQ(inf, z->data[1]);
}

TEST_F(OpsShapeTest, MaxTiesGoToTheFirstAndNanPropagates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  tg_tensor* x = Leaf({2, 3}, {2, 5, 5, 1, nan, 3}, true);
  const int last[1] = {-1};
  tg_tensor* m = tg_max_axes(t_, x, last, 1, false);
  ASSERT_NE(nullptr, m) << tg_tape_message(t_);
  EXPECT_EQ(5.0f, m->data[0]);
  EXPECT_TRUE(std::isnan(m->data[1]));
  EXPECT_TRUE(std::isnan(tg_min_axes(t_, x, last, 1, false)->data[1]));
  tg_tensor* a = tg_argmax(t_, x, 1, false);
  EXPECT_EQ(1, a->idata[0]);
  EXPECT_EQ(1, a->idata[1]);  // the NaN, as numpy
  ASSERT_EQ(TG_OK, tg_tape_backward(t_, tg_sum(t_, tg_mul(t_, m, Leaf({2}, {1, 1})))));
  // The whole gradient of row 0 goes to its first 5; of row 1 to the NaN.
  EXPECT_EQ(V({0, 1, 0, 0, 1, 0}), std::vector<float>(x->grad, x->grad + 6));
}

TEST_F(OpsShapeTest, ReductionErrors) {
  const int out[1] = {2}, dup[2] = {1, -1}, neg[1] = {-3}, five[5] = {0, 1, 2, 3, 0};
  ExpectError(tg_sum_axes(t_, Leaf({3, 4}), out, 1, false), TG_ERR_ARG,
              "sum_axes: axis 2 out of range for rank 2 input [3x4]");
  ExpectError(tg_mean_axes(t_, Leaf({3, 4}), neg, 1, false), TG_ERR_ARG,
              "mean_axes: axis -3 out of range for rank 2 input [3x4]");
  ExpectError(tg_max_axes(t_, Leaf({3, 4}), dup, 2, false), TG_ERR_ARG,
              "max_axes: axis 1 given twice for [3x4]");
  ExpectError(tg_min_axes(t_, Leaf({3, 4}), five, 5, false), TG_ERR_ARG,
              "min_axes: 5 axes given for [3x4] (rank 2; 0 means every axis)");
  ExpectError(tg_var_axes(t_, Leaf({3, 4}), nullptr, 1, false), TG_ERR_NULL_ARG,
              "var_axes: axes is NULL but n_axes is 1 for [3x4]");
  ExpectError(tg_logsumexp(t_, Leaf({3, 4}), five, -1, false), TG_ERR_ARG,
              "logsumexp: -1 axes given for [3x4] (rank 2; 0 means every axis)");
  ExpectError(tg_argmax(t_, Leaf({4}), 1, false), TG_ERR_ARG,
              "argmax: axis 1 out of range for rank 1 input [4]");
  const int a0[1] = {0};
  ExpectError(tg_mean_axes(t_, Leaf({0, 3}), a0, 1, false), TG_ERR_SHAPE,
              "mean_axes: [0x3]: cannot average zero elements");
  ExpectError(tg_max_axes(t_, Leaf({0, 3}), a0, 1, false), TG_ERR_SHAPE,
              "max_axes: [0x3]: cannot take the max of zero elements");
  ExpectError(tg_min_axes(t_, Leaf({0, 3}), a0, 1, false), TG_ERR_SHAPE,
              "min_axes: [0x3]: cannot take the min of zero elements");
  ExpectError(tg_var_axes(t_, Leaf({0, 3}), a0, 1, false), TG_ERR_SHAPE,
              "var_axes: [0x3]: cannot take the variance of zero elements");
  ExpectError(tg_logsumexp(t_, Leaf({0, 3}), a0, 1, false), TG_ERR_SHAPE,
              "logsumexp: [0x3]: cannot take the logsumexp of zero elements");
  ExpectError(tg_argmax(t_, Leaf({0, 3}), 0, false), TG_ERR_SHAPE,
              "argmax: [0x3]: cannot take the argmax of zero elements");
  // A sum of nothing is 0.
  tg_tensor* s = tg_sum_axes(t_, Leaf({0, 3}), a0, 1, false);
  ASSERT_NE(nullptr, s) << tg_tape_message(t_);
  EXPECT_EQ(V({0, 0, 0}), Values(s));
}

// ---- indexing

TEST_F(OpsShapeTest, GatherValuesAndScatterAddedGradient) {
  // table rows r = [10r, 10r + 1]; indices [[3 0] [3 2]] pick rows 3, 0, 3, 2.
  tg_tensor* table = Leaf({4, 2}, {0, 1, 10, 11, 20, 21, 30, 31}, true);
  tg_tensor* y = tg_gather(t_, table, Index({2, 2}, {3, 0, 3, 2}));
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  EXPECT_EQ(Sh({2, 2, 2}), Shape(y));
  EXPECT_EQ(V({30, 31, 0, 1, 30, 31, 20, 21}), Values(y));
  // d Σ y / d table: one per pick -> row 0: 1, row 1: 0, row 2: 1, row 3: 2.
  ASSERT_EQ(TG_OK, tg_tape_backward(t_, tg_sum(t_, y)));
  EXPECT_EQ(V({1, 1, 0, 0, 1, 1, 2, 2}), std::vector<float>(table->grad, table->grad + 8));
}

TEST_F(OpsShapeTest, GatherErrorsAtRecordingAndReplay) {
  tg_tensor* table = Leaf({10, 2});
  ExpectError(tg_gather(t_, table, Index({5}, {0, 9, 1, 12, 40})), TG_ERR_ARG,
              "gather: index 12 out of range for 10 rows (at position 3)");
  table = Leaf({10, 2});
  ExpectError(tg_gather(t_, table, Index({2}, {-1, 0})), TG_ERR_ARG,
              "gather: index -1 out of range for 10 rows (at position 0)");
  ExpectError(tg_gather(t_, Leaf({}), Index({1}, {0})), TG_ERR_RANK,
              "gather: table [] has no rows (rank >= 1 needed)");
  table = Leaf({10, 2, 2});
  ExpectError(tg_gather(t_, table, Index({1, 1, 1}, {0})), TG_ERR_RANK,
              "gather: table [10x2x2] and indices [1x1x1]: the output would have rank 5 (at most "
              "4)");
  table = Leaf({10, 2});
  ExpectError(tg_gather(t_, table, Leaf({2})), TG_ERR_ARG,
              "gather: input 2 [2] is float32, expected int32");
  // Valid when recorded, out of range when replayed: replay stops with the error.
  std::vector<int32_t> ids = {1, 2, 3};
  tg_error err = {};
  tg_tensor idx;
  const int64_t s[1] = {3};
  ASSERT_EQ(TG_OK, tg_tensor_init_index_view(&idx, 1, s, ids.data(), &err));
  ASSERT_NE(nullptr, tg_gather(t_, Leaf({10, 2}), &idx)) << tg_tape_message(t_);
  ASSERT_EQ(TG_OK, tg_tape_forward(t_));
  ids[2] = 10;
  EXPECT_EQ(TG_ERR_ARG, tg_tape_forward(t_));
  EXPECT_STREQ("gather: index 10 out of range for 10 rows (at position 2)", tg_tape_message(t_));
}

TEST_F(OpsShapeTest, OneHotErrors) {
  ExpectError(tg_one_hot(t_, Index({3}, {0, 3, 4}), 4), TG_ERR_ARG,
              "one_hot: index 4 out of range for depth 4 (at position 2)");
  ExpectError(tg_one_hot(t_, Index({2}, {0, 0}), 0), TG_ERR_ARG,
              "one_hot: depth 0 for indices [2] must be at least 1");
  ExpectError(tg_one_hot(t_, Index({1, 1, 1, 1}, {0}), 2), TG_ERR_RANK,
              "one_hot: indices [1x1x1x1]: the output would have rank 5 (at most 4)");
  ExpectError(tg_one_hot(t_, Leaf({2}), 2), TG_ERR_ARG,
              "one_hot: input 1 [2] is float32, expected int32");
}

TEST_F(OpsShapeTest, DescribeSaysTheParametersForTools) {
  auto describe = [this](const tg_tensor* y) {
    EXPECT_NE(nullptr, y) << tg_tape_message(t_);
    if (y == nullptr) return std::string();
    const tg_node* n = tg_tape_node(t_, y->node);
    char buf[128] = "";
    if (n->op->describe != nullptr) n->op->describe(n, buf, sizeof buf);
    return std::string(buf);
  };
  tg_tensor* x = Iota({4, 5, 2});
  const int axes[2] = {-1, 0}, perm[3] = {2, 0, -2};
  EXPECT_EQ("axes=0,2 keepdims", describe(tg_sum_axes(t_, x, axes, 2, true)));
  EXPECT_EQ("axes=0,1,2", describe(tg_logsumexp(t_, x, nullptr, 0, false)));
  EXPECT_EQ("axes=1", describe(tg_argmax(t_, x, -2, false)));
  EXPECT_EQ("perm=2,0,1", describe(tg_permute(t_, x, perm)));
  tg_tensor* in[2] = {x, x};
  EXPECT_EQ("axis=2", describe(tg_concat(t_, in, 2, -1)));
  EXPECT_EQ("0:4:1,1:4:2,0:2:1", describe(tg_slice_axis(t_, x, 1, 1, 5, 2)));
  const int64_t before[3] = {1, 0, 0}, after[3] = {0, 2, 0};
  EXPECT_EQ("1,0 0,2 0,0 value=-1", describe(tg_pad(t_, x, before, after, -1.0f)));
  EXPECT_EQ("axis=-1", describe(tg_expand_dims(t_, x, -1)));
  EXPECT_EQ("depth=3", describe(tg_one_hot(t_, Index({2}, {0, 2}), 3)));
}

// ---- replay

// Every op of this family in one graph (views after add's shared gradient, copies,
// every reduction, gather, argmax into one_hot), from caller-owned leaves.
struct Leaves {
  tg_tensor* x;    // [4x6] input
  tg_tensor* w;    // [6x6] parameter
  tg_tensor* b;    // [6] parameter
  tg_tensor* emb;  // [5x3] parameter
  tg_tensor idx;   // [2x2] int32 view over ids
  std::vector<int32_t> ids = {4, 1, 1, 0};
};

tg_tensor* RecordEveryOp(tg_tape* t, Leaves* l) {
  tg_tensor* h = tg_tanh(t, tg_add(t, tg_matmul(t, l->x, l->w), l->b));  // [4x6]
  const int64_t s3[3] = {4, 2, 3};
  tg_tensor* v = tg_squeeze(t, tg_expand_dims(t, tg_reshape(t, h, 3, s3), 0), 0);
  const int perm[3] = {2, 0, 1};
  tg_tensor* tr = tg_transpose(t, tg_flatten(t, tg_permute(t, v, perm)));  // [8x3]
  tg_tensor* parts[3] = {tr, tg_slice_axis(t, tr, 0, 1, -1, 2), tr};
  tg_tensor* c = tg_concat(t, parts, 3, 0);  // [19x3]
  const int64_t lo[2] = {-10, 0}, hi[2] = {TG_SLICE_END, 3}, st[2] = {3, 2};
  tg_tensor* sl = tg_slice(t, c, lo, hi, st);  // [4x2]
  const int64_t bs[3] = {2, 4, 2};
  const int64_t before[3] = {0, 1, 0}, after[3] = {1, 0, 2};
  tg_tensor* pd = tg_pad(t, tg_broadcast_to(t, sl, 3, bs), before, after, 0.5f);  // [3x5x4]
  const int a0[1] = {0}, a1[1] = {-1}, a02[2] = {0, 2}, a01[2] = {0, 1};
  tg_tensor* g = tg_gather(t, l->emb, &l->idx);                  // [2x2x3]
  tg_tensor* oh = tg_one_hot(t, tg_argmax(t, pd, 1, false), 5);  // [3x4x5]
  tg_tensor* terms[9] = {
      tg_sum_axes(t, pd, a0, 1, true),
      tg_mean_axes(t, pd, a1, 1, false),
      tg_max_axes(t, pd, a02, 2, false),
      tg_min_axes(t, pd, a1, 1, true),
      tg_var_axes(t, pd, a01, 2, true),
      tg_logsumexp(t, pd, a02, 2, false),
      tg_mul(t, g, g),
      oh,
      h,
  };
  tg_tensor* loss = tg_sum(t, terms[0]);
  for (int i = 1; i < 9; ++i) loss = tg_add(t, loss, tg_sum(t, terms[i]));
  return loss;
}

TEST(OpsShapeReplayTest, ReplayWithNewDataMatchesAFreshRecordingAndAllocatesNothing) {
  tg_rng rng;
  tg_rng_seed(&rng, 5);
  tg_error err = {};
  const int64_t sx[2] = {4, 6}, sw[2] = {6, 6}, sb[1] = {6}, se[2] = {5, 3}, si[2] = {2, 2};
  Leaves l;
  l.x = tg_tensor_new(2, sx, false, &err);
  l.w = tg_tensor_new(2, sw, true, &err);
  l.b = tg_tensor_new(1, sb, true, &err);
  l.emb = tg_tensor_new(2, se, true, &err);
  ASSERT_EQ(TG_OK, tg_tensor_init_index_view(&l.idx, 2, si, l.ids.data(), &err));
  auto fill = [&rng](tg_tensor* p) {
    for (int64_t i = 0; i < p->size; ++i) p->data[i] = tg_rng_uniform(&rng) - 0.5f;
  };
  auto zero = [&l]() {
    for (tg_tensor* p : {l.w, l.b, l.emb}) tg_tensor_zero_grad(p);
  };
  for (tg_tensor* p : {l.x, l.w, l.b, l.emb}) fill(p);

  tgtest::CountingAllocator counting;
  tg_tape* t = tg_tape_new_ex(counting.get());
  tg_tensor* loss = RecordEveryOp(t, &l);
  ASSERT_NE(nullptr, loss) << tg_tape_message(t);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  const int allocs = counting.allocs(), frees = counting.frees();

  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE(step);
    for (tg_tensor* p : {l.x, l.w, l.b, l.emb}) fill(p);
    l.ids = {static_cast<int32_t>(step), 4, 2, static_cast<int32_t>(step)};
    zero();
    ASSERT_EQ(TG_OK, tg_tape_forward(t)) << tg_tape_message(t);
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
    EXPECT_EQ(allocs, counting.allocs());
    EXPECT_EQ(frees, counting.frees());
    std::vector<std::vector<float>> grads;
    for (tg_tensor* p : {l.w, l.b, l.emb}) grads.emplace_back(p->grad, p->grad + p->size);

    zero();
    tg_tape* fresh = tg_tape_new();
    tg_tensor* fresh_loss = RecordEveryOp(fresh, &l);
    ASSERT_NE(nullptr, fresh_loss) << tg_tape_message(fresh);
    ASSERT_EQ(TG_OK, tg_tape_backward(fresh, fresh_loss));
    ASSERT_EQ(tg_tape_node_count(t), tg_tape_node_count(fresh));
    for (int i = 0; i < tg_tape_node_count(t); ++i) {
      const tg_tensor* a = tg_tape_node(t, i)->out;
      const tg_tensor* b = tg_tape_node(fresh, i)->out;
      ASSERT_EQ(a->size, b->size);
      const void* da = a->dtype == TG_INT32 ? static_cast<const void*>(a->idata) : a->data;
      const void* db = b->dtype == TG_INT32 ? static_cast<const void*>(b->idata) : b->data;
      EXPECT_EQ(0, std::memcmp(da, db, static_cast<size_t>(a->size) * sizeof(float)))
          << "node " << i << " (" << tg_tape_node(t, i)->op->name << ")";
    }
    int k = 0;
    for (tg_tensor* p : {l.w, l.b, l.emb}) {
      EXPECT_EQ(0, std::memcmp(grads[static_cast<size_t>(k)].data(), p->grad,
                               static_cast<size_t>(p->size) * sizeof(float)))
          << "parameter " << k;
      ++k;
    }
    tg_tape_free(fresh);
  }
  tg_tape_free(t);
  EXPECT_EQ(counting.allocs(), counting.frees());
  for (tg_tensor* p : {l.x, l.w, l.b, l.emb}) tg_tensor_free(p);
}

}  // namespace
