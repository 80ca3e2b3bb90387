/** @file kernels/gemm.h — the matrix-product kernels behind matmul (and its backward).
 *
 * C = beta*C + op(A)·op(B) with op(X) = X or Xᵀ, row-major, leading dimensions in
 * elements: op(A) is (m,k), op(B) is (k,n), C is (m,n). The backward passes use the
 * transpose flags (dA = dY·Bᵀ, dB = Aᵀ·dY) instead of materialising transposed
 * copies. beta == 0 overwrites C (whatever it held, NaN included).
 *
 * Backends (tg_gemm_backend):
 *     SMALL    register rows over op(B) read in place or copied to the stack, no
 *              packing, no heap scratch: what tiny products (a 10x16 layer) and
 *              products one vector wide (a 10-unit output layer) use, because
 *              blocking or a library call costs more than the math there.
 *     BUILTIN  a cache-blocked kernel with a packed register tile, compiled for the
 *              x86-64 baseline, AVX2+FMA and AVX-512 and picked at run time from what
 *              the CPU has (tg_gemm_isa_name). Always present.
 *     BLAS     CBLAS sgemm (OpenBLAS) when the build has it (the default build;
 *              `--define blas=none` builds without). Driven single-threaded; tapegrad's
 *              own threads split the product into column or row blocks. The library is
 *              opened at run time (dlopen libopenblas.so.0, else libopenblas.so; the
 *              environment variable TG_BLAS_LIBRARY names another file, empty: none) on
 *              the first product that asks about it, and closed again when its kernel
 *              is narrower than the built-in one; when it cannot be opened BLAS is
 *              absent and this backend runs the built-in kernel.
 *     AUTO     SMALL for those products; otherwise BLAS when the build has it and its
 *              kernel is at least as wide as the built-in one, else BUILTIN. (OpenBLAS
 *              0.3.21 does not recognise some newer CPUs and falls back to an SSE3
 *              kernel that the built-in AVX-512 kernel beats fivefold.)
 * Results are bit-for-bit reproducible for a given backend and CPU, whatever the
 * thread count: threads split rows or columns of C, never the sum over k, and a BLAS
 * product is cut into blocks chosen from its shape alone (OpenBLAS picks kernels by
 * block shape), which one thread runs in turn. NATIVE BLAS threading makes no such
 * promise across thread counts.
 *
 * Plans: tg_gemm_plan_make makes every choice above once for a product's shape and
 * tg_gemm_run runs it (what ops keep in their nodes, so a replay decides nothing).
 *
 * Memory: the built-in kernel packs blocks of A and B into per-thread scratch. With
 * a pool (core/threadpool.h) that scratch is the pool's and is reused, so a replayed
 * tape never allocates; without one each blocked call allocates and frees it through
 * opt->alloc. matmul reserves the pool's scratch when it is recorded.
 * Thread-safety: calls share nothing but the pool passed in (one caller per pool).
 * The BLAS backend sets OpenBLAS's process-wide thread count (to 1, or to `threads`
 * in NATIVE mode) when it differs.
 *
 *     // y (2x3) = x (2x4) · w (4x3)
 *     tg_gemm(false, false, 2, 3, 4, x, 4, w, 3, 0.0f, y, 3, 1);
 *     // dw (4x3) += xᵀ (4x2) · dy (2x3), through the built-in kernel on a pool of two
 *     tg_gemm_options o = {.backend = TG_GEMM_BUILTIN, .threads = 2, .pool = pool};
 *     tg_gemm_ex(&o, true, false, 4, 3, 2, x, 4, dy, 3, 1.0f, dw, 3);
 */
#ifndef TAPEGRAD_KERNELS_GEMM_H_
#define TAPEGRAD_KERNELS_GEMM_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which kernel computes a product (described above). */
typedef enum tg_gemm_backend {
  TG_GEMM_AUTO = 0, /**< chosen per product */
  TG_GEMM_SMALL,    /**< register rows, no packing */
  TG_GEMM_BUILTIN,  /**< the cache-blocked kernel */
  TG_GEMM_BLAS      /**< CBLAS sgemm, or BUILTIN without it */
} tg_gemm_backend;

/** How BLAS uses several threads (the measurement in bench/README.md chose SPLIT). */
typedef enum tg_blas_threading {
  TG_BLAS_SPLIT = 0, /**< BLAS single-threaded; the pool runs one BLAS call per block */
  TG_BLAS_NATIVE     /**< one call; OpenBLAS's own threads (set per call) */
} tg_blas_threading;

/** tg_gemm_ex's choices; zero-initialised: AUTO on the calling thread. */
typedef struct tg_gemm_options {
  tg_gemm_backend backend;          /**< 0: AUTO */
  int threads;                      /**< workers for this product; <= 1: the caller only */
  tg_threadpool* pool;              /**< workers and scratch (borrowed); NULL: none */
  tg_blas_threading blas_threading; /**< 0: SPLIT */
  /** Instruction set for BUILTIN/SMALL: NULL for the best this CPU runs, or a name
   * from tg_gemm_isa_name ("avx512", "avx2", "generic"); one the CPU lacks means
   * the best. For tests and benchmarks that compare kernels. */
  const char* isa;
  /** Where the built-in kernel's scratch comes from when there is no pool (borrowed;
   * NULL: malloc). With a pool, the pool's allocator. */
  const tg_allocator* alloc;
} tg_gemm_options;

/** The product through AUTO on the calling thread. `threads` is not used: there is
 * no pool to run them (use tg_gemm_ex); it stays for the callers written before. */
void tg_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
             int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
             int threads);

/** The product with explicit options (NULL: AUTO, one thread). Threads come from
 * opt->pool, at most opt->threads of them, and only for products big enough to
 * repay the hand-off. A backend the build lacks falls back to BUILTIN; if the
 * built-in kernel's scratch cannot be allocated, SMALL does the work. Never fails. */
void tg_gemm_ex(const tg_gemm_options* opt, bool trans_a, bool trans_b, int64_t m, int64_t n,
                int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                float* c, int64_t ldc);

/** One product's operands: C = beta*C + op(A)·op(B), row-major, leading dimensions in
 * elements (what tg_gemm_run takes; the field order is tg_gemm_ex's argument order). */
typedef struct tg_gemm_args {
  bool trans_a;   /**< op(A) = Aᵀ */
  bool trans_b;   /**< op(B) = Bᵀ */
  int64_t m;      /**< rows of op(A) and C */
  int64_t n;      /**< columns of op(B) and C */
  int64_t k;      /**< columns of op(A), rows of op(B) */
  const float* a; /**< A */
  int64_t lda;    /**< A's leading dimension */
  const float* b; /**< B */
  int64_t ldb;    /**< B's leading dimension */
  float beta;     /**< C's scale before the product is added (0 overwrites) */
  float* c;       /**< C */
  int64_t ldc;    /**< C's leading dimension */
} tg_gemm_args;

/** A product's kernel chosen once: the backend, the instruction set, the small path's
 * form and the thread split, for one shape (trans flags, m, n, k, leading dimensions)
 * and one set of options. An op makes a plan for each of its products when it is
 * recorded, keeps it in its node, and runs it on every replay without deciding again;
 * tg_gemm_ex is tg_gemm_plan_make followed by tg_gemm_run, so a plan gives the same
 * bits as tg_gemm_ex with the same options. The fields are for tapegrad itself (read
 * them through tg_gemm_plan_describe); the struct is a plain value (copy it freely,
 * no free). */
typedef struct tg_gemm_plan {
  const struct tg_gemm_isa* isa; /**< the built-in kernel set the plan runs or falls back to */
  uint8_t mode;                  /**< how it runs (kernels/gemm.c) */
  uint8_t backend;               /**< tg_gemm_backend that runs; AUTO: nothing to multiply */
  uint8_t workers;               /**< threads the product is split over (BLAS native: its own) */
  uint8_t threads;               /**< opt->threads it was made for (<= 1 stored as 1; 0: no plan) */
  uint8_t pool_threads;          /**< and the pool's size (1 without a pool) */
  /** Whether the choice depends on the thread count and the run on opt->pool and
   * opt->alloc: false for the small path and empty products, which run on the calling
   * thread whatever the options (tg_gemm_run may then get NULL options). */
  bool threaded;
  uint8_t small_rows;   /**< the small path's row groups: rows in each (0: found per run) */
  uint8_t small_groups; /**< and how many groups (the first ones one row more) */
} tg_gemm_plan;

/** Chooses how the product runs with `opt` (NULL: AUTO, one thread). For the built-in
 * kernel it also reserves the pool's scratch, so that running the plan does not
 * allocate; TG_ERR_NOMEM when that fails (the plan is still valid: a run then tries
 * again and falls back to the small path, as tg_gemm_ex does). TG_OK otherwise. */
tg_status tg_gemm_plan_make(tg_gemm_plan* plan, const tg_gemm_options* opt, bool trans_a,
                            bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                            int64_t ldc);

/** Whether `plan` holds for `opt`: made for its thread count and pool size (the pool
 * itself may be another one of the same size), or not threaded at all; false for a
 * zeroed plan. When not, make it again before running it. */
bool tg_gemm_plan_fits(const tg_gemm_plan* plan, const tg_gemm_options* opt);

/** Runs the product `plan` was made for (the same flags, sizes and leading dimensions;
 * new data pointers and beta are fine) on opt->pool and opt->alloc (the other fields
 * of opt are not read: the plan holds what they decided; opt may be NULL for a plan
 * that is not threaded). Never fails. */
void tg_gemm_run(const tg_gemm_plan* plan, const tg_gemm_options* opt, const tg_gemm_args* g);

/** What the plan runs, e.g. "small avx2 1 thread", "builtin avx512 2 threads",
 * "blas 2 threads", "blas native 4 threads", "row avx2 1 thread" (one row of C from a
 * plain op(B) under AUTO: B streamed row by row), "empty" (nothing to multiply), "not chosen"
 * (a zeroed plan: tg_gemm_plan_fits is false for it). snprintf semantics: returns the
 * length it needed. */
int tg_gemm_plan_describe(const tg_gemm_plan* plan, char* buf, size_t cap);

/** The backend tg_gemm_ex would run for this product (never AUTO). */
tg_gemm_backend tg_gemm_resolve(const tg_gemm_options* opt, bool trans_b, int64_t m, int64_t n,
                                int64_t k);

/** Whether this build and CPU have `backend` (AUTO, SMALL and BUILTIN always). */
bool tg_gemm_backend_available(tg_gemm_backend backend);

/** "auto", "small", "builtin", "blas"; "unknown" otherwise. */
const char* tg_gemm_backend_name(tg_gemm_backend backend);

/** Instruction set the built-in kernel runs here: "avx512", "avx2" or "generic". */
const char* tg_gemm_isa_name(void);
/** Whether the built-in kernel can run `isa` ("avx512", "avx2", "generic") here. */
bool tg_gemm_isa_available(const char* isa);

/** The BLAS library's own description, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH
 * NO_AFFINITY SkylakeX MAX_THREADS=64" (the kernel it chose is in there); "none"
 * without BLAS. The string is static; do not free it. */
const char* tg_gemm_blas_name(void);

/** Scratch bytes one worker needs for the built-in kernel; reserve this much on a
 * pool (tg_threadpool_reserve) before a step to keep the first call from allocating. */
size_t tg_gemm_scratch_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_KERNELS_GEMM_H_ */
