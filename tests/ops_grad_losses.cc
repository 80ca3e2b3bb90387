// tests/ops_grad_losses.cc — sparse_categorical_crossentropy: gradients against
// central differences (from logits and from probabilities, labels as [n] and
// [n, 1], rank 3), values worked by hand, agreement with the one-hot ops, and the
// out-of-range label error at record and at replay.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/ops_grad_cases.h"

extern "C" {
#include "ops/ops.h"
}

namespace {

using tgtest::ExpectGradOk;
using tgtest::L;
using tgtest::P;
using tgtest::S;

// Labels for `rows` rows of `classes` classes: 0, 1, 2, ... wrapping, so every
// class appears and the label position varies per row.
tg_tensor* Labels(tg_tape* t, std::vector<int64_t> shape, int64_t classes) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7 + 1) % classes);
  return tg_tape_index_leaf(t, static_cast<int>(shape.size()), shape.data(), v.data());
}

OP_GRAD_TEST(sparse_categorical_crossentropy, SparseCategoricalCrossentropyFromLogits) {
  ExpectGradOk({S({5, 4})}, [](tg_tape* t, const L& x) {
    return tg_sparse_categorical_crossentropy(t, x[0], Labels(t, {5}, 4), true);
  });
}

OP_GRAD_TEST(sparse_categorical_crossentropy, SparseCategoricalCrossentropyFromProbabilities) {
  // Probabilities in [0.1, 1] un-normalised: the op normalises each row, and the
  // gradient goes through that normalisation too.
  ExpectGradOk({P({4, 3}, 0.1f, 1.0f)}, [](tg_tape* t, const L& x) {
    return tg_sparse_categorical_crossentropy(t, x[0], Labels(t, {4}, 3), false);
  });
}

OP_GRAD_TEST(sparse_categorical_crossentropy, SparseCategoricalCrossentropyColumnLabelsRank3) {
  ExpectGradOk({S({2, 3, 5})}, [](tg_tape* t, const L& x) {
    return tg_sparse_categorical_crossentropy(t, x[0], Labels(t, {2, 3}, 5), true);
  });
  ExpectGradOk({P({3, 4}, 0.2f, 1.0f)}, [](tg_tape* t, const L& x) {
    return tg_sparse_categorical_crossentropy(t, x[0], Labels(t, {3, 1}, 4), false);
  });
}

OP_GRAD_TEST(sparse_categorical_crossentropy, SparseCategoricalCrossentropyInputUsedTwice) {
  // loss(z + z): both uses accumulate into z's gradient.
  ExpectGradOk({S({3, 4})}, [](tg_tape* t, const L& x) {
    return tg_sparse_categorical_crossentropy(t, tg_add(t, x[0], x[0]), Labels(t, {3}, 4), true);
  });
}

TEST(SparseCategoricalCrossentropyTest, LogitsValueAndGradientByHand) {
  // Row 0: z = [0, ln 2, ln 3], label 2: lse = ln(1 + 2 + 3) = ln 6, loss ln 6 - ln 3 = ln 2.
  // Row 1: z = [5, 5, 5], label 0: lse = 5 + ln 3, loss ln 3.
  // Mean: (ln 2 + ln 3) / 2 = ln 6 / 2 = 0.895879734.
  // d/dz = (softmax - onehot) / 2:
  //   row 0: ([1/6, 2/6, 3/6] - [0, 0, 1]) / 2 = [1/12, 1/6, -1/4]
  //   row 1: ([1/3, 1/3, 1/3] - [1, 0, 0]) / 2 = [-1/3, 1/6, 1/6]
  tg_tape* t = tg_tape_new();
  const int64_t sz[2] = {2, 3};
  const float z[6] = {0.0f, std::log(2.0f), std::log(3.0f), 5.0f, 5.0f, 5.0f};
  tg_tensor* logits = tg_tape_leaf(t, 2, sz, z, true);
  const int64_t sl[1] = {2};
  const int32_t lv[2] = {2, 0};
  tg_tensor* labels = tg_tape_index_leaf(t, 1, sl, lv);
  tg_tensor* loss = tg_sparse_categorical_crossentropy(t, logits, labels, true);
  ASSERT_NE(loss, nullptr) << tg_tape_message(t);
  EXPECT_NEAR(loss->data[0], 0.895879734f, 1e-6f);
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  const float want[6] = {1.0f / 12, 1.0f / 6, -0.25f, -1.0f / 3, 1.0f / 6, 1.0f / 6};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(logits->grad[i], want[i], 1e-6f) << i;
  tg_tape_free(t);
}

TEST(SparseCategoricalCrossentropyTest, ProbabilitiesValueAndGradientByHand) {
  // p = [1, 2, 1] (sum s = 4), label 1: q = 1/2, loss -ln(1/2) = ln 2 = 0.693147181.
  // dp_k = (1 - [k = 1] / q) / s = [1/4, (1 - 2)/4, 1/4] = [0.25, -0.25, 0.25].
  // A second row p = [1e-9, 1, 1], label 0: q = 5e-10 clips to 1e-7, loss -ln 1e-7 =
  // 16.1180957, gradient 0 (flat where clipped). Mean loss (0.693147 + 16.118096) / 2
  // = 8.40562152; row 0's gradient halves: [0.125, -0.125, 0.125].
  tg_tape* t = tg_tape_new();
  const int64_t sz[2] = {2, 3};
  const float p[6] = {1.0f, 2.0f, 1.0f, 1e-9f, 1.0f, 1.0f};
  tg_tensor* probs = tg_tape_leaf(t, 2, sz, p, true);
  const int64_t sl[1] = {2};
  const int32_t lv[2] = {1, 0};
  tg_tensor* loss =
      tg_sparse_categorical_crossentropy(t, probs, tg_tape_index_leaf(t, 1, sl, lv), false);
  ASSERT_NE(loss, nullptr) << tg_tape_message(t);
  EXPECT_NEAR(loss->data[0], 8.40562152f, 2e-5f);
  ASSERT_EQ(tg_tape_backward(t, loss), TG_OK);
  const float want[6] = {0.125f, -0.125f, 0.125f, 0.0f, 0.0f, 0.0f};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(probs->grad[i], want[i], 1e-6f) << i;
  tg_tape_free(t);
}

TEST(SparseCategoricalCrossentropyTest, EqualsTheOneHotOps) {
  // The same rows against labels and against their one-hot rows give the same loss.
  tg_tape* t = tg_tape_new();
  const int64_t sz[2] = {3, 4};
  const float v[12] = {0.3f, 0.1f, 0.4f, 0.2f, 0.5f, 0.2f, 0.2f, 0.1f, 0.05f, 0.15f, 0.3f, 0.5f};
  const float onehot[12] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1};
  const int64_t sl[1] = {3};
  const int32_t lv[3] = {2, 0, 3};
  tg_tensor* x = tg_tape_leaf(t, 2, sz, v, false);
  tg_tensor* oh = tg_tape_leaf(t, 2, sz, onehot, false);
  tg_tensor* lab = tg_tape_index_leaf(t, 1, sl, lv);
  tg_tensor* a = tg_sparse_categorical_crossentropy(t, x, lab, false);
  tg_tensor* b = tg_categorical_crossentropy(t, x, oh);
  tg_tensor* c = tg_sparse_categorical_crossentropy(t, x, lab, true);
  tg_tensor* d = tg_softmax_cross_entropy(t, x, oh);
  ASSERT_NE(d, nullptr) << tg_tape_message(t);
  EXPECT_NEAR(a->data[0], b->data[0], 1e-6f);
  EXPECT_NEAR(c->data[0], d->data[0], 1e-6f);
  tg_tape_free(t);
}

TEST(SparseCategoricalCrossentropyTest, LabelOutOfRangeFailsRecordAndReplay) {
  tg_tape* t = tg_tape_new();
  const int64_t sz[2] = {4, 10};
  tg_tensor* x = tg_tape_leaf(t, 2, sz, nullptr, true);
  const int64_t sl[1] = {4};
  const int32_t bad[4] = {1, 2, 9, 12};
  EXPECT_EQ(tg_sparse_categorical_crossentropy(t, x, tg_tape_index_leaf(t, 1, sl, bad), true),
            nullptr);
  EXPECT_EQ(tg_tape_status(t), TG_ERR_ARG);
  EXPECT_STREQ(tg_tape_message(t),
               "sparse_categorical_crossentropy: label 12 out of range for 10 classes (at "
               "position 3)");

  // Recorded with good labels, replayed after one turned negative.
  tg_tape_clear(t);
  x = tg_tape_leaf(t, 2, sz, nullptr, true);
  const int32_t good[4] = {1, 2, 9, 0};
  tg_tensor* lab = tg_tape_index_leaf(t, 1, sl, good);
  tg_tensor* loss = tg_sparse_categorical_crossentropy(t, x, lab, true);
  ASSERT_NE(loss, nullptr) << tg_tape_message(t);
  EXPECT_NEAR(loss->data[0], std::log(10.0f), 1e-5f);  // zero logits: uniform over 10 classes
  lab->idata[1] = -1;
  EXPECT_EQ(tg_tape_forward(t), TG_ERR_ARG);
  EXPECT_STREQ(tg_tape_message(t),
               "sparse_categorical_crossentropy: label -1 out of range for 10 classes (at "
               "position 1)");
  tg_tape_free(t);
}

TEST(SparseCategoricalCrossentropyTest, ShapeAndDtypeErrors) {
  tg_tape* t = tg_tape_new();
  const int64_t sz[2] = {4, 3};
  tg_tensor* x = tg_tape_leaf(t, 2, sz, nullptr, false);
  const int64_t s3[1] = {3};
  EXPECT_EQ(tg_sparse_categorical_crossentropy(t, x, tg_tape_index_leaf(t, 1, s3, nullptr), true),
            nullptr);
  EXPECT_STREQ(tg_tape_message(t),
               "sparse_categorical_crossentropy: prediction [4x3] needs labels of shape [4] (the "
               "prediction without its class axis), got [3]");
  tg_tape_clear(t);
  x = tg_tape_leaf(t, 2, sz, nullptr, false);
  const int64_t s4[1] = {4};
  EXPECT_EQ(tg_sparse_categorical_crossentropy(t, x, tg_tape_leaf(t, 1, s4, nullptr, false), true),
            nullptr);
  EXPECT_STREQ(tg_tape_message(t),
               "sparse_categorical_crossentropy: input 2 [4] is float32, expected int32");
  tg_tape_free(t);
}

}  // namespace
