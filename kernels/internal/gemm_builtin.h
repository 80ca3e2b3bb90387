/* kernels/internal/gemm_builtin.h — the built-in SGEMM kernels behind kernels/gemm.c.
 * Private to kernels/: one implementation per instruction set, picked at run time from
 * what the CPU supports (the binary itself is built for the baseline ISA).
 */
#ifndef TAPEGRAD_KERNELS_INTERNAL_GEMM_BUILTIN_H_
#define TAPEGRAD_KERNELS_INTERNAL_GEMM_BUILTIN_H_

#include <stdbool.h>
#include <stdint.h>

#include "kernels/gemm.h" /* tg_gemm_args */

/* Forms of the small path's fast form (`small` with bp) a plan can call directly. */
enum {
  TG_SMALL_GENERAL = 0, /* `small` decides on each call */
  TG_SMALL_NARROW,      /* small_narrow: C built through its transpose */
  TG_SMALL_ROWS         /* small_rows: row groups held in registers */
};

typedef struct tg_gemm_isa {
  const char* name;    /* "avx512", "avx2", "generic" */
  int simd_level;      /* 3 AVX-512, 2 AVX2, 0 baseline (same scale as tg_blas_simd_level) */
  int mr, nr;          /* register tile; threads split M by mr and N by nr */
  int64_t pack_floats; /* scratch floats one thread needs for `blocked` */
  /* The blocked kernel; `pack` holds pack_floats floats aligned to 64 bytes. */
  void (*blocked)(const tg_gemm_args* g, float* pack);
  /* The unblocked kernel. `bp` is NULL (the slow form, any size) or holds
   * small_floats(trans_b, k, n) floats for a padded copy of op(B) (the fast form;
   * non-NULL even when that is 0). */
  void (*small)(const tg_gemm_args* g, float* bp);
  int64_t (*small_floats)(bool trans_b, int64_t k, int64_t n);
  /* Whether the fast unblocked form beats the blocked kernel for (m, n, k). */
  bool (*small_wins)(int64_t m, int64_t n, int64_t k);
  /* The TG_SMALL_* form `small` (with bp) takes for this product, and for
   * TG_SMALL_ROWS its row groups: `groups` of `base` rows or one more, the longer
   * first (both 0: too many to keep in a plan, found on each call). */
  int (*small_form)(bool trans_a, int64_t m, int64_t n, int64_t* base, int64_t* groups);
  /* `small` with bp for a product whose form is TG_SMALL_ROWS (its groups given),
   * or TG_SMALL_NARROW (which needs no bp); the same bits. */
  void (*small_rows)(const tg_gemm_args* g, float* bp, int64_t base, int64_t groups);
  void (*small_narrow)(const tg_gemm_args* g);
  /* One row of C from a plain op(B) (m 1, trans_b false), B streamed row by row. */
  void (*row_vector)(const tg_gemm_args* g);
} tg_gemm_isa;

/* The best kernel set this CPU runs. Never NULL. */
const tg_gemm_isa* tg_gemm_isa_best(void);
/* The kernel set named `name` if this build has it and this CPU runs it, else NULL. */
const tg_gemm_isa* tg_gemm_isa_find(const char* name);

#endif /* TAPEGRAD_KERNELS_INTERNAL_GEMM_BUILTIN_H_ */
