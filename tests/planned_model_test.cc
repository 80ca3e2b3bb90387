// tests/planned_model_test.cc — the replay planner against no plan on a model using
// every built-in layer type (frontends/layers/): one model trained on the default
// training tape (planned, gradients packed, values placed by liveness and lent to
// gradients), the other, seeded alike, on a tape that keeps every value and gradient
// (keep_gradients) and runs node by node; their parameters, optimizer state, losses
// and predictions must be the same bits.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tests/persist_test_util.h"

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

constexpr int64_t kRows = 12;
constexpr int64_t kTokens = 4;
constexpr int64_t kVocab = 10;
constexpr int64_t kClasses = 3;

// Two inputs, an 8x8x1 image and 4 token ids; every layer type on the way to a
// 3-way softmax:
//   image -> Conv2D(4, relu) -> BatchNormalization -> MaxPooling2D -> a
//   a -> Conv2D(4) -> Add(a, .) -> s
//   s -> AveragePooling2D -> Flatten ; s -> GlobalAveragePooling2D
//   ids -> Embedding(10, 3) -> Reshape(12)
//   Concatenate -> LayerNormalization -> Dense(16, relu) -> Dropout(0.25)
//   -> Activation(tanh) -> Dense(3, softmax)
tg_model* EveryLayerModel(bool keep_gradients) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.seed = 31;
  mo.keep_gradients = keep_gradients;
  tg_model* m = tg_functional_new(&mo, &err);
  EXPECT_NE(nullptr, m) << err.message;
  const int64_t image_shape[3] = {8, 8, 1}, ids_shape[1] = {kTokens};
  tg_sym image = tg_model_input(m, 3, image_shape);
  tg_sym ids = tg_model_input(m, 1, ids_shape);

  tg_conv2d_layer_options c1 = {};
  c1.filters = 4;
  c1.kernel_size[0] = c1.kernel_size[1] = 3;
  c1.padding = TG_PADDING_SAME;
  c1.activation = TG_ACT_RELU;
  tg_conv2d_layer_options c2 = c1;
  c2.activation = TG_ACT_LINEAR;
  tg_batch_norm_layer_options bn = {};
  bn.momentum = 0.9f;
  tg_pool2d_layer_options pool = {};
  tg_dropout_layer_options drop = {};
  drop.rate = 0.25f;
  tg_layer_norm_layer_options ln = {};
  tg_embedding_options emb = {};
  emb.input_dim = kVocab;
  emb.output_dim = 3;
  const int64_t flat[1] = {kTokens * 3};
  tg_dense_options hidden = {};
  hidden.units = 16;
  hidden.activation = TG_ACT_RELU;
  tg_dense_options head = {};
  head.units = kClasses;
  head.activation = TG_ACT_SOFTMAX;

  auto layer = [&](const tg_layer_type* type, const void* config) {
    return tg_model_new_layer(m, type, config, nullptr);
  };
  tg_sym a = tg_model_call1(m, layer(&tg_layer_conv2d, &c1), image);
  a = tg_model_call1(m, layer(&tg_layer_batch_normalization, &bn), a);
  a = tg_model_call1(m, layer(&tg_layer_max_pooling2d, &pool), a);  // [4, 4, 4]
  tg_sym c = tg_model_call1(m, layer(&tg_layer_conv2d, &c2), a);
  const tg_sym sum_in[2] = {a, c};
  tg_sym s = tg_model_call(m, tg_model_merge_add(m), sum_in, 2);
  tg_sym avg = tg_model_call1(m, tg_model_flatten(m),
                              tg_model_call1(m, layer(&tg_layer_average_pooling2d, &pool), s));
  tg_sym gap = tg_model_call1(m, layer(&tg_layer_global_average_pooling2d, nullptr), s);
  tg_sym e = tg_model_call1(m, tg_model_reshape(m, 1, flat),
                            tg_model_call1(m, tg_model_embedding(m, emb), ids));
  const tg_sym parts[3] = {avg, gap, e};
  tg_sym h = tg_model_call(m, tg_model_concatenate(m, -1), parts, 3);  // [16 + 4 + 12]
  h = tg_model_call1(m, layer(&tg_layer_layer_normalization, &ln), h);
  h = tg_model_call1(m, tg_model_dense(m, hidden), h);
  h = tg_model_call1(m, layer(&tg_layer_dropout, &drop), h);
  h = tg_model_call1(m, tg_model_activation(m, TG_ACT_TANH), h);
  tg_sym out = tg_model_call1(m, tg_model_dense(m, head), h);
  const tg_sym inputs[2] = {image, ids};
  EXPECT_EQ(TG_OK, tg_model_set_io(m, inputs, 2, out)) << tg_model_message(m);
  tg_loss loss = {};
  loss.kind = TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  EXPECT_EQ(TG_OK, tg_model_compile(m, loss, nullptr)) << tg_model_message(m);
  return m;
}

struct Batch {
  std::vector<float> image, ids, labels;
};

Batch MakeBatch(uint64_t seed) {
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  Batch b;
  for (int64_t i = 0; i < kRows * 64; ++i) b.image.push_back(tg_rng_uniform(&rng));
  for (int64_t i = 0; i < kRows * kTokens; ++i)
    b.ids.push_back(static_cast<float>(tg_rng_below(&rng, kVocab)));
  for (int64_t i = 0; i < kRows; ++i)
    b.labels.push_back(static_cast<float>(tg_rng_below(&rng, kClasses)));
  return b;
}

TEST(PlannedModelTest, EveryLayerTypeGivesTheUnplannedBits) {
  tg_model* planned = EveryLayerModel(false);
  tg_model* plain = EveryLayerModel(true);
  const Batch first = MakeBatch(1);
  const float* x0[2] = {first.image.data(), first.ids.data()};
  // The first call records each training tape; the reference then runs node by node.
  float l0 = 0.0f, r0 = 0.0f;
  ASSERT_EQ(TG_OK,
            tg_model_compute_gradients_multi(planned, x0, 2, kRows, first.labels.data(), &l0))
      << tg_model_message(planned);
  ASSERT_EQ(TG_OK, tg_model_compute_gradients_multi(plain, x0, 2, kRows, first.labels.data(), &r0))
      << tg_model_message(plain);
  tg_tape_set_planning(const_cast<tg_tape*>(tg_model_tape(plain)), false);
  EXPECT_EQ(0, std::memcmp(&l0, &r0, sizeof l0));

  std::vector<float> losses_planned, losses_plain;
  for (int step = 0; step < 6; ++step) {
    const Batch b = MakeBatch(100 + static_cast<uint64_t>(step % 3));
    const float* x[2] = {b.image.data(), b.ids.data()};
    float lp = 0.0f, lr = 0.0f;
    ASSERT_EQ(TG_OK, tg_model_train_on_batch_multi(planned, x, 2, kRows, b.labels.data(), &lp))
        << tg_model_message(planned);
    ASSERT_EQ(TG_OK, tg_model_train_on_batch_multi(plain, x, 2, kRows, b.labels.data(), &lr))
        << tg_model_message(plain);
    losses_planned.push_back(lp);
    losses_plain.push_back(lr);
  }
  EXPECT_EQ(0, std::memcmp(losses_planned.data(), losses_plain.data(),
                           losses_planned.size() * sizeof(float)));
  // Parameters, batch-norm statistics, Adam's moments and step count.
  EXPECT_EQ(tgtest::SaveBytes(planned), tgtest::SaveBytes(plain));

  // The planned tape really was planned, deferred and packed: values lent to
  // gradients; the reference recorded eagerly, kept every gradient, ran no chain.
  const tg_tape* tp = tg_model_tape(planned);
  const tg_tape* tr = tg_model_tape(plain);
  ASSERT_NE(nullptr, tp);
  ASSERT_NE(nullptr, tr);
  EXPECT_FALSE(tg_tape_keeps_all(tp));
  EXPECT_TRUE(tg_tape_keeps_all(tr));
  EXPECT_TRUE(tg_tape_defers(tp));
  EXPECT_FALSE(tg_tape_defers(tr));
  EXPECT_GT(tg_tape_gradient_bytes_in_values(tp), 0u);
  int chained = 0;
  for (int i = 0; i < tg_tape_node_count(tp); ++i)
    chained += tg_tape_plan_chain(tp, i, nullptr) > 1;
  EXPECT_GT(chained, 0);
  for (int i = 0; i < tg_tape_node_count(tr); ++i) EXPECT_EQ(0, tg_tape_plan_chain(tr, i, nullptr));

  const Batch t = MakeBatch(7);
  const float* xt[2] = {t.image.data(), t.ids.data()};
  std::vector<float> pp(kRows * kClasses), pr(kRows * kClasses);
  ASSERT_EQ(TG_OK, tg_model_predict_multi(planned, xt, 2, kRows, pp.data(), pp.size()));
  ASSERT_EQ(TG_OK, tg_model_predict_multi(plain, xt, 2, kRows, pr.data(), pr.size()));
  EXPECT_EQ(0, std::memcmp(pp.data(), pr.data(), pp.size() * sizeof(float)));
  tg_model_free(planned);
  tg_model_free(plain);
}

// Every activation there is, each its own layer right after a Dense layer of its own
// and before an Add, so that its input and its output are each read by one node that
// keeps them only if the activation's backward_reads says so: the default tape and
// one keeping everything, run node by node, train to the same bits (a wrong
// declaration lends the value to gradients and fails this).
tg_model* EveryActivationModel(bool keep_gradients) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.seed = 17;
  mo.keep_gradients = keep_gradients;
  tg_model* m = tg_functional_new(&mo, &err);
  EXPECT_NE(nullptr, m) << err.message;
  const int64_t shape[1] = {6};
  tg_sym x = tg_model_input(m, 1, shape);
  tg_dense_options d = {};
  d.units = 24;
  tg_sym h = x;
  for (int act = 0; act < TG_ACT_COUNT; ++act) {
    h = tg_model_call1(m, tg_model_dense(m, d), h);
    h = tg_model_call1(m, tg_model_activation(m, static_cast<tg_activation>(act)), h);
    tg_sym twice[2] = {h, h};  // read by an add alone (whose backward reads nothing)
    h = tg_model_call(m, tg_model_merge_add(m), twice, 2);
  }
  d.units = 2;
  h = tg_model_call1(m, tg_model_dense(m, d), h);
  EXPECT_EQ(TG_OK, tg_model_set_io(m, &x, 1, h)) << tg_model_message(m);
  tg_loss mse = {};
  mse.kind = TG_LOSS_MSE;
  EXPECT_EQ(TG_OK, tg_model_compile(m, mse, nullptr)) << tg_model_message(m);
  return m;
}

TEST(PlannedModelTest, EveryActivationGivesTheUnplannedBits) {
  tg_model* planned = EveryActivationModel(false);
  tg_model* plain = EveryActivationModel(true);
  tg_rng rng;
  tg_rng_seed(&rng, 4);
  std::vector<float> x(16 * 6), y(16 * 2);
  for (float& v : x) v = 4.0f * tg_rng_uniform(&rng) - 2.0f;
  for (float& v : y) v = tg_rng_uniform(&rng);
  float lp = 0.0f, lr = 0.0f;
  ASSERT_EQ(TG_OK, tg_model_compute_gradients(planned, x.data(), 16, y.data(), &lp))
      << tg_model_message(planned);
  ASSERT_EQ(TG_OK, tg_model_compute_gradients(plain, x.data(), 16, y.data(), &lr));
  tg_tape_set_planning(const_cast<tg_tape*>(tg_model_tape(plain)), false);
  EXPECT_EQ(0, std::memcmp(&lp, &lr, sizeof lp));
  const int64_t n = tg_model_param_size(planned);
  EXPECT_EQ(0, std::memcmp(tg_model_param_grads(planned), tg_model_param_grads(plain),
                           static_cast<size_t>(n) * sizeof(float)));
  for (int step = 0; step < 5; ++step) {
    ASSERT_EQ(TG_OK, tg_model_train_on_batch(planned, x.data(), 16, y.data(), &lp));
    ASSERT_EQ(TG_OK, tg_model_train_on_batch(plain, x.data(), 16, y.data(), &lr));
    EXPECT_EQ(0, std::memcmp(&lp, &lr, sizeof lp)) << step;
  }
  EXPECT_EQ(tgtest::SaveBytes(planned), tgtest::SaveBytes(plain));
  EXPECT_TRUE(tg_tape_defers(tg_model_tape(planned)));
  EXPECT_FALSE(tg_tape_keeps_all(tg_model_tape(planned)));
  tg_model_free(planned);
  tg_model_free(plain);
}

}  // namespace
