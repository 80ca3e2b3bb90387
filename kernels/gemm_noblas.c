/* kernels/gemm_noblas.c — the BLAS backend of a build without BLAS (`--define blas=none`):
 * AUTO and BLAS both run the built-in kernel. */
#include "kernels/internal/gemm_blas.h"

bool tg_blas_present(void) { return false; }

const char* tg_blas_config(void) { return "none"; }

int tg_blas_simd_level(void) { return 0; }

void tg_blas_sgemm(const tg_gemm_args* g, int threads) {
  (void)g;
  (void)threads;
}
