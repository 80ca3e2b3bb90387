// tests/ops_nn_test.cc — the neural-network ops' values: small cases worked by hand,
// a PyTorch fixture (tests/fixtures/make_nn_fixture.py), exact error messages, what
// tools see (describe), and replay: bit-for-bit like a fresh recording, allocating
// nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tests/counting_allocator.h"
#include "tests/fixtures/nn_torch_fixture.h"

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "ops/ops.h"
}

namespace {

class NnTest : public ::testing::Test {
 protected:
  void SetUp() override { t_ = tg_tape_new(); }
  void TearDown() override { tg_tape_free(t_); }
  tg_tensor* Leaf(std::vector<int64_t> shape, const std::vector<float>& v = {}, bool grad = false) {
    return tg_tape_leaf(t_, static_cast<int>(shape.size()), shape.data(),
                        v.empty() ? nullptr : v.data(), grad);
  }
  static std::vector<float> Values(const tg_tensor* y) {
    return y ? std::vector<float>(y->data, y->data + y->size) : std::vector<float>{};
  }
  void ExpectError(tg_status code, const char* message) {
    EXPECT_EQ(tg_tape_status(t_), code) << tg_status_name(tg_tape_status(t_));
    EXPECT_STREQ(tg_tape_message(t_), message);
  }
  std::string Describe(const tg_tensor* y) {
    const tg_node* n = tg_tape_node(t_, y->node);
    char buf[64] = "";
    if (n && n->op->describe) n->op->describe(n, buf, sizeof buf);
    return buf;
  }
  tg_tape* t_ = nullptr;
};

std::vector<float> Iota(int n, float from = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = from + static_cast<float>(i);
  return v;
}

tg_conv2d_options ConvOpt(int s, tg_padding padding, int d = 1, int groups = 1) {
  tg_conv2d_options o = {};
  o.stride[0] = o.stride[1] = s;
  o.padding = padding;
  o.dilation[0] = o.dilation[1] = d;
  o.groups = groups;
  return o;
}

tg_pool2d_options PoolOpt(int p, int s, tg_padding padding) {
  tg_pool2d_options o = {};
  o.pool_size[0] = o.pool_size[1] = p;
  o.stride[0] = o.stride[1] = s;
  o.padding = padding;
  return o;
}

// x = [[1 2 3] [4 5 6] [7 8 9]], kernel [[1 2] [3 4]]:
//   y[i][j] = x[i][j] + 2 x[i][j+1] + 3 x[i+1][j] + 4 x[i+1][j+1]
//   valid: 1+4+12+20 = 37, 2+6+15+24 = 47, 4+10+21+32 = 67, 5+12+24+36 = 77.
//   same pads one row below and one column to the right (the odd element after):
//   y[0][2] = 3 + 3*6 = 21, y[1][2] = 6 + 3*9 = 33, y[2][0] = 7 + 2*8 = 23,
//   y[2][1] = 8 + 2*9 = 26, y[2][2] = 9.
TEST_F(NnTest, Conv2dWorkedByHand) {
  tg_tensor* x = Leaf({1, 3, 3, 1}, Iota(9));
  tg_tensor* k = Leaf({2, 2, 1, 1}, {1, 2, 3, 4});
  tg_tensor* valid = tg_conv2d(t_, x, k, nullptr);
  tg_conv2d_options same = ConvOpt(1, TG_PADDING_SAME);
  tg_tensor* padded = tg_conv2d(t_, x, k, &same);
  ASSERT_NE(nullptr, padded) << tg_tape_message(t_);
  EXPECT_EQ(Values(valid), (std::vector<float>{37, 47, 67, 77}));
  EXPECT_EQ(Values(padded), (std::vector<float>{37, 47, 21, 67, 77, 33, 23, 26, 9}));
  EXPECT_EQ(padded->rank, 4);
  EXPECT_EQ(padded->shape[1], 3);
}

// A 4x4 image 1..16, a 3x3 kernel of ones, stride 2 'same': 2x2 outputs and one
// padding row/column in total, put after (TensorFlow), so the windows start at 0
// and 2: y = [[1+2+3+5+6+7+9+10+11, 3+4+7+8+11+12], [9+10+11+13+14+15, 11+12+15+16]]
//          = [[54, 45], [72, 54]]  (PyTorch's symmetric padding=1 would differ).
TEST_F(NnTest, Conv2dStride2SamePadsAfter) {
  tg_tensor* x = Leaf({1, 4, 4, 1}, Iota(16));
  tg_tensor* k = Leaf({3, 3, 1, 1}, std::vector<float>(9, 1.0f));
  tg_conv2d_options o = ConvOpt(2, TG_PADDING_SAME);
  EXPECT_EQ(Values(tg_conv2d(t_, x, k, &o)), (std::vector<float>{54, 45, 72, 54}));
}

// Two groups of one channel each: filter 0 sees channel 0 only, filter 1 channel 1.
// x pixels (a, 10a) for a = 1..4 in a 2x2 image, 1x1 kernel [2 | 3]:
// y = (2a, 30a).
TEST_F(NnTest, Conv2dGroupsSeeTheirOwnChannels) {
  tg_tensor* x = Leaf({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40});
  tg_tensor* k = Leaf({1, 1, 1, 2}, {2, 3});
  tg_conv2d_options o = ConvOpt(1, TG_PADDING_VALID, 1, 2);
  EXPECT_EQ(Values(tg_conv2d(t_, x, k, &o)), (std::vector<float>{2, 30, 4, 60, 6, 90, 8, 120}));
}

// A case big enough for several im2col chunks (and both thread counts) against a
// direct loop over the definition, in double.
TEST(NnConvTest, Conv2dMatchesTheDefinitionAcrossChunks) {
  const int64_t n = 60, h = 13, w = 11, c = 24, kh = 3, kw = 2, f = 10, groups = 2;
  const int64_t cg = c / groups, fg = f / groups, sh = 2, sw = 1, dh = 1, dw = 2;
  tg_rng rng;
  tg_rng_seed(&rng, 31);
  std::vector<float> xv(static_cast<size_t>(n * h * w * c)),
      kv(static_cast<size_t>(kh * kw * cg * f));
  for (float& v : xv) v = tg_rng_uniform(&rng) - 0.5f;
  for (float& v : kv) v = tg_rng_uniform(&rng) - 0.5f;
  // TensorFlow 'same': out = ceil(in / stride), pad_top = total / 2.
  const int64_t oh = (h + sh - 1) / sh, ow = (w + sw - 1) / sw;
  const int64_t pt = std::max<int64_t>((oh - 1) * sh + (kh - 1) * dh + 1 - h, 0) / 2;
  const int64_t pl = std::max<int64_t>((ow - 1) * sw + (kw - 1) * dw + 1 - w, 0) / 2;
  std::vector<double> want(static_cast<size_t>(n * oh * ow * f), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t o = 0; o < f; ++o) {
          double acc = 0.0;
          const int64_t g = o / fg;
          for (int64_t a = 0; a < kh; ++a)
            for (int64_t e = 0; e < kw; ++e) {
              const int64_t ih = i * sh - pt + a * dh, iw = j * sw - pl + e * dw;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
              for (int64_t ci = 0; ci < cg; ++ci)
                acc += static_cast<double>(
                           xv[static_cast<size_t>(((b * h + ih) * w + iw) * c + g * cg + ci)]) *
                       kv[static_cast<size_t>(((a * kw + e) * cg + ci) * f + o)];
            }
          want[static_cast<size_t>(((b * oh + i) * ow + j) * f + o)] = acc;
        }
  for (int threads = 1; threads <= 2; ++threads) {
    tg_tape* t = tg_tape_new();
    tg_tape_set_threads(t, threads);
    const int64_t sx[4] = {n, h, w, c}, sk[4] = {kh, kw, cg, f};
    tg_conv2d_options o = {};
    o.stride[0] = static_cast<int>(sh);
    o.stride[1] = static_cast<int>(sw);
    o.dilation[0] = static_cast<int>(dh);
    o.dilation[1] = static_cast<int>(dw);
    o.groups = static_cast<int>(groups);
    o.padding = TG_PADDING_SAME;
    tg_tensor* y = tg_conv2d(t, tg_tape_leaf(t, 4, sx, xv.data(), false),
                             tg_tape_leaf(t, 4, sk, kv.data(), false), &o);
    ASSERT_NE(nullptr, y) << tg_tape_message(t);
    ASSERT_EQ(static_cast<int64_t>(want.size()), y->size);
    const tg_node* node = tg_tape_node(t, y->node);
    EXPECT_GT(node->scratch_size, 0);
    EXPECT_LT(node->scratch_size, n * oh * ow * kh * kw * c);  // col is built in chunks
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_NEAR(want[i], y->data[i], 1e-5) << "threads " << threads << " element " << i;
    tg_tape_free(t);
  }
}

// The bits do not depend on the thread count: col's chunks are as high on one thread
// as on two, so every product -- and the kernel its row count picks -- is the same.
TEST(NnConvTest, OneAndTwoThreadsGiveTheSameBits) {
  tg_rng rng;
  tg_rng_seed(&rng, 31);
  const int64_t sx[4] = {8, 32, 32, 8}, sk[4] = {3, 3, 8, 16};
  std::vector<float> xv(8 * 32 * 32 * 8), kv(3 * 3 * 8 * 16);
  for (float& v : xv) v = tg_rng_uniform(&rng) - 0.5f;
  for (float& v : kv) v = tg_rng_uniform(&rng) - 0.5f;
  tg_conv2d_options same = ConvOpt(1, TG_PADDING_SAME);
  std::vector<float> bits[2];
  for (int threads = 1; threads <= 2; ++threads) {
    tg_tape* t = tg_tape_new();
    ASSERT_EQ(TG_OK, tg_tape_set_threads(t, threads));
    tg_tensor* x = tg_tape_leaf(t, 4, sx, xv.data(), true);
    tg_tensor* k = tg_tape_leaf(t, 4, sk, kv.data(), true);
    tg_tensor* y = tg_conv2d(t, x, k, &same);
    tg_tensor* loss = tg_sum(t, tg_mul(t, y, y));
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
    std::vector<float>& b = bits[threads - 1];
    b.insert(b.end(), y->data, y->data + y->size);
    b.insert(b.end(), x->grad, x->grad + x->size);
    b.insert(b.end(), k->grad, k->grad + k->size);
    tg_tape_free(t);
  }
  ASSERT_EQ(bits[0].size(), bits[1].size());
  EXPECT_EQ(0, std::memcmp(bits[0].data(), bits[1].data(), bits[0].size() * sizeof(float)));
}

// The chunk height is fixed when the node is recorded (it sized the scratch): more
// threads at replay run the same chunks (ASan would see a chunk outgrow it).
TEST(NnConvTest, ReplayWithMoreThreadsKeepsTheRecordedChunks) {
  tg_rng rng;
  tg_rng_seed(&rng, 12);
  const int64_t sx[4] = {8, 12, 12, 16}, sk[4] = {3, 3, 16, 8};
  std::vector<float> xv(8 * 12 * 12 * 16), kv(3 * 3 * 16 * 8);
  for (float& v : xv) v = tg_rng_uniform(&rng) - 0.5f;
  for (float& v : kv) v = tg_rng_uniform(&rng) - 0.5f;
  tg_conv2d_options same = ConvOpt(1, TG_PADDING_SAME);
  std::vector<float> y1, dx1, dk1;
  for (int pass = 0; pass < 2; ++pass) {
    tg_tape* t = tg_tape_new();
    tg_tensor* x = tg_tape_leaf(t, 4, sx, xv.data(), true);
    tg_tensor* k = tg_tape_leaf(t, 4, sk, kv.data(), true);
    tg_tensor* y = tg_conv2d(t, x, k, &same);
    tg_tensor* loss = tg_sum(t, tg_mul(t, y, y));
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
    if (pass == 1) {
      tg_tape_set_threads(t, 4);
      tg_tensor_zero_grad(x);
      tg_tensor_zero_grad(k);
      ASSERT_EQ(TG_OK, tg_tape_forward(t));
      ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
      for (int64_t i = 0; i < y->size; ++i)
        ASSERT_NEAR(y1[static_cast<size_t>(i)], y->data[i], 1e-5);
      for (int64_t i = 0; i < x->size; ++i)
        ASSERT_NEAR(dx1[static_cast<size_t>(i)], x->grad[i], 1e-4);
      for (int64_t i = 0; i < k->size; ++i)
        ASSERT_NEAR(dk1[static_cast<size_t>(i)], k->grad[i], 1e-3);
    } else {
      y1.assign(y->data, y->data + y->size);
      dx1.assign(x->grad, x->grad + x->size);
      dk1.assign(k->grad, k->grad + k->size);
    }
    tg_tape_free(t);
  }
}

void ExpectNear(const float* want, const tg_tensor* y, int64_t n, const char* name) {
  ASSERT_NE(nullptr, y) << name;
  ASSERT_EQ(n, y->size) << name;
  for (int64_t i = 0; i < n; ++i)
    ASSERT_NEAR(want[i], y->data[i], 1e-5 + 1e-5 * std::fabs(want[i])) << name << " element " << i;
}

int64_t Numel(const int64_t* s) { return s[0] * s[1] * s[2] * s[3]; }

TEST_F(NnTest, Conv2dMatchesPyTorch) {
  for (const nnfixture::Conv& c : nnfixture::kConvs) {
    SCOPED_TRACE(c.name);
    std::vector<int64_t> xs(c.x_shape, c.x_shape + 4), ks(c.k_shape, c.k_shape + 4);
    tg_tensor* x = Leaf(xs, std::vector<float>(c.x, c.x + Numel(c.x_shape)));
    tg_tensor* k = Leaf(ks, std::vector<float>(c.k, c.k + Numel(c.k_shape)));
    tg_conv2d_options o = {};
    o.stride[0] = c.stride[0];
    o.stride[1] = c.stride[1];
    o.padding = c.same ? TG_PADDING_SAME : TG_PADDING_VALID;
    o.dilation[0] = c.dilation[0];
    o.dilation[1] = c.dilation[1];
    o.groups = c.groups;
    tg_tensor* y = tg_conv2d(t_, x, k, &o);
    ASSERT_NE(nullptr, y) << tg_tape_message(t_);
    for (int d = 0; d < 4; ++d) EXPECT_EQ(c.y_shape[d], y->shape[d]);
    ExpectNear(c.y, y, Numel(c.y_shape), c.name);
  }
}

TEST_F(NnTest, PoolsMatchPyTorch) {
  for (const nnfixture::Pool& c : nnfixture::kPools) {
    SCOPED_TRACE(c.name);
    std::vector<int64_t> xs(c.x_shape, c.x_shape + 4);
    tg_tensor* x = Leaf(xs, std::vector<float>(c.x, c.x + Numel(c.x_shape)));
    tg_pool2d_options o = {};
    o.pool_size[0] = c.window[0];
    o.pool_size[1] = c.window[1];
    o.stride[0] = c.stride[0];
    o.stride[1] = c.stride[1];
    o.padding = c.same ? TG_PADDING_SAME : TG_PADDING_VALID;
    tg_tensor* y = c.is_max ? tg_max_pool2d(t_, x, &o) : tg_avg_pool2d(t_, x, &o);
    ASSERT_NE(nullptr, y) << tg_tape_message(t_);
    for (int d = 0; d < 4; ++d) EXPECT_EQ(c.y_shape[d], y->shape[d]);
    ExpectNear(c.y, y, Numel(c.y_shape), c.name);
  }
}

// 4x4 image 1..16. 2x2 windows (Keras' default): max [[6, 8], [14, 16]], mean
// [[3.5, 5.5], [11.5, 13.5]]. 3x3 stride 2 'same' pads one row and column after;
// the mean divides by the elements inside only: 54/9, 45/6, 72/6, 54/4.
TEST_F(NnTest, PoolsWorkedByHand) {
  tg_tensor* x = Leaf({1, 4, 4, 1}, Iota(16));
  EXPECT_EQ(Values(tg_max_pool2d(t_, x, nullptr)), (std::vector<float>{6, 8, 14, 16}));
  EXPECT_EQ(Values(tg_avg_pool2d(t_, x, nullptr)), (std::vector<float>{3.5f, 5.5f, 11.5f, 13.5f}));
  tg_pool2d_options same = PoolOpt(3, 2, TG_PADDING_SAME);
  EXPECT_EQ(Values(tg_avg_pool2d(t_, x, &same)), (std::vector<float>{6, 7.5f, 12, 13.5f}));
  EXPECT_EQ(Values(tg_max_pool2d(t_, x, &same)), (std::vector<float>{11, 12, 15, 16}));
  // Channels pool separately: pixels (a, -a), mean over the 2x2 image = (2.5, -2.5).
  tg_tensor* two = Leaf({1, 2, 2, 2}, {1, -1, 2, -2, 3, -3, 4, -4});
  EXPECT_EQ(Values(tg_global_avg_pool2d(t_, two)), (std::vector<float>{2.5f, -2.5f}));
  EXPECT_EQ(Values(tg_max_pool2d(t_, two, nullptr)), (std::vector<float>{4, -1}));
}

// All values negative: 'same' padding never wins the max (it is not a zero).
TEST_F(NnTest, MaxPoolPaddingNeverWins) {
  tg_tensor* x = Leaf({1, 3, 3, 1}, {-9, -8, -7, -6, -5, -4, -3, -2, -1});
  tg_pool2d_options same = PoolOpt(2, 2, TG_PADDING_SAME);
  EXPECT_EQ(Values(tg_max_pool2d(t_, x, &same)), (std::vector<float>{-5, -4, -2, -1}));
}

// Ties send the gradient to the first maximum in the window (row-major), a NaN
// propagates (as PyTorch) and takes the gradient (the first NaN).
TEST_F(NnTest, MaxPoolTiesAndNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  tg_tensor* x = Leaf({1, 2, 4, 1}, {3, 3, 1, nan, 3, 3, nan, 2}, true);
  tg_tensor* y = tg_max_pool2d(t_, x, nullptr);
  ASSERT_NE(nullptr, y);
  EXPECT_EQ(3.0f, y->data[0]);
  EXPECT_TRUE(std::isnan(y->data[1]));
  tg_tensor* loss = tg_sum(t_, tg_mul(t_, y, Leaf({1, 1, 2, 1}, {1, 1})));
  // The NaN reaches the loss, and backward still routes dy = 1 by position.
  ASSERT_EQ(TG_OK, tg_tape_backward(t_, loss)) << tg_tape_message(t_);
  EXPECT_EQ(Values(x).size(), 8u);
  const std::vector<float> want = {1, 0, 0, 1, 0, 0, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(want[static_cast<size_t>(i)], x->grad[i]) << i;
}

// Empty shapes: no images, or no input channels (every output an empty sum, 0).
TEST_F(NnTest, Conv2dEmptyShapes) {
  tg_conv2d_options same = ConvOpt(1, TG_PADDING_SAME);
  tg_tensor* none =
      tg_conv2d(t_, Leaf({0, 4, 4, 2}, {}, true), Leaf({3, 3, 2, 3}, {}, true), &same);
  ASSERT_NE(nullptr, none) << tg_tape_message(t_);
  EXPECT_EQ(0, none->size);
  tg_tensor* k = Leaf({3, 3, 0, 2}, {}, true);
  tg_tensor* y = tg_conv2d(t_, Leaf({1, 4, 4, 0}, {}, true), k, &same);
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  EXPECT_EQ(Values(y), std::vector<float>(32, 0.0f));
  EXPECT_EQ(TG_OK, tg_tape_backward(t_, tg_sum(t_, y)));
}

TEST_F(NnTest, DescribeForTools) {
  tg_tensor* x = Leaf({2, 8, 8, 4});
  tg_tensor* k = Leaf({3, 3, 4, 8});
  tg_conv2d_options same = ConvOpt(1, TG_PADDING_SAME);
  EXPECT_EQ("3x3 s1 same", Describe(tg_conv2d(t_, x, k, &same)));
  EXPECT_EQ("3x3 s1 valid", Describe(tg_conv2d(t_, x, k, nullptr)));
  tg_conv2d_options fancy = ConvOpt(2, TG_PADDING_VALID, 2, 2);
  EXPECT_EQ("3x3 s2 valid d2 g2", Describe(tg_conv2d(t_, x, Leaf({3, 3, 2, 8}), &fancy)));
  tg_conv2d_options rect = {};
  rect.stride[0] = 2;
  rect.stride[1] = 1;
  rect.dilation[0] = 1;
  rect.dilation[1] = 2;
  EXPECT_EQ("3x3 s2x1 valid d1x2", Describe(tg_conv2d(t_, x, k, &rect)));
  EXPECT_EQ("2x2 s2 valid", Describe(tg_max_pool2d(t_, x, nullptr)));
  tg_pool2d_options p = PoolOpt(3, 1, TG_PADDING_SAME);
  EXPECT_EQ("3x3 s1 same", Describe(tg_avg_pool2d(t_, x, &p)));
  ASSERT_EQ(TG_OK, tg_tape_status(t_)) << tg_tape_message(t_);
}

TEST_F(NnTest, Conv2dChannelMismatch) {
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({8, 28, 28, 3}), Leaf({3, 3, 1, 32}), nullptr));
  ExpectError(TG_ERR_SHAPE,
              "conv2d: input [8x28x28x3] and kernel [3x3x1x32]: input has 3 channels, kernel "
              "expects 1");
}

TEST_F(NnTest, Conv2dGroupChannelMismatch) {
  tg_conv2d_options o = ConvOpt(1, TG_PADDING_VALID, 1, 2);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 5, 5, 4}), Leaf({3, 3, 4, 8}), &o));
  ExpectError(TG_ERR_SHAPE,
              "conv2d: input [1x5x5x4] and kernel [3x3x4x8]: input has 4 channels in 2 groups (2 "
              "each), kernel expects 4");
}

TEST_F(NnTest, Conv2dRanks) {
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({28, 28, 3}), Leaf({3, 3, 3, 8}), nullptr));
  ExpectError(TG_ERR_RANK, "conv2d: input [28x28x3] must be 4-D [batch, height, width, channels]");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 28, 28, 3}), Leaf({3, 3, 8}), nullptr));
  ExpectError(TG_ERR_RANK,
              "conv2d: kernel [3x3x8] must be 4-D [height, width, in_channels, filters]");
}

TEST_F(NnTest, Conv2dValidWindowLargerThanInput) {
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 2, 5, 1}), Leaf({3, 3, 1, 1}), nullptr));
  ExpectError(TG_ERR_SHAPE,
              "conv2d: input [1x2x5x1] and kernel [3x3x1x1]: the 3x3 window (dilation 1x1) does "
              "not fit in the 2x5 input with valid padding");
  tg_tape_clear(t_);
  tg_conv2d_options dil = ConvOpt(1, TG_PADDING_VALID, 3);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 6, 6, 1}), Leaf({3, 3, 1, 1}), &dil));
  ExpectError(TG_ERR_SHAPE,
              "conv2d: input [1x6x6x1] and kernel [3x3x1x1]: the 7x7 window (dilation 3x3) does "
              "not fit in the 6x6 input with valid padding");
  tg_tape_clear(t_);  // 'same' has an output for any size
  tg_conv2d_options same = ConvOpt(1, TG_PADDING_SAME, 3);
  tg_tensor* y = tg_conv2d(t_, Leaf({1, 2, 2, 1}), Leaf({3, 3, 1, 1}), &same);
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  EXPECT_EQ(2, y->shape[1]);
}

TEST_F(NnTest, Conv2dGroupsMustDivide) {
  tg_conv2d_options o = ConvOpt(1, TG_PADDING_VALID, 1, 2);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 4, 4, 3}), Leaf({3, 3, 1, 4}), &o));
  ExpectError(TG_ERR_SHAPE,
              "conv2d: input [1x4x4x3] and kernel [3x3x1x4]: 3 channels are not divisible by 2 "
              "groups");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 4, 4, 4}), Leaf({3, 3, 2, 5}), &o));
  ExpectError(TG_ERR_SHAPE,
              "conv2d: input [1x4x4x4] and kernel [3x3x2x5]: 5 filters are not divisible by 2 "
              "groups");
}

TEST_F(NnTest, Conv2dBadArguments) {
  tg_conv2d_options o = ConvOpt(-1, TG_PADDING_VALID);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 4, 4, 1}), Leaf({3, 3, 1, 1}), &o));
  ExpectError(TG_ERR_ARG, "conv2d: stride -1x-1 must be positive");
  tg_tape_clear(t_);
  o = ConvOpt(1, TG_PADDING_VALID, -2);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 4, 4, 1}), Leaf({3, 3, 1, 1}), &o));
  ExpectError(TG_ERR_ARG, "conv2d: dilation -2x-2 must be positive");
  tg_tape_clear(t_);
  o = ConvOpt(1, TG_PADDING_VALID, 1, -1);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 4, 4, 1}), Leaf({3, 3, 1, 1}), &o));
  ExpectError(TG_ERR_ARG, "conv2d: groups -1 must be positive");
  tg_tape_clear(t_);
  o = ConvOpt(1, static_cast<tg_padding>(7));
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 4, 4, 1}), Leaf({3, 3, 1, 1}), &o));
  ExpectError(TG_ERR_ARG, "conv2d: padding 7 is neither valid nor same");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_conv2d(t_, Leaf({1, 4, 4, 1}), Leaf({0, 3, 1, 1}), nullptr));
  ExpectError(TG_ERR_SHAPE, "conv2d: kernel [0x3x1x1] has an empty window");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_conv2d(t_, nullptr, Leaf({3, 3, 1, 1}), nullptr));
  ExpectError(TG_ERR_NULL_ARG, "conv2d: input 1 is NULL");
}

TEST_F(NnTest, PoolErrors) {
  EXPECT_EQ(nullptr, tg_max_pool2d(t_, Leaf({4, 4, 1}), nullptr));
  ExpectError(TG_ERR_RANK,
              "max_pool2d: input [4x4x1] must be 4-D [batch, height, width, channels]");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_avg_pool2d(t_, Leaf({1, 1, 4, 1}), nullptr));
  ExpectError(TG_ERR_SHAPE,
              "avg_pool2d: input [1x1x4x1]: the 2x2 window does not fit in the 1x4 input with "
              "valid padding");
  tg_tape_clear(t_);
  tg_pool2d_options o = PoolOpt(-3, 1, TG_PADDING_SAME);
  EXPECT_EQ(nullptr, tg_max_pool2d(t_, Leaf({1, 4, 4, 1}), &o));
  ExpectError(TG_ERR_ARG, "max_pool2d: pool size -3x-3 must be positive");
  tg_tape_clear(t_);
  o = PoolOpt(2, -1, TG_PADDING_SAME);
  EXPECT_EQ(nullptr, tg_avg_pool2d(t_, Leaf({1, 4, 4, 1}), &o));
  ExpectError(TG_ERR_ARG, "avg_pool2d: stride -1x-1 must be positive");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_global_avg_pool2d(t_, Leaf({2, 3})));
  ExpectError(TG_ERR_RANK,
              "global_avg_pool2d: input [2x3] must be 4-D [batch, height, width, channels]");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_global_avg_pool2d(t_, Leaf({2, 0, 3, 1})));
  ExpectError(TG_ERR_SHAPE, "global_avg_pool2d: input [2x0x3x1] has no pixels to average");
}

// ---- dropout

tg_dropout_options DropOpt(float rate, tg_rng* rng, bool training = true) {
  tg_dropout_options o = {};
  o.rate = rate;
  o.rng = rng;
  o.training = training;
  return o;
}

// tg_rng_hash is SplitMix64's output number counter + 1 from state key; these are
// the generator's published values (Vigna's splitmix64.c from state 0; the test
// vector of seed 1234567 that ports of it check, outputs 1 and 5), and the uniform
// takes the top 24 bits: 0xE220A8397B1DCDAF >> 40 = 14819496, / 2^24.
TEST(RngHashTest, IsSplitMix64AtTheCounter) {
  EXPECT_EQ(tg_rng_hash(0, 0), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(tg_rng_hash(0, 1), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(tg_rng_hash(1234567, 0), 6457827717110365317ull);
  EXPECT_EQ(tg_rng_hash(1234567, 4), 16408922859458223821ull);
  EXPECT_EQ(tg_rng_hash_uniform(0, 0), 14819496.0f / 16777216.0f);
  // Wrapping arithmetic: the largest counter is fine.
  EXPECT_LT(tg_rng_hash_uniform(~0ull, ~0ull), 1.0f);
}

// The mask: one key drawn from the rng by every forward, then element (row, col) of
// x is kept where tg_rng_hash_uniform(key, row * cols + col) >= rate, and scaled by
// 1 / (1 - rate) (Keras' inverted dropout). A copy of the generator predicts every
// pass (the recording and two replays). The keep rate is within 5 standard
// deviations of 1 - rate: 100,000 elements at 0.6 give 60,000 +- 775.
TEST_F(NnTest, DropoutMaskIsTheHashOfTheStepKeyRowAndColumn) {
  const float rate = 0.4f, scale = 1.0f / (1.0f - rate);
  const int64_t rows = 100, cols = 1000;
  std::vector<float> xv = Iota(static_cast<int>(rows * cols));
  tg_rng rng, oracle;
  tg_rng_seed(&rng, 2026);
  oracle = rng;
  tg_dropout_options o = DropOpt(rate, &rng);
  tg_tensor* y = tg_dropout(t_, Leaf({rows, cols}, xv), &o);
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  std::vector<float> first;
  for (int pass = 0; pass < 3; ++pass) {
    if (pass > 0) {
      ASSERT_EQ(TG_OK, tg_tape_forward(t_));
    }
    const uint64_t key = tg_rng_next(&oracle);
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t i = r * cols + c;
        const bool keep = tg_rng_hash_uniform(key, static_cast<uint64_t>(i)) >= rate;
        kept += keep;
        ASSERT_EQ(keep ? xv[static_cast<size_t>(i)] * scale : 0.0f, y->data[i])
            << "pass " << pass << " row " << r << " col " << c;
      }
    }
    EXPECT_NEAR(60000, kept, 775) << "pass " << pass;
    if (pass == 0) first = Values(y);
    EXPECT_EQ(0, std::memcmp(&rng, &oracle, sizeof rng)) << "one draw per forward";
  }
  EXPECT_NE(first, Values(y));  // every forward a new mask
  // Another tape with the same seed gives the same first mask.
  tg_rng again;
  tg_rng_seed(&again, 2026);
  tg_tape* t2 = tg_tape_new();
  tg_dropout_options o2 = DropOpt(rate, &again);
  const int64_t shape[2] = {rows, cols};
  tg_tensor* y2 = tg_dropout(t2, tg_tape_leaf(t2, 2, shape, xv.data(), false), &o2);
  ASSERT_NE(nullptr, y2);
  EXPECT_EQ(0, std::memcmp(first.data(), y2->data, first.size() * sizeof(float)));
  tg_tape_free(t2);
}

// A batch of 7 rows ([7,3,5]: 15 elements a row) split into rows [0, 3) with offset 0
// and [3, 7) with offset 3, each from the same generator state, draws the whole
// batch's mask bit for bit: a row's mask depends on its global row, not on which
// piece holds it. The offset is read at every forward: the first piece replayed
// with offset 4 draws the whole batch's rows 4..6.
TEST_F(NnTest, DropoutOfASplitBatchIsTheWholeBatchsMaskBitForBit) {
  const float rate = 0.5f;
  const std::vector<float> xv = Iota(7 * 15);
  tg_rng seed;
  tg_rng_seed(&seed, 99);
  tg_rng whole_rng = seed;
  tg_dropout_options wo = DropOpt(rate, &whole_rng);
  const std::vector<float> whole = Values(tg_dropout(t_, Leaf({7, 3, 5}, xv), &wo));
  ASSERT_EQ(whole.size(), 105u);

  int64_t offsets[2] = {0, 3};
  tg_rng piece_rng[2] = {seed, seed};
  tg_tape* pieces[2] = {tg_tape_new(), tg_tape_new()};
  tg_tensor* out[2];
  tg_tensor* in[2];
  for (int k = 0; k < 2; ++k) {
    const int64_t shape[3] = {k == 0 ? 3 : 4, 3, 5};
    tg_tensor* x = in[k] = tg_tape_leaf(pieces[k], 3, shape, xv.data() + offsets[k] * 15, false);
    tg_dropout_options po = DropOpt(rate, &piece_rng[k]);
    po.row_offset = &offsets[k];
    out[k] = tg_dropout(pieces[k], x, &po);
    ASSERT_NE(nullptr, out[k]) << tg_tape_message(pieces[k]);
  }
  std::vector<float> joined(out[0]->data, out[0]->data + out[0]->size);
  joined.insert(joined.end(), out[1]->data, out[1]->data + out[1]->size);
  ASSERT_EQ(joined.size(), whole.size());
  EXPECT_EQ(0, std::memcmp(joined.data(), whole.data(), whole.size() * sizeof(float)));
  int dropped = 0;
  for (float v : whole) dropped += v == 0.0f;
  EXPECT_GT(dropped, 0);  // the mask is not trivially all-ones
  EXPECT_LT(dropped, 105);

  offsets[0] = 4;  // the first piece now holds global rows 4..6
  piece_rng[0] = seed;
  std::copy(xv.begin() + 4 * 15, xv.end(), in[0]->data);
  ASSERT_EQ(TG_OK, tg_tape_forward(pieces[0]));
  EXPECT_EQ(0, std::memcmp(out[0]->data, whole.data() + 4 * 15, 45 * sizeof(float)));
  for (tg_tape* t : pieces) tg_tape_free(t);
}

// Backward multiplies by the same mask the forward used: dx = dy * mask.
TEST_F(NnTest, DropoutBackwardUsesTheForwardMask) {
  tg_rng rng;
  tg_rng_seed(&rng, 5);
  tg_tensor* x = Leaf({4, 8}, Iota(32), true);
  tg_dropout_options o = DropOpt(0.5f, &rng);
  tg_tensor* y = tg_dropout(t_, x, &o);
  ASSERT_EQ(TG_OK, tg_tape_backward(t_, tg_sum(t_, y)));
  for (int64_t i = 0; i < x->size; ++i) EXPECT_EQ(y->data[i] / x->data[i], x->grad[i]) << i;
}

TEST_F(NnTest, DropoutInferenceAndRateZeroAreIdentity) {
  tg_rng rng;
  tg_rng_seed(&rng, 1);
  const tg_rng before = rng;
  tg_dropout_options inference = DropOpt(0.9f, nullptr, false);
  tg_tensor* x = Leaf({3, 3}, Iota(9));
  EXPECT_EQ(Values(tg_dropout(t_, x, &inference)), Iota(9));
  tg_dropout_options none = DropOpt(0.0f, &rng);
  EXPECT_EQ(Values(tg_dropout(t_, x, &none)), Iota(9));
  EXPECT_NE(0, std::memcmp(&before, &rng, sizeof rng));  // training still draws
}

TEST_F(NnTest, DropoutErrors) {
  tg_rng rng;
  tg_rng_seed(&rng, 1);
  tg_dropout_options o = DropOpt(1.0f, &rng);
  EXPECT_EQ(nullptr, tg_dropout(t_, Leaf({2, 2}), &o));
  ExpectError(TG_ERR_ARG, "dropout: rate 1 is outside [0, 1)");
  tg_tape_clear(t_);
  o = DropOpt(-0.1f, &rng);
  EXPECT_EQ(nullptr, tg_dropout(t_, Leaf({2, 2}), &o));
  ExpectError(TG_ERR_ARG, "dropout: rate -0.1 is outside [0, 1)");
  tg_tape_clear(t_);
  o = DropOpt(std::nanf(""), &rng, false);
  EXPECT_EQ(nullptr, tg_dropout(t_, Leaf({2, 2}), &o));
  ExpectError(TG_ERR_ARG, "dropout: rate nan is outside [0, 1)");
  tg_tape_clear(t_);
  o = DropOpt(0.5f, nullptr);
  EXPECT_EQ(nullptr, tg_dropout(t_, Leaf({2, 2}), &o));
  ExpectError(TG_ERR_NULL_ARG,
              "dropout: training needs an rng to draw the mask (options.rng is NULL)");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_dropout(t_, Leaf({2, 2}), nullptr));
  ExpectError(TG_ERR_NULL_ARG, "dropout: options are NULL");
}

// ---- batch_norm, layer_norm

// One channel x = 1, 2, 3, 4 (a [2,2,1] batch): mean 2.5, biased variance
// (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25; y = gamma (x - 2.5) / sqrt(1.25 + eps) + beta.
// A second channel 10, 10, 10, 10: mean 10, variance 0, y = beta.
TEST_F(NnTest, BatchNormTrainingWorkedByHand) {
  tg_tensor* x = Leaf({2, 2, 2}, {1, 10, 2, 10, 3, 10, 4, 10});
  tg_tensor* gamma = Leaf({2}, {2, 1});
  tg_tensor* beta = Leaf({2}, {0.5f, -1});
  float mean[2] = {0, 0}, var[2] = {0, 0};
  tg_batch_norm_options o = {};
  o.training = true;
  o.epsilon = 0.25f;
  o.batch_mean = mean;
  o.batch_variance = var;
  tg_tensor* y = tg_batch_norm(t_, x, gamma, beta, &o);
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  EXPECT_FLOAT_EQ(2.5f, mean[0]);
  EXPECT_FLOAT_EQ(1.25f, var[0]);
  EXPECT_FLOAT_EQ(10.0f, mean[1]);
  EXPECT_FLOAT_EQ(0.0f, var[1]);
  // sqrt(1.25 + 0.25) = sqrt(1.5); y0 = 2 * (-1.5) / sqrt(1.5) + 0.5 = 0.5 - sqrt(6)
  const float r = std::sqrt(1.5f);
  const float want[8] = {2 * -1.5f / r + 0.5f, -1, 2 * -0.5f / r + 0.5f, -1,
                         2 * 0.5f / r + 0.5f,  -1, 2 * 1.5f / r + 0.5f,  -1};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(want[i], y->data[i], 1e-6) << i;
  EXPECT_NEAR(0.5 - std::sqrt(6.0), y->data[0], 1e-6);
  EXPECT_EQ("training eps=0.25", Describe(y));
}

// Inference normalises with the given statistics, read again at every replay.
TEST_F(NnTest, BatchNormInferenceUsesMovingStatistics) {
  tg_tensor* x = Leaf({3, 1}, {1, 2, 3});
  tg_tensor* gamma = Leaf({1}, {1});
  tg_tensor* beta = Leaf({1}, {0});
  tg_tensor* mm = Leaf({1}, {1});
  tg_tensor* mv = Leaf({1}, {3});  // + eps 1 = 4: rstd 0.5
  tg_batch_norm_options o = {};
  o.epsilon = 1.0f;
  o.moving_mean = mm;
  o.moving_variance = mv;
  tg_tensor* y = tg_batch_norm(t_, x, gamma, beta, &o);
  EXPECT_EQ(Values(y), (std::vector<float>{0, 0.5f, 1}));
  mm->data[0] = 3;
  mv->data[0] = 0;  // rstd 1
  ASSERT_EQ(TG_OK, tg_tape_forward(t_));
  EXPECT_EQ(Values(y), (std::vector<float>{-2, -1, 0}));
}

// Row (1, 2, 3, 4): mean 2.5, variance 1.25; with eps 0.75 the deviations are divided
// by sqrt(2) = 1.41421...: (-1.5, -0.5, 0.5, 1.5) / sqrt(2).
TEST_F(NnTest, LayerNormWorkedByHand) {
  tg_tensor* x = Leaf({2, 4}, {1, 2, 3, 4, 5, 5, 5, 5});
  tg_tensor* gamma = Leaf({4}, {1, 1, 1, 2});
  tg_tensor* beta = Leaf({4}, {0, 0, 0, 1});
  tg_tensor* y = tg_layer_norm(t_, x, gamma, beta, 0.75f);
  ASSERT_NE(nullptr, y) << tg_tape_message(t_);
  const double s = std::sqrt(2.0);
  const double want[8] = {-1.5 / s, -0.5 / s, 0.5 / s, 2 * 1.5 / s + 1, 0, 0, 0, 1};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(want[i], y->data[i], 1e-6) << i;
  EXPECT_EQ("eps=0.75", Describe(y));
}

TEST_F(NnTest, NormErrors) {
  EXPECT_EQ(nullptr, tg_batch_norm(t_, Leaf({8, 4}), Leaf({3}), Leaf({4}), nullptr));
  ExpectError(TG_ERR_SHAPE, "batch_norm: gamma [3] must be [4], the last axis of input [8x4]");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_batch_norm(t_, Leaf({8, 4}), Leaf({4}), Leaf({1, 4}), nullptr));
  ExpectError(TG_ERR_SHAPE, "batch_norm: beta [1x4] must be [4], the last axis of input [8x4]");
  tg_tape_clear(t_);
  tg_batch_norm_options o = {};
  o.moving_mean = Leaf({4});
  EXPECT_EQ(nullptr, tg_batch_norm(t_, Leaf({8, 4}), Leaf({4}), Leaf({4}), &o));
  ExpectError(TG_ERR_NULL_ARG,
              "batch_norm: inference needs moving_mean and moving_variance (got a tensor and "
              "NULL)");
  tg_tape_clear(t_);
  o.moving_mean = Leaf({4});
  o.moving_variance = Leaf({5});
  EXPECT_EQ(nullptr, tg_batch_norm(t_, Leaf({2, 3, 4}), Leaf({4}), Leaf({4}), &o));
  ExpectError(TG_ERR_SHAPE,
              "batch_norm: moving_variance [5] must be [4], the last axis of input [2x3x4]");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_batch_norm(t_, Leaf({0, 4}), Leaf({4}), Leaf({4}), nullptr));
  ExpectError(TG_ERR_SHAPE,
              "batch_norm: input [0x4] has no elements to take batch statistics over");
  tg_tape_clear(t_);
  tg_batch_norm_options neg = {};
  neg.training = true;
  neg.epsilon = -1.0f;
  EXPECT_EQ(nullptr, tg_batch_norm(t_, Leaf({2, 4}), Leaf({4}), Leaf({4}), &neg));
  ExpectError(TG_ERR_ARG, "batch_norm: epsilon -1 must be positive");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_layer_norm(t_, Leaf({3, 5}), Leaf({5}), Leaf({3}), 0.0f));
  ExpectError(TG_ERR_SHAPE, "layer_norm: beta [3] must be [5], the last axis of input [3x5]");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_layer_norm(t_, Leaf({}), Leaf({1}), Leaf({1}), 0.0f));
  ExpectError(TG_ERR_RANK, "layer_norm: input [] must have an axis to normalise (rank >= 1)");
  tg_tape_clear(t_);
  EXPECT_EQ(nullptr, tg_layer_norm(t_, Leaf({3, 0}), Leaf({0}), Leaf({0}), 0.0f));
  ExpectError(TG_ERR_SHAPE, "layer_norm: input [3x0] has an empty last axis");
}

// ---- replay

// A CNN step on one tape: every op of ops/nn.h, parameters as tape leaves; dropout
// draws from `rng` (re-seed it to replay the same mask).
struct CnnStep {
  tg_tensor *x, *loss;
  std::vector<tg_tensor*> params;
  std::vector<float> batch_mean = std::vector<float>(8), batch_var = std::vector<float>(8);
};

void RecordCnn(tg_tape* t, const std::vector<float>& xv, uint64_t seed, tg_rng* drop_rng,
               CnnStep* s) {
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  auto uniform = [&rng](int64_t n, float offset = 0.0f) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = tg_rng_uniform(&rng) - 0.5f + offset;
    return v;
  };
  const int64_t sx[4] = {4, 16, 16, 8}, sk1[4] = {3, 3, 8, 16}, sk2[4] = {3, 3, 8, 8},
                sw[2] = {8, 3}, sc[1] = {8};
  s->x = tg_tape_leaf(t, 4, sx, xv.data(), true);
  tg_tensor* k1 = tg_tape_leaf(t, 4, sk1, uniform(3 * 3 * 8 * 16).data(), true);
  tg_tensor* k2 = tg_tape_leaf(t, 4, sk2, uniform(3 * 3 * 8 * 8).data(), true);
  tg_tensor* w = tg_tape_leaf(t, 2, sw, uniform(8 * 3).data(), true);
  tg_tensor* gamma = tg_tape_leaf(t, 1, sc, uniform(8, 1.0f).data(), true);
  tg_tensor* beta = tg_tape_leaf(t, 1, sc, uniform(8).data(), true);
  tg_tensor* lgamma = tg_tape_leaf(t, 1, sc, uniform(8, 1.0f).data(), true);
  tg_tensor* lbeta = tg_tape_leaf(t, 1, sc, uniform(8).data(), true);
  s->params = {k1, k2, w, gamma, beta, lgamma, lbeta};
  tg_conv2d_options same = ConvOpt(1, TG_PADDING_SAME);
  tg_conv2d_options grouped = ConvOpt(2, TG_PADDING_SAME, 1, 2);
  tg_tensor* h = tg_tanh(t, tg_conv2d(t, s->x, k1, &same));  // [4,16,16,16]
  tg_tensor* p = tg_max_pool2d(t, h, nullptr);               // [4,8,8,16]
  tg_dropout_options drop = {};
  drop.rate = 0.2f;
  drop.training = true;
  drop.rng = drop_rng;
  tg_tensor* h2 = tg_conv2d(t, tg_dropout(t, p, &drop), k2, &grouped);  // [4,4,4,8]
  tg_batch_norm_options bn = {};
  bn.training = true;
  bn.batch_mean = s->batch_mean.data();
  bn.batch_variance = s->batch_var.data();
  h2 = tg_batch_norm(t, h2, gamma, beta, &bn);
  tg_pool2d_options avg = PoolOpt(3, 1, TG_PADDING_SAME);
  tg_tensor* g = tg_global_avg_pool2d(t, tg_avg_pool2d(t, h2, &avg));  // [4,8]
  g = tg_layer_norm(t, g, lgamma, lbeta, 0.0f);
  s->loss = tg_sum(t, tg_matmul(t, tg_mul(t, g, g), w));
}

std::vector<float> Grads(const CnnStep& s) {
  std::vector<float> all;
  for (tg_tensor* p : s.params) all.insert(all.end(), p->grad, p->grad + p->size);
  all.insert(all.end(), s.x->grad, s.x->grad + s.x->size);
  return all;
}

void ExpectReplayEqualsFresh(int threads) {
  tg_rng rng;
  tg_rng_seed(&rng, 8);
  std::vector<float> a(4 * 16 * 16 * 8), b(a.size());
  for (float& f : a) f = tg_rng_uniform(&rng) - 0.5f;
  for (float& f : b) f = tg_rng_uniform(&rng) - 0.5f;

  tg_rng drop_r, drop_f;
  tg_rng_seed(&drop_r, 77);
  tg_tape* replayed = tg_tape_new();
  tg_tape_set_threads(replayed, threads);
  CnnStep r;
  RecordCnn(replayed, a, 1, &drop_r, &r);
  ASSERT_EQ(TG_OK, tg_tape_backward(replayed, r.loss)) << tg_tape_message(replayed);
  std::memcpy(r.x->data, b.data(), b.size() * sizeof(float));
  for (tg_tensor* p : r.params) tg_tensor_zero_grad(p);
  tg_tensor_zero_grad(r.x);
  tg_rng_seed(&drop_r, 78);  // the mask the fresh recording draws
  ASSERT_EQ(TG_OK, tg_tape_forward(replayed));
  ASSERT_EQ(TG_OK, tg_tape_backward(replayed, r.loss));

  tg_rng_seed(&drop_f, 78);
  tg_tape* fresh = tg_tape_new();
  tg_tape_set_threads(fresh, threads);
  CnnStep f;
  RecordCnn(fresh, b, 1, &drop_f, &f);
  ASSERT_EQ(TG_OK, tg_tape_backward(fresh, f.loss)) << tg_tape_message(fresh);

  EXPECT_EQ(0, std::memcmp(r.loss->data, f.loss->data, sizeof(float)));
  EXPECT_EQ(r.batch_mean, f.batch_mean);
  EXPECT_EQ(r.batch_var, f.batch_var);
  const std::vector<float> gr = Grads(r), gf = Grads(f);
  ASSERT_EQ(gr.size(), gf.size());
  EXPECT_EQ(0, std::memcmp(gr.data(), gf.data(), gr.size() * sizeof(float)))
      << "threads=" << threads;
  tg_tape_free(replayed);
  tg_tape_free(fresh);
}

TEST(NnReplayTest, ReplayEqualsFreshRecordingOneThread) { ExpectReplayEqualsFresh(1); }
TEST(NnReplayTest, ReplayEqualsFreshRecordingTwoThreads) { ExpectReplayEqualsFresh(2); }

void ExpectNoAllocationOnReplay(int threads) {
  tgtest::CountingAllocator counting;
  tg_tape* t = tg_tape_new_ex(counting.get());
  ASSERT_NE(nullptr, t);
  tg_tape_set_threads(t, threads);
  std::vector<float> xv(4 * 16 * 16 * 8, 0.25f);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] += 0.001f * static_cast<float>(i % 97);
  tg_rng drop;
  tg_rng_seed(&drop, 3);
  CnnStep s;
  RecordCnn(t, xv, 2, &drop, &s);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, s.loss)) << tg_tape_message(t);
  const int allocs = counting.allocs(), frees = counting.frees();
  for (int step = 0; step < 5; ++step) {
    s.x->data[step] += 0.5f;
    for (tg_tensor* p : s.params) tg_tensor_zero_grad(p);
    ASSERT_EQ(TG_OK, tg_tape_forward(t));
    ASSERT_EQ(TG_OK, tg_tape_backward(t, s.loss));
  }
  EXPECT_EQ(allocs, counting.allocs()) << "threads=" << threads;
  EXPECT_EQ(frees, counting.frees()) << "threads=" << threads;
  tg_tape_free(t);
  EXPECT_EQ(counting.allocs(), counting.frees());
}

TEST(NnReplayTest, ReplayAllocatesNothingOneThread) { ExpectNoAllocationOnReplay(1); }
TEST(NnReplayTest, ReplayAllocatesNothingTwoThreads) { ExpectNoAllocationOnReplay(2); }

}  // namespace
