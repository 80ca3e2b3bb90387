// Two models trained at the same time in two threads, each on two kernel threads of
// its own, share nothing: each ends with the bits it gets when trained alone. Run
// under ThreadSanitizer by CI (--config=tsan), where any shared state would race.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

struct Outcome {
  std::vector<float> params, pred;
  std::vector<uint8_t> saved;
  tg_status status = TG_OK;
};

// 64 -> 96 (relu) -> 4, trained 4 steps on 32 rows from `seed`; then predicts and
// saves to memory. Big enough that its products and Adam use both kernel threads.
Outcome TrainOne(uint64_t seed, int threads) {
  Outcome o;
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = 64;
  mo.seed = seed;
  mo.threads = threads;
  tg_model* m = tg_sequential_new(&mo, &err);
  if (m == nullptr) {
    o.status = err.code;
    return o;
  }
  tg_dense_options d1 = {};
  d1.units = 96;
  d1.activation = TG_ACT_RELU;
  tg_dense_options d2 = {};
  d2.units = 4;
  tg_loss loss = {};
  loss.kind = TG_LOSS_MSE;
  tg_optimizer_options adam = {};
  adam.kind = TG_OPT_ADAM;
  if (tg_model_add_dense(m, d1) != TG_OK || tg_model_add_dense(m, d2) != TG_OK ||
      tg_model_compile(m, loss, &adam) != TG_OK) {
    o.status = tg_model_status(m);
    tg_model_free(m);
    return o;
  }
  tg_rng rng;
  tg_rng_seed(&rng, seed + 100);
  std::vector<float> x(32 * 64), y(32 * 4);
  for (float& v : x) v = 2.0f * tg_rng_uniform(&rng) - 1.0f;
  for (float& v : y) v = tg_rng_uniform(&rng);
  for (int s = 0; s < 4 && o.status == TG_OK; ++s) {
    float l = 0.0f;
    o.status = tg_model_train_on_batch(m, x.data(), 32, y.data(), &l);
  }
  o.pred.resize(32 * 4);
  if (o.status == TG_OK) o.status = tg_model_predict(m, x.data(), 32, o.pred.data(), 32 * 4);
  o.params.assign(tg_model_param_values(m), tg_model_param_values(m) + tg_model_param_size(m));
  o.saved.resize(tg_model_save_buffer(m, nullptr, 0, &err));
  tg_model_save_buffer(m, o.saved.data(), o.saved.size(), &err);
  tg_model_free(m);
  return o;
}

TEST(ConcurrentModelsTest, TwoModelsInTwoThreadsMatchEachAlone) {
  const Outcome alone1 = TrainOne(1, 2), alone2 = TrainOne(2, 2);
  ASSERT_EQ(TG_OK, alone1.status);
  ASSERT_EQ(TG_OK, alone2.status);
  Outcome c1, c2;
  std::thread a([&] { c1 = TrainOne(1, 2); });
  std::thread b([&] { c2 = TrainOne(2, 2); });
  a.join();
  b.join();
  ASSERT_EQ(TG_OK, c1.status);
  ASSERT_EQ(TG_OK, c2.status);
  EXPECT_EQ(alone1.params, c1.params);
  EXPECT_EQ(alone1.pred, c1.pred);
  EXPECT_EQ(alone1.saved, c1.saved);
  EXPECT_EQ(alone2.params, c2.params);
  EXPECT_EQ(alone2.pred, c2.pred);
  // Different seeds train to different models (the comparison is not vacuous).
  EXPECT_NE(alone1.params, alone2.params);
  // And one kernel thread gives the same bits as two.
  const Outcome single = TrainOne(1, 1);
  EXPECT_EQ(alone1.params, single.params);
}

}  // namespace
