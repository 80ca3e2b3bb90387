// fit allocates everything it needs before the first step, so running out of
// memory leaves the model (parameters, optimizer, shuffling stream) and the history
// as they were, and a retry gives the bits of a run that never failed; huge losses
// print in scientific notation; initializers that produce infinities, from_logits
// on a loss without logits and absurd input widths are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

std::vector<uint8_t> Bytes(const tg_model* m) {
  tg_error err = {};
  std::vector<uint8_t> b(tg_model_save_buffer(m, nullptr, 0, &err));
  tg_model_save_buffer(m, b.data(), b.size(), &err);
  return b;
}

// 2 -> 8 relu -> 1, Adam, MSE, seed 3.
tg_model* Model(const tg_allocator* a) {
  tg_model_options mo = {};
  mo.input_dim = 2;
  mo.seed = 3;
  mo.allocator = a;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&mo, &err);
  if (m == nullptr) return nullptr;
  tg_dense_options d1 = {};
  d1.units = 8;
  d1.activation = TG_ACT_RELU;
  tg_dense_options d2 = {};
  d2.units = 1;
  tg_loss loss = {};
  if (tg_model_add_dense(m, d1) != TG_OK || tg_model_add_dense(m, d2) != TG_OK ||
      tg_model_compile(m, loss, nullptr) != TG_OK) {
    tg_model_free(m);
    return nullptr;
  }
  return m;
}

// 13 rows: 10 for training in batches of 4 (4, 4, 2) and 3 for validation.
struct Data {
  std::vector<float> x, y;
  Data() {
    for (int i = 0; i < 13; ++i) {
      x.push_back(0.1f * i);
      x.push_back(1.0f - 0.05f * i);
      y.push_back(0.3f * i - 1.0f);
    }
  }
};

tg_fit_options FitOptions(float* history) {
  tg_fit_options o = {};
  o.epochs = 3;
  o.batch_size = 4;
  o.validation_split = 0.25f;
  o.history_loss = history;
  return o;
}

// Every allocation fit makes, failed in turn (alone, and with every later one
// failing too): the failed fit leaves the model and the history as they were, and a
// retry gives the bits of a fit that never failed. `weighted` adds sample weights and
// separate validation data of 5 rows (validation batches of 4 and 1), so the weighted
// training tape and both validation tapes are recorded before the first step too.
void ExpectOutOfMemoryLeavesTheModel(bool weighted) {
  const Data d;
  const std::vector<float> sw = {1.0f, 0.5f, 2.0f, 1.0f, 0.0f, 1.5f, 1.0f, 1.0f, 0.25f, 3.0f};
  auto options = [&](float* history) {
    tg_fit_options o = FitOptions(history);
    if (weighted) {
      o.validation_split = 0.0f;
      o.sample_weight = sw.data();
      o.validation_x = d.x.data() + 2 * 8;  // rows 8..12
      o.validation_y = d.y.data() + 8;
      o.validation_n = 5;
    }
    return o;
  };
  const int64_t n = weighted ? 10 : 13;
  std::vector<uint8_t> want;
  int fit_allocs = 0, base = 0;
  {
    tgtest::CountingAllocator a;
    tg_model* m = Model(a.get());
    ASSERT_NE(nullptr, m);
    base = a.allocs();
    float history[3];
    tg_fit_options o = options(history);
    ASSERT_EQ(TG_OK, tg_model_fit(m, d.x.data(), n, d.y.data(), &o)) << tg_model_message(m);
    fit_allocs = a.allocs() - base;
    want = Bytes(m);
    tg_model_free(m);
  }
  ASSERT_GT(fit_allocs, 0);
  for (int later = 0; later < 2; ++later)
    for (int j = 1; j <= fit_allocs; ++j) {
      tgtest::CountingAllocator a;
      tg_model* m = Model(a.get());
      ASSERT_NE(nullptr, m);
      ASSERT_EQ(base, a.allocs());
      const std::vector<uint8_t> before = Bytes(m);
      if (later)
        a.FailFrom(base + j);
      else
        a.FailAt(base + j);
      float history[3] = {-1.0f, -1.0f, -1.0f};
      tg_fit_options o = options(history);
      const tg_status s = tg_model_fit(m, d.x.data(), n, d.y.data(), &o);
      if (s != TG_OK) {
        EXPECT_EQ(TG_ERR_NOMEM, s) << "j=" << j << ": " << tg_model_message(m);
        EXPECT_EQ(before, Bytes(m)) << "j=" << j << ": a failed fit changed the model";
        EXPECT_EQ(-1.0f, history[0]) << "j=" << j << ": a failed fit wrote the history";
        a.NeverFail();
        ASSERT_EQ(TG_OK, tg_model_fit(m, d.x.data(), n, d.y.data(), &o)) << tg_model_message(m);
      }
      EXPECT_EQ(want, Bytes(m)) << "j=" << j << ": the retried fit differs";
      tg_model_free(m);
      EXPECT_EQ(0, a.live()) << "j=" << j;
    }
}

TEST(FitHardeningTest, OutOfMemoryAnywhereInFitLeavesTheModelAsItWas) {
  ExpectOutOfMemoryLeavesTheModel(false);
}

TEST(FitHardeningTest, OutOfMemoryInAWeightedFitWithValidationDataLeavesTheModel) {
  ExpectOutOfMemoryLeavesTheModel(true);
}

TEST(FitHardeningTest, HugeLossesPrintInScientificNotation) {
  tg_model* m = Model(nullptr);
  ASSERT_NE(nullptr, m);
  const std::vector<float> x = {0.0f, 0.0f, 1.0f, 1.0f};
  const std::vector<float> y = {1e18f, -1e18f};
  char* buf = nullptr;
  size_t len = 0;
  FILE* out = open_memstream(&buf, &len);
  tg_fit_options o = {};
  o.verbose = 2;
  o.out = out;
  ASSERT_EQ(TG_OK, tg_model_fit(m, x.data(), 2, y.data(), &o));
  std::fclose(out);
  const std::string text(buf, len);
  free(buf);
  // The loss is about 1e36: "%.4f" would print 37 digits.
  // verbose 2 ends the line with the epoch's times: "- loss: 1.0000e+36 - 0s/epoch ...".
  EXPECT_NE(std::string::npos, text.find(" - loss: 1.0000e+36 - ")) << text;
  tg_model_free(m);
}

TEST(FitHardeningTest, AnInitializerProducingInfinitiesIsRefused) {
  tg_model_options mo = {};
  mo.input_dim = 2;
  mo.seed = 9;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&mo, &err);
  ASSERT_NE(nullptr, m);
  tg_dense_options bad = {};
  bad.units = 3;
  bad.kernel_init.kind = TG_INIT_RANDOM_NORMAL;
  bad.kernel_init.stddev = 3e38f;  // draws beyond float's range
  EXPECT_EQ(TG_ERR_ARG, tg_model_add_dense(m, bad));
  const std::string msg = tg_model_message(m);
  EXPECT_EQ(
      0u, msg.find("tg_model_add_dense: the dense_1/kernel initializer (random_normal) produced "))
      << msg;
  EXPECT_NE(std::string::npos, msg.find(" non-finite values of 6")) << msg;
  EXPECT_EQ(0, tg_model_layer_count(m));
  EXPECT_EQ(0, tg_model_param_size(m));
  tg_dense_options inf_bias = {};
  inf_bias.units = 3;
  inf_bias.bias_init.kind = TG_INIT_RANDOM_NORMAL;  // mean + z * stddev overflows for z > 0
  inf_bias.bias_init.mean = 3.4e38f;
  inf_bias.bias_init.stddev = 1e38f;
  EXPECT_EQ(TG_ERR_ARG, tg_model_add_dense(m, inf_bias));
  EXPECT_EQ(0u,
            std::string(tg_model_message(m))
                .find("tg_model_add_dense: the dense_1/bias initializer (random_normal) produced "))
      << tg_model_message(m);
  // The refused layers drew nothing from the model's stream: the next layer gets
  // the values it would have had without them.
  tg_dense_options ok = {};
  ok.units = 3;
  ASSERT_EQ(TG_OK, tg_model_add_dense(m, ok));
  tg_model* fresh = tg_sequential_new(&mo, &err);
  ASSERT_EQ(TG_OK, tg_model_add_dense(fresh, ok));
  ASSERT_EQ(tg_model_param_size(fresh), tg_model_param_size(m));
  for (int64_t i = 0; i < tg_model_param_size(m); ++i)
    EXPECT_EQ(tg_model_param_values(fresh)[i], tg_model_param_values(m)[i]) << i;
  tg_model_free(fresh);
  tg_model_free(m);
}

TEST(FitHardeningTest, FromLogitsOnALossWithoutLogitsIsRefused) {
  tg_model* m = Model(nullptr);
  ASSERT_NE(nullptr, m);
  tg_loss mse = {};
  mse.from_logits = true;
  EXPECT_EQ(TG_ERR_ARG, tg_model_compile(m, mse, nullptr));
  EXPECT_STREQ(
      "tg_model_compile: from_logits applies to binary_crossentropy, "
      "categorical_crossentropy and sparse_categorical_crossentropy, not mean_squared_error",
      tg_model_message(m));
  tg_loss bce = {};
  bce.kind = TG_LOSS_BINARY_CROSSENTROPY;
  bce.from_logits = true;
  EXPECT_EQ(TG_OK, tg_model_compile(m, bce, nullptr));
  tg_model_free(m);
}

}  // namespace
