// tests/gemm_blas_fallback_test.cc — a process whose BLAS library cannot be opened
// (TG_BLAS_LIBRARY names a file that does not exist, set before the first product):
// BLAS is reported absent and the BLAS backend multiplies with the built-in kernel.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
#include "kernels/gemm.h"
}

namespace {

// Before main, so no product or query has opened the library yet.
const bool kEnvSet = setenv("TG_BLAS_LIBRARY", "libtapegrad-no-such-blas.so.0", 1) == 0;

TEST(GemmBlasFallbackTest, MissingLibraryMeansNoBlas) {
  ASSERT_TRUE(kEnvSet);
  EXPECT_FALSE(tg_gemm_backend_available(TG_GEMM_BLAS));
  EXPECT_STREQ("none", tg_gemm_blas_name());
  tg_gemm_options o = {};
  o.backend = TG_GEMM_BLAS;
  EXPECT_EQ(TG_GEMM_BUILTIN, tg_gemm_resolve(&o, false, 200, 300, 100));
  EXPECT_EQ(TG_GEMM_BUILTIN, tg_gemm_resolve(nullptr, false, 256, 256, 256));
}

TEST(GemmBlasFallbackTest, BlasBackendStillMultiplies) {
  ASSERT_TRUE(kEnvSet);
  // Integer-valued operands: every product and partial sum is exact in float.
  const int m = 70, n = 90, k = 300;
  std::vector<float> a(m * k), b(k * n), c(m * n, 0.0f);
  for (int i = 0; i < m * k; ++i) a[i] = static_cast<float>(i % 7 - 3);
  for (int i = 0; i < k * n; ++i) b[i] = static_cast<float>(i % 5 - 2);
  tg_gemm_options o = {};
  o.backend = TG_GEMM_BLAS;
  tg_gemm_ex(&o, false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double want = 0.0;
      for (int p = 0; p < k; ++p) want += static_cast<double>(a[i * k + p]) * b[p * n + j];
      ASSERT_EQ(want, c[i * n + j]) << i << "," << j;
    }
}

}  // namespace
