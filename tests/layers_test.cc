// tests/layers_test.cc — layers as plugins and models as graphs: the seed written
// with fused activations and with separate Activation layers trains bit-identically;
// Keras' summaries for both kinds of model; a shared layer's gradient is the sum of
// its uses; shape errors name the layer and both shapes; a random-direction check of
// the whole model's gradient; multi-input models.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"
}

namespace {

tg_model* Seq(int64_t input_dim, uint64_t seed = 1) {
  tg_model_options o = {};
  o.input_dim = input_dim;
  o.seed = seed;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&o, &err);
  EXPECT_NE(m, nullptr) << err.message;
  return m;
}

tg_model* Functional(uint64_t seed = 1) {
  tg_model_options o = {};
  o.seed = seed;
  tg_error err = {};
  tg_model* m = tg_functional_new(&o, &err);
  EXPECT_NE(m, nullptr) << err.message;
  return m;
}

tg_dense_options Dense(int64_t units, tg_activation act = TG_ACT_LINEAR) {
  tg_dense_options d = {};
  d.units = units;
  d.activation = act;
  return d;
}

tg_optimizer_options SeedAdam() {
  tg_optimizer_options o = {};
  o.kind = TG_OPT_ADAM;
  o.lr = 0.001f;
  o.beta_1 = 0.9f;
  o.beta_2 = 0.999f;
  o.epsilon = 1e-8f;
  return o;
}

tg_loss Mse() {
  tg_loss l = {};
  l.kind = TG_LOSS_MSE;
  return l;
}

// The seed model, its ReLUs inside Dense (fused) or as Activation layers.
tg_model* SeedModel(bool separate, const tg_initializer* init) {
  tg_model* m = Seq(1, 1);
  const int64_t units[3] = {16, 16, 2};
  for (int i = 0; i < 3; ++i) {
    tg_dense_options d = Dense(units[i], i < 2 && !separate ? TG_ACT_RELU : TG_ACT_LINEAR);
    if (init) {
      d.kernel_init = *init;
      d.bias_init = *init;
    }
    EXPECT_EQ(tg_model_add_dense(m, d), TG_OK) << tg_model_message(m);
    if (i < 2 && separate) {
      EXPECT_EQ(tg_model_add_activation(m, TG_ACT_RELU), TG_OK);
    }
  }
  const tg_optimizer_options adam = SeedAdam();
  EXPECT_EQ(tg_model_compile(m, Mse(), &adam), TG_OK) << tg_model_message(m);
  return m;
}

TEST(LayersTest, SeedWithSeparateActivationLayersTrainsBitIdenticallyToTheFusedForm) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  const tg_initializer zero = tg_init_constant(0.0f);
  for (const tg_initializer* init : {static_cast<const tg_initializer*>(nullptr), &zero}) {
    tg_model* fused = SeedModel(false, init);
    tg_model* separate = SeedModel(true, init);
    ASSERT_EQ(tg_model_param_size(fused), tg_model_param_size(separate));
    EXPECT_EQ(tg_model_layer_count(separate), 5);
    for (int s = 0; s < 1000; ++s) {
      float la = 0, lb = 0, pa[20], pb[20];
      ASSERT_EQ(tg_model_train_on_batch(fused, x, 10, y, &la), TG_OK);
      ASSERT_EQ(tg_model_train_on_batch(separate, x, 10, y, &lb), TG_OK);
      ASSERT_EQ(tg_model_predict(fused, x, 10, pa, 20), TG_OK);
      ASSERT_EQ(tg_model_predict(separate, x, 10, pb, 20), TG_OK);
      ASSERT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << "step " << s;
      ASSERT_EQ(std::memcmp(pa, pb, sizeof pa), 0) << "step " << s;
    }
    EXPECT_EQ(std::memcmp(tg_model_param_values(fused), tg_model_param_values(separate),
                          static_cast<size_t>(tg_model_param_size(fused)) * sizeof(float)),
              0);
    if (init != nullptr) {  // the zero init: the prediction is the target mean
      float p[20];
      ASSERT_EQ(tg_model_predict(separate, x, 10, p, 20), TG_OK);
      for (int i = 0; i < 10; ++i) {
        EXPECT_NEAR(p[2 * i], 0.1f, 1e-4f);
        EXPECT_NEAR(p[2 * i + 1], 0.045f, 1e-4f);
      }
    }
    tg_model_free(fused);
    tg_model_free(separate);
  }
}

TEST(LayersTest, SeparateActivationRecordsTheSameOpsUnderItsOwnScope) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_model* m = SeedModel(true, nullptr);
  ASSERT_EQ(tg_model_compute_gradients(m, x, 10, y, nullptr), TG_OK);
  const tg_tape* t = tg_model_tape(m);
  // matmul add | relu | matmul add | relu | matmul add | mse
  const char* ops[] = {"matmul", "add", "relu", "matmul", "add", "relu", "matmul", "add", "mse"};
  const char* scopes[] = {"dense_1",      "dense_1", "activation_1", "dense_2", "dense_2",
                          "activation_2", "dense_3", "dense_3",      ""};
  ASSERT_EQ(tg_tape_node_count(t), 9);
  for (int i = 0; i < 9; ++i) {
    EXPECT_STREQ(tg_tape_node(t, i)->op->name, ops[i]) << i;
    EXPECT_STREQ(tg_tape_node(t, i)->scope, scopes[i]) << i;
  }
  tg_layer_info info = {};
  ASSERT_EQ(tg_model_layer(m, 1, &info), TG_OK);
  EXPECT_STREQ(info.name, "activation_1");
  EXPECT_STREQ(info.type, "Activation");
  EXPECT_EQ(info.activation, TG_ACT_RELU);
  EXPECT_EQ(info.kernel, nullptr);
  tg_model_free(m);
}

TEST(LayersTest, SequentialSummaryAsKerasPrintsIt) {
  tg_model* m = SeedModel(true, nullptr);
  char buf[4096];
  tg_model_summary_str(m, buf, sizeof buf);
  const std::string want =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      "Layer (type)                 Output Shape              Param #   \n"
      "=================================================================\n"
      "dense_1 (Dense)              (None, 16)                32        \n"
      "_________________________________________________________________\n"
      "activation_1 (Activation)    (None, 16)                0         \n"
      "_________________________________________________________________\n"
      "dense_2 (Dense)              (None, 16)                272       \n"
      "_________________________________________________________________\n"
      "activation_2 (Activation)    (None, 16)                0         \n"
      "_________________________________________________________________\n"
      "dense_3 (Dense)              (None, 2)                 34        \n"
      "=================================================================\n"
      "Total params: 338\n"
      "Trainable params: 338\n"
      "Non-trainable params: 0\n"
      "_________________________________________________________________\n";
  EXPECT_EQ(std::string(buf), want);
  tg_model_free(m);
}

// x -> dense_1 -> shared -> add(h, shared(h)) -> shared again -> dense_3.
struct Residual {
  tg_model* m;
  tg_layer* shared;
};

Residual BuildResidual(uint64_t seed) {
  tg_model* m = Functional(seed);
  const int64_t shape[1] = {3};
  tg_sym in = tg_model_input(m, 1, shape);
  tg_sym h = tg_model_call1(m, tg_model_dense(m, Dense(4, TG_ACT_TANH)), in);
  tg_layer* shared = tg_model_dense(m, Dense(4, TG_ACT_TANH));
  tg_sym both[2] = {h, tg_model_call1(m, shared, h)};
  tg_sym s = tg_model_call(m, tg_model_merge_add(m), both, 2);
  tg_sym out = tg_model_call1(m, tg_model_dense(m, Dense(2)), tg_model_call1(m, shared, s));
  EXPECT_EQ(tg_model_set_io(m, &in, 1, out), TG_OK) << tg_model_message(m);
  const tg_optimizer_options adam = SeedAdam();
  EXPECT_EQ(tg_model_compile(m, Mse(), &adam), TG_OK) << tg_model_message(m);
  return {m, shared};
}

TEST(FunctionalTest, SummaryListsConnectionsAndCountsASharedLayerOnce) {
  Residual r = BuildResidual(1);
  char buf[8192];
  tg_model_summary_str(r.m, buf, sizeof buf);
  const std::string rule(98, '_'), dbl(98, '=');
  auto row = [](const std::string& a, const std::string& b, const std::string& c,
                const std::string& d) {
    std::string s = a;
    s.resize(32, ' ');
    s += b;
    s.resize(53, ' ');
    s += c;
    s.resize(65, ' ');
    s += d;
    s.resize(98, ' ');
    return s + "\n";
  };
  // Parameters: dense_1 3*4+4 = 16, dense_2 (shared) 4*4+4 = 20 once, dense_3 4*2+2 = 10.
  const std::string want =
      "Model: \"model\"\n" + rule + "\n" +
      row("Layer (type)", "Output Shape", "Param #", "Connected to") + dbl + "\n" +
      row("input_1 (InputLayer)", "[(None, 3)]", "0", "") + rule + "\n" +
      row("dense_1 (Dense)", "(None, 4)", "16", "input_1[0][0]") + rule + "\n" +
      row("dense_2 (Dense)", "(None, 4)", "20", "dense_1[0][0]") + row("", "", "", "add_1[0][0]") +
      rule + "\n" + row("add_1 (Add)", "(None, 4)", "0", "dense_1[0][0]") +
      row("", "", "", "dense_2[0][0]") + rule + "\n" +
      row("dense_3 (Dense)", "(None, 2)", "10", "dense_2[1][0]") + dbl + "\n" +
      "Total params: 46\nTrainable params: 46\nNon-trainable params: 0\n" + rule + "\n";
  EXPECT_EQ(std::string(buf), want);
  tg_layer_info info = {};
  ASSERT_EQ(tg_model_layer(r.m, 1, &info), TG_OK);
  EXPECT_STREQ(info.name, "dense_2");
  EXPECT_EQ(info.uses, 2);
  tg_model_free(r.m);
}

TEST(FunctionalTest, SharedLayerGradientIsTheSumOfBothUses) {
  // y = W x1 + W x2 (one Dense, no bias, shared) against the same with two Dense
  // layers that start from the same kernel: dL/dW(shared) = dL/dA + dL/dB.
  float x1[8] = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f};
  float x2[8] = {0.9f, 0.1f, -0.3f, 0.2f, 0.5f, -0.4f, -0.6f, 0.3f};
  float y[8] = {0.2f, -0.1f, 0.4f, 0.3f, -0.2f, 0.1f, 0.5f, 0.0f};
  const int64_t shape[1] = {2};
  tg_dense_options d = Dense(2);
  d.no_bias = true;
  const tg_optimizer_options adam = SeedAdam();

  tg_model* shared = Functional(4);
  tg_sym a = tg_model_input(shared, 1, shape), b = tg_model_input(shared, 1, shape);
  tg_layer* w = tg_model_dense(shared, d);
  tg_sym uses[2] = {tg_model_call1(shared, w, a), tg_model_call1(shared, w, b)};
  tg_sym out = tg_model_call(shared, tg_model_merge_add(shared), uses, 2);
  tg_sym ins[2] = {a, b};
  ASSERT_EQ(tg_model_set_io(shared, ins, 2, out), TG_OK) << tg_model_message(shared);
  ASSERT_EQ(tg_model_compile(shared, Mse(), &adam), TG_OK);

  tg_model* split = Functional(4);
  tg_sym a2 = tg_model_input(split, 1, shape), b2 = tg_model_input(split, 1, shape);
  tg_sym two[2] = {tg_model_call1(split, tg_model_dense(split, d), a2),
                   tg_model_call1(split, tg_model_dense(split, d), b2)};
  tg_sym out2 = tg_model_call(split, tg_model_merge_add(split), two, 2);
  tg_sym ins2[2] = {a2, b2};
  ASSERT_EQ(tg_model_set_io(split, ins2, 2, out2), TG_OK) << tg_model_message(split);
  ASSERT_EQ(tg_model_compile(split, Mse(), &adam), TG_OK);
  ASSERT_EQ(tg_model_param_size(split), 8);
  // Both of split's kernels start as shared's.
  std::memcpy(tg_model_param_values(split), tg_model_param_values(shared), 4 * sizeof(float));
  std::memcpy(tg_model_param_values(split) + 4, tg_model_param_values(shared), 4 * sizeof(float));

  const float* xs[2] = {x1, x2};
  float l1 = 0, l2 = 0;
  ASSERT_EQ(tg_model_compute_gradients_multi(shared, xs, 2, 4, y, &l1), TG_OK)
      << tg_model_message(shared);
  ASSERT_EQ(tg_model_compute_gradients_multi(split, xs, 2, 4, y, &l2), TG_OK);
  EXPECT_EQ(l1, l2);
  const float* g = tg_model_param_grads(shared);
  const float* gs = tg_model_param_grads(split);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NE(g[i], 0.0f);
    EXPECT_FLOAT_EQ(g[i], gs[i] + gs[4 + i]) << i;
  }
  tg_model_free(shared);
  tg_model_free(split);
}

// loss = mse + l1 sum|K| + l2 sum K² (+ the bias's): the reported loss and the
// gradient both carry the penalty, checked against the same model without it.
TEST(LayersTest, RegularizersAddTheirPenaltyToTheLossAndTheGradient) {
  float x[6] = {0.1f, -0.4f, 0.7f, 0.2f, -0.5f, 0.9f}, y[3] = {0.3f, -0.2f, 0.5f};
  tg_model* plain = Seq(2, 8);
  tg_model* reg = Seq(2, 8);
  tg_dense_options d = Dense(1);
  ASSERT_EQ(tg_model_add_dense(plain, d), TG_OK);
  d.kernel_regularizer.l1 = 0.05f;
  d.kernel_regularizer.l2 = 0.01f;
  d.bias_regularizer.l2 = 0.5f;
  ASSERT_EQ(tg_model_add_dense(reg, d), TG_OK);
  ASSERT_EQ(tg_model_compile(plain, Mse(), nullptr), TG_OK);
  ASSERT_EQ(tg_model_compile(reg, Mse(), nullptr), TG_OK);
  float* b = tg_model_param_values(reg) + 2;  // a non-zero bias so its penalty shows
  *b = 0.4f;
  tg_model_param_values(plain)[2] = 0.4f;
  float lp = 0, lr = 0;
  ASSERT_EQ(tg_model_compute_gradients(plain, x, 3, y, &lp), TG_OK);
  ASSERT_EQ(tg_model_compute_gradients(reg, x, 3, y, &lr), TG_OK) << tg_model_message(reg);
  const float* k = tg_model_param_values(reg);
  const double penalty = 0.05 * (std::fabs(k[0]) + std::fabs(k[1])) +
                         0.01 * (k[0] * k[0] + k[1] * k[1]) + 0.5 * 0.4 * 0.4;
  EXPECT_NEAR(lr, lp + penalty, 1e-6);
  const float* gp = tg_model_param_grads(plain);
  const float* gr = tg_model_param_grads(reg);
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(gr[i], gp[i] + 0.05f * (k[i] > 0 ? 1.0f : -1.0f) + 0.02f * k[i], 1e-6) << i;
  EXPECT_NEAR(gr[2], gp[2] + 2 * 0.5f * 0.4f, 1e-6);
  // Prediction records no penalty; evaluation reports it, as Keras does.
  float le = 0;
  ASSERT_EQ(tg_model_evaluate(reg, x, 3, y, &le), TG_OK);
  EXPECT_FLOAT_EQ(le, lr);
  // Bad values are refused when the layer is added.
  tg_dense_options bad = Dense(1);
  bad.bias_regularizer.l1 = -1.0f;
  EXPECT_EQ(tg_model_add_dense(reg, bad), TG_ERR_STATE);  // compiled already
  tg_model* fresh = Seq(2);
  EXPECT_EQ(tg_model_add_dense(fresh, bad), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(fresh),
               "tg_model_add_dense: bias regularizer l1 must be finite and >= 0, got -1");
  tg_model_free(fresh);
  tg_model_free(plain);
  tg_model_free(reg);
}

TEST(LayersTest, FlattenReshapeAndConcatenateShapes) {
  tg_model_options o = {};
  o.input_shape.rank = 2;
  o.input_shape.dim[0] = 2;
  o.input_shape.dim[1] = 3;
  tg_error err = {};
  tg_model* m = tg_sequential_new(&o, &err);
  ASSERT_NE(m, nullptr) << err.message;
  tg_reshape_options r = {};
  r.rank = 3;
  r.shape[0] = 3;
  r.shape[1] = -1;
  r.shape[2] = 1;
  ASSERT_EQ(tg_model_add(m, &tg_layer_reshape, &r), TG_OK) << tg_model_message(m);
  ASSERT_EQ(tg_model_add(m, &tg_layer_flatten, nullptr), TG_OK);
  ASSERT_EQ(tg_model_add_dense(m, Dense(1)), TG_OK);
  char buf[4096];
  tg_model_summary_str(m, buf, sizeof buf);
  EXPECT_NE(std::string(buf).find("reshape_1 (Reshape)          (None, 3, 2, 1)"),
            std::string::npos)
      << buf;
  EXPECT_NE(std::string(buf).find("flatten_1 (Flatten)          (None, 6)"), std::string::npos);
  // Six inputs per sample, one output: predict takes rows of 6 floats.
  float x[12] = {1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1}, out[2];
  ASSERT_EQ(tg_model_predict(m, x, 2, out, 2), TG_OK) << tg_model_message(m);
  r.shape[1] = 4;  // 3 * 4 * 1 != 6
  EXPECT_EQ(tg_model_add(m, &tg_layer_reshape, &r), TG_ERR_SHAPE);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_add: cannot reshape (None, 1) (1 elements) to the target shape");
  tg_model_free(m);

  tg_model* f = Functional();
  const int64_t s23[2] = {2, 3}, s24[2] = {2, 4}, s33[2] = {3, 3};
  tg_sym a = tg_model_input(f, 2, s23), b = tg_model_input(f, 2, s24),
         c = tg_model_input(f, 2, s33);
  tg_layer* cat = tg_model_concatenate(f, -1);
  tg_sym ab[2] = {a, b}, ac[2] = {a, c};
  tg_sym y = tg_model_call(f, cat, ab, 2);
  ASSERT_GE(y.id, 0) << tg_model_message(f);
  EXPECT_LT(tg_model_call(f, tg_model_concatenate(f, -1), ac, 2).id, 0);
  EXPECT_STREQ(tg_model_message(f),
               "tg_model_call: concatenate_2: input 2 is (None, 3, 3) but input 1 is (None, 2, "
               "3): they may differ on axis -1 only");
  tg_layer_info info = {};
  ASSERT_EQ(tg_model_layer(f, 0, &info), TG_OK);
  EXPECT_EQ(info.units, 14);  // (None, 2, 7)
  tg_model_free(f);
}

TEST(FunctionalTest, ShapeErrorsNameTheLayerAndBothShapes) {
  tg_model* m = Functional();
  const int64_t s3[1] = {3}, s4[1] = {4};
  tg_sym a = tg_model_input(m, 1, s3), b = tg_model_input(m, 1, s4);
  tg_layer* add = tg_model_merge_add(m);
  tg_sym ab[2] = {a, b};
  EXPECT_LT(tg_model_call(m, add, ab, 2).id, 0);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_call: add_1: input 2 is (None, 4) but input 1 is (None, 3)");
  EXPECT_LT(tg_model_call(m, add, &a, 1).id, 0);
  EXPECT_STREQ(tg_model_message(m), "tg_model_call: add_1: Add takes 2 to 16 inputs, got 1");
  tg_layer* d = tg_model_dense(m, Dense(2));
  ASSERT_GE(tg_model_call1(m, d, a).id, 0);
  EXPECT_LT(tg_model_call1(m, d, b).id, 0);
  EXPECT_STREQ(
      tg_model_message(m),
      "tg_model_call: dense_1: input 1 is (None, 4) but the layer was built for (None, 3)");
  // A failed call yields an invalid symbol; using it fails without a new message.
  tg_sym bad = tg_model_call1(m, d, b);
  EXPECT_LT(tg_model_call1(m, tg_model_dense(m, Dense(1)), bad).id, 0);
  EXPECT_EQ(tg_model_compile(m, Mse(), nullptr), TG_ERR_STATE);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_compile: the model has no output; call tg_model_set_io first");
  tg_sym out = tg_model_call1(m, tg_model_dense(m, Dense(1)), tg_model_call1(m, d, a));
  EXPECT_EQ(tg_model_set_io(m, &b, 1, out), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_set_io: the output depends on input 1, which is not among the inputs");
  ASSERT_EQ(tg_model_set_io(m, &a, 1, out), TG_OK);
  ASSERT_EQ(tg_model_compile(m, Mse(), nullptr), TG_OK);
  float x[3] = {1, 2, 3}, y[1] = {0};
  const float* two[2] = {x, x};
  EXPECT_EQ(tg_model_train_on_batch_multi(m, two, 2, 1, y, nullptr), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(m),
               "tg_model_train_on_batch: the model takes 1 input but 2 were given");
  EXPECT_EQ(tg_model_train_on_batch(m, x, 1, y, nullptr), TG_OK) << tg_model_message(m);
  tg_model_free(m);

  tg_model* s = Seq(2);
  EXPECT_EQ(tg_model_call1(s, nullptr, tg_sym{0}).id, -1);
  EXPECT_EQ(tg_model_input(s, 1, s3).id, -1);
  EXPECT_STREQ(tg_model_message(s), "tg_model_input: a Sequential model has its one input already");
  EXPECT_EQ(tg_model_add(s, &tg_layer_add, nullptr), TG_ERR_ARG);
  EXPECT_STREQ(tg_model_message(s), "tg_model_add: Add takes 2 to 16 inputs, got 1");
  EXPECT_EQ(tg_model_layer_count(s), 0);
  tg_model_free(s);
}

// loss(θ + εδ) - loss(θ - εδ) ≈ 2ε g·δ for a random direction δ (KANN's check), on a
// model with every layer type there is: Dense (with and without bias), Activation of
// every kind, Add, Concatenate, Reshape, Flatten, two inputs and a shared layer. No
// layer here behaves differently in training and inference, so the loss that
// evaluate (inference) computes is the function train's gradient belongs to.
TEST(FunctionalTest, WholeModelGradientMatchesARandomDirectionDifference) {
  tg_model* m = Functional(9);
  const int64_t shape[1] = {3};
  tg_sym a = tg_model_input(m, 1, shape), b = tg_model_input(m, 1, shape);
  tg_dense_options nb = Dense(4, TG_ACT_SIGMOID);
  nb.no_bias = true;
  tg_layer* shared = tg_model_dense(m, Dense(4, TG_ACT_TANH));
  tg_sym ha = tg_model_call1(m, shared, a), hb = tg_model_call1(m, shared, b);
  tg_sym hs[2] = {ha, hb};
  tg_sym s = tg_model_call(m, tg_model_merge_add(m), hs, 2);
  tg_sym cat[2] = {s, ha};
  s = tg_model_call(m, tg_model_concatenate(m, -1), cat, 2);  // (None, 8)
  const int64_t target[2] = {2, -1};
  s = tg_model_call1(m, tg_model_reshape(m, 2, target), s);  // (None, 2, 4)
  s = tg_model_call1(m, tg_model_flatten(m), s);             // (None, 8)
  s = tg_model_call1(m, tg_model_dense(m, nb), s);
  for (int act = 0; act < TG_ACT_COUNT; ++act)
    s = tg_model_call1(m, tg_model_activation(m, static_cast<tg_activation>(act)), s);
  s = tg_model_call1(m, tg_model_dense(m, Dense(5, TG_ACT_RELU)), s);
  s = tg_model_call1(m, tg_model_dense(m, Dense(3)), s);
  tg_sym ins[2] = {a, b};
  ASSERT_EQ(tg_model_set_io(m, ins, 2, s), TG_OK) << tg_model_message(m);
  ASSERT_EQ(tg_model_compile(m, Mse(), nullptr), TG_OK);
  tg_rng rng;
  tg_rng_seed(&rng, 5);
  std::vector<float> x1(12), x2(12), y(12);
  for (float& v : x1) v = 2 * tg_rng_uniform(&rng) - 1;
  for (float& v : x2) v = 2 * tg_rng_uniform(&rng) - 1;
  for (float& v : y) v = tg_rng_uniform(&rng);
  const float* xs[2] = {x1.data(), x2.data()};
  float loss = 0;
  ASSERT_EQ(tg_model_compute_gradients_multi(m, xs, 2, 4, y.data(), &loss), TG_OK);
  const int64_t n = tg_model_param_size(m);
  float* p = tg_model_param_values(m);
  std::vector<float> g(tg_model_param_grads(m), tg_model_param_grads(m) + n), d(n), p0(p, p + n);
  double gd = 0;
  for (int64_t i = 0; i < n; ++i) {
    d[i] = 2 * tg_rng_uniform(&rng) - 1;
    gd += static_cast<double>(g[i]) * d[i];
  }
  const float eps = 1e-2f;
  float lp = 0, lm = 0;
  for (int64_t i = 0; i < n; ++i) p[i] = p0[i] + eps * d[i];
  ASSERT_EQ(tg_model_evaluate_multi(m, xs, 2, 4, y.data(), &lp), TG_OK);
  for (int64_t i = 0; i < n; ++i) p[i] = p0[i] - eps * d[i];
  ASSERT_EQ(tg_model_evaluate_multi(m, xs, 2, 4, y.data(), &lm), TG_OK);
  const double fd = (static_cast<double>(lp) - lm) / (2.0 * eps);
  EXPECT_GT(std::fabs(gd), 1e-4);
  EXPECT_NEAR(fd, gd, 2e-2 * std::fabs(gd) + 1e-5);
  tg_model_free(m);
}

TEST(FunctionalTest, ResidualModelTrainsAndReplaysTheSameTape) {
  Residual r = BuildResidual(2);
  std::vector<float> x(30), y(20);
  for (int i = 0; i < 30; ++i) x[i] = std::sin(0.7f * static_cast<float>(i));
  for (int i = 0; i < 10; ++i) {  // a smooth function of each row
    y[2 * i] = 0.5f * (x[3 * i] - x[3 * i + 1]);
    y[2 * i + 1] = 0.5f * x[3 * i + 1] * x[3 * i + 2];
  }
  float first = 0, loss = 0;
  for (int s = 0; s < 2000; ++s) {
    ASSERT_EQ(tg_model_train_on_batch(r.m, x.data(), 10, y.data(), &loss), TG_OK)
        << tg_model_message(r.m);
    if (s == 0) first = loss;
  }
  EXPECT_LT(loss, 0.5f * first);
  // A replayed step's gradients are those of a fresh recording with the same values.
  Residual fresh = BuildResidual(7);
  const int64_t n = tg_model_param_size(r.m);
  std::memcpy(tg_model_param_values(fresh.m), tg_model_param_values(r.m), n * sizeof(float));
  float la = 0, lb = 0;
  ASSERT_EQ(tg_model_compute_gradients(r.m, x.data(), 10, y.data(), &la), TG_OK);
  ASSERT_EQ(tg_model_compute_gradients(fresh.m, x.data(), 10, y.data(), &lb), TG_OK);
  EXPECT_EQ(la, lb);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(tg_model_param_grads(r.m)[i], tg_model_param_grads(fresh.m)[i]) << i;
  tg_model_free(fresh.m);
  // The shared layer's parameters exist once.
  EXPECT_EQ(tg_model_param_count(r.m), 6);
  EXPECT_NE(tg_model_find_param(r.m, "dense_2/kernel"), nullptr);
  tg_model_free(r.m);
}

}  // namespace
