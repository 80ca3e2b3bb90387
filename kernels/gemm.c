/* kernels/gemm.c — picks a backend and a thread split for each product (a plan), and
 * runs plans.
 *
 * Threads split C into column blocks (or row blocks when C is tall and narrow),
 * each a whole product of its own on one worker; the sum over k is never split.
 * The built-in kernel sums every element in the same order whatever the block, so
 * its split may follow the thread count. OpenBLAS does not: it picks a different
 * kernel (and summation order) for a different block width, so a BLAS product is
 * cut into blocks that depend on its shape alone, and one thread runs the same
 * blocks one after another: the bits do not depend on the thread count.
 */
#include "kernels/gemm.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "kernels/internal/gemm_blas.h"
#include "kernels/internal/gemm_builtin.h"

enum {
  /* op(B) of at most this many floats (rows padded to whole vectors, 32 KiB) is
   * copied to the stack for the small path's fast form. */
  kSmallMaxCopy = 8192,
  /* Handing a block to another thread costs a few µs; below this many
   * multiply-adds per worker it does not pay. */
  kMinWorkPerThread = 1 << 18,
  /* Blocks per worker for the dynamic split (see run_blocks). One: every extra
   * block packs its share of A (or B) again, and on W2's shapes that cost more
   * than finer balancing won back; a worker still takes a block that another has
   * not started yet, so a late thread never makes the caller wait for it. */
  kBlocksPerWorker = 1,
  /* Most blocks of a BLAS product (its split ignores the thread count, so this
   * bounds the threads such a product can use). */
  kBlasMaxBlocks = 16,
  kBlasMinExtent = 256
};

static double work_of(int64_t m, int64_t n, int64_t k) { return (double)m * (double)n * (double)k; }

static bool blas_dims_ok(int64_t m, int64_t n, int64_t k) {
  return tg_blas_present() && m <= INT_MAX && n <= INT_MAX && k <= INT_MAX;
}

/* Whether BLAS can take the product. Asked only after the small path declined:
 * asking takes the BLAS loader's lock, which costs more than a tiny product. */
static bool blas_takes(const tg_gemm_args* g) {
  return g->lda <= INT_MAX && g->ldb <= INT_MAX && g->ldc <= INT_MAX &&
         blas_dims_ok(g->m, g->n, g->k);
}

static tg_gemm_backend resolve(const tg_gemm_options* opt, const tg_gemm_args* g,
                               const tg_gemm_isa* isa) {
  tg_gemm_backend b = opt ? opt->backend : TG_GEMM_AUTO;
  switch (b) {
    case TG_GEMM_SMALL:
    case TG_GEMM_BUILTIN:
      return b;
    case TG_GEMM_BLAS:
      return blas_takes(g) ? TG_GEMM_BLAS : TG_GEMM_BUILTIN;
    case TG_GEMM_AUTO:
    default:
      if (isa->small_wins(g->m, g->n, g->k) &&
          isa->small_floats(g->trans_b, g->k, g->n) <= kSmallMaxCopy)
        return TG_GEMM_SMALL;
      if (blas_takes(g) && tg_blas_simd_level() >= isa->simd_level) return TG_GEMM_BLAS;
      return TG_GEMM_BUILTIN;
  }
}

static const tg_gemm_isa* pick_isa(const tg_gemm_options* opt) {
  const tg_gemm_isa* isa = opt && opt->isa ? tg_gemm_isa_find(opt->isa) : NULL;
  return isa ? isa : tg_gemm_isa_best();
}

/* One row through a product large enough for the blocked kernel or BLAS (one-image
 * inference): both would pack all of B to make that row, while streaming B's rows
 * once is several times faster. Only when the caller left the choice to us. */
static bool row_vector_takes(const tg_gemm_options* opt, const tg_gemm_args* g) {
  return g->m == 1 && !g->trans_b && (opt == NULL || opt->backend == TG_GEMM_AUTO);
}

tg_gemm_backend tg_gemm_resolve(const tg_gemm_options* opt, bool trans_b, int64_t m, int64_t n,
                                int64_t k) {
  tg_gemm_args g = {false, trans_b, m, n, k, NULL, k, NULL, trans_b ? k : n, 0.0f, NULL, n};
  const tg_gemm_backend b = resolve(opt, &g, pick_isa(opt));
  return b != TG_GEMM_SMALL && row_vector_takes(opt, &g) ? TG_GEMM_BUILTIN : b;
}

/* The rows [r0, r1) or columns [r0, r1) of g's product as a product of its own. */
static tg_gemm_args sub_product(const tg_gemm_args* g, bool split_n, int64_t r0, int64_t r1) {
  tg_gemm_args s = *g;
  if (split_n) {
    s.n = r1 - r0;
    s.b = g->trans_b ? g->b + r0 * g->ldb : g->b + r0;
    s.c = g->c + r0;
  } else {
    s.m = r1 - r0;
    s.a = g->trans_a ? g->a + r0 : g->a + r0 * g->lda;
    s.c = g->c + r0 * g->ldc;
  }
  return s;
}

typedef struct split_task {
  const tg_gemm_args* g;
  const tg_gemm_isa* isa;
  tg_gemm_backend backend;
  tg_threadpool* pool;
  bool split_n;
  int64_t chunk; /* rows or columns per block, a multiple of the register tile */
  int64_t blocks;
  atomic_llong next; /* the next block nobody has taken */
} split_task;

/* Workers take blocks until none are left, handed out as workers come free: when
 * the OS has not yet run a worker (another process holds the core), the caller
 * takes its block too instead of waiting for it. */
static void run_blocks(void* ctx, int worker, int workers) {
  split_task* t = (split_task*)ctx;
  (void)workers;
  const int64_t extent = t->split_n ? t->g->n : t->g->m;
  float* scratch = (float*)tg_threadpool_scratch(t->pool, worker);
  for (;;) {
    const int64_t b = atomic_fetch_add_explicit(&t->next, 1, memory_order_relaxed);
    if (b >= t->blocks) return;
    const int64_t r0 = b * t->chunk;
    const int64_t r1 = r0 + t->chunk < extent ? r0 + t->chunk : extent;
    const tg_gemm_args s = sub_product(t->g, t->split_n, r0, r1);
    if (t->backend == TG_GEMM_BLAS)
      tg_blas_sgemm(&s, 1);
    else
      t->isa->blocked(&s, scratch);
  }
}

/* A split of g's longer side of C in whole register tiles: the task's fixed fields,
 * and the side's extent and tile count (tg_gemm_args' m or n, over mr or nr). */
static void split_begin(split_task* t, const tg_gemm_args* g, const tg_gemm_isa* isa,
                        tg_gemm_backend backend, tg_threadpool* pool, int64_t* extent,
                        int64_t* tiles) {
  t->g = g;
  t->isa = isa;
  t->backend = backend;
  t->pool = pool;
  t->split_n = g->n >= g->m;
  *extent = t->split_n ? g->n : g->m;
  const int64_t unit = t->split_n ? isa->nr : isa->mr;
  *tiles = (*extent + unit - 1) / unit;
}

/* The split's blocks: `blocks` (1..tiles) of whole tiles, the last one shorter. */
static void split_into(split_task* t, int64_t extent, int64_t tiles, int64_t blocks) {
  const int64_t unit = t->split_n ? t->isa->nr : t->isa->mr;
  t->chunk = (tiles + blocks - 1) / blocks * unit;
  t->blocks = (extent + t->chunk - 1) / t->chunk;
  atomic_init(&t->next, 0);
}

/* A BLAS product in blocks that depend on (m, n, k) only: whole register tiles of
 * the longer side, at most kBlasMaxBlocks, none smaller than kMinWorkPerThread
 * multiply-adds or narrower than kBlasMinExtent. Up to `workers` threads take them;
 * one thread runs them all. */
static void run_blas_blocks(const tg_gemm_args* g, const tg_gemm_isa* isa, tg_threadpool* pool,
                            int workers) {
  split_task t;
  int64_t extent, tiles;
  split_begin(&t, g, isa, TG_GEMM_BLAS, pool, &extent, &tiles);
  int64_t blocks = (int64_t)(work_of(g->m, g->n, g->k) / (double)kMinWorkPerThread);
  if (blocks > kBlasMaxBlocks) blocks = kBlasMaxBlocks;
  if (blocks > extent / kBlasMinExtent) blocks = extent / kBlasMinExtent;
  if (blocks > tiles) blocks = tiles;
  if (blocks < 1) blocks = 1;
  split_into(&t, extent, tiles, blocks);
  if (workers > t.blocks) workers = (int)t.blocks;
  if (workers <= 1)
    run_blocks(&t, 0, 1);
  else
    tg_threadpool_run(pool, workers, run_blocks, &t);
}

/* How a plan runs (tg_gemm_plan.mode). */
enum {
  kModeEmpty = 0,     /* m or n is 0: nothing to do */
  kModeScale,         /* k == 0: C = beta*C */
  kModeSmallInPlace,  /* the small path reading op(B) in place */
  kModeSmallCopy,     /* the small path on a padded stack copy of op(B) */
  kModeSmallSlow,     /* the small path's any-size form (op(B) too big to copy) */
  kModeSmallRows,     /* its row-group form, groups fixed by the plan, op(B) in place */
  kModeSmallRowsCopy, /* the same on a padded stack copy of op(B) */
  kModeSmallNarrow,   /* its narrow form (C built through its transpose) */
  kModeBuiltin,       /* the blocked kernel on the calling thread */
  kModeBuiltinSplit,  /* the blocked kernel in blocks over `workers` threads */
  kModeBlasBlocks,    /* BLAS in shape-fixed blocks over up to `workers` threads */
  kModeBlasNative,    /* one BLAS call on OpenBLAS's own `workers` threads */
  kModeRowVector      /* one row of C, B streamed row by row (row_vector) */
};

static int small_mode(const tg_gemm_isa* isa, bool trans_b, int64_t k, int64_t n) {
  const int64_t need = isa->small_floats(trans_b, k, n);
  if (need == 0) return kModeSmallInPlace;
  return need <= kSmallMaxCopy ? kModeSmallCopy : kModeSmallSlow;
}

/* The small path's mode for a plan: the form `small` would take on each call,
 * decided now (with the row groups into plan), so a run goes straight to it. */
static int small_plan_mode(const tg_gemm_isa* isa, bool trans_a, bool trans_b, int64_t m, int64_t n,
                           int64_t k, tg_gemm_plan* plan) {
  const int mode = small_mode(isa, trans_b, k, n);
  if (mode == kModeSmallSlow) return mode;
  int64_t base, groups;
  const int form = isa->small_form(trans_a, m, n, &base, &groups);
  if (form == TG_SMALL_NARROW) return kModeSmallNarrow;
  if (form != TG_SMALL_ROWS) return mode;
  plan->small_rows = (uint8_t)base;
  plan->small_groups = (uint8_t)groups;
  return mode == kModeSmallInPlace ? kModeSmallRows : kModeSmallRowsCopy;
}

/* Kept out of line: its 32 KiB frame would otherwise be probed on every product. */
static __attribute__((noinline)) void run_small_copy(const tg_gemm_args* g,
                                                     const tg_gemm_isa* isa) {
  float copy[kSmallMaxCopy] __attribute__((aligned(64)));
  isa->small(g, copy);
}

static __attribute__((noinline)) void run_small_rows_copy(const tg_gemm_plan* plan,
                                                          const tg_gemm_args* g) {
  float copy[kSmallMaxCopy] __attribute__((aligned(64)));
  plan->isa->small_rows(g, copy, plan->small_rows, plan->small_groups);
}

static void run_small_mode(const tg_gemm_args* g, const tg_gemm_isa* isa, int mode) {
  if (mode == kModeSmallInPlace) {
    float none[1];
    isa->small(g, none);
  } else if (mode == kModeSmallCopy) {
    run_small_copy(g, isa);
  } else {
    isa->small(g, NULL);
  }
}

/* C = beta*C when there is nothing to multiply (k == 0). */
static void scale_c(const tg_gemm_args* g) {
  for (int64_t i = 0; i < g->m; ++i) {
    float* ci = g->c + i * g->ldc;
    if (g->beta == 0.0f)
      memset(ci, 0, (size_t)g->n * sizeof(float));
    else if (g->beta != 1.0f)
      for (int64_t j = 0; j < g->n; ++j) ci[j] *= g->beta;
  }
}

static uint8_t clamp_threads(int threads) {
  if (threads < 1) return 1;
  return (uint8_t)(threads > TG_MAX_THREADS ? TG_MAX_THREADS : threads);
}

tg_status tg_gemm_plan_make(tg_gemm_plan* plan, const tg_gemm_options* opt, bool trans_a,
                            bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                            int64_t ldc) {
  tg_threadpool* pool = opt ? opt->pool : NULL;
  const tg_gemm_isa* isa = pick_isa(opt);
  tg_gemm_plan p = {.isa = isa,
                    .mode = kModeEmpty,
                    .backend = TG_GEMM_AUTO,
                    .workers = 1,
                    .threads = clamp_threads(opt ? opt->threads : 1),
                    .pool_threads = clamp_threads(tg_threadpool_threads(pool))};
  *plan = p;
  if (m <= 0 || n <= 0) return TG_OK;
  if (k <= 0) {
    plan->mode = kModeScale;
    return TG_OK;
  }
  const tg_gemm_args g = {trans_a, trans_b, m, n, k, NULL, lda, NULL, ldb, 0.0f, NULL, ldc};
  const tg_gemm_backend backend = resolve(opt, &g, isa);
  plan->backend = (uint8_t)backend;
  if (backend == TG_GEMM_SMALL) {
    plan->mode = (uint8_t)small_plan_mode(isa, trans_a, trans_b, m, n, k, plan);
    return TG_OK;
  }
  if (row_vector_takes(opt, &g)) {
    plan->mode = kModeRowVector;
    plan->backend = TG_GEMM_BUILTIN;
    return TG_OK;
  }

  int workers = opt && opt->threads > 1 ? opt->threads : 1;
  if (workers > tg_threadpool_threads(pool)) workers = tg_threadpool_threads(pool);
  while (workers > 1 && work_of(m, n, k) / workers < (double)kMinWorkPerThread) --workers;
  plan->workers = clamp_threads(workers);
  plan->threaded = true;

  if (backend == TG_GEMM_BLAS && opt && opt->blas_threading == TG_BLAS_NATIVE) {
    plan->mode = kModeBlasNative;
    plan->workers = clamp_threads(opt->threads);
    return TG_OK;
  }
  if (backend == TG_GEMM_BLAS) {
    plan->mode = kModeBlasBlocks;
    return TG_OK;
  }
  plan->mode = workers <= 1 ? kModeBuiltin : kModeBuiltinSplit;
  if (pool != NULL &&
      tg_threadpool_reserve(pool, (size_t)isa->pack_floats * sizeof(float)) != TG_OK)
    return TG_ERR_NOMEM;
  return TG_OK;
}

bool tg_gemm_plan_fits(const tg_gemm_plan* plan, const tg_gemm_options* opt) {
  if (plan->threads == 0) return false;
  if (!plan->threaded) return true;
  return plan->threads == clamp_threads(opt ? opt->threads : 1) &&
         plan->pool_threads == clamp_threads(tg_threadpool_threads(opt ? opt->pool : NULL));
}

/* The blocked kernel, on the calling thread or split over the plan's workers. Its
 * scratch is the pool's (reserved again here: the pool may be another one of the
 * same size than at planning) or, without a pool, allocated for this call; when
 * there is none to be had, the small path does the work. */
static void run_builtin(const tg_gemm_plan* plan, const tg_gemm_options* opt,
                        const tg_gemm_args* g) {
  const tg_gemm_isa* isa = plan->isa;
  tg_threadpool* pool = opt ? opt->pool : NULL;
  const tg_allocator* alloc = opt ? opt->alloc : NULL;
  float* own_scratch = NULL;
  const size_t bytes = (size_t)isa->pack_floats * sizeof(float);
  if (pool == NULL) {
    own_scratch = (float*)tg_aligned_alloc(alloc, bytes);
    if (own_scratch == NULL) {
      run_small_mode(g, isa, small_mode(isa, g->trans_b, g->k, g->n));
      return;
    }
  } else if (tg_threadpool_reserve(pool, bytes) != TG_OK) {
    run_small_mode(g, isa, small_mode(isa, g->trans_b, g->k, g->n));
    return;
  }

  const int workers =
      plan->workers < tg_threadpool_threads(pool) ? plan->workers : tg_threadpool_threads(pool);
  if (plan->mode == kModeBuiltin || workers <= 1) {
    isa->blocked(g, own_scratch ? own_scratch : (float*)tg_threadpool_scratch(pool, 0));
    tg_aligned_free(alloc, own_scratch);
    return;
  }

  /* Split the longer side of C, in whole register tiles, into about
   * kBlocksPerWorker blocks per worker (fewer when the tiles run out, and none
   * smaller than kMinWorkPerThread multiply-adds). */
  split_task t;
  int64_t extent, tiles;
  split_begin(&t, g, isa, TG_GEMM_BUILTIN, pool, &extent, &tiles);
  int64_t blocks = (int64_t)workers * kBlocksPerWorker;
  const int64_t max_blocks = (int64_t)(work_of(g->m, g->n, g->k) / (double)kMinWorkPerThread);
  if (blocks > max_blocks) blocks = max_blocks;
  if (blocks < workers) blocks = workers;
  if (blocks > tiles) blocks = tiles;
  split_into(&t, extent, tiles, blocks);
  tg_threadpool_run(pool, workers, run_blocks, &t);
}

/* Every mode but the small path's planned forms (tg_gemm_run), out of line so that
 * those run without this one's register saves. */
static __attribute__((noinline)) void run_other(const tg_gemm_plan* plan,
                                                const tg_gemm_options* opt, const tg_gemm_args* g) {
  switch (plan->mode) {
    case kModeEmpty:
      return;
    case kModeScale:
      scale_c(g);
      return;
    case kModeSmallInPlace:
    case kModeSmallCopy:
    case kModeSmallSlow:
      run_small_mode(g, plan->isa, plan->mode);
      return;
    case kModeBlasNative:
      tg_blas_sgemm(g, plan->workers);
      return;
    case kModeRowVector:
      plan->isa->row_vector(g);
      return;
    case kModeBlasBlocks: {
      tg_threadpool* pool = opt ? opt->pool : NULL;
      int workers = plan->workers;
      if (workers > tg_threadpool_threads(pool)) workers = tg_threadpool_threads(pool);
      run_blas_blocks(g, plan->isa, pool, workers);
      return;
    }
    default:
      run_builtin(plan, opt, g);
      return;
  }
}

void tg_gemm_run(const tg_gemm_plan* plan, const tg_gemm_options* opt, const tg_gemm_args* g) {
  switch (plan->mode) {
    case kModeSmallRows:
      plan->isa->small_rows(g, NULL, plan->small_rows, plan->small_groups);
      return;
    case kModeSmallRowsCopy:
      run_small_rows_copy(plan, g);
      return;
    case kModeSmallNarrow:
      plan->isa->small_narrow(g);
      return;
    default:
      run_other(plan, opt, g);
      return;
  }
}

int tg_gemm_plan_describe(const tg_gemm_plan* plan, char* buf, size_t cap) {
  const int w = plan->workers;
  const char* threads = w == 1 ? "thread" : "threads";
  if (plan->threads == 0) return snprintf(buf, cap, "not chosen"); /* a zeroed plan */
  switch (plan->mode) {
    case kModeEmpty:
    case kModeScale:
      return snprintf(buf, cap, "empty");
    case kModeSmallInPlace:
    case kModeSmallCopy:
    case kModeSmallSlow:
    case kModeSmallRows:
    case kModeSmallRowsCopy:
    case kModeSmallNarrow:
      return snprintf(buf, cap, "small %s 1 thread", plan->isa->name);
    case kModeBlasNative:
      return snprintf(buf, cap, "blas native %d %s", w, threads);
    case kModeRowVector:
      return snprintf(buf, cap, "row %s 1 thread", plan->isa->name);
    case kModeBlasBlocks:
      return snprintf(buf, cap, "blas %d %s", w, threads);
    default:
      return snprintf(buf, cap, "builtin %s %d %s", plan->isa->name, w, threads);
  }
}

void tg_gemm_ex(const tg_gemm_options* opt, bool trans_a, bool trans_b, int64_t m, int64_t n,
                int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                float* c, int64_t ldc) {
  tg_gemm_plan plan;
  (void)tg_gemm_plan_make(&plan, opt, trans_a, trans_b, m, n, k, lda, ldb, ldc);
  const tg_gemm_args g = {trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc};
  tg_gemm_run(&plan, opt, &g);
}

void tg_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
             int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
             int threads) {
  (void)threads;
  tg_gemm_ex(NULL, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

bool tg_gemm_backend_available(tg_gemm_backend backend) {
  switch (backend) {
    case TG_GEMM_AUTO:
    case TG_GEMM_SMALL:
    case TG_GEMM_BUILTIN:
      return true;
    case TG_GEMM_BLAS:
      return tg_blas_present();
  }
  return false;
}

const char* tg_gemm_backend_name(tg_gemm_backend backend) {
  switch (backend) {
    case TG_GEMM_AUTO:
      return "auto";
    case TG_GEMM_SMALL:
      return "small";
    case TG_GEMM_BUILTIN:
      return "builtin";
    case TG_GEMM_BLAS:
      return "blas";
  }
  return "unknown";
}

const char* tg_gemm_isa_name(void) { return tg_gemm_isa_best()->name; }

bool tg_gemm_isa_available(const char* isa) { return tg_gemm_isa_find(isa) != NULL; }

const char* tg_gemm_blas_name(void) { return tg_blas_config(); }

size_t tg_gemm_scratch_bytes(void) {
  return (size_t)tg_gemm_isa_best()->pack_floats * sizeof(float);
}
