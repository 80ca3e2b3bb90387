// tests/gemm_test.cc — every matmul backend, instruction set, transpose combination,
// beta and thread split against a naive double-precision reference, on odd sizes
// that cross every block and tile edge of the built-in kernel.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

extern "C" {
#include "core/rng.h"
#include "core/threadpool.h"
#include "kernels/gemm.h"
}

namespace {

struct Shape {
  int64_t m, n, k;
};

// Sizes around the register tiles (6x8, 6x16, 12x32), the blocks (MC 96/144,
// KC 256, NC 1024), the small-path limit, and the seed's 10x16 layers.
const Shape kShapes[] = {
    {1, 1, 1},    {3, 5, 7},     {10, 16, 1},   {10, 16, 16},   {10, 2, 16},  {16, 16, 10},
    {13, 33, 17}, {12, 32, 256}, {37, 70, 300}, {145, 21, 260}, {7, 1030, 9}, {97, 47, 258},
};

// Operands stored with leading dimensions wider than the logical matrix (ld = cols
// + pad), so kernels that ignore lda/ldb/ldc fail.
struct Problem {
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  std::vector<float> a, b, c0;
};

Problem MakeProblem(bool ta, bool tb, Shape s, uint64_t seed) {
  Problem p{ta, tb, s.m, s.n, s.k, 0, 0, 0, {}, {}, {}};
  const int64_t a_rows = ta ? s.k : s.m, a_cols = ta ? s.m : s.k;
  const int64_t b_rows = tb ? s.n : s.k, b_cols = tb ? s.k : s.n;
  p.lda = a_cols + 3;
  p.ldb = b_cols + 1;
  p.ldc = s.n + 2;
  tg_rng rng;
  tg_rng_seed(&rng, seed);
  p.a.resize(static_cast<size_t>(a_rows * p.lda));
  p.b.resize(static_cast<size_t>(b_rows * p.ldb));
  p.c0.resize(static_cast<size_t>(s.m * p.ldc));
  for (float& x : p.a) x = 2.0f * tg_rng_uniform(&rng) - 1.0f;
  for (float& x : p.b) x = 2.0f * tg_rng_uniform(&rng) - 1.0f;
  for (float& x : p.c0) x = 2.0f * tg_rng_uniform(&rng) - 1.0f;
  return p;
}

float A(const Problem& p, int64_t i, int64_t q) {
  return p.ta ? p.a[q * p.lda + i] : p.a[i * p.lda + q];
}
float B(const Problem& p, int64_t q, int64_t j) {
  return p.tb ? p.b[j * p.ldb + q] : p.b[q * p.ldb + j];
}

// Runs the product on a copy of c0 (NaN in C when beta == 0: it must not leak) and
// checks every element against the double-precision sum, within the worst-case
// float rounding bound (k+2)·eps·Σ|terms|. Padding columns of C must be untouched.
std::vector<float> RunAndCheck(const Problem& p, float beta, const tg_gemm_options* opt,
                               const std::string& label) {
  std::vector<float> c = p.c0;
  if (beta == 0.0f)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) c[i * p.ldc + j] = std::numeric_limits<float>::quiet_NaN();
  tg_gemm_ex(opt, p.ta, p.tb, p.m, p.n, p.k, p.a.data(), p.lda, p.b.data(), p.ldb, beta, c.data(),
             p.ldc);
  int failures = 0;
  for (int64_t i = 0; i < p.m && failures < 3; ++i) {
    for (int64_t j = 0; j < p.ldc; ++j) {
      const float got = c[i * p.ldc + j];
      if (j >= p.n) {
        EXPECT_EQ(got, p.c0[i * p.ldc + j]) << label << " wrote padding at " << i << "," << j;
        continue;
      }
      double want = beta == 0.0f ? 0.0 : beta * static_cast<double>(p.c0[i * p.ldc + j]);
      double mag = std::fabs(want);
      for (int64_t q = 0; q < p.k; ++q) {
        const double t = static_cast<double>(A(p, i, q)) * B(p, q, j);
        want += t;
        mag += std::fabs(t);
      }
      const double tol = (p.k + 2) * 1.2e-7 * mag + 1e-30;
      if (!(std::fabs(got - want) <= tol)) {
        ADD_FAILURE() << label << " C(" << i << "," << j << ") = " << got << ", want " << want
                      << " (tolerance " << tol << ")";
        ++failures;
      }
    }
  }
  return c;
}

std::string Label(const char* what, const Problem& p, float beta) {
  return std::string(what) + " ta=" + std::to_string(p.ta) + " tb=" + std::to_string(p.tb) +
         " m=" + std::to_string(p.m) + " n=" + std::to_string(p.n) + " k=" + std::to_string(p.k) +
         " beta=" + std::to_string(beta);
}

void CheckAllShapes(const tg_gemm_options& opt, const char* what) {
  uint64_t seed = 7;
  for (const Shape& s : kShapes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const Problem p = MakeProblem(ta, tb, s, ++seed);
        for (float beta : {0.0f, 1.0f, 0.5f}) RunAndCheck(p, beta, &opt, Label(what, p, beta));
      }
}

TEST(GemmTest, SmallPathMatchesReferenceForEveryTransposeAndBeta) {
  tg_gemm_options o = {};
  o.backend = TG_GEMM_SMALL;
  CheckAllShapes(o, "small");
}

TEST(GemmTest, BuiltinMatchesReferenceOnEveryInstructionSetThisCpuRuns) {
  int tested = 0;
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    if (!tg_gemm_isa_available(isa)) continue;
    tg_gemm_options o = {};
    o.backend = TG_GEMM_BUILTIN;
    o.isa = isa;
    CheckAllShapes(o, (std::string("builtin/") + isa).c_str());
    ++tested;
  }
  EXPECT_GE(tested, 1);
  EXPECT_TRUE(tg_gemm_isa_available("generic"));
  EXPECT_TRUE(tg_gemm_isa_available(tg_gemm_isa_name()));
  EXPECT_FALSE(tg_gemm_isa_available("sse9"));
}

TEST(GemmTest, SmallPathOnEveryInstructionSet) {
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    if (!tg_gemm_isa_available(isa)) continue;
    tg_gemm_options o = {};
    o.backend = TG_GEMM_SMALL;
    o.isa = isa;
    CheckAllShapes(o, (std::string("small/") + isa).c_str());
  }
}

TEST(GemmTest, BlasMatchesReferenceWhenTheBuildHasIt) {
  tg_gemm_options o = {};
  o.backend = TG_GEMM_BLAS;
  // Without BLAS this runs the built-in kernel, which must be just as right.
  CheckAllShapes(o, "blas");
  o.blas_threading = TG_BLAS_NATIVE;
  o.threads = 2;
  CheckAllShapes(o, "blas/native");
}

TEST(GemmTest, AutoMatchesReference) {
  tg_gemm_options o = {};
  CheckAllShapes(o, "auto");
  // The plain entry point is AUTO on the calling thread.
  const Problem p = MakeProblem(true, false, {37, 70, 300}, 99);
  std::vector<float> c = p.c0, want = p.c0;
  tg_gemm(p.ta, p.tb, p.m, p.n, p.k, p.a.data(), p.lda, p.b.data(), p.ldb, 1.0f, c.data(), p.ldc,
          4);
  tg_gemm_ex(nullptr, p.ta, p.tb, p.m, p.n, p.k, p.a.data(), p.lda, p.b.data(), p.ldb, 1.0f,
             want.data(), p.ldc);
  EXPECT_EQ(0, std::memcmp(c.data(), want.data(), c.size() * sizeof(float)));
}

TEST(GemmTest, AutoKeepsTheSeedsTinyProductsOnTheSmallPath) {
  // Forward 10x1·1x16, 10x16·16x16, 10x16·16x2 and the backward products.
  EXPECT_EQ(TG_GEMM_SMALL, tg_gemm_resolve(nullptr, false, 10, 16, 1));
  EXPECT_EQ(TG_GEMM_SMALL, tg_gemm_resolve(nullptr, false, 10, 16, 16));
  EXPECT_EQ(TG_GEMM_SMALL, tg_gemm_resolve(nullptr, false, 10, 2, 16));
  EXPECT_EQ(TG_GEMM_SMALL, tg_gemm_resolve(nullptr, true, 10, 16, 16));
  EXPECT_EQ(TG_GEMM_SMALL, tg_gemm_resolve(nullptr, false, 16, 16, 10));
  const tg_gemm_backend big = tg_gemm_resolve(nullptr, false, 256, 256, 256);
  EXPECT_TRUE(big == TG_GEMM_BUILTIN || big == TG_GEMM_BLAS) << tg_gemm_backend_name(big);
  if (!tg_gemm_backend_available(TG_GEMM_BLAS)) {
    EXPECT_EQ(TG_GEMM_BUILTIN, big);
  }
}

// One row of C through a product too large for the small path (one-image inference):
// AUTO streams B's rows once instead of packing all of B, on every instruction set,
// for a plain and a transposed A (a column of a wider matrix), every beta; a
// transposed B, or a backend the caller names, keeps the usual choice.
TEST(GemmTest, OneRowProductsStreamBRowByRow) {
  int tested = 0;
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    if (!tg_gemm_isa_available(isa)) continue;
    tg_gemm_options o = {};
    o.isa = isa;
    uint64_t seed = 40;
    for (const Shape s : {Shape{1, 512, 784}, Shape{1, 1030, 300}, Shape{1, 70, 9}})
      for (int ta = 0; ta < 2; ++ta) {
        const Problem p = MakeProblem(ta, false, s, ++seed);
        for (float beta : {0.0f, 1.0f, 0.5f})
          RunAndCheck(p, beta, &o, Label((std::string("row/") + isa).c_str(), p, beta));
      }
    tg_gemm_plan plan;
    char what[64];
    ASSERT_EQ(TG_OK, tg_gemm_plan_make(&plan, &o, false, false, 1, 512, 784, 784, 512, 512));
    tg_gemm_plan_describe(&plan, what, sizeof what);
    EXPECT_EQ(std::string("row ") + isa + " 1 thread", what);
    ++tested;
  }
  EXPECT_GE(tested, 1);
  tg_gemm_plan plan;
  char what[64];
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&plan, nullptr, false, true, 1, 512, 784, 784, 784, 512));
  tg_gemm_plan_describe(&plan, what, sizeof what);
  EXPECT_NE(0, std::strncmp(what, "row", 3)) << what;  // op(B) transposed: rows are strided
  tg_gemm_options named = {};
  named.backend = TG_GEMM_BUILTIN;
  ASSERT_EQ(TG_OK, tg_gemm_plan_make(&plan, &named, false, false, 1, 512, 784, 784, 512, 512));
  tg_gemm_plan_describe(&plan, what, sizeof what);
  EXPECT_EQ(0, std::strncmp(what, "builtin", 7)) << what;
}

TEST(GemmTest, ExplicitBackendsResolveToThemselves) {
  tg_gemm_options o = {};
  o.backend = TG_GEMM_SMALL;
  EXPECT_EQ(TG_GEMM_SMALL, tg_gemm_resolve(&o, false, 512, 512, 512));
  o.backend = TG_GEMM_BUILTIN;
  EXPECT_EQ(TG_GEMM_BUILTIN, tg_gemm_resolve(&o, false, 2, 2, 2));
  o.backend = TG_GEMM_BLAS;
  EXPECT_EQ(tg_gemm_backend_available(TG_GEMM_BLAS) ? TG_GEMM_BLAS : TG_GEMM_BUILTIN,
            tg_gemm_resolve(&o, false, 2, 2, 2));
}

TEST(GemmTest, NamesAndAvailability) {
  EXPECT_STREQ("auto", tg_gemm_backend_name(TG_GEMM_AUTO));
  EXPECT_STREQ("small", tg_gemm_backend_name(TG_GEMM_SMALL));
  EXPECT_STREQ("builtin", tg_gemm_backend_name(TG_GEMM_BUILTIN));
  EXPECT_STREQ("blas", tg_gemm_backend_name(TG_GEMM_BLAS));
  EXPECT_STREQ("unknown", tg_gemm_backend_name(static_cast<tg_gemm_backend>(42)));
  EXPECT_TRUE(tg_gemm_backend_available(TG_GEMM_AUTO));
  EXPECT_TRUE(tg_gemm_backend_available(TG_GEMM_SMALL));
  EXPECT_TRUE(tg_gemm_backend_available(TG_GEMM_BUILTIN));
  const std::string blas = tg_gemm_blas_name();
  EXPECT_EQ(tg_gemm_backend_available(TG_GEMM_BLAS), blas != "none") << blas;
  EXPECT_GT(tg_gemm_scratch_bytes(), 0u);
}

TEST(GemmTest, EmptyProductsScaleOrLeaveC) {
  float c[6] = {1, 2, 3, 4, 5, 6};
  // k == 0: C = beta*C.
  tg_gemm_ex(nullptr, false, false, 2, 3, 0, nullptr, 1, nullptr, 3, 0.5f, c, 3);
  const float halved[6] = {0.5f, 1, 1.5f, 2, 2.5f, 3};
  EXPECT_EQ(0, std::memcmp(c, halved, sizeof c));
  tg_gemm_ex(nullptr, false, false, 2, 3, 0, nullptr, 1, nullptr, 3, 0.0f, c, 3);
  for (float x : c) EXPECT_EQ(0.0f, x);
  // m == 0 or n == 0: nothing to write.
  float d[2] = {7, 8};
  tg_gemm_ex(nullptr, false, false, 0, 2, 4, nullptr, 4, nullptr, 2, 0.0f, d, 2);
  tg_gemm_ex(nullptr, false, false, 2, 0, 4, nullptr, 4, nullptr, 0, 0.0f, d, 1);
  EXPECT_EQ(7.0f, d[0]);
  EXPECT_EQ(8.0f, d[1]);
}

// Big enough that every worker gets a block (kMinWorkPerThread multiply-adds each).
const Shape kThreadedShapes[] = {{64, 301, 70}, {301, 40, 90}, {130, 130, 130}};

TEST(GemmTest, ThreadedBuiltinIsBitIdenticalToOneThread) {
  tg_error err = {};
  tg_threadpool* pool = tg_threadpool_new(3, nullptr, &err);
  ASSERT_NE(nullptr, pool) << err.message;
  uint64_t seed = 100;
  for (const Shape& s : kThreadedShapes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const Problem p = MakeProblem(ta, tb, s, ++seed);
        tg_gemm_options one = {};
        one.backend = TG_GEMM_BUILTIN;
        const std::vector<float> c1 = RunAndCheck(p, 1.0f, &one, Label("builtin/1", p, 1.0f));
        for (int threads : {2, 3}) {
          tg_gemm_options many = one;
          many.threads = threads;
          many.pool = pool;
          const std::vector<float> cn = RunAndCheck(p, 1.0f, &many, Label("builtin/n", p, 1.0f));
          EXPECT_EQ(0, std::memcmp(c1.data(), cn.data(), c1.size() * sizeof(float)))
              << Label("builtin threads differ", p, 1.0f) << " threads=" << threads;
        }
      }
  tg_threadpool_free(pool);
}

TEST(GemmTest, ThreadedBlasIsRightAndReproducible) {
  tg_error err = {};
  tg_threadpool* pool = tg_threadpool_new(2, nullptr, &err);
  ASSERT_NE(nullptr, pool) << err.message;
  uint64_t seed = 200;
  for (const Shape& s : kThreadedShapes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const Problem p = MakeProblem(ta, tb, s, ++seed);
        tg_gemm_options o = {};
        o.backend = TG_GEMM_BLAS;
        o.threads = 2;
        o.pool = pool;
        const std::vector<float> first = RunAndCheck(p, 0.5f, &o, Label("blas/2", p, 0.5f));
        const std::vector<float> again = RunAndCheck(p, 0.5f, &o, Label("blas/2", p, 0.5f));
        EXPECT_EQ(0, std::memcmp(first.data(), again.data(), first.size() * sizeof(float)));
      }
  tg_threadpool_free(pool);
}

// OpenBLAS picks its kernel by the block's shape: a product cut into blocks that
// follow the thread count changes bits (seen on an AVX-512 EPYC), so BLAS blocks
// depend on the shape alone. The first two shapes are the hidden layer of
// threaded_training_test (16x256 @ 256x256) and its weight gradient.
TEST(GemmTest, ThreadedBlasIsBitIdenticalToOneThread) {
  if (!tg_gemm_backend_available(TG_GEMM_BLAS)) GTEST_SKIP() << "no BLAS in this build";
  tg_error err = {};
  tg_threadpool* pool = tg_threadpool_new(3, nullptr, &err);
  ASSERT_NE(nullptr, pool) << err.message;
  const Shape shapes[] = {{16, 256, 256}, {256, 256, 16}, {64, 301, 70}, {301, 40, 90}};
  uint64_t seed = 300;
  for (const Shape& s : shapes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const Problem p = MakeProblem(ta, tb, s, ++seed);
        tg_gemm_options one = {};
        one.backend = TG_GEMM_BLAS;
        const std::vector<float> c1 = RunAndCheck(p, 1.0f, &one, Label("blas/1", p, 1.0f));
        for (int threads : {2, 3}) {
          tg_gemm_options many = one;
          many.threads = threads;
          many.pool = pool;
          const std::vector<float> cn = RunAndCheck(p, 1.0f, &many, Label("blas/n", p, 1.0f));
          EXPECT_EQ(0, std::memcmp(c1.data(), cn.data(), c1.size() * sizeof(float)))
              << Label("blas threads differ", p, 1.0f) << " threads=" << threads;
        }
      }
  tg_threadpool_free(pool);
}

struct Counter {
  int allocs = 0;
};

void* CountingAlloc(void* ctx, size_t size) {
  static_cast<Counter*>(ctx)->allocs++;
  return std::malloc(size);
}
void CountingFree(void*, void* p) { std::free(p); }

TEST(GemmTest, KernelsOnAPoolAllocateOnlyOnce) {
  Counter counter;
  tg_allocator alloc = {CountingAlloc, CountingFree, &counter};
  tg_error err = {};
  tg_threadpool* pool = tg_threadpool_new(2, &alloc, &err);
  ASSERT_NE(nullptr, pool) << err.message;
  const Problem p = MakeProblem(false, true, {130, 130, 130}, 5);
  std::vector<float> c = p.c0;
  tg_gemm_options o = {};
  o.backend = TG_GEMM_BUILTIN;
  o.threads = 2;
  o.pool = pool;
  tg_gemm_ex(&o, p.ta, p.tb, p.m, p.n, p.k, p.a.data(), p.lda, p.b.data(), p.ldb, 1.0f, c.data(),
             p.ldc);
  const int after_first = counter.allocs;
  EXPECT_GT(after_first, 0);
  for (int i = 0; i < 5; ++i)
    tg_gemm_ex(&o, p.ta, p.tb, p.m, p.n, p.k, p.a.data(), p.lda, p.b.data(), p.ldb, 1.0f, c.data(),
               p.ldc);
  EXPECT_EQ(after_first, counter.allocs);
  tg_threadpool_free(pool);
}

}  // namespace
