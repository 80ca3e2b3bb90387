// The optimizer during backward (frontends/fused_step.c): a training step that updates
// each parameter as soon as its gradient is final gives the very bits of the step that
// updates the whole block after backward (tg_model_set_fuse_optimizer(m, false)), for
// every optimizer, for parameters read by several nodes, across re-recordings and
// thread counts; and it stays off where something reads the gradients first.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/persist_test_util.h"

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "frontends/fit.h"
#include "frontends/model.h"
#include "frontends/persist.h"
}

namespace {

constexpr int64_t kIn = 6, kOut = 3;

struct Data {
  std::vector<float> x, y;
};

Data MakeData(int64_t rows, int64_t in, uint64_t seed) {
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  Data d;
  d.x.resize(rows * in);
  d.y.resize(rows * kOut);
  for (float& v : d.x) v = 2.0f * tg_rng_uniform(&rng) - 1.0f;
  for (float& v : d.y) v = tg_rng_uniform(&rng);
  return d;
}

tg_model* Mlp(int64_t in, int64_t hidden, int threads) {
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = in;
  mo.seed = 5;
  mo.threads = threads;
  tg_model* m = tg_sequential_new(&mo, &err);
  EXPECT_NE(nullptr, m) << err.message;
  tg_dense_options d1 = {};
  d1.units = hidden;
  d1.activation = TG_ACT_RELU;
  tg_dense_options d2 = {};
  d2.units = hidden;
  d2.activation = TG_ACT_TANH;
  tg_dense_options d3 = {};
  d3.units = kOut;
  EXPECT_EQ(TG_OK, tg_model_add_dense(m, d1));
  EXPECT_EQ(TG_OK, tg_model_add_dense(m, d2));
  EXPECT_EQ(TG_OK, tg_model_add_dense(m, d3));
  return m;
}

// x -> dense d0 -> dense A -> the same A again -> dense B: A's kernel and bias are read
// by two matmuls and two adds, and the first A's backward reads A's kernel to give d0
// its gradient, so updating A after the second application only would change bits.
tg_model* SharedLayerModel() {
  tg_error err = {};
  tg_model_options mo = {};
  mo.seed = 9;
  tg_model* m = tg_functional_new(&mo, &err);
  EXPECT_NE(nullptr, m) << err.message;
  const int64_t shape[1] = {kIn};
  tg_sym x = tg_model_input(m, 1, shape);
  tg_dense_options o = {};
  o.units = 4;
  o.activation = TG_ACT_TANH;
  tg_layer* d0 = tg_model_dense(m, o);
  tg_layer* a = tg_model_dense(m, o);
  tg_dense_options ob = {};
  ob.units = kOut;
  tg_layer* b = tg_model_dense(m, ob);
  tg_sym h = tg_model_call1(m, d0, x);
  h = tg_model_call1(m, a, h);
  h = tg_model_call1(m, a, h);
  tg_sym out = tg_model_call1(m, b, h);
  EXPECT_EQ(TG_OK, tg_model_set_io(m, &x, 1, out)) << tg_model_message(m);
  return m;
}

void Compile(tg_model* m, const tg_optimizer_options& opt) {
  tg_loss loss = {};
  loss.kind = TG_LOSS_MSE;
  ASSERT_EQ(TG_OK, tg_model_compile(m, loss, &opt)) << tg_model_message(m);
}

// Trains `steps` steps on rows_per_step (cycled) and returns the saved model: its
// parameters, the optimizer's state and its step count.
tgtest::Bytes Train(tg_model* m, bool fuse, const std::vector<int64_t>& rows, int steps,
                    int64_t in) {
  tg_model_set_fuse_optimizer(m, fuse);
  EXPECT_EQ(fuse, tg_model_fuses_optimizer(m));
  for (int s = 0; s < steps; ++s) {
    const int64_t n = rows[s % rows.size()];
    const Data d = MakeData(n, in, 100 + s);
    float l = 0.0f;
    EXPECT_EQ(TG_OK, tg_model_train_on_batch(m, d.x.data(), n, d.y.data(), &l))
        << tg_model_message(m);
  }
  return tgtest::SaveBytes(m);
}

struct Case {
  const char* name;
  tg_optimizer_options opt;
};

std::vector<Case> Optimizers() {
  std::vector<Case> c;
  tg_optimizer_options o = {};
  o.kind = TG_OPT_ADAM;
  o.lr = 0.01f;
  c.push_back({"adam", o});
  o.amsgrad = true;
  o.decay = 0.1f;
  c.push_back({"adam amsgrad with decay", o});
  o = {};
  o.kind = TG_OPT_SGD;
  o.momentum = 0.9f;
  c.push_back({"sgd momentum", o});
  o.nesterov = true;
  c.push_back({"sgd nesterov", o});
  o = {};
  o.kind = TG_OPT_RMSPROP;
  c.push_back({"rmsprop", o});
  o = {};
  o.kind = TG_OPT_ADAMW;
  o.lr = 0.01f;
  c.push_back({"adamw", o});
  o = {};
  o.kind = TG_OPT_ADAGRAD;
  c.push_back({"adagrad", o});
  o = {};
  o.kind = TG_OPT_NADAM;
  c.push_back({"nadam", o});
  return c;
}

TEST(FusedOptimizerTest, EveryOptimizerGivesTheBitsOfTheUpdateAfterBackward) {
  for (const Case& c : Optimizers()) {
    SCOPED_TRACE(c.name);
    tg_model* fused = Mlp(kIn, 8, 1);
    tg_model* plain = Mlp(kIn, 8, 1);
    Compile(fused, c.opt);
    Compile(plain, c.opt);
    const tgtest::Bytes start = tgtest::SaveBytes(plain);
    const tgtest::Bytes a = Train(fused, true, {10}, 6, kIn);
    const tgtest::Bytes b = Train(plain, false, {10}, 6, kIn);
    EXPECT_EQ(6, tg_model_fused_steps(fused));
    EXPECT_EQ(0, tg_model_fused_steps(plain));
    EXPECT_EQ(6, tg_optimizer_iterations(tg_model_optimizer(fused)));
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size()));
    // The steps moved the parameters (the comparison is not vacuous).
    ASSERT_EQ(start.size(), a.size());
    EXPECT_NE(0, std::memcmp(start.data(), a.data(), a.size()));
    tg_model_free(fused);
    tg_model_free(plain);
  }
}

TEST(FusedOptimizerTest, ASharedLayerUpdatesOnlyAfterItsFirstApplication) {
  for (const Case& c : Optimizers()) {
    SCOPED_TRACE(c.name);
    tg_model* fused = SharedLayerModel();
    tg_model* plain = SharedLayerModel();
    Compile(fused, c.opt);
    Compile(plain, c.opt);
    const tgtest::Bytes a = Train(fused, true, {7}, 5, kIn);
    const tgtest::Bytes b = Train(plain, false, {7}, 5, kIn);
    EXPECT_EQ(5, tg_model_fused_steps(fused));
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size()));
    tg_model_free(fused);
    tg_model_free(plain);
  }
}

TEST(FusedOptimizerTest, ANewBatchSizeMapsTheParametersAgain) {
  tg_optimizer_options o = {};
  o.kind = TG_OPT_ADAM;
  tg_model* fused = Mlp(kIn, 8, 1);
  tg_model* plain = Mlp(kIn, 8, 1);
  Compile(fused, o);
  Compile(plain, o);
  const std::vector<int64_t> rows = {8, 5, 8, 3};
  const tgtest::Bytes a = Train(fused, true, rows, 8, kIn);
  const tgtest::Bytes b = Train(plain, false, rows, 8, kIn);
  EXPECT_EQ(8, tg_model_fused_steps(fused));
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size()));
  tg_model_free(fused);
  tg_model_free(plain);
}

// 256 -> 256 -> 256 -> 3: the middle kernel's 65,536 floats are split over two workers
// (2^15 each); the small parameters run on the calling thread.
TEST(FusedOptimizerTest, TwoThreadsGiveTheBitsOfOneThreadUnfused) {
  for (const Case& c : Optimizers()) {
    SCOPED_TRACE(c.name);
    tg_model* fused = Mlp(256, 256, 2);
    tg_model* plain = Mlp(256, 256, 1);
    Compile(fused, c.opt);
    Compile(plain, c.opt);
    const tgtest::Bytes a = Train(fused, true, {4}, 3, 256);
    const tgtest::Bytes b = Train(plain, false, {4}, 3, 256);
    EXPECT_EQ(3, tg_model_fused_steps(fused));
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size()));
    tg_model_free(fused);
    tg_model_free(plain);
  }
}

TEST(FusedOptimizerTest, ClippingKeepsTheUpdateAfterBackward) {
  const char* names[] = {"clipnorm", "clipvalue", "global_clipnorm"};
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(names[k]);
    tg_optimizer_options o = {};
    o.kind = TG_OPT_ADAM;
    if (k == 0) o.clipnorm = 0.01f;
    if (k == 1) o.clipvalue = 0.001f;
    if (k == 2) o.global_clipnorm = 0.01f;
    tg_model* fused = Mlp(kIn, 8, 1);
    tg_model* plain = Mlp(kIn, 8, 1);
    Compile(fused, o);
    Compile(plain, o);
    const tgtest::Bytes a = Train(fused, true, {10}, 3, kIn);
    const tgtest::Bytes b = Train(plain, false, {10}, 3, kIn);
    EXPECT_EQ(0, tg_model_fused_steps(fused));
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size()));
    tg_model_free(fused);
    tg_model_free(plain);
  }
}

TEST(FusedOptimizerTest, TheNanSentinelKeepsTheUpdateAfterBackward) {
  tg_optimizer_options o = {};
  tg_model* m = Mlp(kIn, 8, 1);
  Compile(m, o);
  Train(m, true, {10}, 1, kIn);  // records the training tape (fused)
  EXPECT_EQ(1, tg_model_fused_steps(m));
  tg_tape_set_check_finite(tg_model_training_tape(m), true);
  Train(m, true, {10}, 2, kIn);
  EXPECT_EQ(1, tg_model_fused_steps(m));
  EXPECT_EQ(3, tg_optimizer_iterations(tg_model_optimizer(m)));
  tg_model_free(m);
}

TEST(FusedOptimizerTest, GradientsHandedToTheCallerAreNotUpdatedDuringBackward) {
  tg_optimizer_options o = {};
  tg_model* m = Mlp(kIn, 8, 1);
  Compile(m, o);
  const Data d = MakeData(10, kIn, 1);
  const std::vector<float> before(tg_model_param_values(m),
                                  tg_model_param_values(m) + tg_model_param_size(m));
  float l = 0.0f;
  ASSERT_EQ(TG_OK, tg_model_compute_gradients(m, d.x.data(), 10, d.y.data(), &l));
  EXPECT_EQ(0, std::memcmp(before.data(), tg_model_param_values(m), before.size() * sizeof(float)));
  ASSERT_EQ(TG_OK, tg_model_apply_gradients(m));
  EXPECT_EQ(0, tg_model_fused_steps(m));
  EXPECT_EQ(1, tg_optimizer_iterations(tg_model_optimizer(m)));
  tg_model_free(m);
}

// fit's steps update during backward too, with the doctor watching (it reads the
// gradients after the step, which the update leaves alone): the same bits, the same
// losses and the same doctor's report as updating after backward.
TEST(FusedOptimizerTest, FitUpdatesDuringBackwardWithTheBitsOfTheUpdateAfterIt) {
  tg_optimizer_options o = {};
  tg_model* fused = Mlp(kIn, 8, 1);
  tg_model* plain = Mlp(kIn, 8, 1);
  Compile(fused, o);
  Compile(plain, o);
  tg_model_set_fuse_optimizer(fused, true);
  tg_model_set_fuse_optimizer(plain, false);
  const Data d = MakeData(20, kIn, 3);
  tg_history* hf = tg_history_new(nullptr);
  tg_history* hp = tg_history_new(nullptr);
  tg_fit_options fo = {};
  fo.epochs = 3;
  fo.batch_size = 8;  // batches of 8, 8 and 4: two tapes, each mapped for the update
  fo.out = tmpfile();
  ASSERT_NE(nullptr, fo.out);
  fo.history = hf;
  ASSERT_EQ(TG_OK, tg_model_fit(fused, d.x.data(), 20, d.y.data(), &fo)) << tg_model_message(fused);
  fo.history = hp;
  ASSERT_EQ(TG_OK, tg_model_fit(plain, d.x.data(), 20, d.y.data(), &fo)) << tg_model_message(plain);
  fclose(fo.out);
  EXPECT_EQ(9, tg_model_fused_steps(fused));
  EXPECT_EQ(0, tg_model_fused_steps(plain));
  EXPECT_EQ(9, tg_optimizer_iterations(tg_model_optimizer(fused)));
  const tgtest::Bytes a = tgtest::SaveBytes(fused), b = tgtest::SaveBytes(plain);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size()));
  ASSERT_EQ(3, tg_history_epochs(hf));
  const double* lf = tg_history_values(hf, "loss");
  const double* lp = tg_history_values(hp, "loss");
  ASSERT_NE(nullptr, lf);
  ASSERT_NE(nullptr, lp);
  for (int e = 0; e < 3; ++e) EXPECT_EQ(lf[e], lp[e]) << e;
  EXPECT_STREQ(tg_history_warnings(hp), tg_history_warnings(hf));
  tg_history_free(hf);
  tg_history_free(hp);
  tg_model_free(fused);
  tg_model_free(plain);
}

struct HookCount {
  int calls = 0;
  int lowest = 1 << 30;
};

void CountHook(void* ctx, const tg_tape*, int done) {
  HookCount* h = static_cast<HookCount*>(ctx);
  h->calls++;
  if (done < h->lowest) h->lowest = done;
}

TEST(FusedOptimizerTest, AHookOnTheTrainingTapeStillRunsAndStaysInstalled) {
  tg_optimizer_options o = {};
  tg_model* m = Mlp(kIn, 8, 1);
  Compile(m, o);
  Train(m, true, {10}, 1, kIn);
  tg_tape* t = tg_model_training_tape(m);
  HookCount h;
  tg_tape_set_backward_hook(t, CountHook, &h);
  Train(m, true, {10}, 2, kIn);
  EXPECT_EQ(3, tg_model_fused_steps(m));
  EXPECT_GT(h.calls, 1);
  EXPECT_EQ(0, h.lowest);  // it saw backward through the first node
  void* ctx = nullptr;
  EXPECT_EQ(&CountHook, tg_tape_backward_hook(t, &ctx));
  EXPECT_EQ(&h, ctx);
  tg_model_free(m);
}

TEST(FusedOptimizerTest, ByDefaultOnlyABlockTooLargeForCacheUpdatesDuringBackward) {
  tg_optimizer_options o = {};
  tg_model* small = Mlp(kIn, 8, 1);    // 155 floats
  tg_model* large = Mlp(256, 256, 1);  // 131,587 floats
  Compile(small, o);
  Compile(large, o);
  EXPECT_FALSE(tg_model_fuses_optimizer(small));
  EXPECT_TRUE(tg_model_fuses_optimizer(large));
  const Data ds = MakeData(4, kIn, 1), dl = MakeData(4, 256, 1);
  float l = 0.0f;
  ASSERT_EQ(TG_OK, tg_model_train_on_batch(small, ds.x.data(), 4, ds.y.data(), &l));
  ASSERT_EQ(TG_OK, tg_model_train_on_batch(large, dl.x.data(), 4, dl.y.data(), &l));
  EXPECT_EQ(0, tg_model_fused_steps(small));
  EXPECT_EQ(1, tg_model_fused_steps(large));
  tg_model_free(small);
  tg_model_free(large);
}

TEST(FusedOptimizerTest, NullModelIsIgnored) {
  tg_model_set_fuse_optimizer(nullptr, true);
  EXPECT_FALSE(tg_model_fuses_optimizer(nullptr));
  EXPECT_EQ(0, tg_model_fused_steps(nullptr));
  EXPECT_EQ(nullptr, tg_tape_backward_hook(nullptr, nullptr));
  EXPECT_FALSE(tg_tape_checks_finite(nullptr));
}

}  // namespace
