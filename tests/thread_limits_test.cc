// Thread counts outside 1..TG_MAX_THREADS are refused with a message naming the
// limit (tape, model options, load options), and the matrix kernels' scratch always
// comes from the tape's (or the caller's) allocator: a recorded tape replays without
// allocating, even after its thread count changed. Runs with BLAS off
// (TG_BLAS_LIBRARY="" in tests/BUILD) so the products take the built-in kernel,
// the one that needs scratch.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/counting_allocator.h"

extern "C" {
#include "core/tape.h"
#include "frontends/model.h"
#include "frontends/persist.h"
#include "kernels/gemm.h"
#include "ops/ops.h"
}

namespace {

TEST(ThreadLimitsTest, TapeRefusesCountsOutsideThePoolLimit) {
  for (int bad : {0, -3, TG_MAX_THREADS + 1, 1000}) {
    tg_tape* t = tg_tape_new();
    EXPECT_EQ(TG_ERR_ARG, tg_tape_set_threads(t, bad));
    EXPECT_EQ("tg_tape_set_threads: " + std::to_string(bad) + " threads is outside 1..64",
              std::string(tg_tape_message(t)));
    EXPECT_EQ(1, tg_tape_threads(t));
    tg_tape_free(t);
  }
  tg_tape* t = tg_tape_new();
  EXPECT_EQ(TG_OK, tg_tape_set_threads(t, TG_MAX_THREADS));
  EXPECT_EQ(TG_MAX_THREADS, tg_tape_threads(t));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_tape_set_threads(nullptr, 2));
  tg_tape_free(t);
}

TEST(ThreadLimitsTest, ModelAndLoadOptionsRefuseThem) {
  tg_model_options mo = {};
  mo.input_dim = 2;
  mo.threads = 1000;
  tg_error err = {};
  EXPECT_EQ(nullptr, tg_sequential_new(&mo, &err));
  EXPECT_EQ(TG_ERR_ARG, err.code);
  EXPECT_STREQ("tg_sequential_new: threads must be 0..64 (0: one), got 1000", err.message);

  mo.threads = 0;
  err = {};
  tg_model* m = tg_sequential_new(&mo, &err);
  ASSERT_NE(nullptr, m) << err.message;
  tg_dense_options d = {};
  d.units = 1;
  ASSERT_EQ(TG_OK, tg_model_add_dense(m, d));
  std::vector<uint8_t> bytes(tg_model_save_buffer(m, nullptr, 0, &err));
  tg_model_save_buffer(m, bytes.data(), bytes.size(), &err);
  tg_model_free(m);
  tg_model_options lo = {};
  lo.threads = 65;
  err = {};
  EXPECT_EQ(nullptr, tg_model_load_buffer(bytes.data(), bytes.size(), &lo, &err));
  EXPECT_STREQ("tg_model_load_buffer: tg_sequential_new: threads must be 0..64 (0: one), got 65",
               err.message);
}

TEST(ThreadLimitsTest, HugeInputDimIsRefused) {
  tg_model_options mo = {};
  mo.input_dim = INT64_MAX;
  tg_error err = {};
  EXPECT_EQ(nullptr, tg_sequential_new(&mo, &err));
  EXPECT_EQ(TG_ERR_OVERFLOW, err.code);
  EXPECT_STREQ("tg_sequential_new: input_dim 9223372036854775807 is too large for a tensor",
               err.message);
}

// 130x130 products: big enough for the blocked kernel and for two workers.
tg_tensor* RecordProduct(tg_tape* t, tg_tensor** w) {
  const int64_t s[2] = {130, 130};
  std::vector<float> v(130 * 130);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7) * 0.01f;
  tg_tensor* x = tg_tape_leaf(t, 2, s, v.data(), false);
  *w = tg_tape_leaf(t, 2, s, v.data(), true);
  return tg_sum(t, tg_matmul(t, x, *w));
}

TEST(ThreadLimitsTest, ReplayAllocatesNothingThroughTheTapesAllocator) {
  ASSERT_STREQ("none", tg_gemm_blas_name()) << "BLAS should be off for this test";
  for (int threads : {1, 2}) {
    tgtest::CountingAllocator a;
    tg_tape* t = tg_tape_new_ex(a.get());
    ASSERT_EQ(TG_OK, tg_tape_set_threads(t, threads));
    tg_tensor* w = nullptr;
    tg_tensor* loss = RecordProduct(t, &w);
    ASSERT_NE(nullptr, loss) << tg_tape_message(t);
    ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
    const int after_record = a.allocs();
    for (int step = 0; step < 10; ++step) {
      ASSERT_EQ(TG_OK, tg_tape_forward(t));
      ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
    }
    EXPECT_EQ(after_record, a.allocs()) << "threads=" << threads;
    // A new thread count re-creates the pool now, with its scratch: replays after it
    // still allocate nothing.
    ASSERT_EQ(TG_OK, tg_tape_set_threads(t, 3 - threads));
    const int after_switch = a.allocs();
    for (int step = 0; step < 3; ++step) {
      ASSERT_EQ(TG_OK, tg_tape_forward(t));
      ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
    }
    EXPECT_EQ(after_switch, a.allocs()) << "threads=" << threads;
    tg_tape_free(t);
    EXPECT_EQ(0, a.live());
  }
}

TEST(ThreadLimitsTest, NoScratchMeansANoMemErrorWhenRecording) {
  // Every allocation after the leaves fails: the matmul's scratch (or its pool)
  // cannot be had, and recording says so instead of running another kernel later.
  for (int k = 1; k < 40; ++k) {
    tgtest::CountingAllocator a;
    tg_tape* t = tg_tape_new_ex(a.get());
    if (t == nullptr) continue;
    a.FailFrom(k);
    tg_tensor* w = nullptr;
    tg_tensor* loss = RecordProduct(t, &w);
    if (a.failed()) {
      EXPECT_EQ(nullptr, loss) << "k=" << k;
      EXPECT_EQ(TG_ERR_NOMEM, tg_tape_status(t)) << "k=" << k << ": " << tg_tape_message(t);
    }
    tg_tape_free(t);
    EXPECT_EQ(0, a.live()) << "k=" << k;
  }
}

TEST(ThreadLimitsTest, GemmWithoutAPoolUsesTheGivenAllocator) {
  tgtest::CountingAllocator a;
  std::vector<float> x(130 * 130, 0.5f), c(130 * 130);
  tg_gemm_options o = {};
  o.backend = TG_GEMM_BUILTIN;
  o.alloc = a.get();
  tg_gemm_ex(&o, false, false, 130, 130, 130, x.data(), 130, x.data(), 130, 0.0f, c.data(), 130);
  EXPECT_EQ(1, a.allocs());
  EXPECT_EQ(0, a.live());
  EXPECT_FLOAT_EQ(130 * 0.25f, c[0]);
}

}  // namespace
