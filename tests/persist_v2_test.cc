// tests/persist_v2_test.cc — the version-2 layout (which version 3 extends with the
// metrics; persist_v3_test.cc tests those): every layer type and both kinds of
// model round-trip bit for bit (file, values, summary, and training that carries on
// exactly), a user's own layer type loads when the program names it, and damaged
// version-2 files are refused with the byte and the reason.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/persist_test_util.h"

extern "C" {
#include "frontends/layer.h"
#include "frontends/model.h"
#include "frontends/persist.h"
#include "ops/ops.h"
}

namespace {

using namespace tgtest;

// Two inputs, a shared Dense, Add, Concatenate, Reshape, Flatten, Activation layers of
// every kind, Dense without bias: every layer type tapegrad has.
tg_model* EveryLayerModel() {
  tg_model_options o = {};
  o.seed = 12;
  tg_model* m = tg_functional_new(&o, nullptr);
  const int64_t shape[1] = {3};
  tg_sym a = tg_model_input(m, 1, shape), b = tg_model_input(m, 1, shape);
  tg_layer* shared = tg_model_dense(m, Dense(4, TG_ACT_TANH));
  tg_sym uses[2] = {tg_model_call1(m, shared, a), tg_model_call1(m, shared, b)};
  tg_sym h = tg_model_call(m, tg_model_merge_add(m), uses, 2);
  tg_sym cat[2] = {h, uses[0]};
  h = tg_model_call(m, tg_model_concatenate(m, -1), cat, 2);
  const int64_t target[2] = {4, 2};
  h = tg_model_call1(m, tg_model_reshape(m, 2, target), h);
  h = tg_model_call1(m, tg_model_flatten(m), h);
  for (int act = 0; act < TG_ACT_COUNT; ++act)
    h = tg_model_call1(m, tg_model_activation(m, static_cast<tg_activation>(act)), h);
  h = tg_model_call1(m, tg_model_dense(m, Dense(2, TG_ACT_LINEAR, true)), h);
  tg_sym ins[2] = {a, b};
  EXPECT_EQ(tg_model_set_io(m, ins, 2, h), TG_OK) << tg_model_message(m);
  tg_optimizer_options adam = {};
  adam.amsgrad = true;
  tg_loss mse = {TG_LOSS_MSE, false};
  EXPECT_EQ(tg_model_compile(m, mse, &adam), TG_OK);
  return m;
}

const float kA[6] = {0.1f, 0.2f, -0.3f, 0.4f, -0.5f, 0.6f};
const float kB[6] = {-0.2f, 0.7f, 0.1f, 0.3f, 0.3f, -0.9f};
const float kY[4] = {0.5f, -0.5f, 0.25f, 0.0f};

std::string Summary(const tg_model* m) {
  char buf[8192];
  tg_model_summary_str(m, buf, sizeof buf);
  return buf;
}

TEST(PersistV2Test, EveryLayerTypeRoundTripsAndTrainsOnBitForBit) {
  tg_model* m = EveryLayerModel();
  const float* xs[2] = {kA, kB};
  for (int s = 0; s < 3; ++s)
    ASSERT_EQ(tg_model_train_on_batch_multi(m, xs, 2, 2, kY, nullptr), TG_OK);
  const Bytes b = SaveBytes(m);
  EXPECT_EQ(Get32(b, 8), 3u);
  tg_error err = {};
  tg_model* back = tg_model_load_buffer(b.data(), b.size(), nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;
  EXPECT_EQ(SaveBytes(back), b);  // one encoding
  EXPECT_EQ(Summary(back), Summary(m));
  ASSERT_EQ(tg_model_layer_count(back), tg_model_layer_count(m));
  for (int i = 0; i < tg_model_layer_count(m); ++i) {
    tg_layer_info x = {}, y = {};
    tg_model_layer(m, i, &x);
    tg_model_layer(back, i, &y);
    EXPECT_STREQ(x.name, y.name);
    EXPECT_STREQ(x.type, y.type);
    EXPECT_EQ(x.activation, y.activation);
    EXPECT_EQ(x.uses, y.uses);
  }
  for (int s = 0; s < 5; ++s) {
    float la = 0, lb = 0;
    ASSERT_EQ(tg_model_train_on_batch_multi(m, xs, 2, 2, kY, &la), TG_OK);
    ASSERT_EQ(tg_model_train_on_batch_multi(back, xs, 2, 2, kY, &lb), TG_OK)
        << tg_model_message(back);
    EXPECT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << s;
  }
  EXPECT_EQ(SaveBytes(back), SaveBytes(m));
  tg_model_free(back);
  tg_model_free(m);
}

TEST(PersistV2Test, SequentialWithActivationLayersRoundTripsThroughAFile) {
  tg_model* m = NewModel(2, 3);
  ASSERT_EQ(tg_model_add_dense(m, Dense(4)), TG_OK);
  ASSERT_EQ(tg_model_add_activation(m, TG_ACT_RELU), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(1)), TG_OK);
  const std::string path = TempPath("seq_v2.tgm");
  tg_error err = {};
  ASSERT_EQ(tg_model_save(m, path.c_str(), &err), TG_OK) << err.message;
  tg_model* back = tg_model_load(path.c_str(), nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;
  EXPECT_FALSE(tg_model_is_functional(back));
  EXPECT_EQ(Summary(back), Summary(m));
  EXPECT_EQ(SaveBytes(back), SaveBytes(m));
  // Still a Sequential model: it grows like the original would.
  ASSERT_EQ(tg_model_add_dense(m, Dense(2)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(back, Dense(2)), TG_OK);
  EXPECT_EQ(SaveBytes(back), SaveBytes(m));
  tg_model_free(back);
  tg_model_free(m);
}

// A user's layer: y = x * w, w [features] per unit.
tg_status ScaleBuild(tg_layer* l, const tg_layer_shape* in, int, tg_layer_shape* out,
                     tg_error* err) {
  tg_param_decl d{};
  d.name = "w";
  d.rank = 1;
  d.shape[0] = in[0].dim[in[0].rank - 1];
  d.init = tg_init_constant(*static_cast<const float*>(tg_layer_config(l)));
  if (tg_layer_declare(l, &d, err) < 0) return err->code;
  *out = in[0];
  return TG_OK;
}
tg_tensor* ScaleRecord(tg_layer* l, tg_tape* t, tg_tensor* const* in, int,
                       const tg_layer_ctx* ctx) {
  return tg_mul(t, in[0], tg_layer_param(l, 0, ctx));
}
void ScaleIo(void* config, tg_config_io* io) {
  tg_config_f32(io, "init", static_cast<float*>(config));
}
tg_layer_type MakeScale() {
  tg_layer_type t{};
  t.name = "Scale";
  t.prefix = "scale";
  t.config_size = sizeof(float);
  t.min_inputs = t.max_inputs = 1;
  t.build = ScaleBuild;
  t.record = ScaleRecord;
  t.config_io = ScaleIo;
  return t;
}

TEST(PersistV2Test, AUsersLayerTypeLoadsWhenTheProgramNamesIt) {
  const tg_layer_type scale = MakeScale();
  tg_model* m = NewModel(2, 3);
  const float init = 0.75f;
  ASSERT_EQ(tg_model_add(m, &scale, &init), TG_OK) << tg_model_message(m);
  ASSERT_EQ(tg_model_add_dense(m, Dense(1)), TG_OK);
  const Bytes b = SaveBytes(m);
  tg_error err = {};
  EXPECT_EQ(tg_model_load_buffer(b.data(), b.size(), nullptr, &err), nullptr);
  EXPECT_STREQ(err.message,
               "tg_model_load_buffer: byte 32: layer 1 'scale_1' has type 'Scale', which this "
               "program does not know (pass it in options->layer_types)");
  const tg_layer_type* types[1] = {&scale};
  tg_model_options o = {};
  o.layer_types = types;
  o.n_layer_types = 1;
  err = {};
  tg_model* back = tg_model_load_buffer(b.data(), b.size(), &o, &err);
  ASSERT_NE(back, nullptr) << err.message;
  EXPECT_EQ(SaveBytes(back), b);
  EXPECT_EQ(tg_model_find_param(back, "scale_1/w")->data[1], 0.75f);
  tg_model_free(back);
  tg_model_free(m);
}

// Byte offsets in the file of NewModel(2) + Dense(3, relu): header 24, kind 24, layer
// count 28, then "Dense" (2 + 5) and "dense_1" (2 + 7) at 32, the config at 48:
// units 48 (1 + 1 + 5 + 8), activation 63 (1 + 1 + 10 + 1 + 4), use_bias 80 (1 + 1 + 8
// + 1), kernel_l1 91, kernel_l2 106 (1 + 1 + 9 + 4 each), bias_l1 121, bias_l2 134
// (1 + 1 + 7 + 4 each), end 147; the tensors from 148, tensor 1 at 168.
TEST(PersistV2Test, DamagedFilesAreRefusedWithTheByteAndTheReason) {
  tg_model* m = NewModel(2, 3);
  ASSERT_EQ(tg_model_add_dense(m, Dense(3, TG_ACT_RELU)), TG_OK);
  const Bytes good = SaveBytes(m);
  ASSERT_EQ(std::string(good.begin() + 50, good.begin() + 55), "units");
  struct Case {
    size_t at;
    uint8_t value;
    const char* message;
  } cases[] = {
      {24, 7, "byte 24: the model kind must be 0 (Sequential) or 1 (functional), got 7"},
      {34, 'X',
       "byte 32: layer 1 'dense_1' has type 'XDnse', which this program does not know "
       "(pass it in options->layer_types)"},
      {50, 'U', "byte 48: layer dense_1 (Dense): expected field 'units' but found 'Units'"},
      // The configuration reads; its layer refuses it when applied (tensor 1, byte 168).
      {55, 0, "byte 168: dense_1: units must be >= 1, got 0"},
      {76, 'x', "byte 63: layer dense_1 (Dense): field 'activation': unknown value 'xelu'"},
      {90, 2, "byte 80: layer dense_1 (Dense): field 'use_bias' must be 0 or 1, got 2"},
      {147, 9,
       "byte 147: layer dense_1 (Dense): unexpected field '' after the last one this "
       "layer type has"},
  };
  for (const Case& c : cases) {
    Bytes b = good;
    if (c.at == 34) {  // "Dense" -> "XDnse": keep the length
      b[34] = 'X';
      b[35] = 'D';
    } else if (c.at == 55) {
      std::memset(&b[55], 0, 8);
    } else if (c.at == 76) {
      b[76] = 'x';
    } else {
      b[c.at] = c.value;
    }
    FixHeader(b);
    tg_error err = {};
    tg_model* x = tg_model_load_buffer(b.data(), b.size(), nullptr, &err);
    EXPECT_EQ(x, nullptr) << c.at;
    tg_model_free(x);
    EXPECT_EQ(err.code, TG_ERR_PARSE) << c.at;
    EXPECT_EQ(std::string(err.message), std::string("tg_model_load_buffer: ") + c.message) << c.at;
  }
  tg_model_free(m);
}

}  // namespace
