/* kernels/internal/gemm_blas.h — the CBLAS backend, or stubs when the build has none
 * (kernels/gemm_blas.c or kernels/gemm_noblas.c, chosen by `--define blas=...`). Private to
 * kernels/. */
#ifndef TAPEGRAD_KERNELS_INTERNAL_GEMM_BLAS_H_
#define TAPEGRAD_KERNELS_INTERNAL_GEMM_BLAS_H_

#include <stdbool.h>

#include "kernels/internal/gemm_builtin.h"

/* Whether sgemm below is a real library. */
bool tg_blas_present(void);
/* The library's self-description ("none" without one). Static storage. */
const char* tg_blas_config(void);
/* Vector width of the kernel the library picked: 3 AVX-512, 2 AVX2, 1 AVX, 0 older
 * or unknown. Compared with the built-in kernel's to choose AUTO's backend. */
int tg_blas_simd_level(void);
/* g through sgemm with the library running `threads` threads of its own. */
void tg_blas_sgemm(const tg_gemm_args* g, int threads);

#endif /* TAPEGRAD_KERNELS_INTERNAL_GEMM_BLAS_H_ */
