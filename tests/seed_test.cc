// tests/seed_test.cc — the seed story, reproduced exactly (shared/DESIGN.md):
//   zero init:      every kernel and hidden-bias gradient is exactly 0, only the
//                   output bias learns, predictions plateau at the target means;
//   constant init:  the 16 units of each hidden layer stay identical forever;
//   default init:   the network fits for (nearly) every seed.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

extern "C" {
#include "frontends/seed_problem.h"
}

namespace {

class SeedTest : public testing::Test {
 protected:
  void SetUp() override { tg_seed_data(x_, y_); }

  tg_model* Model(const tg_initializer* init, uint64_t seed = 1) {
    tg_error err = {};
    tg_model* m = tg_seed_model_new(init, seed, nullptr, &err);
    EXPECT_NE(m, nullptr) << err.message;
    return m;
  }

  float Train(tg_model* m, int steps) {
    float loss = 0.0f;
    for (int s = 0; s < steps; ++s)
      EXPECT_EQ(tg_model_train_on_batch(m, x_, TG_SEED_ROWS, y_, &loss), TG_OK)
          << tg_model_message(m);
    EXPECT_EQ(tg_model_evaluate(m, x_, TG_SEED_ROWS, y_, &loss), TG_OK);
    return loss;
  }

  float x_[TG_SEED_ROWS];
  float y_[TG_SEED_ROWS * TG_SEED_OUTPUTS];
};

TEST_F(SeedTest, ZeroInitGradientsAreExactlyZeroExceptTheOutputBias) {
  tg_initializer zero = tg_init_zeros();
  tg_model* m = Model(&zero);
  float loss = 0.0f;
  ASSERT_EQ(tg_model_compute_gradients(m, x_, TG_SEED_ROWS, y_, &loss), TG_OK);
  // Predictions are all 0: loss = mean(y²) = (10·0.01 + Σ(0.01 i)²)/20 = 0.006425.
  EXPECT_NEAR(loss, (0.1 + 0.0285) / 20.0, 1e-8);
  for (int p = 0; p < tg_model_param_count(m); ++p) {
    const tg_tensor* t = tg_model_param(m, p);
    if (std::string(t->name) == "dense_3/bias") continue;
    for (int64_t i = 0; i < t->size; ++i) EXPECT_EQ(t->grad[i], 0.0f) << t->name << "[" << i << "]";
  }
  // d(loss)/db_c = Σ_i 2(0 - y_ic)/20: -0.1 for the constant column, -0.045 for the ramp.
  const tg_tensor* b3 = tg_model_find_param(m, "dense_3/bias");
  ASSERT_NE(b3, nullptr);
  EXPECT_NEAR(b3->grad[0], -0.1, 1e-7);
  EXPECT_NEAR(b3->grad[1], -0.045, 1e-7);
  tg_model_free(m);
}

TEST_F(SeedTest, ZeroInitPredictionsPlateauAtTheTargetMeans) {
  tg_initializer zero = tg_init_zeros();
  tg_model* m = Model(&zero);
  const float loss = Train(m, 1000);
  float pred[TG_SEED_ROWS * 2];
  ASSERT_EQ(tg_model_predict(m, x_, TG_SEED_ROWS, pred, TG_SEED_ROWS * 2), TG_OK);
  for (int i = 0; i < TG_SEED_ROWS; ++i) {
    EXPECT_NEAR(pred[2 * i], 0.1, 1e-3) << "row " << i;
    EXPECT_NEAR(pred[2 * i + 1], 0.045, 1e-3) << "row " << i;
  }
  // The floor: var(0.01 i) / 2 = 4.125e-4 (the first column is fitted exactly).
  EXPECT_NEAR(loss, 4.125e-4, 1e-6);
  // Nothing but the output bias ever moved.
  for (int p = 0; p < tg_model_param_count(m); ++p) {
    const tg_tensor* t = tg_model_param(m, p);
    if (std::string(t->name) == "dense_3/bias") continue;
    for (int64_t i = 0; i < t->size; ++i) ASSERT_EQ(t->data[i], 0.0f) << t->name;
  }
  tg_model_free(m);
}

// Every hidden unit identical: dense_1 and dense_2 kernels and biases constant (as
// values and as gradients), and each column of dense_3's kernel constant.
void ExpectSymmetric(tg_model* m, int step) {
  SCOPED_TRACE(testing::Message() << "after step " << step);
  for (const char* name : {"dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"}) {
    const tg_tensor* t = tg_model_find_param(m, name);
    for (int64_t i = 1; i < t->size; ++i) {
      ASSERT_EQ(t->data[i], t->data[0]) << name << "[" << i << "]";
      ASSERT_EQ(t->grad[i], t->grad[0]) << name << " grad[" << i << "]";
    }
  }
  const tg_tensor* k3 = tg_model_find_param(m, "dense_3/kernel");  // [16, 2]
  for (int64_t r = 1; r < 16; ++r) {
    for (int c = 0; c < 2; ++c) {
      ASSERT_EQ(k3->data[r * 2 + c], k3->data[c]) << "dense_3/kernel row " << r;
      ASSERT_EQ(k3->grad[r * 2 + c], k3->grad[c]) << "dense_3/kernel grad row " << r;
    }
  }
}

TEST_F(SeedTest, ConstantInitSymmetryNeverBreaks) {
  for (float value : {0.5f, 0.1f, -0.3f}) {
    SCOPED_TRACE(testing::Message() << "constant " << value);
    tg_initializer c = tg_init_constant(value);
    tg_model* m = Model(&c);
    for (int step = 1; step <= 2000; ++step) {
      ASSERT_EQ(tg_model_train_on_batch(m, x_, TG_SEED_ROWS, y_, nullptr), TG_OK);
      if (step % 250 == 0) ExpectSymmetric(m, step);  // grads are those of this step
    }
    tg_model_free(m);
  }
}

TEST_F(SeedTest, ConstantPointOneStaysSymmetricAndStillFits) {
  // DESIGN.md: with every weight and bias 0.1 the network stays exactly symmetric
  // and still fits (loss 3.7e-10 after 5000 Adam steps): the targets are a straight
  // line in x, which a width-1 network can represent. Measured here: 3.700e-10.
  tg_initializer c = tg_init_constant(0.1f);
  tg_model* m = Model(&c);
  const float loss = Train(m, 5000);
  ExpectSymmetric(m, 5000);
  EXPECT_LT(loss, 1e-9f);
  tg_model_free(m);
}

TEST_F(SeedTest, DefaultInitFitsForNearlyEverySeed) {
  // Measured over seeds 1..20 after 1000 full-batch steps: every loss below 1e-5
  // (largest 7.5e-6, median ~1e-7; Keras' own run printed 5.3e-8). The bar is 1e-4,
  // a 13x margin, for 19 of 20 seeds, so that a different but correct summation
  // order in a matmul backend cannot flip the result; every seed must stay below
  // 1e-3, far under the 4.1e-4-per-column symmetric floor of the zero init.
  int below = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    tg_model* m = Model(nullptr, seed);
    const float loss = Train(m, 1000);
    below += loss < 1e-4f;
    EXPECT_LT(loss, 1e-3f) << "seed " << seed;
    if (loss < 1e-4f) {  // then the predictions track the targets, not their means
      float pred[TG_SEED_ROWS * 2];
      ASSERT_EQ(tg_model_predict(m, x_, TG_SEED_ROWS, pred, TG_SEED_ROWS * 2), TG_OK);
      for (int i = 0; i < 2 * TG_SEED_ROWS; ++i)
        EXPECT_NEAR(pred[i], y_[i], 0.03) << "seed " << seed << " element " << i;
    }
    tg_model_free(m);
  }
  EXPECT_GE(below, 19);
}

}  // namespace
