// The training doctor on the seed story and on models made to fail one way each.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/rng.h"
#include "frontends/fit.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"

namespace {

struct FitRun {
  tg_status st;
  std::string out;       // everything fit printed
  std::string warnings;  // the History's copy of the doctor's lines
  double fit_seconds, doctor_seconds;
};

FitRun Fit(tg_model* m, const float* x, int64_t n, const float* y, tg_fit_options fo) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  tg_history* h = tg_history_new(nullptr);
  fo.out = f;
  fo.history = h;
  FitRun r;
  r.st = tg_model_fit(m, x, n, y, &fo);
  fclose(f);
  r.out.assign(buf, len);
  free(buf);
  r.warnings = tg_history_warnings(h);
  r.fit_seconds = tg_history_fit_seconds(h);
  r.doctor_seconds = tg_history_doctor_seconds(h);
  tg_history_free(h);
  return r;
}

TEST(DoctorTest, SeedZeroInitIsDiagnosedInItsFirstEpoch) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_initializer zero = tg_init_zeros();
  tg_model* m = tg_seed_model_new(&zero, 0, nullptr, nullptr);
  tg_fit_options fo = {};
  fo.epochs = 3;
  fo.batch_size = 10;
  fo.verbose = 1;
  FitRun r = Fit(m, x, 10, y, fo);
  ASSERT_EQ(r.st, TG_OK) << tg_model_message(m);
  const std::string zero_line =
      "doctor: epoch 1, step 1: zero gradients: the hidden layers' gradients are exactly zero "
      "(dense_1 and dense_2), and dense_3/kernel's too, for 1 step: only dense_3/bias learns, so "
      "the model predicts the same output for every input (the target means)\n";
  const std::string dead1 =
      "doctor: epoch 1: dead ReLUs: 16 of the 16 units of dense_1 (100%) output 0 for every row "
      "of the last batch: no gradient reaches their weights\n";
  const std::string dead2 =
      "doctor: epoch 1: dead ReLUs: 16 of the 16 units of dense_2 (100%) output 0 for every row "
      "of the last batch: no gradient reaches their weights\n";
  EXPECT_EQ(r.warnings, zero_line + dead1 + dead2);
  // Printed in the first epoch: after its progress line, before "Epoch 2/3".
  const size_t epoch2 = r.out.find("Epoch 2/3");
  const size_t warn = r.out.find(zero_line);
  ASSERT_NE(warn, std::string::npos) << r.out;
  EXPECT_LT(warn, epoch2);
  EXPECT_GT(warn, r.out.find("1/1 [="));
  tg_model_free(m);
}

TEST(DoctorTest, SeedWithKerasDefaultsGetsNoWarning) {
  float x[10], y[20];
  tg_seed_data(x, y);
  for (uint64_t seed = 0; seed < 4; ++seed) {
    tg_model* m = tg_seed_model_new(nullptr, seed, nullptr, nullptr);
    tg_fit_options fo = {};
    fo.epochs = 1000;
    fo.batch_size = 10;
    FitRun r = Fit(m, x, 10, y, fo);
    ASSERT_EQ(r.st, TG_OK) << tg_model_message(m);
    EXPECT_EQ(r.warnings, "") << "seed " << seed;
    EXPECT_EQ(r.out, "") << "seed " << seed;  // verbose 0: nothing printed either
    EXPECT_GT(r.doctor_seconds, 0.0);         // it did look
    EXPECT_LT(r.doctor_seconds, r.fit_seconds);
    tg_model_free(m);
  }
}

TEST(DoctorTest, SwitchedOffSaysNothing) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_initializer zero = tg_init_zeros();
  tg_model* m = tg_seed_model_new(&zero, 0, nullptr, nullptr);
  tg_fit_options fo = {};
  fo.epochs = 30;
  fo.no_doctor = true;
  FitRun r = Fit(m, x, 10, y, fo);
  EXPECT_EQ(r.st, TG_OK);
  EXPECT_EQ(r.warnings, "");
  EXPECT_EQ(r.doctor_seconds, 0.0);
  EXPECT_GT(r.fit_seconds, 0.0);
  tg_model_free(m);
}

TEST(DoctorTest, ConstantInitIsSymmetryNotZeroGradients) {
  // Every weight 0.1: the units of each hidden layer stay copies of each other, but
  // they do learn (DESIGN.md: this network still fits its straight-line targets).
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_initializer c = tg_init_constant(0.1f);
  tg_model* m = tg_seed_model_new(&c, 0, nullptr, nullptr);
  tg_fit_options fo = {};
  fo.epochs = 20;
  FitRun r = Fit(m, x, 10, y, fo);
  ASSERT_EQ(r.st, TG_OK);
  EXPECT_EQ(r.warnings,
            "doctor: epoch 1: symmetric units: 15 of the 16 units of dense_1 are copies of another "
            "(1 distinct): the layer computes as if it had 1 unit; initialise its kernel randomly "
            "(e.g. glorot_uniform) to break the symmetry\n"
            "doctor: epoch 1: symmetric units: 15 of the 16 units of dense_2 are copies of another "
            "(1 distinct): the layer computes as if it had 1 unit; initialise its kernel randomly "
            "(e.g. glorot_uniform) to break the symmetry\n");
  tg_model_free(m);
}

tg_model* Linear(int in, int out, const tg_initializer* kernel, uint64_t seed,
                 tg_activation act = TG_ACT_RELU) {
  tg_model_options mo = {};
  mo.input_dim = in;
  mo.seed = seed;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&mo, &err);
  tg_dense_options d = {};
  d.units = 4;
  d.activation = act;
  if (kernel) d.kernel_init = *kernel;
  EXPECT_EQ(tg_model_add_dense(m, d), TG_OK);
  tg_dense_options o = {};
  o.units = out;
  EXPECT_EQ(tg_model_add_dense(m, o), TG_OK);
  return m;
}

TEST(DoctorTest, NonFiniteLossStopsNamingTheFirstOpAndLayer) {
  // 3e38 * 1 + 3e38 * 1 overflows in dense_1's matmul, the first node on the tape
  // (dense_2 then meets inf - inf: the loss is NaN).
  tg_initializer ones = tg_init_ones();
  tg_model* m = Linear(2, 1, &ones, 1);
  tg_loss mse = {};
  ASSERT_EQ(tg_model_compile(m, mse, nullptr), TG_OK);
  std::vector<float> x = {0.5f, 0.5f, 3e38f, 3e38f, 0.1f, 0.2f}, y = {1.0f, 2.0f, 3.0f};
  tg_fit_options fo = {};
  fo.batch_size = 3;
  fo.epochs = 5;
  fo.no_shuffle = true;
  FitRun r = Fit(m, x.data(), 3, y.data(), fo);
  EXPECT_EQ(r.st, TG_ERR_STATE);
  EXPECT_EQ(r.warnings,
            "doctor: epoch 1, step 1: the loss is nan: the first non-finite value is the output of "
            "op 'matmul' (node 0) in layer dense_1; training stopped\n")
      << r.out;
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_fit: epoch 1, step 1: the loss is nan: the first non-finite value is the "
               "output of op 'matmul' (node 0) in layer dense_1");
  // Stopped before the update: the weights are still the ones.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(tg_model_param_values(m)[i], 1.0f);
  tg_model_free(m);
}

TEST(DoctorTest, ConstantPredictorFloorIsNamed) {
  // Every row has the same input: the best the model can do is predict the targets'
  // mean, a loss of their variance.
  tg_model* m = Linear(1, 1, nullptr, 2, TG_ACT_LINEAR);
  tg_loss mse = {};
  tg_optimizer_options adam = {};
  adam.lr = 0.05f;
  ASSERT_EQ(tg_model_compile(m, mse, &adam), TG_OK);
  std::vector<float> x(16, 0.5f), y(16);
  tg_rng rng;
  tg_rng_seed(&rng, 3);
  for (float& v : y) v = tg_rng_uniform(&rng);
  tg_fit_options fo = {};
  fo.epochs = 400;
  fo.batch_size = 16;
  FitRun r = Fit(m, x.data(), 16, y.data(), fo);
  ASSERT_EQ(r.st, TG_OK);
  EXPECT_NE(r.warnings.find("constant predictor: the loss ("), std::string::npos) << r.warnings;
  EXPECT_NE(r.warnings.find("the model predicts the same output for every input (the target "
                            "means)\n"),
            std::string::npos)
      << r.warnings;
  tg_model_free(m);
}

TEST(DoctorTest, ExplodingUpdatesAreNamed) {
  tg_model* m = Linear(3, 1, nullptr, 4, TG_ACT_LINEAR);
  tg_loss mse = {};
  tg_optimizer_options adam = {};
  adam.kind = TG_OPT_SGD;
  adam.lr = 0.5f;  // steps of the size of the weights: ratios far above 1e-3
  ASSERT_EQ(tg_model_compile(m, mse, &adam), TG_OK);
  std::vector<float> x(48), y(16);
  tg_rng rng;
  tg_rng_seed(&rng, 5);
  for (float& v : x) v = tg_rng_uniform(&rng);
  for (float& v : y) v = tg_rng_uniform(&rng);
  tg_fit_options fo = {};
  fo.epochs = 40;
  fo.batch_size = 16;
  FitRun r = Fit(m, x.data(), 16, y.data(), fo);
  // Named three steps before the loss overflows (which then stops training).
  EXPECT_EQ(r.st, TG_ERR_STATE);
  EXPECT_EQ(r.warnings,
            "doctor: epoch 3, step 1: exploding updates: an update of dense_1/kernel changes it "
            "by 9.9241 of its size (healthy training is near 1e-3): lower the learning rate\n"
            "doctor: epoch 6, step 1: the loss is inf: the first non-finite value is the output "
            "of op 'mse' (node 4), after the layers; training stopped\n");
  tg_model_free(m);
}

}  // namespace
