// tests/replay_alloc_test.cc — replaying a recorded tape allocates nothing: every
// allocation goes through the allocator hook, and across 100 training steps after
// the first the hook is never called (neither alloc nor free), for a raw tape and
// for models, on one thread and on two.
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"
#include "ops/ops.h"
}

namespace {

struct Counts {
  long allocs = 0;
  long frees = 0;
};

void* CountAlloc(void* ctx, size_t size) {
  static_cast<Counts*>(ctx)->allocs++;
  return std::malloc(size);
}

void CountFree(void* ctx, void* p) {
  if (p != nullptr) static_cast<Counts*>(ctx)->frees++;
  std::free(p);
}

std::vector<float> Uniform(tg_rng* rng, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = tg_rng_uniform(rng) - 0.5f;
  return v;
}

// A raw tape: record once, then replay forward + backward; the products are big
// enough to take the packed (scratch-using) kernel, and on 2 threads the pool.
void CheckRawTape(int threads) {
  Counts counts;
  tg_allocator alloc = {CountAlloc, CountFree, &counts};
  tg_tape* t = tg_tape_new_ex(&alloc);
  ASSERT_NE(nullptr, t);
  tg_tape_set_threads(t, threads);
  tg_rng rng;
  tg_rng_seed(&rng, 3);
  const int64_t sx[2] = {64, 200}, sw[2] = {200, 180}, sb[1] = {180}, sw2[2] = {180, 10},
                sy[2] = {64, 10};
  tg_tensor* x = tg_tape_leaf(t, 2, sx, Uniform(&rng, 64 * 200).data(), false);
  tg_tensor* w = tg_tape_leaf(t, 2, sw, Uniform(&rng, 200 * 180).data(), true);
  tg_tensor* b = tg_tape_leaf(t, 1, sb, Uniform(&rng, 180).data(), true);
  tg_tensor* w2 = tg_tape_leaf(t, 2, sw2, Uniform(&rng, 180 * 10).data(), true);
  tg_tensor* y = tg_tape_leaf(t, 2, sy, Uniform(&rng, 64 * 10).data(), false);
  tg_tensor* loss = tg_mse(t, tg_matmul(t, tg_relu(t, tg_add(t, tg_matmul(t, x, w), b)), w2), y);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  const Counts after_first = counts;
  EXPECT_GT(after_first.allocs, 0);
  for (int step = 0; step < 100; ++step) {
    x->data[step % x->size] += 0.01f;  // new input data each step
    for (tg_tensor* p : {w, b, w2}) tg_tensor_zero_grad(p);
    ASSERT_EQ(TG_OK, tg_tape_forward(t));
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
    w->data[0] -= 1e-3f * w->grad[0];  // parameters move too
  }
  EXPECT_EQ(after_first.allocs, counts.allocs) << "threads=" << threads;
  EXPECT_EQ(after_first.frees, counts.frees) << "threads=" << threads;
  tg_tape_free(t);
  EXPECT_EQ(counts.allocs, counts.frees);  // and nothing leaks
}

TEST(ReplayAllocTest, RawTapeReplaysWithoutAllocatingOnOneThread) { CheckRawTape(1); }

TEST(ReplayAllocTest, RawTapeReplaysWithoutAllocatingOnTwoThreads) { CheckRawTape(2); }

// The seed model through train_on_batch (and predict after every step, as the
// original Keras loop did): after the first step of each kind, nothing.
TEST(ReplayAllocTest, SeedModelTrainsAndPredictsWithoutAllocating) {
  Counts counts;
  tg_allocator alloc = {CountAlloc, CountFree, &counts};
  tg_error err = {};
  tg_model* m = tg_seed_model_new(nullptr, 1, &alloc, &err);
  ASSERT_NE(nullptr, m) << err.message;
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS], pred[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_seed_data(x, y);
  float loss = 0.0f;
  ASSERT_EQ(TG_OK, tg_model_train_on_batch(m, x, TG_SEED_ROWS, y, &loss)) << tg_model_message(m);
  ASSERT_EQ(TG_OK, tg_model_predict(m, x, TG_SEED_ROWS, pred, TG_SEED_ROWS * 2));
  const Counts after_first = counts;
  for (int step = 0; step < 100; ++step) {
    ASSERT_EQ(TG_OK, tg_model_train_on_batch(m, x, TG_SEED_ROWS, y, &loss)) << tg_model_message(m);
    ASSERT_EQ(TG_OK, tg_model_predict(m, x, TG_SEED_ROWS, pred, TG_SEED_ROWS * 2));
  }
  EXPECT_EQ(after_first.allocs, counts.allocs);
  EXPECT_EQ(after_first.frees, counts.frees);
  tg_model_free(m);
  EXPECT_EQ(counts.allocs, counts.frees);
}

// A wider model on two threads: packed kernels, pool scratch, threads.
TEST(ReplayAllocTest, TwoThreadModelTrainsWithoutAllocating) {
  Counts counts;
  tg_allocator alloc = {CountAlloc, CountFree, &counts};
  tg_error err = {};
  tg_model_options mo = {};
  mo.input_dim = 120;
  mo.seed = 5;
  mo.threads = 2;
  mo.allocator = &alloc;
  tg_model* m = tg_sequential_new(&mo, &err);
  ASSERT_NE(nullptr, m) << err.message;
  tg_dense_options d1 = {};
  d1.units = 160;
  d1.activation = TG_ACT_RELU;
  tg_dense_options d2 = {};
  d2.units = 10;
  ASSERT_EQ(TG_OK, tg_model_add_dense(m, d1));
  ASSERT_EQ(TG_OK, tg_model_add_dense(m, d2));
  tg_loss mse = {};
  mse.kind = TG_LOSS_MSE;
  ASSERT_EQ(TG_OK, tg_model_compile(m, mse, nullptr)) << tg_model_message(m);
  tg_rng rng;
  tg_rng_seed(&rng, 8);
  const std::vector<float> x = Uniform(&rng, 64 * 120), y = Uniform(&rng, 64 * 10);
  float loss = 0.0f;
  ASSERT_EQ(TG_OK, tg_model_train_on_batch(m, x.data(), 64, y.data(), &loss))
      << tg_model_message(m);
  const Counts after_first = counts;
  float first_loss = loss;
  for (int step = 0; step < 100; ++step)
    ASSERT_EQ(TG_OK, tg_model_train_on_batch(m, x.data(), 64, y.data(), &loss));
  EXPECT_LT(loss, first_loss);  // it did train
  EXPECT_EQ(after_first.allocs, counts.allocs);
  EXPECT_EQ(after_first.frees, counts.frees);
  tg_model_free(m);
  EXPECT_EQ(counts.allocs, counts.frees);
}

// A functional model with every layer type: two inputs, a shared Dense, Add, separate
// Activation layers of every kind; train, evaluate and predict after the first of
// each allocate nothing.
TEST(ReplayAllocTest, FunctionalModelWithEveryLayerTypeAllocatesNothingAfterTheFirstStep) {
  Counts counts;
  tg_allocator alloc = {CountAlloc, CountFree, &counts};
  tg_error err = {};
  tg_model_options mo = {};
  mo.seed = 6;
  mo.allocator = &alloc;
  tg_model* m = tg_functional_new(&mo, &err);
  ASSERT_NE(nullptr, m) << err.message;
  const int64_t shape[1] = {6};
  tg_sym a = tg_model_input(m, 1, shape), b = tg_model_input(m, 1, shape);
  tg_dense_options d = {};
  d.units = 8;
  d.kernel_regularizer.l2 = 0.01f;  // its penalty is part of the replayed loss
  tg_layer* shared = tg_model_dense(m, d);
  tg_sym uses[2] = {tg_model_call1(m, shared, a), tg_model_call1(m, shared, b)};
  tg_sym h = tg_model_call(m, tg_model_merge_add(m), uses, 2);
  for (int act = 0; act < TG_ACT_COUNT; ++act)
    h = tg_model_call1(m, tg_model_activation(m, static_cast<tg_activation>(act)), h);
  d.units = 3;
  d.activation = TG_ACT_RELU;
  h = tg_model_call1(m, tg_model_dense(m, d), h);
  tg_sym ins[2] = {a, b};
  ASSERT_EQ(TG_OK, tg_model_set_io(m, ins, 2, h)) << tg_model_message(m);
  tg_loss mse = {};
  mse.kind = TG_LOSS_MSE;
  ASSERT_EQ(TG_OK, tg_model_compile(m, mse, nullptr)) << tg_model_message(m);
  tg_rng rng;
  tg_rng_seed(&rng, 9);
  const std::vector<float> x1 = Uniform(&rng, 16 * 6), x2 = Uniform(&rng, 16 * 6),
                           y = Uniform(&rng, 16 * 3);
  const float* xs[2] = {x1.data(), x2.data()};
  std::vector<float> pred(16 * 3);
  float loss = 0.0f;
  ASSERT_EQ(TG_OK, tg_model_train_on_batch_multi(m, xs, 2, 16, y.data(), &loss))
      << tg_model_message(m);
  ASSERT_EQ(TG_OK, tg_model_evaluate_multi(m, xs, 2, 16, y.data(), &loss));
  ASSERT_EQ(TG_OK, tg_model_predict_multi(m, xs, 2, 16, pred.data(), 48));
  const Counts after_first = counts;
  for (int step = 0; step < 100; ++step) {
    ASSERT_EQ(TG_OK, tg_model_train_on_batch_multi(m, xs, 2, 16, y.data(), &loss));
    ASSERT_EQ(TG_OK, tg_model_evaluate_multi(m, xs, 2, 16, y.data(), &loss));
    ASSERT_EQ(TG_OK, tg_model_predict_multi(m, xs, 2, 16, pred.data(), 48));
  }
  EXPECT_EQ(after_first.allocs, counts.allocs);
  EXPECT_EQ(after_first.frees, counts.frees);
  tg_model_free(m);
  EXPECT_EQ(counts.allocs, counts.frees);
}

}  // namespace
