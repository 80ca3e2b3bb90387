// tests/ops_grad_nn.cc — gradient cases of the neural-network ops (ops/nn.h) against
// central differences: conv2d over every stride / padding / dilation / groups case,
// the pools over every padding and stride, and a conv -> tanh -> pool -> flatten ->
// dense chain.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "tests/ops_grad_cases.h"

extern "C" {
#include "core/rng.h"
#include "ops/ops.h"
}

namespace {

using tgtest::CheckGradientsOn;
using tgtest::ExpectGradOk;
using tgtest::GradCheckResult;
using tgtest::L;
using tgtest::Leaves;
using tgtest::S;

tg_conv2d_options Conv(int stride_h, int stride_w, tg_padding padding, int dil_h = 1, int dil_w = 1,
                       int groups = 1) {
  tg_conv2d_options o = {};
  o.stride[0] = stride_h;
  o.stride[1] = stride_w;
  o.padding = padding;
  o.dilation[0] = dil_h;
  o.dilation[1] = dil_w;
  o.groups = groups;
  return o;
}

void ExpectConvGradOk(std::vector<int64_t> x, std::vector<int64_t> k, tg_conv2d_options o) {
  ExpectGradOk({S(std::move(x)), S(std::move(k))},
               [o](tg_tape* t, const L& in) { return tg_conv2d(t, in[0], in[1], &o); });
}

OP_GRAD_TEST(conv2d, Conv2d3x3Stride1Same) {
  ExpectConvGradOk({2, 5, 5, 3}, {3, 3, 3, 4}, Conv(1, 1, TG_PADDING_SAME));
}

OP_GRAD_TEST(conv2d, Conv2d3x3Stride1Valid) {
  ExpectConvGradOk({2, 5, 6, 2}, {3, 3, 2, 3}, Conv(1, 1, TG_PADDING_VALID));
}

OP_GRAD_TEST(conv2d, Conv2dStride2Valid) {
  ExpectConvGradOk({2, 7, 6, 2}, {3, 3, 2, 3}, Conv(2, 2, TG_PADDING_VALID));
}

// An even input with stride 2 pads asymmetrically (the odd row below).
OP_GRAD_TEST(conv2d, Conv2dStride2SameAsymmetric) {
  ExpectConvGradOk({2, 6, 6, 2}, {3, 3, 2, 3}, Conv(2, 2, TG_PADDING_SAME));
  ExpectConvGradOk({1, 5, 4, 2}, {4, 4, 2, 2}, Conv(2, 2, TG_PADDING_SAME));
}

OP_GRAD_TEST(conv2d, Conv2dEvenKernelSame) {
  ExpectConvGradOk({2, 4, 5, 2}, {2, 2, 2, 3}, Conv(1, 1, TG_PADDING_SAME));
}

OP_GRAD_TEST(conv2d, Conv2dDilation2) {
  ExpectConvGradOk({1, 7, 7, 2}, {3, 3, 2, 2}, Conv(1, 1, TG_PADDING_SAME, 2, 2));
  ExpectConvGradOk({2, 7, 6, 2}, {3, 2, 2, 2}, Conv(1, 1, TG_PADDING_VALID, 2, 2));
}

OP_GRAD_TEST(conv2d, Conv2dMixedStrideAndDilation) {
  ExpectConvGradOk({2, 6, 7, 2}, {2, 3, 2, 3}, Conv(2, 1, TG_PADDING_SAME, 1, 2));
  ExpectConvGradOk({1, 8, 7, 1}, {3, 3, 1, 2}, Conv(2, 3, TG_PADDING_VALID, 2, 1));
}

OP_GRAD_TEST(conv2d, Conv2dGroups2) {
  ExpectConvGradOk({2, 4, 4, 4}, {3, 3, 2, 6}, Conv(1, 1, TG_PADDING_SAME, 1, 1, 2));
  ExpectConvGradOk({1, 5, 5, 6}, {2, 2, 2, 3}, Conv(2, 2, TG_PADDING_VALID, 1, 1, 3));
}

// A 1x1 kernel with stride 1 skips im2col (x is the product's operand itself).
OP_GRAD_TEST(conv2d, Conv2dPointwise) {
  ExpectConvGradOk({2, 3, 3, 4}, {1, 1, 4, 5}, Conv(1, 1, TG_PADDING_SAME));
  ExpectConvGradOk({2, 3, 2, 4}, {1, 1, 2, 4}, Conv(1, 1, TG_PADDING_VALID, 1, 1, 2));
  ExpectConvGradOk({1, 5, 5, 2}, {1, 1, 2, 3}, Conv(2, 2, TG_PADDING_SAME));
}

OP_GRAD_TEST(conv2d, Conv2dNullOptionsAndOneSideGrad) {
  ExpectGradOk({S({2, 4, 4, 2}), S({3, 3, 2, 2}, false)},
               [](tg_tape* t, const L& in) { return tg_conv2d(t, in[0], in[1], nullptr); });
  ExpectGradOk({S({2, 4, 4, 2}, false), S({3, 3, 2, 2})},
               [](tg_tape* t, const L& in) { return tg_conv2d(t, in[0], in[1], nullptr); });
}

// The same input and kernel used by two nodes: both VJPs accumulate.
OP_GRAD_TEST(conv2d, Conv2dInputsUsedTwice) {
  ExpectGradOk({S({1, 4, 4, 2}), S({3, 3, 2, 2})}, [](tg_tape* t, const L& in) {
    tg_conv2d_options same = Conv(1, 1, TG_PADDING_SAME);
    tg_conv2d_options strided = Conv(2, 2, TG_PADDING_SAME);
    tg_tensor* a = tg_conv2d(t, in[0], in[1], &same);
    tg_tensor* b = tg_conv2d(t, in[0], in[1], &strided);
    return tg_add(t, tg_sum(t, tg_mul(t, a, a)), tg_sum(t, b));
  });
}

// Enough rows that conv2d builds col in several chunks (about 1 << 15 floats, at
// least 64 rows each: 100 rows of K = 540 make chunks of 64 and 36).
OP_GRAD_TEST(conv2d, Conv2dSeveralChunks) {
  ExpectConvGradOk({1, 10, 10, 60}, {3, 3, 30, 2}, Conv(1, 1, TG_PADDING_SAME, 1, 1, 2));
}

OP_GRAD_TEST(conv2d, Conv2dRandomShapes) {
  tg_rng rng;
  tg_rng_seed(&rng, 17);
  for (int trial = 0; trial < 8; ++trial) {
    auto draw = [&rng](int lo, int hi) {
      return lo + static_cast<int>(tg_rng_below(&rng, static_cast<uint64_t>(hi - lo + 1)));
    };
    const int groups = draw(1, 2), kh = draw(1, 3), kw = draw(1, 3);
    const int cg = draw(1, 2), fg = draw(1, 2);
    tg_conv2d_options o =
        Conv(draw(1, 2), draw(1, 2), trial % 2 ? TG_PADDING_SAME : TG_PADDING_VALID, draw(1, 2),
             draw(1, 2), groups);
    const int64_t h = (kh - 1) * o.dilation[0] + draw(1, 4);
    const int64_t w = (kw - 1) * o.dilation[1] + draw(1, 4);
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    ExpectConvGradOk({draw(1, 2), h, w, cg * groups}, {kh, kw, cg, fg * groups}, o);
  }
}

// Leaves whose values are a shuffle of well-separated numbers (0.05 apart, more
// than twice the checker's step), so no perturbation changes which element of a
// pooling window is the largest.
void FillDistinct(tg_tensor* x, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(x->size));
  std::iota(order.begin(), order.end(), 0);
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[tg_rng_below(&rng, i)]);
  for (int64_t i = 0; i < x->size; ++i)
    x->data[i] = 0.05f * static_cast<float>(order[static_cast<size_t>(i)] - x->size / 2);
}

tg_pool2d_options Pool(int ph, int pw, int sh, int sw, tg_padding padding) {
  tg_pool2d_options o = {};
  o.pool_size[0] = ph;
  o.pool_size[1] = pw;
  o.stride[0] = sh;
  o.stride[1] = sw;
  o.padding = padding;
  return o;
}

using PoolFn = tg_tensor* (*)(tg_tape*, tg_tensor*, const tg_pool2d_options*);

void ExpectPoolGradOk(PoolFn pool, std::vector<int64_t> shape, const tg_pool2d_options* o) {
  tg_rng rng;
  tg_rng_seed(&rng, 5);
  Leaves leaves;
  tg_tensor* x = leaves.Add(S(std::move(shape)), &rng);
  ASSERT_NE(nullptr, x);
  FillDistinct(x, 11);
  const tg_pool2d_options opt = o ? *o : tg_pool2d_options{};
  const bool null_opt = o == nullptr;
  GradCheckResult r = CheckGradientsOn(leaves.all(), [=](tg_tape* t, const L& in) {
    return pool(t, in[0], null_opt ? nullptr : &opt);
  });
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_GT(r.checked, 0);
}

struct PoolCase {
  int ph, pw, sh, sw;
  tg_padding padding;
  std::vector<int64_t> shape;
};

const PoolCase kPoolCases[] = {
    {2, 2, 0, 0, TG_PADDING_VALID, {2, 4, 4, 3}},  // Keras' default stride = pool size
    {2, 2, 0, 0, TG_PADDING_VALID, {1, 5, 5, 2}},  // odd size: the last row is dropped
    {2, 2, 0, 0, TG_PADDING_SAME, {1, 5, 5, 2}},   // odd size: a half window at the end
    {3, 3, 2, 2, TG_PADDING_SAME, {2, 6, 6, 2}},   // asymmetric padding
    {3, 3, 2, 2, TG_PADDING_VALID, {1, 7, 6, 2}},  // overlapping windows
    {2, 2, 1, 1, TG_PADDING_VALID, {1, 4, 5, 2}},  // stride 1: every element in 4 windows
    {3, 3, 1, 1, TG_PADDING_SAME, {1, 4, 4, 2}},   // padding on both sides
    {2, 3, 1, 2, TG_PADDING_SAME, {2, 5, 6, 1}},   // rectangular window and stride
    {1, 1, 2, 2, TG_PADDING_VALID, {1, 5, 5, 2}},  // subsampling only
};

OP_GRAD_TEST(max_pool2d, MaxPool2dEveryPaddingAndStride) {
  for (const PoolCase& c : kPoolCases) {
    SCOPED_TRACE(testing::Message() << c.ph << "x" << c.pw << " s" << c.sh << "x" << c.sw
                                    << (c.padding == TG_PADDING_SAME ? " same" : " valid"));
    tg_pool2d_options o = Pool(c.ph, c.pw, c.sh, c.sw, c.padding);
    ExpectPoolGradOk(tg_max_pool2d, c.shape, &o);
  }
  ExpectPoolGradOk(tg_max_pool2d, {2, 4, 6, 2}, nullptr);
}

OP_GRAD_TEST(avg_pool2d, AvgPool2dEveryPaddingAndStride) {
  for (const PoolCase& c : kPoolCases) {
    SCOPED_TRACE(testing::Message() << c.ph << "x" << c.pw << " s" << c.sh << "x" << c.sw
                                    << (c.padding == TG_PADDING_SAME ? " same" : " valid"));
    tg_pool2d_options o = Pool(c.ph, c.pw, c.sh, c.sw, c.padding);
    ExpectPoolGradOk(tg_avg_pool2d, c.shape, &o);
  }
  ExpectPoolGradOk(tg_avg_pool2d, {2, 4, 6, 2}, nullptr);
}

OP_GRAD_TEST(global_avg_pool2d, GlobalAvgPool2d) {
  ExpectGradOk({S({2, 3, 4, 5})},
               [](tg_tape* t, const L& in) { return tg_global_avg_pool2d(t, in[0]); });
  ExpectGradOk({S({3, 1, 1, 2})},
               [](tg_tape* t, const L& in) { return tg_global_avg_pool2d(t, in[0]); });
}

// Flatten [N, ...] -> [N, rest] as a view (the output shares x's buffers), defined
// here so the chain needs nothing from the shape ops.
tg_status FlattenShape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char*, size_t) {
  *rank = 2;
  shape[0] = n->in[0]->shape[0];
  shape[1] = shape[0] > 0 ? n->in[0]->size / shape[0] : 0;
  return TG_OK;
}

const tg_op_def& FlattenView() {
  static const tg_op_def def = [] {
    tg_op_def d{};
    d.name = "test_flatten";
    d.arity = 1;
    d.shape = FlattenShape;
    d.flags = TG_OP_VIEW;
    return d;
  }();
  return def;
}

tg_tensor* Flatten(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &FlattenView(), &x, 1, nullptr);
}

// conv -> bias -> tanh -> max pool -> flatten -> dense, every parameter checked.
TEST(OpsGradTest, ConvPoolFlattenDenseChain) {
  ExpectGradOk({S({2, 6, 6, 2}), S({3, 3, 2, 3}), S({3}), S({27, 4}), S({4})},
               [](tg_tape* t, const L& in) {
                 tg_conv2d_options o = Conv(1, 1, TG_PADDING_SAME);
                 tg_tensor* h = tg_tanh(t, tg_add(t, tg_conv2d(t, in[0], in[1], &o), in[2]));
                 tg_pool2d_options p = Pool(2, 2, 0, 0, TG_PADDING_VALID);
                 tg_tensor* pooled = tg_max_pool2d(t, h, &p);
                 return tg_add(t, tg_matmul(t, Flatten(t, pooled), in[3]), in[4]);
               });
}

// The same with strides, groups and an average pool.
TEST(OpsGradTest, StridedGroupedConvAvgPoolChain) {
  ExpectGradOk({S({3, 7, 7, 4}), S({3, 3, 2, 4}), S({4, 3})}, [](tg_tape* t, const L& in) {
    tg_conv2d_options o = Conv(2, 2, TG_PADDING_SAME, 1, 1, 2);
    tg_tensor* h = tg_tanh(t, tg_conv2d(t, in[0], in[1], &o));  // [3,4,4,4]
    tg_pool2d_options p = Pool(3, 3, 2, 2, TG_PADDING_SAME);
    tg_tensor* pooled = tg_avg_pool2d(t, h, &p);  // [3,2,2,4]
    return tg_matmul(t, tg_global_avg_pool2d(t, pooled), in[2]);
  });
}

}  // namespace

namespace {

// ---- dropout, batch_norm, layer_norm

// The checker replays the tape twice per element, and every dropout forward draws a
// new mask. This test-only op sits before dropout and, on every forward, copies x
// and re-seeds the rng dropout draws from, so each replay draws the recording's
// mask again: the function is then fixed and central differences apply. (Without
// it the dropout case fails: each perturbation would see another mask.)
struct ReseedParams {
  tg_rng* rng;
  uint64_t seed;
};

tg_status ReseedShape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char*, size_t) {
  *rank = n->in[0]->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = n->in[0]->shape[d];
  return TG_OK;
}

void ReseedForward(tg_node* n) {
  ReseedParams p;
  tg_node_params(n, &p, sizeof p);
  tg_rng_seed(p.rng, p.seed);
  for (int64_t i = 0; i < n->out->size; ++i) n->out->data[i] = n->in[0]->data[i];
}

void ReseedBackward(tg_node* n) {
  if (n->in[0]->grad == nullptr) return;
  for (int64_t i = 0; i < n->out->size; ++i) n->in[0]->grad[i] += n->out->grad[i];
}

tg_tensor* Reseed(tg_tape* t, tg_tensor* x, tg_rng* rng, uint64_t seed) {
  static const tg_op_def def = [] {
    tg_op_def d{};
    d.name = "test_reseed";
    d.arity = 1;
    d.shape = ReseedShape;
    d.forward = ReseedForward;
    d.backward = ReseedBackward;
    d.params_size = sizeof(ReseedParams);
    return d;
  }();
  ReseedParams p = {rng, seed};
  return tg_tape_apply(t, &def, &x, 1, &p);
}

OP_GRAD_TEST(dropout, DropoutTrainingWithTheMaskHeldFixed) {
  for (float rate : {0.0f, 0.3f, 0.75f}) {
    SCOPED_TRACE(rate);
    tg_rng rng;
    ExpectGradOk({S({4, 5, 3})}, [&rng, rate](tg_tape* t, const L& in) {
      tg_dropout_options o = {};
      o.rate = rate;
      o.training = true;
      o.rng = &rng;
      tg_tensor* x2 = tg_mul(t, in[0], in[0]);  // dropout of a non-leaf, x used twice
      return tg_add(t, tg_dropout(t, Reseed(t, x2, &rng, 42), &o), in[0]);
    });
  }
}

OP_GRAD_TEST(dropout, DropoutInferenceIsIdentity) {
  ExpectGradOk({S({3, 4})}, [](tg_tape* t, const L& in) {
    tg_dropout_options o = {};
    o.rate = 0.5f;
    return tg_dropout(t, in[0], &o);
  });
}

tg_tensor* BatchNorm(tg_tape* t, const L& in, bool training) {
  tg_batch_norm_options o = {};
  o.training = training;
  o.epsilon = 1e-2f;
  if (!training) {
    o.moving_mean = in[3];
    o.moving_variance = in[4];
  }
  return tg_batch_norm(t, in[0], in[1], in[2], &o);
}

OP_GRAD_TEST(batch_norm, BatchNormTraining) {
  ExpectGradOk({S({6, 3}), S({3}), S({3})},
               [](tg_tape* t, const L& in) { return BatchNorm(t, in, true); });
  ExpectGradOk({S({2, 3, 3, 2}), S({2}), S({2})},
               [](tg_tape* t, const L& in) { return BatchNorm(t, in, true); });
  // Only x, and a normalised x used twice.
  ExpectGradOk({S({5, 4}), S({4}, false), S({4}, false)}, [](tg_tape* t, const L& in) {
    tg_tensor* y = BatchNorm(t, in, true);
    return tg_mul(t, y, tg_add(t, y, in[0]));
  });
}

OP_GRAD_TEST(batch_norm, BatchNormInferenceWithMovingStatistics) {
  ExpectGradOk({S({2, 2, 3, 3}), S({3}), S({3}), S({3}), tgtest::P({3}, 0.5f, 1.5f)},
               [](tg_tape* t, const L& in) { return BatchNorm(t, in, false); });
}

OP_GRAD_TEST(layer_norm, LayerNormLastAxis) {
  ExpectGradOk({S({4, 5}), S({5}), S({5})}, [](tg_tape* t, const L& in) {
    return tg_layer_norm(t, in[0], in[1], in[2], 1e-2f);
  });
  ExpectGradOk({S({2, 3, 4}), S({4}), S({4})},
               [](tg_tape* t, const L& in) { return tg_layer_norm(t, in[0], in[1], in[2], 0.0f); });
  ExpectGradOk({S({3, 6}), S({6}, false), S({6}, false)}, [](tg_tape* t, const L& in) {
    tg_tensor* y = tg_layer_norm(t, in[0], in[1], in[2], 1e-3f);
    return tg_mul(t, y, in[0]);
  });
}

// conv -> batch norm -> tanh -> dropout -> global pool -> layer norm -> dense.
TEST(OpsGradTest, ConvBatchNormDropoutLayerNormChain) {
  tg_rng rng;
  ExpectGradOk({S({3, 5, 5, 2}), S({3, 3, 2, 4}), S({4}), S({4}), S({4}), S({4}), S({4, 2})},
               [&rng](tg_tape* t, const L& in) {
                 tg_conv2d_options co = Conv(1, 1, TG_PADDING_SAME);
                 tg_batch_norm_options bo = {};
                 bo.training = true;
                 tg_tensor* h =
                     tg_batch_norm(t, tg_conv2d(t, in[0], in[1], &co), in[2], in[3], &bo);
                 tg_dropout_options d = {};
                 d.rate = 0.25f;
                 d.training = true;
                 d.rng = &rng;
                 h = tg_dropout(t, Reseed(t, tg_tanh(t, h), &rng, 7), &d);
                 tg_tensor* g = tg_layer_norm(t, tg_global_avg_pool2d(t, h), in[4], in[5], 0.0f);
                 return tg_matmul(t, g, in[6]);
               });
}

}  // namespace
