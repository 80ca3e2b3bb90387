// tests/optimizers_keras_test.cc — AdamW, Adagrad and Nadam against their Keras update
// rules computed independently (in double, written from Keras' source, not from ours),
// with the first step worked by hand; gradient clipping (clipvalue, clipnorm per
// parameter, global_clipnorm) on SGD where the update is the clipped gradient itself;
// and a model that saves and resumes with them bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

extern "C" {
#include "frontends/model.h"
#include "frontends/optimizers.h"
#include "frontends/params.h"
#include "frontends/persist.h"
}

namespace {

tg_optimizer* Make(tg_optimizer_options o, int64_t n) {
  tg_error err = {};
  tg_optimizer* opt = tg_optimizer_new(&o, n, nullptr, &err);
  EXPECT_NE(opt, nullptr) << err.message;
  return opt;
}

const float kG[3][2] = {{0.5f, -0.25f}, {0.1f, 0.3f}, {-0.4f, 0.05f}};

TEST(KerasOptimizersTest, AdamWDecaysThenStepsAsAdam) {
  tg_optimizer_options o = {};
  o.kind = TG_OPT_ADAMW;
  o.lr = 0.1f;
  o.weight_decay = 0.1f;
  tg_optimizer* opt = Make(o, 2);
  float w[2] = {1.0f, -2.0f};
  double wd[2] = {1.0, -2.0}, m[2] = {0, 0}, v[2] = {0, 0};
  for (int t = 1; t <= 3; ++t) {
    ASSERT_EQ(tg_optimizer_step(opt, w, kG[t - 1], 2, nullptr), TG_OK);
    const double lr_t = 0.1 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (int i = 0; i < 2; ++i) {
      const double g = kG[t - 1][i];
      wd[i] -= wd[i] * 0.1 * 0.1;  // decoupled decay: variable -= variable * wd * lr
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      wd[i] -= lr_t * m[i] / (std::sqrt(v[i]) + 1e-7);
      EXPECT_NEAR(w[i], wd[i], 2e-6) << "step " << t << " entry " << i;
    }
    // Step 1 by hand, entry 0: w = 1 - 0.01 = 0.99; m = 0.05, v = 0.00025,
    // lr_t = 0.1 sqrt(0.001) / 0.1 = 0.0316228; 0.99 - 0.0316228 * 0.05 / 0.0158115 = 0.8900006.
    if (t == 1) {
      EXPECT_NEAR(w[0], 0.8900006f, 1e-6f);
    }
  }
  tg_optimizer_free(opt);
}

TEST(KerasOptimizersTest, AdagradAccumulatesFromItsInitialValue) {
  tg_optimizer_options o = {};
  o.kind = TG_OPT_ADAGRAD;
  o.lr = 0.1f;
  tg_optimizer* opt = Make(o, 2);
  EXPECT_EQ(tg_optimizer_options_of(opt).initial_accumulator_value, 0.1f);
  float w[2] = {1.0f, -2.0f};
  double wd[2] = {1.0, -2.0}, a[2] = {0.1, 0.1};
  for (int t = 1; t <= 3; ++t) {
    ASSERT_EQ(tg_optimizer_step(opt, w, kG[t - 1], 2, nullptr), TG_OK);
    for (int i = 0; i < 2; ++i) {
      const double g = kG[t - 1][i];
      a[i] += g * g;
      wd[i] -= 0.1 * g / std::sqrt(a[i] + 1e-7);
      EXPECT_NEAR(w[i], wd[i], 2e-6) << "step " << t << " entry " << i;
    }
    // Step 1 by hand: a = 0.1 + 0.25 = 0.35; 1 - 0.1 * 0.5 / 0.591608 = 0.9154846.
    if (t == 1) {
      EXPECT_NEAR(w[0], 0.9154846f, 1e-6f);
    }
  }
  tg_optimizer_reset(opt);  // back to the initial accumulator
  float w2[2] = {1.0f, -2.0f};
  ASSERT_EQ(tg_optimizer_step(opt, w2, kG[0], 2, nullptr), TG_OK);
  EXPECT_NEAR(w2[0], 0.9154846f, 1e-6f);
  tg_optimizer_free(opt);
}

TEST(KerasOptimizersTest, NadamFollowsKerasMomentumSchedule) {
  tg_optimizer_options o = {};
  o.kind = TG_OPT_NADAM;
  o.lr = 0.1f;
  tg_optimizer* opt = Make(o, 2);
  float w[2] = {1.0f, -2.0f};
  double wd[2] = {1.0, -2.0}, m[2] = {0, 0}, v[2] = {0, 0}, product = 1.0;
  for (int t = 1; t <= 3; ++t) {
    ASSERT_EQ(tg_optimizer_step(opt, w, kG[t - 1], 2, nullptr), TG_OK);
    const double u_t = 0.9 * (1 - 0.5 * std::pow(0.96, 0.004 * t));
    const double u_t1 = 0.9 * (1 - 0.5 * std::pow(0.96, 0.004 * (t + 1)));
    const double p_t = product * u_t, p_t1 = p_t * u_t1;
    for (int i = 0; i < 2; ++i) {
      const double g = kG[t - 1][i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      const double m_hat = u_t1 * m[i] / (1 - p_t1) + (1 - u_t) * g / (1 - p_t);
      const double v_hat = v[i] / (1 - std::pow(0.999, t));
      wd[i] -= 0.1 * m_hat / (std::sqrt(v_hat) + 1e-7);
      EXPECT_NEAR(w[i], wd[i], 2e-6) << "step " << t << " entry " << i;
    }
    product = p_t;
    // Step 1 by hand: u_1 = 0.4500735, u_2 = 0.4501469, P_2 = 0.2025992;
    // m_hat = 0.4501469 * 0.05 / 0.7974008 + 0.5 = 0.5282259, v_hat = 0.25:
    // 1 - 0.1 * 0.5282259 / 0.5 = 0.8943548.
    if (t == 1) {
      EXPECT_NEAR(w[0], 0.8943548f, 1e-6f);
    }
  }
  tg_optimizer_free(opt);
}

// SGD with lr 1 and no momentum moves each weight by minus the (clipped) gradient.
std::vector<float> SgdMove(tg_optimizer_options o, const std::vector<float>& g,
                           const std::vector<int64_t>& partition = {}) {
  o.kind = TG_OPT_SGD;
  o.lr = 1.0f;
  const int64_t n = static_cast<int64_t>(g.size());
  tg_optimizer* opt = Make(o, n);
  tg_error err = {};
  if (!partition.empty()) {
    EXPECT_EQ(
        tg_optimizer_set_partition(opt, partition.data(), static_cast<int>(partition.size()), &err),
        TG_OK)
        << err.message;
  }
  std::vector<float> w(g.size(), 0.0f);
  EXPECT_EQ(tg_optimizer_step(opt, w.data(), g.data(), n, &err), TG_OK);
  tg_optimizer_free(opt);
  for (float& x : w) x = -x;
  return w;
}

TEST(KerasOptimizersTest, ClippingAsKerasClipsAndLeavesTheGradientsAlone) {
  const std::vector<float> g = {3.0f, 4.0f, 12.0f};
  tg_optimizer_options o = {};
  o.clipvalue = 3.5f;
  EXPECT_EQ(SgdMove(o, g), (std::vector<float>{3.0f, 3.5f, 3.5f}));
  o = {};
  o.clipnorm = 1.0f;  // per parameter: [3, 4] has norm 5, [12] norm 12
  std::vector<float> c = SgdMove(o, g, {2, 1});
  EXPECT_FLOAT_EQ(c[0], 0.6f);
  EXPECT_FLOAT_EQ(c[1], 0.8f);
  EXPECT_FLOAT_EQ(c[2], 1.0f);
  c = SgdMove(o, g);  // no partition: the block is one parameter, norm 13
  EXPECT_FLOAT_EQ(c[2], 12.0f / 13.0f);
  o = {};
  o.global_clipnorm = 26.0f;  // norm 13 is within: unchanged
  EXPECT_EQ(SgdMove(o, g), g);
  o.global_clipnorm = 6.5f;
  c = SgdMove(o, g);
  EXPECT_FLOAT_EQ(c[0], 1.5f);
  EXPECT_FLOAT_EQ(c[1], 2.0f);
  EXPECT_FLOAT_EQ(c[2], 6.0f);
  tg_error err = {};
  o = {};
  o.clipnorm = -1.0f;
  EXPECT_EQ(tg_optimizer_new(&o, 3, nullptr, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_optimizer_new: adam clipnorm must be finite and >= 0, got -1");
  o = {};
  o.clipnorm = 1.0f;
  tg_optimizer* opt = Make(o, 3);
  const int64_t bad[2] = {2, 2};
  err = {};
  EXPECT_EQ(tg_optimizer_set_partition(opt, bad, 2, &err), TG_ERR_ARG);
  EXPECT_STREQ(err.message, "tg_optimizer_set_partition: segment 1 of 2 floats overruns the 3");
  tg_optimizer_free(opt);
}

// A model compiled with each new optimizer (and clipnorm, which the model partitions
// by its parameter table) saves in version 2 and resumes bit for bit.
TEST(KerasOptimizersTest, ModelsResumeBitForBitWithEachNewOptimizer) {
  const float x[8] = {0.1f, 0.2f, 0.3f, -0.4f, 0.5f, 0.6f, -0.7f, 0.8f}, y[4] = {1, -1, 0.5f, 0};
  for (tg_optimizer_kind kind : {TG_OPT_ADAMW, TG_OPT_ADAGRAD, TG_OPT_NADAM}) {
    tg_model_options mo = {};
    mo.input_dim = 2;
    mo.seed = 4;
    tg_model* m = tg_sequential_new(&mo, nullptr);
    tg_dense_options d = {};
    d.units = 3;
    d.activation = TG_ACT_TANH;
    ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
    d.units = 1;
    d.activation = TG_ACT_LINEAR;
    ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
    tg_optimizer_options o = {};
    o.kind = kind;
    o.clipnorm = 0.5f;
    o.clipvalue = 0.3f;
    tg_loss mse = {TG_LOSS_MSE, false};
    ASSERT_EQ(tg_model_compile(m, mse, &o), TG_OK) << tg_model_message(m);
    for (int s = 0; s < 3; ++s) ASSERT_EQ(tg_model_train_on_batch(m, x, 4, y, nullptr), TG_OK);
    tg_error err = {};
    std::vector<uint8_t> b(tg_model_save_buffer(m, nullptr, 0, &err));
    ASSERT_EQ(tg_model_save_buffer(m, b.data(), b.size(), &err), b.size());
    tg_model* back = tg_model_load_buffer(b.data(), b.size(), nullptr, &err);
    ASSERT_NE(back, nullptr) << err.message;
    EXPECT_EQ(tg_optimizer_options_of(tg_model_optimizer(back)).clipnorm, 0.5f);
    for (int s = 0; s < 4; ++s) {
      float la = 0, lb = 0;
      ASSERT_EQ(tg_model_train_on_batch(m, x, 4, y, &la), TG_OK);
      ASSERT_EQ(tg_model_train_on_batch(back, x, 4, y, &lb), TG_OK);
      EXPECT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << tg_optimizer_kind_name(kind) << " " << s;
    }
    // Version 1 cannot hold them.
    err = {};
    EXPECT_EQ(tg_model_save_buffer_v1(m, nullptr, 0, &err), 0u);
    EXPECT_STREQ(err.message,
                 "tg_model_save_buffer_v1: version 1 holds Adam, SGD and RMSprop without clipping "
                 "only");
    tg_model_free(back);
    tg_model_free(m);
  }
}

}  // namespace
