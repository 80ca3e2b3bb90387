/* ops/gemm_blas.c — the CBLAS backend on OpenBLAS (Debian's libopenblas-dev). */
#include "ops/internal/gemm_blas.h"

#include <cblas.h>
#include <string.h>
#include <strings.h>

/* OpenBLAS extensions; declared here so the file also builds against a cblas.h
 * that is not OpenBLAS's own. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);

bool tg_blas_present(void) { return true; }

const char* tg_blas_config(void) { return openblas_get_config(); }

int tg_blas_simd_level(void) {
  /* OpenBLAS core names (DYNAMIC_ARCH) grouped by the widest vectors their SGEMM uses. */
  static const char* const avx512[] = {"skylakex", "cooperlake", "sapphirerapids"};
  static const char* const avx2[] = {"haswell", "zen", "excavator", "steamroller"};
  static const char* const avx[] = {"sandybridge", "bulldozer", "piledriver"};
  const char* core = openblas_get_corename();
  if (core == NULL) return 0;
  for (size_t i = 0; i < sizeof avx512 / sizeof avx512[0]; ++i)
    if (strcasecmp(core, avx512[i]) == 0) return 3;
  for (size_t i = 0; i < sizeof avx2 / sizeof avx2[0]; ++i)
    if (strcasecmp(core, avx2[i]) == 0) return 2;
  for (size_t i = 0; i < sizeof avx / sizeof avx[0]; ++i)
    if (strcasecmp(core, avx[i]) == 0) return 1;
  return 0;
}

void tg_blas_sgemm(const tg_gemm_args* g, int threads) {
  if (openblas_get_num_threads() != threads) openblas_set_num_threads(threads);
  /* CBLAS insists on leading dimensions >= 1 even for empty operands. */
  const int lda = g->lda > 0 ? (int)g->lda : 1;
  const int ldb = g->ldb > 0 ? (int)g->ldb : 1;
  const int ldc = g->ldc > 0 ? (int)g->ldc : 1;
  cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
              g->trans_b ? CblasTrans : CblasNoTrans, (int)g->m, (int)g->n, (int)g->k, 1.0f, g->a,
              lda, g->b, ldb, g->beta, g->c, ldc);
}
