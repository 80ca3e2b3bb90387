// Training on more than one thread: the optimizer step and the gradient zeroing
// split over the tape's pool give the same bits as one thread.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "frontends/model.h"
}

namespace {

// 256 -> 256 -> 10 has 68,362 parameters: enough that two workers share Adam's
// pass and the gradient zeroing.
constexpr int64_t kIn = 256, kHidden = 256, kOut = 10, kRows = 16;

std::vector<float> TrainedParams(int threads, int steps) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = kIn;
  mo.seed = 3;
  mo.threads = threads;
  tg_model* m = tg_sequential_new(&mo, &err);
  EXPECT_NE(nullptr, m) << err.message;
  tg_dense_options d1 = {};
  d1.units = kHidden;
  d1.activation = TG_ACT_RELU;
  tg_dense_options d2 = {};
  d2.units = kOut;
  EXPECT_EQ(TG_OK, tg_model_add_dense(m, d1));
  EXPECT_EQ(TG_OK, tg_model_add_dense(m, d2));
  tg_loss loss = {};
  loss.kind = TG_LOSS_MSE;
  tg_optimizer_options adam = {};
  adam.kind = TG_OPT_ADAM;
  EXPECT_EQ(TG_OK, tg_model_compile(m, loss, &adam));
  tg_rng rng;
  tg_rng_seed(&rng, 11);
  std::vector<float> x(kRows * kIn), y(kRows * kOut);
  for (float& v : x) v = 2.0f * tg_rng_uniform(&rng) - 1.0f;
  for (float& v : y) v = tg_rng_uniform(&rng);
  for (int s = 0; s < steps; ++s) {
    float l = 0.0f;
    EXPECT_EQ(TG_OK, tg_model_train_on_batch(m, x.data(), kRows, y.data(), &l))
        << tg_model_message(m);
  }
  const int64_t n = tg_model_param_size(m);
  EXPECT_EQ(kIn * kHidden + kHidden + kHidden * kOut + kOut, n);
  std::vector<float> p(tg_model_param_values(m), tg_model_param_values(m) + n);
  tg_model_free(m);
  return p;
}

TEST(ThreadedTrainingTest, AdamOverTwoThreadsGivesTheSameBitsAsOne) {
  const std::vector<float> one = TrainedParams(1, 3);
  const std::vector<float> two = TrainedParams(2, 3);
  ASSERT_EQ(one.size(), two.size());
  EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float)));
  for (size_t i = 0; i < one.size(); ++i)
    if (one[i] != two[i]) {
      printf("DIFF first %zu %g %g\n", i, one[i], two[i]);
      break;
    }
  const std::vector<float> one0 = TrainedParams(1, 0), two0 = TrainedParams(2, 0);
  for (size_t i = 0; i < one.size(); ++i)
    if (one0[i] != two0[i]) {
      printf("DIFF0 first %zu %g %g\n", i, one0[i], two0[i]);
      break;
    }
  const std::vector<float> one1 = TrainedParams(1, 1), two1 = TrainedParams(2, 1);
  for (size_t i = 0; i < one.size(); ++i)
    if (one1[i] != two1[i]) {
      printf("DIFF1 first %zu %g %g\n", i, one1[i], two1[i]);
      break;
    }
  // And the steps did move the parameters (the comparison is not vacuous).
  const std::vector<float> start = TrainedParams(1, 0);
  EXPECT_NE(0, std::memcmp(one.data(), start.data(), one.size() * sizeof(float)));
}

}  // namespace
