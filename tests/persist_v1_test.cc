// tests/persist_v1_test.cc — a version-1 model file written by the tapegrad of commit
// fa1a1cd (tests/fixtures/model_v1.tgm, made by tests/fixtures/make_v1_model.c; the
// command is in that file) still loads: the same layers, bit-identical parameters,
// and training continues exactly as the model that wrote it would have (the same
// optimizer state and step count), checked against the same model rebuilt and
// trained with today's code.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/test_files.h"

extern "C" {
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

const float kX[12] = {0.1f, -0.2f, 0.3f, 0.5f, 0.4f, -0.6f, -0.7f, 0.8f, 0.9f, 1.0f, -1.1f, 0.2f};
const float kY[8] = {1, 0, 0, 1, 1, 0, 0, 1};

// make_v1_model.c's model and its 3 training steps, with today's code.
tg_model* Rebuilt() {
  tg_model_options mo = {};
  mo.input_dim = 3;
  mo.seed = 11;
  tg_model* m = tg_sequential_new(&mo, nullptr);
  tg_dense_options d = {};
  d.units = 5;
  d.activation = TG_ACT_RELU;
  EXPECT_EQ(tg_model_add_dense(m, d), TG_OK);
  d.units = 4;
  d.activation = TG_ACT_TANH;
  d.no_bias = true;
  EXPECT_EQ(tg_model_add_dense(m, d), TG_OK);
  d.units = 2;
  d.activation = TG_ACT_SOFTMAX;
  d.no_bias = false;
  EXPECT_EQ(tg_model_add_dense(m, d), TG_OK);
  tg_loss loss = {};
  loss.kind = TG_LOSS_CATEGORICAL_CROSSENTROPY;
  tg_optimizer_options adam = {};
  adam.kind = TG_OPT_ADAM;
  adam.amsgrad = true;
  EXPECT_EQ(tg_model_compile(m, loss, &adam), TG_OK);
  float l = 0;
  for (int s = 0; s < 3; ++s) EXPECT_EQ(tg_model_train_on_batch(m, kX, 4, kY, &l), TG_OK);
  return m;
}

TEST(PersistV1Test, TheFixtureLoadsAndTrainsOnAsItsWriterWould) {
  const std::string bytes = tgtest::ReadFile("tests/fixtures/model_v1.tgm");
  ASSERT_EQ(bytes.size(), 1024u);
  tg_error err = {};
  tg_model* loaded = tg_model_load_buffer(bytes.data(), bytes.size(), nullptr, &err);
  ASSERT_NE(loaded, nullptr) << err.message;
  tg_model* rebuilt = Rebuilt();
  ASSERT_EQ(tg_model_layer_count(loaded), 3);
  for (int i = 0; i < 3; ++i) {
    tg_layer_info a = {}, b = {};
    ASSERT_EQ(tg_model_layer(loaded, i, &a), TG_OK);
    ASSERT_EQ(tg_model_layer(rebuilt, i, &b), TG_OK);
    EXPECT_STREQ(a.name, b.name);
    EXPECT_STREQ(a.type, "Dense");
    EXPECT_EQ(a.units, b.units);
    EXPECT_EQ(a.activation, b.activation);
    EXPECT_EQ(a.bias == nullptr, b.bias == nullptr);
  }
  const int64_t n = tg_model_param_size(rebuilt);
  ASSERT_EQ(tg_model_param_size(loaded), n);
  EXPECT_EQ(std::memcmp(tg_model_param_values(loaded), tg_model_param_values(rebuilt),
                        static_cast<size_t>(n) * sizeof(float)),
            0);
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(loaded)), 3);
  EXPECT_TRUE(tg_optimizer_options_of(tg_model_optimizer(loaded)).amsgrad);
  for (int s = 0; s < 5; ++s) {
    float la = 0, lb = 0;
    ASSERT_EQ(tg_model_train_on_batch(loaded, kX, 4, kY, &la), TG_OK) << tg_model_message(loaded);
    ASSERT_EQ(tg_model_train_on_batch(rebuilt, kX, 4, kY, &lb), TG_OK);
    EXPECT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << "step " << s;
  }
  EXPECT_EQ(std::memcmp(tg_model_param_values(loaded), tg_model_param_values(rebuilt),
                        static_cast<size_t>(n) * sizeof(float)),
            0);
  tg_model_free(loaded);
  tg_model_free(rebuilt);
}

}  // namespace
