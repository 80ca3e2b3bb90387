// tests/nn_layers_test.cc — the image and normalisation layers: Conv2D, MaxPooling2D,
// AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, LayerNormalization,
// Dropout. Random-direction checks of a whole CNN's gradient in training and in
// inference mode; BatchNormalization's statistics against values computed here;
// Dropout's masks reproducible from the seed and gone in inference; summaries count
// the moving statistics as non-trainable; files keep them; identical conv filters are
// found like identical Dense units; nothing allocates after the first step.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "frontends/fit.h"
#include "frontends/model.h"
#include "frontends/persist.h"
#include "tools/analysis.h"
}

namespace {

tg_model* Images(int64_t h, int64_t w, int64_t c, uint64_t seed) {
  tg_model_options o = {};
  o.input_shape.rank = 3;
  o.input_shape.dim[0] = h;
  o.input_shape.dim[1] = w;
  o.input_shape.dim[2] = c;
  o.seed = seed;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&o, &err);
  EXPECT_NE(m, nullptr) << err.message;
  return m;
}

tg_conv2d_layer_options Conv(int64_t filters, int k, tg_padding padding,
                             tg_activation act = TG_ACT_TANH) {
  tg_conv2d_layer_options c = {};
  c.filters = filters;
  c.kernel_size[0] = c.kernel_size[1] = k;
  c.padding = padding;
  c.activation = act;
  return c;
}

tg_loss Mse() {
  tg_loss l = {};
  l.kind = TG_LOSS_MSE;
  return l;
}

// 6x6x2 -> Conv2D(3, 3x3, same) -> BatchNormalization -> MaxPooling2D -> Conv2D(4,
// 2x2, valid) -> AveragePooling2D(pool 1, strides 1) -> GlobalAveragePooling2D ->
// LayerNormalization -> Dense(2); optionally Dropout before the last Dense.
tg_model* Cnn(uint64_t seed, float dropout) {
  tg_model* m = Images(6, 6, 2, seed);
  tg_conv2d_layer_options c1 = Conv(3, 3, TG_PADDING_SAME);
  EXPECT_EQ(tg_model_add(m, &tg_layer_conv2d, &c1), TG_OK) << tg_model_message(m);
  EXPECT_EQ(tg_model_add(m, &tg_layer_batch_normalization, nullptr), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_max_pooling2d, nullptr), TG_OK);
  tg_conv2d_layer_options c2 = Conv(4, 2, TG_PADDING_VALID);
  EXPECT_EQ(tg_model_add(m, &tg_layer_conv2d, &c2), TG_OK);
  tg_pool2d_layer_options p1 = {};
  p1.pool_size[0] = p1.pool_size[1] = 1;
  EXPECT_EQ(tg_model_add(m, &tg_layer_average_pooling2d, &p1), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_global_average_pooling2d, nullptr), TG_OK);
  EXPECT_EQ(tg_model_add(m, &tg_layer_layer_normalization, nullptr), TG_OK);
  if (dropout > 0) {
    tg_dropout_layer_options d = {dropout};
    EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &d), TG_OK);
  }
  tg_dense_options out = {};
  out.units = 2;
  EXPECT_EQ(tg_model_add_dense(m, out), TG_OK);
  EXPECT_EQ(tg_model_compile(m, Mse(), nullptr), TG_OK) << tg_model_message(m);
  return m;
}

struct Data {
  std::vector<float> x, y;
};
Data CnnData(int rows) {
  tg_rng rng;
  tg_rng_seed(&rng, 21);
  Data d{std::vector<float>(rows * 72), std::vector<float>(rows * 2)};
  for (float& v : d.x) v = 2 * tg_rng_uniform(&rng) - 1;
  for (float& v : d.y) v = tg_rng_uniform(&rng);
  return d;
}

// loss(θ ± εδ) through compute_gradients_mode's forward in the same mode.
void CheckDirection(tg_model* m, const Data& d, bool training) {
  const float* xs[1] = {d.x.data()};
  float loss = 0;
  ASSERT_EQ(tg_model_compute_gradients_mode(m, xs, 1, 4, d.y.data(), training, &loss), TG_OK)
      << tg_model_message(m);
  const int64_t n = tg_model_trainable_size(m);
  float* p = tg_model_param_values(m);
  std::vector<float> g(tg_model_param_grads(m), tg_model_param_grads(m) + n), p0(p, p + n), dir(n);
  tg_rng rng;
  tg_rng_seed(&rng, 3);
  double gd = 0;
  for (int64_t i = 0; i < n; ++i) {
    dir[i] = 2 * tg_rng_uniform(&rng) - 1;
    gd += static_cast<double>(g[i]) * dir[i];
  }
  const float eps = 1e-2f;
  float lp = 0, lm = 0;
  for (int64_t i = 0; i < n; ++i) p[i] = p0[i] + eps * dir[i];
  ASSERT_EQ(tg_model_compute_gradients_mode(m, xs, 1, 4, d.y.data(), training, &lp), TG_OK);
  for (int64_t i = 0; i < n; ++i) p[i] = p0[i] - eps * dir[i];
  ASSERT_EQ(tg_model_compute_gradients_mode(m, xs, 1, 4, d.y.data(), training, &lm), TG_OK);
  for (int64_t i = 0; i < n; ++i) p[i] = p0[i];
  const double fd = (static_cast<double>(lp) - lm) / (2.0 * eps);
  EXPECT_GT(std::fabs(gd), 1e-4) << (training ? "training" : "inference");
  EXPECT_NEAR(fd, gd, 3e-2 * std::fabs(gd) + 1e-5) << (training ? "training" : "inference");
}

TEST(NnLayersTest, WholeCnnGradientInTrainingAndInferenceMode) {
  tg_model* m = Cnn(5, 0.0f);
  const Data d = CnnData(4);
  // Move the moving statistics off their start so inference differs from training.
  const float* xs[1] = {d.x.data()};
  for (int s = 0; s < 3; ++s)
    ASSERT_EQ(tg_model_train_on_batch_multi(m, xs, 1, 4, d.y.data(), nullptr), TG_OK);
  CheckDirection(m, d, true);
  CheckDirection(m, d, false);
  tg_model_free(m);
}

TEST(NnLayersTest, SummaryCountsTheMovingStatisticsAsNonTrainable) {
  tg_model* m = Cnn(5, 0.5f);
  char buf[8192];
  tg_model_summary_str(m, buf, sizeof buf);
  const std::string s = buf;
  // Keras cuts a field at its column with no space, as print_row does.
  // conv2d_1 3*3*2*3+3 = 57, batch_normalization_1 4*3 = 12 (6 non-trainable),
  // conv2d_2 2*2*3*4+4 = 52, layer_normalization_1 8, dense_1 4*2+2 = 10: 139 in all.
  EXPECT_NE(s.find("conv2d_1 (Conv2D)            (None, 6, 6, 3)           57"), std::string::npos)
      << s;
  EXPECT_NE(s.find("batch_normalization_1 (BatchN(None, 6, 6, 3)           12"), std::string::npos)
      << s;
  EXPECT_NE(s.find("max_pooling2d_1 (MaxPooling2D(None, 3, 3, 3)           0"), std::string::npos)
      << s;
  EXPECT_NE(s.find("conv2d_2 (Conv2D)            (None, 2, 2, 4)           52"), std::string::npos)
      << s;
  EXPECT_NE(s.find("global_average_pooling2d_1 (G(None, 4)                 0"), std::string::npos)
      << s;
  EXPECT_NE(s.find("Total params: 139\nTrainable params: 133\nNon-trainable params: 6\n"),
            std::string::npos)
      << s;
  tg_model_free(m);
}

// One channel-last batch [4 rows x 3 channels], values chosen so the statistics are
// easy: channel c's batch mean and biased variance computed below, independently.
TEST(NnLayersTest, BatchNormalizationTrainsOnBatchStatisticsAndInfersOnMovingOnes) {
  tg_model_options o = {};
  o.input_dim = 3;
  tg_model* m = tg_sequential_new(&o, nullptr);
  ASSERT_EQ(tg_model_add(m, &tg_layer_batch_normalization, nullptr), TG_OK);
  ASSERT_EQ(tg_model_compile(m, Mse(), nullptr), TG_OK);
  const float x[12] = {1, 10, -2, 3, 20, -2, 5, 30, 4, 7, 40, 4};
  const float y[12] = {0};
  double mean[3] = {0, 0, 0}, var[3] = {0, 0, 0};
  for (int c = 0; c < 3; ++c) {
    for (int r = 0; r < 4; ++r) mean[c] += x[3 * r + c] / 4.0;
    for (int r = 0; r < 4; ++r) var[c] += (x[3 * r + c] - mean[c]) * (x[3 * r + c] - mean[c]) / 4.0;
  }
  // mean = [4, 25, 1], var = [5, 125, 9].
  ASSERT_EQ(tg_model_compute_gradients(m, x, 4, y, nullptr), TG_OK) << tg_model_message(m);
  // Training output: normalised per channel (gamma 1, beta 0).
  const tg_tape* t = tg_model_tape(m);
  const tg_tensor* out = nullptr;
  for (int i = 0; i < tg_tape_node_count(t); ++i)
    if (std::strcmp(tg_tape_node(t, i)->op->name, "batch_norm") == 0) out = tg_tape_node(t, i)->out;
  ASSERT_NE(out, nullptr);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(out->data[3 * r + c], (x[3 * r + c] - mean[c]) / std::sqrt(var[c] + 1e-3), 1e-5);
  // Moving statistics: momentum 0.99 from zeros and ones.
  const float* mm = tg_model_find_param(m, "batch_normalization_1/moving_mean")->data;
  const float* mv = tg_model_find_param(m, "batch_normalization_1/moving_variance")->data;
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(mm[c], 0.01 * mean[c], 1e-6) << c;
    EXPECT_NEAR(mv[c], 0.99 + 0.01 * var[c], 1e-5) << c;
  }
  EXPECT_EQ(tg_model_trainable_size(m), 6);  // gamma, beta
  // Inference normalises with the moving statistics and changes nothing.
  float pred[12];
  ASSERT_EQ(tg_model_predict(m, x, 4, pred, 12), TG_OK);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(pred[3 * r + c], (x[3 * r + c] - mm[c]) / std::sqrt(mv[c] + 1e-3), 1e-5);
  EXPECT_NEAR(mm[0], 0.04f, 1e-6);
  // A second training forward (a replay) updates them again.
  ASSERT_EQ(tg_model_compute_gradients(m, x, 4, y, nullptr), TG_OK);
  EXPECT_NEAR(mm[0], 0.99 * 0.04 + 0.01 * 4, 1e-6);
  tg_model_free(m);
}

TEST(NnLayersTest, DropoutMasksComeFromTheSeedAndVanishInInference) {
  const Data d = CnnData(4);
  const float* xs[1] = {d.x.data()};
  tg_model* a = Cnn(5, 0.5f);
  tg_model* b = Cnn(5, 0.5f);
  tg_model* none = Cnn(5, 0.0f);
  float pa[8], pn[8];
  ASSERT_EQ(tg_model_predict(a, d.x.data(), 4, pa, 8), TG_OK);
  ASSERT_EQ(tg_model_predict(none, d.x.data(), 4, pn, 8), TG_OK);
  EXPECT_EQ(std::memcmp(pa, pn, sizeof pa), 0);  // inference: identity
  bool differs = false;
  for (int s = 0; s < 5; ++s) {
    float la = 0, lb = 0, ln = 0;
    ASSERT_EQ(tg_model_train_on_batch_multi(a, xs, 1, 4, d.y.data(), &la), TG_OK);
    ASSERT_EQ(tg_model_train_on_batch_multi(b, xs, 1, 4, d.y.data(), &lb), TG_OK);
    ASSERT_EQ(tg_model_train_on_batch_multi(none, xs, 1, 4, d.y.data(), &ln), TG_OK);
    EXPECT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << s;  // same seed, same masks
    differs = differs || la != ln;
  }
  EXPECT_TRUE(differs);
  tg_model_free(a);
  tg_model_free(b);
  tg_model_free(none);
}

// 6 inputs -> Dense(32, tanh) -> Dropout(0.5) -> Dense(3), MSE, the same seed.
tg_model* DropoutMlp() {
  tg_model_options o = {};
  o.input_dim = 6;
  o.seed = 21;
  tg_model* m = tg_sequential_new(&o, nullptr);
  tg_dense_options h = {};
  h.units = 32;
  h.activation = TG_ACT_TANH;
  EXPECT_EQ(tg_model_add_dense(m, h), TG_OK);
  tg_dropout_layer_options d = {0.5f};
  EXPECT_EQ(tg_model_add(m, &tg_layer_dropout, &d), TG_OK);
  tg_dense_options out = {};
  out.units = 3;
  EXPECT_EQ(tg_model_add_dense(m, out), TG_OK);
  EXPECT_EQ(tg_model_compile(m, Mse(), nullptr), TG_OK) << tg_model_message(m);
  return m;
}

// What data parallelism relies on (dist/): two replicas of a dropout model holding
// rows [0, 4) (offset 0) and [4, 10) (offset 4) of a batch compute gradients whose
// row-weighted sum, 0.4 g1 + 0.6 g2, is the whole batch's gradient (MSE is a mean
// over rows) up to float rounding (measured at most 8e-8; asserted 1e-6, while a
// replica that draws the wrong rows' masks is off by ~0.2); a step draws one number
// from the layers' stream whatever the batch, which tg_model_advance_layer_stream
// draws too.
TEST(NnLayersTest, DropoutShardsWithTheirRowOffsetsGiveTheWholeBatchsGradient) {
  std::vector<float> x(60), y(30);
  tg_rng r;
  tg_rng_seed(&r, 8);
  for (float& v : x) v = 2.0f * tg_rng_uniform(&r) - 1.0f;
  for (float& v : y) v = tg_rng_uniform(&r);
  tg_model* whole = DropoutMlp();
  tg_model* a = DropoutMlp();
  tg_model* b = DropoutMlp();
  tg_model* wrong = DropoutMlp();
  tg_model* idle = DropoutMlp();
  const int64_t n = tg_model_param_size(whole);
  for (int step = 0; step < 3; ++step) {  // the recording and two replays
    SCOPED_TRACE(step);
    ASSERT_EQ(tg_model_compute_gradients(whole, x.data(), 10, y.data(), nullptr), TG_OK);
    tg_model_set_row_offset(a, 0);
    ASSERT_EQ(tg_model_compute_gradients(a, x.data(), 4, y.data(), nullptr), TG_OK);
    tg_model_set_row_offset(b, 4);
    ASSERT_EQ(tg_model_compute_gradients(b, x.data() + 24, 6, y.data() + 12, nullptr), TG_OK);
    ASSERT_EQ(tg_model_compute_gradients(wrong, x.data() + 24, 6, y.data() + 12, nullptr), TG_OK);
    const float *g = tg_model_param_grads(whole), *g1 = tg_model_param_grads(a),
                *g2 = tg_model_param_grads(b), *gw = tg_model_param_grads(wrong);
    double worst = 0, off = 0;
    for (int64_t i = 0; i < n; ++i) {
      worst = std::fmax(worst, std::fabs(0.4 * g1[i] + 0.6 * g2[i] - g[i]));
      off = std::fmax(off, std::fabs(0.4 * g1[i] + 0.6 * gw[i] - g[i]));
    }
    EXPECT_LE(worst, 1e-6);
    EXPECT_GT(off, 1e-3);  // offset 0 for rows 4..9: rows 0..5's masks
    tg_model_advance_layer_stream(idle);
    const tg_model_rng_state sw = tg_model_rng_state_get(whole), si = tg_model_rng_state_get(idle),
                             sb = tg_model_rng_state_get(b);
    EXPECT_EQ(0, std::memcmp(&sw.layers, &si.layers, sizeof sw.layers));
    EXPECT_EQ(0, std::memcmp(&sw.layers, &sb.layers, sizeof sw.layers));
  }
  tg_model* untouched = DropoutMlp();  // three steps, three draws
  tg_rng expect = tg_model_rng_state_get(untouched).layers;
  for (int i = 0; i < 3; ++i) tg_rng_next(&expect);
  const tg_model_rng_state sw = tg_model_rng_state_get(whole);
  EXPECT_EQ(0, std::memcmp(&expect, &sw.layers, sizeof expect));
  for (tg_model* m : {whole, a, b, wrong, idle, untouched}) tg_model_free(m);
}

TEST(NnLayersTest, CnnRoundTripsWithItsMovingStatisticsAndTrainsOnBitForBit) {
  tg_model* m = Cnn(6, 0.25f);
  const Data d = CnnData(4);
  const float* xs[1] = {d.x.data()};
  for (int s = 0; s < 3; ++s)
    ASSERT_EQ(tg_model_train_on_batch_multi(m, xs, 1, 4, d.y.data(), nullptr), TG_OK);
  tg_error err = {};
  std::vector<uint8_t> bytes(tg_model_save_buffer(m, nullptr, 0, &err));
  ASSERT_EQ(tg_model_save_buffer(m, bytes.data(), bytes.size(), &err), bytes.size());
  tg_model* back = tg_model_load_buffer(bytes.data(), bytes.size(), nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;
  const int64_t n = tg_model_param_size(m);
  EXPECT_EQ(std::memcmp(tg_model_param_values(m), tg_model_param_values(back), n * sizeof(float)),
            0);
  for (int s = 0; s < 3; ++s) {
    float la = 0, lb = 0;
    ASSERT_EQ(tg_model_train_on_batch_multi(m, xs, 1, 4, d.y.data(), &la), TG_OK);
    ASSERT_EQ(tg_model_train_on_batch_multi(back, xs, 1, 4, d.y.data(), &lb), TG_OK);
    EXPECT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << s;
  }
  EXPECT_EQ(std::memcmp(tg_model_param_values(m), tg_model_param_values(back), n * sizeof(float)),
            0);
  tg_model_free(back);
  tg_model_free(m);
}

TEST(NnLayersTest, IdenticalConvFiltersAreFoundLikeIdenticalDenseUnits) {
  tg_model* m = Images(5, 5, 1, 2);
  tg_conv2d_layer_options c = Conv(32, 3, TG_PADDING_SAME, TG_ACT_RELU);
  c.kernel_init = tg_init_constant(0.1f);
  ASSERT_EQ(tg_model_add(m, &tg_layer_conv2d, &c), TG_OK);
  ASSERT_EQ(tg_model_add(m, &tg_layer_global_average_pooling2d, nullptr), TG_OK);
  tg_dense_options out = {};
  out.units = 1;
  ASSERT_EQ(tg_model_add_dense(m, out), TG_OK);
  ASSERT_EQ(tg_model_compile(m, Mse(), nullptr), TG_OK);
  std::vector<float> x(2 * 25, 0.5f), y(2, 1.0f);
  tg_model_set_keep_gradients(m, true);  // the analysis reads every value and gradient
  ASSERT_EQ(tg_model_compute_gradients(m, x.data(), 2, y.data(), nullptr), TG_OK);
  tg_error err = {};
  tg_analysis* a = tg_analysis_new(tg_model_tape(m), 0.0f, &err);
  ASSERT_NE(a, nullptr) << err.message;
  const tg_analysis_layer* l = tg_analysis_find_layer(a, "conv2d_1");
  ASSERT_NE(l, nullptr);
  EXPECT_STREQ(l->type, "Conv2D");
  EXPECT_STREQ(l->config, "32 3x3 same relu");
  EXPECT_EQ(l->units, 32);
  // The output Dense's kernel starts random, so the filters' gradients differ: only
  // the values are symmetric here; with a constant output kernel they would be too.
  EXPECT_GE(l->groups, 1);
  tg_analysis_free(a);
  tg_model_free(m);
}

TEST(NnLayersTest, CnnTrainsWithoutAllocatingAfterTheFirstStep) {
  struct Counts {
    long allocs = 0;
  } counts;
  tg_allocator alloc = {[](void* ctx, size_t n) {
                          static_cast<Counts*>(ctx)->allocs++;
                          return std::malloc(n);
                        },
                        [](void*, void* p) { std::free(p); }, &counts};
  tg_model_options o = {};
  o.input_shape.rank = 3;
  o.input_shape.dim[0] = o.input_shape.dim[1] = 6;
  o.input_shape.dim[2] = 2;
  o.allocator = &alloc;
  tg_model* m = tg_sequential_new(&o, nullptr);
  tg_conv2d_layer_options c1 = Conv(3, 3, TG_PADDING_SAME);
  ASSERT_EQ(tg_model_add(m, &tg_layer_conv2d, &c1), TG_OK);
  ASSERT_EQ(tg_model_add(m, &tg_layer_batch_normalization, nullptr), TG_OK);
  ASSERT_EQ(tg_model_add(m, &tg_layer_max_pooling2d, nullptr), TG_OK);
  tg_dropout_layer_options dr = {0.3f};
  ASSERT_EQ(tg_model_add(m, &tg_layer_dropout, &dr), TG_OK);
  ASSERT_EQ(tg_model_add(m, &tg_layer_global_average_pooling2d, nullptr), TG_OK);
  ASSERT_EQ(tg_model_add(m, &tg_layer_layer_normalization, nullptr), TG_OK);
  tg_dense_options out = {};
  out.units = 2;
  ASSERT_EQ(tg_model_add_dense(m, out), TG_OK);
  ASSERT_EQ(tg_model_compile(m, Mse(), nullptr), TG_OK);
  const Data d = CnnData(4);
  float pred[8];
  ASSERT_EQ(tg_model_train_on_batch(m, d.x.data(), 4, d.y.data(), nullptr), TG_OK);
  ASSERT_EQ(tg_model_predict(m, d.x.data(), 4, pred, 8), TG_OK);
  const long after_first = counts.allocs;
  for (int s = 0; s < 50; ++s) {
    ASSERT_EQ(tg_model_train_on_batch(m, d.x.data(), 4, d.y.data(), nullptr), TG_OK);
    ASSERT_EQ(tg_model_predict(m, d.x.data(), 4, pred, 8), TG_OK);
  }
  EXPECT_EQ(counts.allocs, after_first);
  tg_model_free(m);
}

}  // namespace

namespace {

// Embedding(5, 3) over 2 ids per sample -> Flatten -> Dense(1): the forward picks the
// table's rows (checked against the table itself), the embeddings' gradient is
// non-zero exactly in the rows the batch used (row 4 is never used), the whole-model
// direction check holds, an id outside the table fails the step naming it, and the
// layer round-trips through a file.
TEST(NnLayersTest, EmbeddingPicksRowsAndScattersItsGradient) {
  tg_model_options o = {};
  o.input_dim = 2;
  o.seed = 4;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&o, &err);
  ASSERT_NE(m, nullptr) << err.message;
  tg_embedding_options e = {};
  e.input_dim = 5;
  e.output_dim = 3;
  ASSERT_EQ(tg_model_add(m, &tg_layer_embedding, &e), TG_OK) << tg_model_message(m);
  ASSERT_EQ(tg_model_add(m, &tg_layer_flatten, nullptr), TG_OK) << tg_model_message(m);
  tg_dense_options d = {};
  d.units = 1;
  d.kernel_init.kind = TG_INIT_ONES;  // output = sum of the 6 embedding values
  ASSERT_EQ(tg_model_add_dense(m, d), TG_OK);
  ASSERT_EQ(tg_model_compile(m, Mse(), nullptr), TG_OK) << tg_model_message(m);
  const tg_tensor* table = tg_model_find_param(m, "embedding_1/embeddings");
  ASSERT_NE(table, nullptr);
  ASSERT_EQ(5, table->shape[0]);
  ASSERT_EQ(3, table->shape[1]);
  for (int64_t i = 0; i < table->size; ++i) {  // Keras' uniform(-0.05, 0.05)
    EXPECT_LE(std::fabs(table->data[i]), 0.05f);
  }
  const float x[8] = {0, 3, 3, 1, 2, 0, 1, 1};  // 4 samples of 2 ids
  float pred[4];
  ASSERT_EQ(tg_model_predict(m, x, 4, pred, 4), TG_OK) << tg_model_message(m);
  for (int r = 0; r < 4; ++r) {
    double want = 0;
    for (int k = 0; k < 2; ++k)
      for (int c = 0; c < 3; ++c) want += table->data[static_cast<int>(x[2 * r + k]) * 3 + c];
    EXPECT_NEAR(want, pred[r], 1e-6) << r;
  }
  Data data{std::vector<float>(x, x + 8), std::vector<float>{0.5f, -0.2f, 0.1f, 0.3f}};
  const float* xs[1] = {data.x.data()};
  float loss = 0;
  ASSERT_EQ(tg_model_compute_gradients_mode(m, xs, 1, 4, data.y.data(), true, &loss), TG_OK);
  const float* g = table->grad;
  for (int row = 0; row < 5; ++row) {
    const bool used = row != 4;
    for (int c = 0; c < 3; ++c) EXPECT_EQ(used, g[row * 3 + c] != 0.0f) << row << "," << c;
  }
  CheckDirection(m, data, true);
  const size_t size = tg_model_save_buffer(m, nullptr, 0, &err);
  ASSERT_GT(size, 0u) << err.message;
  std::vector<char> bytes(size);
  ASSERT_EQ(size, tg_model_save_buffer(m, bytes.data(), size, &err)) << err.message;
  tg_model* back = tg_model_load_buffer(bytes.data(), size, nullptr, &err);
  ASSERT_NE(back, nullptr) << err.message;
  float again[4];
  ASSERT_EQ(tg_model_predict(back, x, 4, again, 4), TG_OK) << tg_model_message(back);
  EXPECT_EQ(0, std::memcmp(pred, again, sizeof pred));
  tg_model_free(back);
  const float bad[8] = {0, 5, 3, 1, 2, 0, 1, 1};
  EXPECT_EQ(TG_ERR_ARG, tg_model_predict(m, bad, 4, pred, 4));
  EXPECT_NE(std::string::npos,
            std::string(tg_model_message(m)).find("index 5 out of range for 5 rows"))
      << tg_model_message(m);
  tg_model_free(m);
}

}  // namespace
