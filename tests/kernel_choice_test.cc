// tests/kernel_choice_test.cc — kernels chosen once: a gemm plan (kernels/gemm.h)
// names the kernel a product runs, reusing it on new data gives tg_gemm_ex's bits, and
// matmul and conv2d keep one per product in their nodes (tg_node_kernels), made again
// when the tape's thread count or pool size changes.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "core/tape.h"
#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "ops/kernel_choice.h"
#include "ops/ops.h"
#include "tools/dot_export.h"
}

namespace {

std::string Isa() { return tg_gemm_isa_name(); }

// C++ builds option structs field by field (designated initializers that skip fields
// fail -Werror=missing-field-initializers).
tg_gemm_options Opts(int threads, tg_threadpool* pool = nullptr,
                     tg_gemm_backend backend = TG_GEMM_AUTO, const char* isa = nullptr,
                     tg_blas_threading threading = TG_BLAS_SPLIT) {
  tg_gemm_options o{};
  o.backend = backend;
  o.threads = threads;
  o.pool = pool;
  o.blas_threading = threading;
  o.isa = isa;
  return o;
}

std::string Describe(const tg_gemm_plan& p) {
  char buf[128];
  tg_gemm_plan_describe(&p, buf, sizeof buf);
  return buf;
}

std::string Threads(int n) { return std::to_string(n) + (n == 1 ? " thread" : " threads"); }

// What AUTO runs for a product too big for the small path on `threads` threads: the
// resolver says BLAS or the built-in kernel (which depends on the CPU and on
// OpenBLAS's kernel for it); the split is the plan's.
std::string Blocked(bool trans_b, int64_t m, int64_t n, int64_t k, int threads) {
  const tg_gemm_options o = Opts(threads);
  const tg_gemm_backend b = tg_gemm_resolve(&o, trans_b, m, n, k);
  EXPECT_NE(TG_GEMM_SMALL, b) << m << "x" << n << "x" << k;
  if (b == TG_GEMM_BLAS) return "blas " + Threads(threads);
  return "builtin " + Isa() + " " + Threads(threads);
}

std::string Small() { return "small " + Isa() + " 1 thread"; }

std::vector<float> Random(size_t n, uint64_t seed) {
  tg_rng r;
  tg_rng_seed(&r, seed);
  std::vector<float> v(n);
  for (float& x : v) x = tg_rng_uniform(&r) * 2.0f - 1.0f;
  return v;
}

TEST(GemmPlanTest, DescribesTheKernelChosenForTheShape) {
  tg_gemm_plan p;
  // The seed's hidden layer (10x16 by 16x16): the small path.
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, nullptr, false, false, 10, 16, 16, 16, 16, 16));
  EXPECT_EQ(Small(), Describe(p));
  EXPECT_FALSE(p.threaded);
  EXPECT_EQ(TG_GEMM_SMALL, p.backend);
  // Forced instruction set.
  const tg_gemm_options generic = Opts(1, nullptr, TG_GEMM_AUTO, "generic");
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, &generic, false, true, 10, 16, 16, 16, 16, 16));
  EXPECT_EQ("small generic 1 thread", Describe(p));
  // Nothing to multiply.
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, nullptr, false, false, 0, 16, 16, 16, 16, 16));
  EXPECT_EQ("empty", Describe(p));
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, nullptr, false, false, 4, 4, 0, 1, 4, 4));
  EXPECT_EQ("empty", Describe(p));
}

TEST(GemmPlanTest, SplitFollowsThreadsAndWork) {
  tg_error err = {};
  tg_threadpool* pool = tg_threadpool_new(2, nullptr, &err);
  ASSERT_NE(nullptr, pool) << err.message;
  tg_gemm_plan p;
  // 256^3 = 16.8M multiply-adds: 8.4M per worker, well above the 2^18 minimum.
  const tg_gemm_options two = Opts(2, pool, TG_GEMM_BUILTIN);
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, &two, false, false, 256, 256, 256, 256, 256, 256));
  EXPECT_EQ("builtin " + Isa() + " 2 threads", Describe(p));
  EXPECT_TRUE(p.threaded);
  // 32^3 = 32768 multiply-adds: too little to hand half to another thread.
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, &two, false, false, 32, 32, 32, 32, 32, 32));
  EXPECT_EQ("builtin " + Isa() + " 1 thread", Describe(p));
  // Two threads asked of a pool of one: one.
  tg_threadpool* one_pool = tg_threadpool_new(1, nullptr, &err);
  ASSERT_NE(nullptr, one_pool) << err.message;
  const tg_gemm_options two_on_one = Opts(2, one_pool, TG_GEMM_BUILTIN);
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, &two_on_one, false, false, 256, 256, 256, 256, 256, 256));
  EXPECT_EQ("builtin " + Isa() + " 1 thread", Describe(p));
  // BLAS when the build and machine have it (else the built-in kernel stands in).
  const tg_gemm_options blas = Opts(2, pool, TG_GEMM_BLAS);
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, &blas, false, false, 256, 256, 256, 256, 256, 256));
  const tg_gemm_options native = Opts(2, pool, TG_GEMM_BLAS, nullptr, TG_BLAS_NATIVE);
  tg_gemm_plan pn;
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&pn, &native, false, false, 256, 256, 256, 256, 256, 256));
  if (tg_gemm_backend_available(TG_GEMM_BLAS)) {
    EXPECT_EQ("blas 2 threads", Describe(p));
    EXPECT_EQ("blas native 2 threads", Describe(pn));
  } else {
    EXPECT_EQ("builtin " + Isa() + " 2 threads", Describe(p));
    EXPECT_EQ("builtin " + Isa() + " 2 threads", Describe(pn));
  }
  tg_threadpool_free(one_pool);
  tg_threadpool_free(pool);
}

TEST(GemmPlanTest, FitsOnlyTheThreadsItWasMadeFor) {
  tg_error err = {};
  tg_threadpool* pool2 = tg_threadpool_new(2, nullptr, &err);
  tg_threadpool* other2 = tg_threadpool_new(2, nullptr, &err);
  tg_threadpool* pool3 = tg_threadpool_new(3, nullptr, &err);
  ASSERT_TRUE(pool2 && other2 && pool3) << err.message;
  const tg_gemm_options o = Opts(2, pool2, TG_GEMM_BUILTIN);
  tg_gemm_plan p;
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&p, &o, false, false, 256, 256, 256, 256, 256, 256));
  EXPECT_TRUE(tg_gemm_plan_fits(&p, &o));
  const tg_gemm_options same_size = Opts(2, other2);
  EXPECT_TRUE(tg_gemm_plan_fits(&p, &same_size));  // another pool of the same size
  const tg_gemm_options fewer = Opts(1, pool2);
  EXPECT_FALSE(tg_gemm_plan_fits(&p, &fewer));
  const tg_gemm_options bigger_pool = Opts(2, pool3);
  EXPECT_FALSE(tg_gemm_plan_fits(&p, &bigger_pool));
  // The small path runs on the calling thread whatever the options.
  tg_gemm_plan s;
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&s, &fewer, false, false, 10, 16, 16, 16, 16, 16));
  EXPECT_TRUE(tg_gemm_plan_fits(&s, &o));
  EXPECT_TRUE(tg_gemm_plan_fits(&s, &bigger_pool));
  // A zeroed plan (a node recorded before it had one) never fits.
  tg_gemm_plan zero;
  std::memset(&zero, 0, sizeof zero);
  EXPECT_FALSE(tg_gemm_plan_fits(&zero, &o));
  EXPECT_EQ("not chosen", Describe(zero));
  tg_threadpool_free(pool3);
  tg_threadpool_free(other2);
  tg_threadpool_free(pool2);
}

// A plan holds no data: run again on other operands it gives what tg_gemm_ex gives
// for them, for each kind of kernel.
TEST(GemmPlanTest, ReusedPlanMatchesGemmExBitForBit) {
  tg_error err = {};
  tg_threadpool* pool = tg_threadpool_new(2, nullptr, &err);
  ASSERT_NE(nullptr, pool) << err.message;
  struct Case {
    tg_gemm_backend backend;
    bool ta, tb;
    int64_t m, n, k;
  };
  const Case cases[] = {
      {TG_GEMM_AUTO, false, false, 10, 16, 16},      {TG_GEMM_AUTO, false, true, 10, 1, 16},
      {TG_GEMM_AUTO, true, false, 16, 16, 10},       {TG_GEMM_SMALL, false, true, 37, 70, 300},
      {TG_GEMM_BUILTIN, false, false, 200, 130, 90}, {TG_GEMM_BUILTIN, true, true, 130, 200, 90},
      {TG_GEMM_BLAS, false, false, 200, 130, 90}};
  for (const Case& c : cases) {
    const tg_gemm_options o = Opts(2, pool, c.backend);
    const int64_t lda = c.ta ? c.m : c.k, ldb = c.tb ? c.k : c.n, ldc = c.n;
    tg_gemm_plan plan;
    ASSERT_EQ(TG_OK, tg_gemm_plan_make(&plan, &o, c.ta, c.tb, c.m, c.n, c.k, lda, ldb, ldc));
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      const std::vector<float> a = Random((size_t)(c.m * c.k), seed);
      const std::vector<float> b = Random((size_t)(c.k * c.n), seed + 10);
      std::vector<float> c_plan = Random((size_t)(c.m * c.n), seed + 20), c_ex = c_plan;
      const tg_gemm_args g = {c.ta, c.tb,     c.m, c.n,  c.k,           a.data(),
                              lda,  b.data(), ldb, 1.0f, c_plan.data(), ldc};
      tg_gemm_run(&plan, &o, &g);
      tg_gemm_ex(&o, c.ta, c.tb, c.m, c.n, c.k, a.data(), lda, b.data(), ldb, 1.0f, c_ex.data(),
                 ldc);
      ASSERT_EQ(0, std::memcmp(c_plan.data(), c_ex.data(), c_ex.size() * sizeof(float)))
          << Describe(plan) << " " << c.m << "x" << c.n << "x" << c.k;
    }
  }
  tg_threadpool_free(pool);
}

const tg_node* LastNode(const tg_tape* t) { return tg_tape_node(t, tg_tape_node_count(t) - 1); }

std::string Kernels(const tg_node* n) {
  char buf[512];
  tg_node_kernels(n, buf, sizeof buf);
  return buf;
}

TEST(NodeKernelsTest, SeedLayersRunTheSmallPath) {
  tg_tape* t = tg_tape_new();
  const int64_t sx[2] = {10, 1}, sw1[2] = {1, 16}, sw2[2] = {16, 16};
  std::vector<float> xv = Random(10, 1), w1v = Random(16, 2), w2v = Random(256, 3);
  tg_tensor* x = tg_tape_leaf(t, 2, sx, xv.data(), false);
  tg_tensor* w1 = tg_tape_leaf(t, 2, sw1, w1v.data(), true);
  tg_tensor* w2 = tg_tape_leaf(t, 2, sw2, w2v.data(), true);
  tg_tensor* h = tg_matmul(t, x, w1);  // (10,1)·(1,16)
  ASSERT_NE(nullptr, h);
  EXPECT_EQ("y: " + Small() + "; dA: " + Small() + "; dB: " + Small(), Kernels(LastNode(t)));
  ASSERT_NE(nullptr, tg_matmul(t, h, w2));  // (10,16)·(16,16)
  EXPECT_EQ("y: " + Small() + "; dA: " + Small() + "; dB: " + Small(), Kernels(LastNode(t)));
  // Other ops choose no kernel.
  ASSERT_NE(nullptr, tg_relu(t, h));
  EXPECT_EQ("", Kernels(LastNode(t)));
  EXPECT_EQ("", Kernels(nullptr));
  tg_tape_free(t);
}

TEST(NodeKernelsTest, LargeProductReplannedWhenThreadsChange) {
  const int64_t n = 256, s[2] = {n, n};
  std::vector<float> av = Random(n * n, 4), bv = Random(n * n, 5);
  tg_tape* t = tg_tape_new();
  ASSERT_EQ(TG_OK, tg_tape_set_threads(t, 2));
  tg_tensor* a = tg_tape_leaf(t, 2, s, av.data(), true);
  tg_tensor* b = tg_tape_leaf(t, 2, s, bv.data(), true);
  tg_tensor* y = tg_matmul(t, a, b);
  ASSERT_NE(nullptr, y);
  const tg_node* node = LastNode(t);
  EXPECT_EQ("y: " + Blocked(false, n, n, n, 2) + "; dA: " + Blocked(true, n, n, n, 2) +
                "; dB: " + Blocked(false, n, n, n, 2),
            Kernels(node));
  const std::vector<float> two(y->data, y->data + y->size);

  // One thread: the next run chooses again, and gives the same bits.
  ASSERT_EQ(TG_OK, tg_tape_set_threads(t, 1));
  ASSERT_EQ(TG_OK, tg_tape_forward(t));
  EXPECT_EQ("y: " + Blocked(false, n, n, n, 1) + "; dA: " + Blocked(true, n, n, n, 1) +
                "; dB: " + Blocked(false, n, n, n, 1),
            Kernels(node));
  EXPECT_EQ(0, std::memcmp(two.data(), y->data, two.size() * sizeof(float)));

  // Two threads asked, but a shared pool of one: one thread.
  ASSERT_EQ(TG_OK, tg_tape_set_threads(t, 2));
  tg_error err = {};
  tg_threadpool* pool1 = tg_threadpool_new(1, nullptr, &err);
  ASSERT_NE(nullptr, pool1) << err.message;
  tg_tape_set_pool(t, pool1);
  ASSERT_EQ(TG_OK, tg_tape_forward(t));
  EXPECT_EQ("y: " + Blocked(false, n, n, n, 1) + "; dA: " + Blocked(true, n, n, n, 1) +
                "; dB: " + Blocked(false, n, n, n, 1),
            Kernels(node));
  EXPECT_EQ(0, std::memcmp(two.data(), y->data, two.size() * sizeof(float)));
  tg_tape_set_pool(t, nullptr);
  ASSERT_EQ(TG_OK, tg_tape_forward(t));
  EXPECT_EQ("y: " + Blocked(false, n, n, n, 2) + "; dA: " + Blocked(true, n, n, n, 2) +
                "; dB: " + Blocked(false, n, n, n, 2),
            Kernels(node));
  tg_tape_free(t);
  tg_threadpool_free(pool1);
}

// conv2d over a 1x20218 image with 3 channels, 3x3 same, 4 filters: M = 20218 output
// pixels, K = 27 columns of col, chunks of 524288 / 27 = 19418 rows, so a last chunk
// of 800. dK's product over a whole chunk reduces 19418 rows (op(B) of 19418 x 4 does
// not fit the small path's 32 KiB panel); over the last chunk it does. dcol (rows x
// 27 by 4) has too much work for the small path in either.
TEST(NodeKernelsTest, Conv2dChoosesPerChunkProduct) {
  const int64_t sx[4] = {1, 1, 20218, 3}, sk[4] = {3, 3, 3, 4};
  std::vector<float> xv = Random(20218 * 3, 6), kv = Random(3 * 3 * 3 * 4, 7);
  tg_tape* t = tg_tape_new();
  tg_tensor* x = tg_tape_leaf(t, 4, sx, xv.data(), true);
  tg_tensor* k = tg_tape_leaf(t, 4, sk, kv.data(), true);
  tg_conv2d_options co{};
  co.padding = TG_PADDING_SAME;
  ASSERT_NE(nullptr, tg_conv2d(t, x, k, &co));
  EXPECT_EQ("y: " + Small() + "; dK: " + Blocked(false, 27, 4, 19418, 1) +
                " (last chunk: " + Small() + "); dX: " + Blocked(true, 19418, 27, 4, 1),
            Kernels(LastNode(t)));
  tg_tape_free(t);
}

std::string Dot(const tg_tape* t, bool kernels) {
  tg_dot_options opt{};
  opt.kernels = kernels;
  std::FILE* f = std::tmpfile();
  EXPECT_NE(nullptr, f);
  tg_error err = {};
  EXPECT_EQ(TG_OK, tg_dot_write(t, &opt, f, &err)) << err.message;
  std::string text;
  std::rewind(f);
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
  std::fclose(f);
  return text;
}

// The DOT picture names the kernels when asked (they depend on the machine, so not
// by default: golden pictures stay the same everywhere).
TEST(NodeKernelsTest, DotShowsKernelsWhenAsked) {
  tg_tape* t = tg_tape_new();
  const int64_t sx[2] = {10, 1}, sw[2] = {1, 16};
  std::vector<float> xv = Random(10, 8), wv = Random(16, 9);
  tg_tensor* x = tg_tape_leaf(t, 2, sx, xv.data(), false);
  tg_tensor* w = tg_tape_leaf(t, 2, sw, wv.data(), true);
  tg_tensor* loss = tg_mean(t, tg_matmul(t, x, w));
  ASSERT_NE(nullptr, loss);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
  const std::string line = "<B>matmul</B><BR/><FONT POINT-SIZE=\"9\">y: " + Small() +
                           "; dA: " + Small() + "; dB: " + Small() + "</FONT>";
  EXPECT_NE(std::string::npos, Dot(t, true).find(line)) << Dot(t, true);
  EXPECT_EQ(std::string::npos, Dot(t, false).find("FONT POINT-SIZE=\"9\""));
  tg_tape_free(t);
}

// A conv recorded on two threads and replayed on one chooses its kernels again (one
// thread each) and gives the same bits: its chunks were fixed at recording, and the
// products split rows or columns, never the sum.
TEST(NodeKernelsTest, Conv2dReplayedOnFewerThreadsGivesTheSameBits) {
  const int64_t sx[4] = {8, 16, 16, 16}, sk[4] = {3, 3, 16, 32};
  std::vector<float> xv = Random(8 * 16 * 16 * 16, 10), kv = Random(3 * 3 * 16 * 32, 11);
  tg_tape* t = tg_tape_new();
  ASSERT_EQ(TG_OK, tg_tape_set_threads(t, 2));
  tg_tensor* x = tg_tape_leaf(t, 4, sx, xv.data(), true);
  tg_tensor* k = tg_tape_leaf(t, 4, sk, kv.data(), true);
  tg_conv2d_options co{};
  co.padding = TG_PADDING_SAME;
  tg_tensor* y = tg_conv2d(t, x, k, &co);
  ASSERT_NE(nullptr, y);
  const tg_node* node = LastNode(t);
  // M = 2048 rows in one chunk, K = 144, F = 32: every product splits over two.
  EXPECT_EQ("y: " + Blocked(false, 2048, 32, 144, 2) + "; dK: " + Blocked(false, 144, 32, 2048, 2) +
                "; dX: " + Blocked(true, 2048, 144, 32, 2),
            Kernels(node));
  tg_tensor* loss = tg_mean(t, tg_square(t, y));
  ASSERT_NE(nullptr, loss);
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
  const std::vector<float> y2(y->data, y->data + y->size);
  const std::vector<float> dx2(x->grad, x->grad + x->size), dk2(k->grad, k->grad + k->size);

  ASSERT_EQ(TG_OK, tg_tape_set_threads(t, 1));
  std::memset(x->grad, 0, (size_t)x->size * sizeof(float));
  std::memset(k->grad, 0, (size_t)k->size * sizeof(float));
  ASSERT_EQ(TG_OK, tg_tape_forward(t));
  ASSERT_EQ(TG_OK, tg_tape_backward(t, loss));
  EXPECT_EQ("y: " + Blocked(false, 2048, 32, 144, 1) + "; dK: " + Blocked(false, 144, 32, 2048, 1) +
                "; dX: " + Blocked(true, 2048, 144, 32, 1),
            Kernels(node));
  EXPECT_EQ(0, std::memcmp(y2.data(), y->data, y2.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(dx2.data(), x->grad, dx2.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(dk2.data(), k->grad, dk2.size() * sizeof(float)));
  tg_tape_free(t);
}

}  // namespace
