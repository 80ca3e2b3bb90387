// tests/model_test.cc — Dense and Sequential: Keras naming, the contiguous parameter
// block, the graph recorded per layer scope, forward and gradients against
// independent computations, replay without allocation, fit, summary, and the exact
// error messages.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "core/tape.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"
}

namespace {

tg_model* NewModel(int64_t input_dim, uint64_t seed = 5, const tg_allocator* a = nullptr) {
  tg_model_options o = {};
  o.input_dim = input_dim;
  o.seed = seed;
  o.allocator = a;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&o, &err);
  EXPECT_NE(m, nullptr) << err.message;
  return m;
}

tg_dense_options Dense(int64_t units, tg_activation act = TG_ACT_LINEAR, bool no_bias = false) {
  tg_dense_options d = {};
  d.units = units;
  d.activation = act;
  d.no_bias = no_bias;
  return d;
}

void Compile(tg_model* m, tg_loss_kind loss = TG_LOSS_MSE, tg_optimizer_options opt = {}) {
  tg_loss l = {};
  l.kind = loss;
  ASSERT_EQ(tg_model_compile(m, l, &opt), TG_OK) << tg_model_message(m);
}

std::vector<float> Ramp(int n, float a, float b) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = a + b * std::sin(0.7f * i + 0.3f);
  return v;
}

TEST(ModelTest, KerasNamesShapesAndOneContiguousBlock) {
  tg_model* m = NewModel(3);
  ASSERT_EQ(tg_model_add_dense(m, Dense(4, TG_ACT_RELU)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(5, TG_ACT_TANH, true)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(2)), TG_OK);
  EXPECT_EQ(tg_model_layer_count(m), 3);
  EXPECT_EQ(tg_model_output_dim(m), 2);
  EXPECT_EQ(tg_model_param_size(m), 3 * 4 + 4 + 4 * 5 + 5 * 2 + 2);
  const char* names[] = {"dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_3/kernel",
                         "dense_3/bias"};
  const int64_t sizes[] = {12, 4, 20, 10, 2};
  ASSERT_EQ(tg_model_param_count(m), 5);
  int64_t offset = 0;
  for (int i = 0; i < 5; ++i) {
    tg_tensor* p = tg_model_param(m, i);
    EXPECT_STREQ(p->name, names[i]);
    EXPECT_EQ(p->size, sizes[i]);
    EXPECT_EQ(p->role, TG_ROLE_PARAM);
    EXPECT_EQ(p->data, tg_model_param_values(m) + offset) << names[i];
    EXPECT_EQ(p->grad, tg_model_param_grads(m) + offset) << names[i];
    EXPECT_EQ(tg_model_find_param(m, names[i]), p);
    offset += sizes[i];
  }
  tg_layer_info info = {};
  ASSERT_EQ(tg_model_layer(m, 1, &info), TG_OK);
  EXPECT_STREQ(info.name, "dense_2");
  EXPECT_EQ(info.input_dim, 4);
  EXPECT_EQ(info.units, 5);
  EXPECT_EQ(info.activation, TG_ACT_TANH);
  EXPECT_EQ(info.bias, nullptr);
  EXPECT_EQ(info.kernel->shape[0], 4);
  EXPECT_EQ(info.kernel->shape[1], 5);
  // Defaults: zero biases, glorot_uniform kernels within sqrt(6 / (3 + 4)).
  for (float b : std::vector<float>(tg_model_find_param(m, "dense_1/bias")->data,
                                    tg_model_find_param(m, "dense_1/bias")->data + 4))
    EXPECT_EQ(b, 0.0f);
  const tg_tensor* k1 = tg_model_find_param(m, "dense_1/kernel");
  for (int64_t i = 0; i < k1->size; ++i) EXPECT_LE(std::fabs(k1->data[i]), std::sqrt(6.0 / 7.0));
  tg_model_free(m);
}

TEST(ModelTest, TapeShowsMatmulAddActivationUnderEachLayerScope) {
  tg_model* m = NewModel(2);
  ASSERT_EQ(tg_model_add_dense(m, Dense(3, TG_ACT_RELU)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(3, TG_ACT_SIGMOID, true)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(2)), TG_OK);
  Compile(m);
  EXPECT_EQ(tg_model_tape(m), nullptr);
  std::vector<float> x = Ramp(8, 0, 1), y = Ramp(8, 0.5f, 0.2f);
  ASSERT_EQ(tg_model_compute_gradients(m, x.data(), 4, y.data(), nullptr), TG_OK);
  const tg_tape* t = tg_model_tape(m);
  ASSERT_NE(t, nullptr);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"dense_1", "matmul"},  {"dense_1", "add"},    {"dense_1", "relu"}, {"dense_2", "matmul"},
      {"dense_2", "sigmoid"}, {"dense_3", "matmul"}, {"dense_3", "add"},  {"", "mse"}};
  ASSERT_EQ(tg_tape_node_count(t), static_cast<int>(want.size()));
  for (int i = 0; i < tg_tape_node_count(t); ++i) {
    const tg_node* n = tg_tape_node(t, i);
    EXPECT_EQ(n->scope, want[i].first) << i;
    EXPECT_EQ(n->op->name, want[i].second) << i;
  }
  EXPECT_EQ(tg_tape_node(t, 0)->in[1], tg_model_find_param(m, "dense_1/kernel"));
  EXPECT_STREQ(tg_tape_node(t, 0)->in[0]->name, "x");
  EXPECT_STREQ(tg_tape_node(t, 7)->in[1]->name, "y");
  EXPECT_EQ(tg_tape_loss(t), tg_tape_node(t, 7)->out);
  tg_model_free(m);
}

TEST(ModelTest, PredictMatchesAHandWrittenForwardPass) {
  // 2 -> 3 (tanh) -> 2 (softmax), weights set by hand, forward in double.
  tg_model* m = NewModel(2);
  ASSERT_EQ(tg_model_add_dense(m, Dense(3, TG_ACT_TANH)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(2, TG_ACT_SOFTMAX)), TG_OK);
  float* w = tg_model_param_values(m);
  for (int64_t i = 0; i < tg_model_param_size(m); ++i) w[i] = 0.1f * static_cast<float>(i) - 0.7f;
  const float* k1 = w;       // [2,3]
  const float* b1 = w + 6;   // [3]
  const float* k2 = w + 9;   // [3,2]
  const float* b2 = w + 15;  // [2]
  const float x[6] = {0.5f, -1.0f, 2.0f, 0.25f, -0.3f, 0.0f};
  float out[6];
  ASSERT_EQ(tg_model_predict(m, x, 3, out, 6), TG_OK) << tg_model_message(m);
  for (int r = 0; r < 3; ++r) {
    double h[3], z[2];
    for (int j = 0; j < 3; ++j)
      h[j] = std::tanh(x[2 * r] * k1[j] + x[2 * r + 1] * k1[3 + j] + b1[j]);
    for (int c = 0; c < 2; ++c) z[c] = h[0] * k2[c] + h[1] * k2[2 + c] + h[2] * k2[4 + c] + b2[c];
    const double e0 = std::exp(z[0]), e1 = std::exp(z[1]);
    EXPECT_NEAR(out[2 * r], e0 / (e0 + e1), 1e-6) << "row " << r;
    EXPECT_NEAR(out[2 * r + 1], e1 / (e0 + e1), 1e-6) << "row " << r;
  }
  tg_model_free(m);
}

double Loss(tg_model* m, const std::vector<float>& x, const std::vector<float>& y, int64_t n) {
  float l = 0;
  EXPECT_EQ(tg_model_evaluate(m, x.data(), n, y.data(), &l), TG_OK);
  return l;
}

TEST(ModelTest, GradientsMatchARandomDirectionFiniteDifference) {
  // KANN's whole-model check: g·d against (L(w + h d) - L(w - h d)) / 2h.
  tg_model* m = NewModel(3, 9);
  ASSERT_EQ(tg_model_add_dense(m, Dense(5, TG_ACT_TANH)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(4, TG_ACT_SIGMOID)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(2)), TG_OK);
  Compile(m);
  const int64_t n = 6;
  std::vector<float> x = Ramp(n * 3, 0.1f, 1.0f), y = Ramp(n * 2, 0.3f, 0.5f);
  ASSERT_EQ(tg_model_compute_gradients(m, x.data(), n, y.data(), nullptr), TG_OK);
  const int64_t size = tg_model_param_size(m);
  float* w = tg_model_param_values(m);
  std::vector<float> g(tg_model_param_grads(m), tg_model_param_grads(m) + size), w0(w, w + size);
  std::vector<float> d = Ramp(static_cast<int>(size), 0.0f, 1.0f);
  double gd = 0;
  for (int64_t i = 0; i < size; ++i) gd += static_cast<double>(g[i]) * d[i];
  const float h = 1e-2f;
  for (int64_t i = 0; i < size; ++i) w[i] = w0[i] + h * d[i];
  const double up = Loss(m, x, y, n);
  for (int64_t i = 0; i < size; ++i) w[i] = w0[i] - h * d[i];
  const double down = Loss(m, x, y, n);
  EXPECT_NEAR((up - down) / (2 * h), gd, 1e-3 * std::fabs(gd) + 1e-5);
  tg_model_free(m);
}

TEST(ModelTest, TrainOnBatchReturnsTheLossBeforeItsStepAndComputeGradientsTrainsNothing) {
  tg_model* m = NewModel(1);
  ASSERT_EQ(tg_model_add_dense(m, Dense(4, TG_ACT_RELU)), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(2)), TG_OK);
  Compile(m);
  float x[10], y[20];
  tg_seed_data(x, y);
  std::vector<float> before(tg_model_param_values(m),
                            tg_model_param_values(m) + tg_model_param_size(m));
  float l0 = 0, l1 = 0, l2 = 0;
  ASSERT_EQ(tg_model_compute_gradients(m, x, 10, y, &l0), TG_OK);
  EXPECT_EQ(std::vector<float>(tg_model_param_values(m), tg_model_param_values(m) + before.size()),
            before);
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 0);
  ASSERT_EQ(tg_model_train_on_batch(m, x, 10, y, &l1), TG_OK);
  EXPECT_EQ(l1, l0);
  EXPECT_NE(std::vector<float>(tg_model_param_values(m), tg_model_param_values(m) + before.size()),
            before);
  ASSERT_EQ(tg_model_evaluate(m, x, 10, y, &l2), TG_OK);
  EXPECT_LT(l2, l1);
  tg_model_free(m);
}

TEST(ModelTest, ReplayAllocatesNothingOnceEachBatchSizeWasSeen) {
  tgtest::CountingAllocator c;
  const tg_allocator* a = c.get();
  tg_error err = {};
  tg_model* m = tg_seed_model_new(nullptr, 3, a, &err);
  ASSERT_NE(m, nullptr) << err.message;
  float x[10], y[20], out[20], loss;
  tg_seed_data(x, y);
  ASSERT_EQ(tg_model_train_on_batch(m, x, 10, y, &loss), TG_OK);
  ASSERT_EQ(tg_model_train_on_batch(m, x, 4, y, &loss), TG_OK);  // a second size
  ASSERT_EQ(tg_model_predict(m, x, 10, out, 20), TG_OK);
  ASSERT_EQ(tg_model_evaluate(m, x, 10, y, &loss), TG_OK);
  tg_fit_options fo = {};
  fo.epochs = 1;
  fo.batch_size = 4;
  ASSERT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_OK);
  const int after_first = c.allocs();
  for (int s = 0; s < 100; ++s) {
    ASSERT_EQ(tg_model_train_on_batch(m, x, s % 3 ? 10 : 4, y, &loss), TG_OK);
    ASSERT_EQ(tg_model_predict(m, x, 10, out, 20), TG_OK);
  }
  ASSERT_EQ(tg_model_evaluate(m, x, 10, y, &loss), TG_OK);
  fo.epochs = 5;
  ASSERT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_OK);
  EXPECT_EQ(c.allocs(), after_first);
  tg_model_free(m);
}

TEST(ModelTest, ReplayedStepsEqualFreshlyRecordedOnes) {
  // Model b re-records its training tape before every step (a compute_gradients on
  // another batch size in between, which trains nothing); a replays. Same weights.
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_model* a = tg_seed_model_new(nullptr, 8, nullptr, nullptr);
  tg_model* b = tg_seed_model_new(nullptr, 8, nullptr, nullptr);
  for (int s = 0; s < 5; ++s) {
    ASSERT_EQ(tg_model_train_on_batch(a, x, 10, y, nullptr), TG_OK);
    ASSERT_EQ(tg_model_compute_gradients(b, x, 3, y, nullptr), TG_OK);
    ASSERT_EQ(tg_model_train_on_batch(b, x, 10, y, nullptr), TG_OK);
  }
  const int64_t n = tg_model_param_size(a);
  EXPECT_EQ(std::vector<float>(tg_model_param_values(a), tg_model_param_values(a) + n),
            std::vector<float>(tg_model_param_values(b), tg_model_param_values(b) + n));
  tg_model_free(a);
  tg_model_free(b);
}

std::vector<float> Params(tg_model* m) {
  return std::vector<float>(tg_model_param_values(m),
                            tg_model_param_values(m) + tg_model_param_size(m));
}

TEST(ModelTest, FullBatchFitWithoutShuffleIsTrainOnBatchInALoop) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_model* a = tg_seed_model_new(nullptr, 2, nullptr, nullptr);
  tg_model* b = tg_seed_model_new(nullptr, 2, nullptr, nullptr);
  std::vector<float> history(20);
  tg_fit_options fo = {};
  fo.epochs = 20;
  fo.no_shuffle = true;
  fo.history_loss = history.data();
  ASSERT_EQ(tg_model_fit(a, x, 10, y, &fo), TG_OK) << tg_model_message(a);
  for (int e = 0; e < 20; ++e) {
    float loss = 0;
    ASSERT_EQ(tg_model_train_on_batch(b, x, 10, y, &loss), TG_OK);
    EXPECT_EQ(history[e], loss) << "epoch " << e + 1;
  }
  EXPECT_EQ(Params(a), Params(b));
  tg_model_free(a);
  tg_model_free(b);
}

TEST(ModelTest, ShuffledMinibatchFitIsDeterministicPerSeed) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_fit_options fo = {};
  fo.epochs = 3;
  fo.batch_size = 4;
  std::vector<float> result[3];
  const uint64_t seeds[3] = {4, 4, 5};
  for (int i = 0; i < 3; ++i) {
    tg_model* m = tg_seed_model_new(nullptr, 1, nullptr, nullptr);  // same weights
    // Only the model seed differs for i = 2: the shuffling stream comes from it.
    tg_model_options o = {};
    o.input_dim = 1;
    o.seed = seeds[i];
    tg_model* s = tg_sequential_new(&o, nullptr);
    ASSERT_EQ(tg_model_add_dense(s, Dense(16, TG_ACT_RELU)), TG_OK);
    ASSERT_EQ(tg_model_add_dense(s, Dense(2)), TG_OK);
    Compile(s);
    ASSERT_EQ(tg_model_fit(s, x, 10, y, &fo), TG_OK) << tg_model_message(s);
    result[i] = Params(s);
    tg_model_free(s);
    tg_model_free(m);
  }
  EXPECT_EQ(result[0], result[1]);
  EXPECT_NE(result[0], result[2]);
}

std::string FitOutput(tg_model* m, const float* x, const float* y, tg_fit_options fo) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  fo.out = f;
  EXPECT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_OK) << tg_model_message(m);
  fclose(f);
  std::string s(buf, len);
  free(buf);
  return s;
}

TEST(ModelTest, FitPrintsKerasProgressLines) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_initializer zero = tg_init_zeros();
  tg_model* m = tg_seed_model_new(&zero, 1, nullptr, nullptr);
  std::vector<float> history(3);
  tg_fit_options fo = {};
  fo.epochs = 3;
  fo.verbose = 1;
  fo.history_loss = history.data();
  fo.no_doctor = true;  // this zero-init model would get the doctor's warnings
  std::string out = FitOutput(m, x, y, fo);
  // "Epoch e/3" then "1/1 [=====...=====] - Ns Tus/step - loss: L" (steps, as Keras 2
  // counts them; L as Keras' %.4f).
  int epochs = 0;
  size_t pos = 0;
  while (epochs < 3) {
    char head[32], bar[64], want[32];
    snprintf(head, sizeof head, "Epoch %d/3\n", epochs + 1);
    snprintf(bar, sizeof bar, "1/1 [%s] - ", std::string(30, '=').c_str());
    snprintf(want, sizeof want, "/step - loss: %.4f\n", history[epochs]);
    if (out.compare(pos, strlen(head), head) != 0) break;
    pos += strlen(head);
    if (out.compare(pos, strlen(bar), bar) != 0) break;
    pos += strlen(bar);
    while (pos < out.size() && isdigit(static_cast<unsigned char>(out[pos]))) ++pos;
    if (out.compare(pos, 2, "s ") != 0) break;
    pos += 2;
    while (pos < out.size() && isdigit(static_cast<unsigned char>(out[pos]))) ++pos;
    while (pos < out.size() && isalpha(static_cast<unsigned char>(out[pos]))) ++pos;
    if (out.compare(pos, strlen(want), want) != 0) break;
    pos += strlen(want);
    ++epochs;
  }
  EXPECT_EQ(epochs, 3) << out;
  EXPECT_EQ(pos, out.size()) << out;
  EXPECT_EQ(epochs, 3) << out;
  tg_model_free(m);
}

TEST(ModelTest, FitUsesTheLastRowsForValidationAndSmallLossesInScientificNotation) {
  float x[10], y[20];
  tg_seed_data(x, y);
  tg_model* m = tg_seed_model_new(nullptr, 6, nullptr, nullptr);
  float history[400], val[400];
  tg_fit_options fo = {};
  fo.epochs = 400;
  fo.validation_split = 0.2f;  // rows 8 and 9
  fo.verbose = 2;
  fo.history_loss = history;
  fo.history_val_loss = val;
  std::string out = FitOutput(m, x, y, fo);
  float last_val = 0;
  ASSERT_EQ(tg_model_evaluate(m, x + 8, 2, y + 16, &last_val), TG_OK);
  EXPECT_EQ(val[399], last_val);
  char tail[96];
  snprintf(tail, sizeof tail, "Epoch 400/400\n1/1 - 0s - loss: %.4e - val_loss: %.4e - 0s/epoch - ",
           history[399], val[399]);
  EXPECT_LT(history[399], 1e-3f);
  EXPECT_NE(out.find(tail), std::string::npos) << out.substr(out.size() - 200);
  tg_model_free(m);
}

TEST(ModelTest, SummaryIsKerasTable) {
  tg_model* m = tg_seed_model_new(nullptr, 1, nullptr, nullptr);
  char buf[2048];
  const size_t len = tg_model_summary_str(m, buf, sizeof buf);
  const std::string want =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      "Layer (type)                 Output Shape              Param #   \n"
      "=================================================================\n"
      "dense_1 (Dense)              (None, 16)                32        \n"
      "_________________________________________________________________\n"
      "dense_2 (Dense)              (None, 16)                272       \n"
      "_________________________________________________________________\n"
      "dense_3 (Dense)              (None, 2)                 34        \n"
      "=================================================================\n"
      "Total params: 338\n"
      "Trainable params: 338\n"
      "Non-trainable params: 0\n"
      "_________________________________________________________________\n";
  EXPECT_EQ(std::string(buf), want);
  EXPECT_EQ(len, want.size());
  char small[10];
  EXPECT_EQ(tg_model_summary_str(m, small, sizeof small), want.size());
  EXPECT_EQ(std::string(small), want.substr(0, 9));
  tg_model_free(m);
}

TEST(ModelTest, SummaryGroupsThousands) {
  tg_model* m = NewModel(1000);
  ASSERT_EQ(tg_model_add_dense(m, Dense(1000)), TG_OK);
  char buf[2048];
  tg_model_summary_str(m, buf, sizeof buf);
  EXPECT_NE(
      std::string(buf).find("dense_1 (Dense)              (None, 1000)              1,001,000 \n"),
      std::string::npos)
      << buf;
  EXPECT_NE(std::string(buf).find("Total params: 1,001,000\n"), std::string::npos);
  tg_model_free(m);
}

TEST(ModelTest, ErrorMessagesNameTheFunctionTheArgumentAndTheShapes) {
  tg_error err = {};
  tg_model_options bad = {};
  EXPECT_EQ(tg_sequential_new(&bad, &err), nullptr);
  EXPECT_STREQ(err.message, "tg_sequential_new: input_dim must be >= 1, got 0");

  tg_model* m = NewModel(1);
  float x[10], y[20], out[20];
  tg_seed_data(x, y);
  tg_loss mse = {};
  EXPECT_EQ(tg_model_compile(m, mse, nullptr), TG_ERR_STATE);
  EXPECT_STREQ(tg_model_message(m), "tg_model_compile: the model has no layers; add one first");
  EXPECT_EQ(tg_model_add_dense(m, Dense(0)), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m), "tg_model_add_dense: units must be >= 1, got 0");
  tg_dense_options d = Dense(2);
  d.kernel_init.kind = TG_INIT_RANDOM_UNIFORM;
  d.kernel_init.minval = 1.0f;
  d.kernel_init.maxval = -1.0f;
  EXPECT_EQ(tg_model_add_dense(m, d), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_add_dense: tg_initializer_fill: random_uniform minval 1 > maxval -1");
  EXPECT_EQ(tg_model_layer_count(m), 0);
  ASSERT_EQ(tg_model_add_dense(m, Dense(2)), TG_OK);
  EXPECT_EQ(tg_model_train_on_batch(m, x, 10, y, nullptr), TG_ERR_STATE);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_train_on_batch: compile the model first (no loss or optimizer)");
  EXPECT_EQ(tg_model_predict(m, x, 10, out, 19), TG_ERR_SHAPE);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_predict: out holds 19 floats but 10 rows of 2 outputs need 20");
  tg_optimizer_options adam = {};
  adam.beta_2 = 2.0f;
  EXPECT_EQ(tg_model_compile(m, mse, &adam), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_compile: tg_optimizer_new: adam beta_2 must be in [0, 1), got 2");
  Compile(m);
  EXPECT_EQ(tg_model_add_dense(m, Dense(2)), TG_ERR_STATE);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_add_dense: the model is already compiled; add layers first");
  EXPECT_EQ(tg_model_train_on_batch(m, x, 0, y, nullptr), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m), "tg_model_train_on_batch: n must be >= 1, got 0");
  EXPECT_EQ(tg_model_evaluate(m, x, 10, nullptr, nullptr), TG_ERR_NULL_ARG);
  EXPECT_STREQ(tg_model_message(m), "tg_model_evaluate: y is NULL");
  tg_fit_options fo = {};
  fo.validation_split = 0.95f;
  EXPECT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_fit: validation_split 0.95 leaves no training rows out of 10");
  fo.validation_split = 1.0f;
  EXPECT_EQ(tg_model_fit(m, x, 10, y, &fo), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m), "tg_model_fit: validation_split must be in [0, 1), got 1");
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 0);  // nothing trained
  tg_model_free(m);
}

TEST(ModelTest, TensorFormsRejectWidthMismatchesBeforeTraining) {
  tg_model* m = tg_seed_model_new(nullptr, 1, nullptr, nullptr);
  tg_error err = {};
  int64_t s_x2[2] = {10, 2}, s_x[2] = {10, 1}, s_y3[2] = {10, 3}, s_y8[2] = {8, 2}, s_v[1] = {10};
  tg_tensor* x2 = tg_tensor_new(2, s_x2, false, &err);
  tg_tensor* x = tg_tensor_new(2, s_x, false, &err);
  tg_tensor* xv = tg_tensor_new(1, s_v, false, &err);
  tg_tensor* y3 = tg_tensor_new(2, s_y3, false, &err);
  tg_tensor* y8 = tg_tensor_new(2, s_y8, false, &err);
  tg_tensor* y = tg_tensor_new(2, s_x2, false, &err);
  tg_seed_data(x->data, y->data);
  tg_seed_data(xv->data, y->data);
  EXPECT_EQ(tg_model_fit_tensors(m, x2, y, nullptr), TG_ERR_SHAPE);
  EXPECT_STREQ(tg_model_message(m), "tg_model_fit: x is [10x2] but the model takes [n x 1] inputs");
  EXPECT_EQ(tg_model_train_on_batch_tensors(m, x, y3, nullptr), TG_ERR_SHAPE);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_train_on_batch: y is [10x3] but the model gives [n x 2] outputs");
  EXPECT_EQ(tg_model_evaluate_tensors(m, x, y8, nullptr), TG_ERR_SHAPE);
  EXPECT_STREQ(tg_model_message(m), "tg_model_evaluate: x has 10 rows but y has 8");
  EXPECT_EQ(tg_model_predict_tensors(m, x, y8), TG_ERR_SHAPE);
  EXPECT_STREQ(tg_model_message(m), "tg_model_predict: out is [8x2] but 10 rows give [10 x 2]");
  EXPECT_EQ(tg_optimizer_iterations(tg_model_optimizer(m)), 0);
  // A [n] vector is accepted for a width-1 input, as Keras does.
  float l1 = 0, l2 = 0;
  ASSERT_EQ(tg_model_evaluate_tensors(m, xv, y, &l1), TG_OK) << tg_model_message(m);
  ASSERT_EQ(tg_model_train_on_batch_tensors(m, x, y, &l2), TG_OK) << tg_model_message(m);
  EXPECT_EQ(l1, l2);
  ASSERT_EQ(tg_model_predict_tensors(m, x, y), TG_OK);
  for (tg_tensor* t : {x2, x, xv, y3, y8, y}) tg_tensor_free(t);
  tg_model_free(m);
}

TEST(ModelTest, ClassifiersLearnWithCrossEntropies) {
  // Two blobs in 2-D, labels by the sign of x0 + x1.
  const int n = 40;
  std::vector<float> x(2 * n), yb(n), yc(2 * n);
  for (int i = 0; i < n; ++i) {
    x[2 * i] = std::sin(1.7f * i);
    x[2 * i + 1] = std::cos(2.3f * i);
    const bool pos = x[2 * i] + x[2 * i + 1] > 0;
    yb[i] = pos;
    yc[2 * i] = pos;
    yc[2 * i + 1] = !pos;
  }
  struct Case {
    tg_activation out;
    int units;
    tg_loss loss;
    const float* y;
  } cases[] = {{TG_ACT_SIGMOID, 1, {TG_LOSS_BINARY_CROSSENTROPY, false}, yb.data()},
               {TG_ACT_LINEAR, 1, {TG_LOSS_BINARY_CROSSENTROPY, true}, yb.data()},
               {TG_ACT_SOFTMAX, 2, {TG_LOSS_CATEGORICAL_CROSSENTROPY, false}, yc.data()},
               {TG_ACT_LINEAR, 2, {TG_LOSS_CATEGORICAL_CROSSENTROPY, true}, yc.data()}};
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << tg_loss_kind_name(c.loss.kind) << " from_logits " << c.loss.from_logits);
    tg_model* m = NewModel(2, 3);
    ASSERT_EQ(tg_model_add_dense(m, Dense(8, TG_ACT_TANH)), TG_OK);
    ASSERT_EQ(tg_model_add_dense(m, Dense(c.units, c.out)), TG_OK);
    tg_optimizer_options adam = {};
    adam.lr = 0.05f;
    ASSERT_EQ(tg_model_compile(m, c.loss, &adam), TG_OK);
    float first = 0, last = 0;
    ASSERT_EQ(tg_model_evaluate(m, x.data(), n, c.y, &first), TG_OK);
    for (int s = 0; s < 200; ++s)
      ASSERT_EQ(tg_model_train_on_batch(m, x.data(), n, c.y, &last), TG_OK);
    ASSERT_EQ(tg_model_evaluate(m, x.data(), n, c.y, &last), TG_OK);
    EXPECT_LT(last, 0.2f * first);
    EXPECT_LT(last, 0.15f);
    tg_model_free(m);
  }
}

TEST(ModelTest, TwoThreadsTrainToTheSameLossWithinFloatRounding) {
  float x[10], y[20];
  tg_seed_data(x, y);
  float loss[2];
  for (int threads = 1; threads <= 2; ++threads) {
    tg_model_options o = {};
    o.input_dim = 1;
    o.seed = 3;
    o.threads = threads;
    tg_model* m = tg_sequential_new(&o, nullptr);
    ASSERT_EQ(tg_model_add_dense(m, Dense(16, TG_ACT_RELU)), TG_OK);
    ASSERT_EQ(tg_model_add_dense(m, Dense(2)), TG_OK);
    Compile(m);
    for (int s = 0; s < 50; ++s) ASSERT_EQ(tg_model_train_on_batch(m, x, 10, y, nullptr), TG_OK);
    ASSERT_EQ(tg_model_evaluate(m, x, 10, y, &loss[threads - 1]), TG_OK);
    tg_model_free(m);
  }
  EXPECT_NEAR(loss[0], loss[1], 1e-6 + 1e-4 * loss[0]);
}

}  // namespace
