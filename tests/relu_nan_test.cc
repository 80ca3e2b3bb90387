// ReLU keeps NaN (as PyTorch does) on every path: the op recorded and replayed,
// the fused bias-add + ReLU replay, and a model's predict; other values keep their
// bits (negative zero and negatives become +0, infinities pass as max(x, 0) says).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

extern "C" {
#include "core/tape.h"
#include "frontends/model.h"
#include "ops/ops.h"
}

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

const std::vector<float> kIn = {kNaN, -kNaN, -1.0f, 0.0f, -0.0f, 2.5f, kInf, -kInf};
// max(x, 0) by hand, NaN kept: -0 and negatives give +0.
const std::vector<float> kOut = {kNaN, -kNaN, 0.0f, 0.0f, 0.0f, 2.5f, kInf, 0.0f};

void ExpectSame(const std::vector<float>& want, const float* got, const char* what) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << what << " element " << i << " is " << got[i];
    else
      EXPECT_EQ(Bits(want[i]), Bits(got[i])) << what << " element " << i;
  }
}

TEST(ReluNanTest, RecordedAndReplayedReluKeepNaN) {
  tg_tape* t = tg_tape_new();
  const int64_t shape[] = {8};
  tg_tensor* x = tg_tape_leaf(t, 1, shape, kIn.data(), false);
  tg_tensor* y = tg_relu(t, x);
  ASSERT_NE(nullptr, y) << tg_tape_message(t);
  ExpectSame(kOut, y->data, "recorded");
  std::memset(y->data, 0, 8 * sizeof(float));
  ASSERT_EQ(TG_OK, tg_tape_forward(t));
  ExpectSame(kOut, y->data, "replayed");
  tg_tape_free(t);
}

TEST(ReluNanTest, FusedBiasAddReluKeepsNaN) {
  // z = a + b with b a row of 8 (a Dense layer's bias); a is 2 rows. Planned, the
  // add and relu replay as one chain (core/tape.h); unplanned, node by node.
  std::vector<float> a(16, 0.0f), b = kIn;
  for (bool fused : {false, true}) {
    tg_tape* t = tg_tape_new();
    tg_tape_set_planning(t, fused);
    const int64_t as[] = {2, 8}, bs[] = {8};
    tg_tensor* ta = tg_tape_leaf(t, 2, as, a.data(), true);
    tg_tensor* tb = tg_tape_leaf(t, 1, bs, b.data(), true);
    tg_tensor* y = tg_relu(t, tg_add(t, ta, tb));
    ASSERT_NE(nullptr, y) << tg_tape_message(t);
    std::memset(y->data, 0, 16 * sizeof(float));
    ASSERT_EQ(TG_OK, tg_tape_forward(t));  // the chain runs on replay
    EXPECT_EQ(fused ? 2 : 0, tg_tape_plan_chain(t, 0, nullptr));
    ExpectSame(kOut, y->data, fused ? "fused row 0" : "plain row 0");
    ExpectSame(kOut, y->data + 8, fused ? "fused row 1" : "plain row 1");
    tg_tape_free(t);
  }
}

TEST(ReluNanTest, PredictWithANaNInputGivesNaN) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = 1;
  mo.seed = 1;
  tg_model* m = tg_sequential_new(&mo, &err);
  ASSERT_NE(nullptr, m) << err.message;
  tg_dense_options d1 = {};
  d1.units = 4;
  d1.activation = TG_ACT_RELU;
  tg_dense_options d2 = {};
  d2.units = 1;
  ASSERT_EQ(TG_OK, tg_model_add_dense(m, d1));
  ASSERT_EQ(TG_OK, tg_model_add_dense(m, d2));
  const float x[2] = {kNaN, 0.5f};
  float out[2] = {0.0f, 0.0f};
  ASSERT_EQ(TG_OK, tg_model_predict(m, x, 2, out, 2)) << tg_model_message(m);
  EXPECT_TRUE(std::isnan(out[0])) << out[0];
  EXPECT_FALSE(std::isnan(out[1]));
  tg_model_free(m);
}

}  // namespace
