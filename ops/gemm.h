/* ops/gemm.h — the matrix-product kernel behind matmul (and its backward).
 *
 * C = beta*C + op(A)·op(B) with op(X) = X or Xᵀ, row-major, leading dimensions in
 * elements. The backward passes use the transpose flags (dA = dY·Bᵀ, dB = Aᵀ·dY)
 * instead of materialising transposed copies. `threads` is a hint (>= 1).
 */
#ifndef TAPEGRAD_OPS_GEMM_H_
#define TAPEGRAD_OPS_GEMM_H_

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void tg_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
             int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
             int threads);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_GEMM_H_ */
