// tests/threads_test.cc — the worker pool (core/threadpool.h) and threaded kernels on
// tapes: every worker runs exactly once per task, scratch behaves, and a tape gives
// bit-identical results whatever its thread count.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "ops/ops.h"
}

namespace {

struct Hits {
  std::atomic<int> count[TG_MAX_THREADS];
  std::atomic<int> seen_workers{0};
};

void CountHit(void* ctx, int worker, int workers) {
  Hits* h = static_cast<Hits*>(ctx);
  h->count[worker].fetch_add(1);
  h->seen_workers.store(workers);
}

TEST(ThreadPoolTest, RejectsBadThreadCounts) {
  tg_error err = {};
  EXPECT_EQ(nullptr, tg_threadpool_new(0, nullptr, &err));
  EXPECT_EQ(TG_ERR_ARG, err.code);
  EXPECT_STREQ("tg_threadpool_new: threads must be in 1..64, got 0", err.message);
  tg_error err2 = {};
  EXPECT_EQ(nullptr, tg_threadpool_new(65, nullptr, &err2));
  EXPECT_STREQ("tg_threadpool_new: threads must be in 1..64, got 65", err2.message);
  EXPECT_EQ(nullptr, tg_threadpool_new(-3, nullptr, nullptr));  // err may be NULL
}

TEST(ThreadPoolTest, EveryWorkerRunsExactlyOncePerTask) {
  tg_error err = {};
  tg_threadpool* pool = tg_threadpool_new(4, nullptr, &err);
  ASSERT_NE(nullptr, pool) << err.message;
  EXPECT_EQ(4, tg_threadpool_threads(pool));
  // Many tasks with changing worker counts: a worker that wakes late must never
  // run a task twice or run one it is not part of.
  for (int round = 0; round < 3000; ++round) {
    const int workers = 1 + round % 4;
    Hits h;
    for (auto& c : h.count) c.store(0);
    tg_threadpool_run(pool, workers, CountHit, &h);
    for (int w = 0; w < TG_MAX_THREADS; ++w)
      ASSERT_EQ(w < workers ? 1 : 0, h.count[w].load()) << "round " << round << " worker " << w;
    ASSERT_EQ(workers, h.seen_workers.load());
  }
  tg_threadpool_free(pool);
}

TEST(ThreadPoolTest, ClampsWorkersAndRunsInlineWithoutAPool) {
  tg_threadpool* pool = tg_threadpool_new(2, nullptr, nullptr);
  ASSERT_NE(nullptr, pool);
  Hits h;
  for (auto& c : h.count) c.store(0);
  tg_threadpool_run(pool, 9, CountHit, &h);  // more than the pool has
  EXPECT_EQ(1, h.count[0].load());
  EXPECT_EQ(1, h.count[1].load());
  EXPECT_EQ(0, h.count[2].load());
  EXPECT_EQ(2, h.seen_workers.load());
  tg_threadpool_free(pool);

  for (auto& c : h.count) c.store(0);
  tg_threadpool_run(nullptr, 4, CountHit, &h);  // no pool: the caller alone
  EXPECT_EQ(1, h.count[0].load());
  EXPECT_EQ(0, h.count[1].load());
  EXPECT_EQ(1, h.seen_workers.load());
  EXPECT_EQ(1, tg_threadpool_threads(nullptr));
  tg_threadpool_free(nullptr);  // ignored
}

TEST(ThreadPoolTest, WorkerZeroIsTheCallingThread) {
  tg_threadpool* pool = tg_threadpool_new(3, nullptr, nullptr);
  ASSERT_NE(nullptr, pool);
  struct Ctx {
    std::atomic<int> zero_on_caller{0};
    const void* caller;
  } ctx;
  int marker = 0;
  ctx.caller = &marker;
  thread_local const void* self = nullptr;
  self = &marker;
  tg_threadpool_run(
      pool, 3,
      [](void* c, int worker, int) {
        Ctx* x = static_cast<Ctx*>(c);
        if (worker == 0 && self == x->caller) x->zero_on_caller.store(1);
      },
      &ctx);
  EXPECT_EQ(1, ctx.zero_on_caller.load());
  tg_threadpool_free(pool);
}

TEST(ThreadPoolTest, ScratchIsAlignedPerWorkerAndOnlyGrows) {
  tg_threadpool* pool = tg_threadpool_new(3, nullptr, nullptr);
  ASSERT_NE(nullptr, pool);
  EXPECT_EQ(nullptr, tg_threadpool_scratch(pool, 0));
  EXPECT_EQ(0u, tg_threadpool_scratch_bytes(pool));
  ASSERT_EQ(TG_OK, tg_threadpool_reserve(pool, 1000));
  EXPECT_EQ(1000u, tg_threadpool_scratch_bytes(pool));
  void* s[3];
  for (int w = 0; w < 3; ++w) {
    s[w] = tg_threadpool_scratch(pool, w);
    ASSERT_NE(nullptr, s[w]);
    EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(s[w]) % 64);
    std::memset(s[w], w, 1000);  // whole size writable (ASan checks)
  }
  EXPECT_NE(s[0], s[1]);
  EXPECT_NE(s[1], s[2]);
  ASSERT_EQ(TG_OK, tg_threadpool_reserve(pool, 10));  // smaller: nothing changes
  EXPECT_EQ(s[0], tg_threadpool_scratch(pool, 0));
  EXPECT_EQ(1000u, tg_threadpool_scratch_bytes(pool));
  ASSERT_EQ(TG_OK, tg_threadpool_reserve(pool, 5000));
  EXPECT_EQ(5000u, tg_threadpool_scratch_bytes(pool));
  EXPECT_EQ(nullptr, tg_threadpool_scratch(pool, 3));
  EXPECT_EQ(nullptr, tg_threadpool_scratch(pool, -1));
  EXPECT_EQ(TG_ERR_NULL_ARG, tg_threadpool_reserve(nullptr, 10));
  tg_threadpool_free(pool);
}

TEST(ThreadPoolTest, AOneThreadPoolHoldsScratchWithoutThreads) {
  tg_threadpool* pool = tg_threadpool_new(1, nullptr, nullptr);
  ASSERT_NE(nullptr, pool);
  ASSERT_EQ(TG_OK, tg_threadpool_reserve(pool, 256));
  EXPECT_NE(nullptr, tg_threadpool_scratch(pool, 0));
  Hits h;
  for (auto& c : h.count) c.store(0);
  tg_threadpool_run(pool, 2, CountHit, &h);
  EXPECT_EQ(1, h.count[0].load());
  EXPECT_EQ(1, h.seen_workers.load());
  tg_threadpool_free(pool);
}

TEST(TapePoolTest, CreatedLazilyReusedAndRecreatedWhenTheCountChanges) {
  tg_tape* t = tg_tape_new();
  ASSERT_NE(nullptr, t);
  tg_threadpool* p1 = tg_tape_pool(t);
  ASSERT_NE(nullptr, p1);
  EXPECT_EQ(1, tg_threadpool_threads(p1));
  EXPECT_EQ(p1, tg_tape_pool(t));
  tg_tape_set_threads(t, 2);
  tg_threadpool* p2 = tg_tape_pool(t);
  ASSERT_NE(nullptr, p2);
  EXPECT_EQ(2, tg_threadpool_threads(p2));
  tg_threadpool* shared = tg_threadpool_new(3, nullptr, nullptr);
  tg_tape_set_pool(t, shared);
  EXPECT_EQ(shared, tg_tape_pool(t));
  tg_tape_set_pool(t, nullptr);
  EXPECT_EQ(2, tg_threadpool_threads(tg_tape_pool(t)));
  tg_tape_free(t);
  tg_threadpool_free(shared);
  EXPECT_EQ(nullptr, tg_tape_pool(nullptr));
}

// A two-layer network big enough that the products take the blocked, threaded
// path; returns the loss, the output and every gradient after forward + backward.
std::vector<float> TrainOnce(int threads, int replays) {
  tg_tape* t = tg_tape_new();
  tg_tape_set_threads(t, threads);
  tg_rng rng;
  tg_rng_seed(&rng, 11);
  auto fill = [&](int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = tg_rng_uniform(&rng) - 0.5f;
    return v;
  };
  const int64_t sx[2] = {96, 130}, sw1[2] = {130, 150}, sb1[1] = {150}, sw2[2] = {150, 70},
                sy[2] = {96, 70};
  const std::vector<float> xv = fill(96 * 130), w1v = fill(130 * 150), b1v = fill(150),
                           w2v = fill(150 * 70), yv = fill(96 * 70);
  tg_tensor* x = tg_tape_leaf(t, 2, sx, xv.data(), true);
  tg_tensor* w1 = tg_tape_leaf(t, 2, sw1, w1v.data(), true);
  tg_tensor* b1 = tg_tape_leaf(t, 1, sb1, b1v.data(), true);
  tg_tensor* w2 = tg_tape_leaf(t, 2, sw2, w2v.data(), true);
  tg_tensor* y = tg_tape_leaf(t, 2, sy, yv.data(), false);
  tg_tensor* h = tg_relu(t, tg_add(t, tg_matmul(t, x, w1), b1));
  tg_tensor* out = tg_matmul(t, h, w2);
  tg_tensor* loss = tg_mse(t, out, y);
  EXPECT_EQ(TG_OK, tg_tape_backward(t, loss)) << tg_tape_message(t);
  for (int r = 0; r < replays; ++r) {
    for (tg_tensor* p : {x, w1, b1, w2}) std::memset(p->grad, 0, sizeof(float) * p->size);
    EXPECT_EQ(TG_OK, tg_tape_forward(t));
    EXPECT_EQ(TG_OK, tg_tape_backward(t, loss));
  }
  std::vector<float> all(loss->data, loss->data + 1);
  all.insert(all.end(), out->data, out->data + out->size);
  for (tg_tensor* p : {x, w1, b1, w2}) all.insert(all.end(), p->grad, p->grad + p->size);
  tg_tape_free(t);
  return all;
}

TEST(TapeThreadsTest, ResultsAreReproducibleForAFixedThreadCount) {
  for (int threads : {1, 2, 3}) {
    const std::vector<float> first = TrainOnce(threads, 0);
    const std::vector<float> again = TrainOnce(threads, 2);
    ASSERT_EQ(first.size(), again.size());
    EXPECT_EQ(0, std::memcmp(first.data(), again.data(), first.size() * sizeof(float)))
        << "threads=" << threads;
  }
}

TEST(TapeThreadsTest, BuiltinKernelResultsDoNotDependOnTheThreadCount) {
  // The built-in kernel splits rows or columns of C, never the sum over k. (A
  // BLAS library promises nothing across thread counts, so only check when the
  // products below run on the built-in kernel.)
  tg_gemm_options o = {};
  o.threads = 2;
  if (tg_gemm_resolve(&o, false, 96, 150, 130) != TG_GEMM_BUILTIN)
    GTEST_SKIP() << "these products run on BLAS here";
  const std::vector<float> one = TrainOnce(1, 0);
  const std::vector<float> two = TrainOnce(2, 0);
  const std::vector<float> three = TrainOnce(3, 1);
  ASSERT_EQ(one.size(), two.size());
  ASSERT_EQ(one.size(), three.size());
  EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(one.data(), three.data(), one.size() * sizeof(float)));
}

}  // namespace
