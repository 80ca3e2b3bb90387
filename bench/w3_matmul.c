/* bench/w3_matmul.c — W3: float32 square products C = A·B, n = 256..2048, GFLOP/s
 * at 1 and 2 threads for every matmul backend the build has, side by side with
 * CBLAS called directly (no tapegrad in between).
 *
 *   bazel run -c opt //bench:w3_matmul            # all sizes
 *   bazel run -c opt //bench:w3_matmul -- 512     # one size
 *
 * Lines: W3 <who> gflops backend=<b> isa=<i> blas_core=<OpenBLAS kernel> n=<n> threads=<t>
 *        median=<G> max=<G>
 *        ratio_vs_cblas=<median / median of cblas-direct at the same n and threads>
 * Each variant runs its repetitions back to back; variants that wake OpenBLAS's
 * own threads go last, followed by a pause, because those threads keep spinning
 * for a while after each call and would slow whatever runs next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "core/alloc.h"
#include "core/rng.h"
#include "core/threadpool.h"
#include "kernels/gemm.h"

#ifdef TG_BENCH_CBLAS
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
char* openblas_get_corename(void);
#endif

/* The kernel OpenBLAS picked for this CPU (OPENBLAS_CORETYPE overrides it), "-"
 * without BLAS; printed on every line so runs with different kernels stay apart. */
static const char* blas_core(void) {
#ifdef TG_BENCH_CBLAS
  return openblas_get_corename();
#else
  return "-";
#endif
}

typedef enum { kTapegrad, kCblasDirect } who;

typedef struct variant {
  const char* label; /* who= */
  who kind;
  tg_gemm_backend backend;
  const char* isa; /* NULL: best */
  tg_blas_threading blas_threading;
} variant;

static const variant kVariants[] = {
    {"tapegrad", kTapegrad, TG_GEMM_BUILTIN, NULL, TG_BLAS_SPLIT},
    {"tapegrad", kTapegrad, TG_GEMM_BUILTIN, "avx2", TG_BLAS_SPLIT},
    {"tapegrad", kTapegrad, TG_GEMM_BLAS, NULL, TG_BLAS_SPLIT},
    {"tapegrad", kTapegrad, TG_GEMM_BLAS, NULL, TG_BLAS_NATIVE},
    {"cblas-direct", kCblasDirect, TG_GEMM_BLAS, NULL, TG_BLAS_NATIVE},
};
enum { kVariantCount = sizeof kVariants / sizeof kVariants[0], kMaxReps = 64 };

static bool variant_available(const variant* v, int threads) {
  if (v->backend == TG_GEMM_BLAS && !tg_gemm_backend_available(TG_GEMM_BLAS)) return false;
  if (v->isa && !tg_gemm_isa_available(v->isa)) return false;
  if (v->isa && strcmp(v->isa, tg_gemm_isa_name()) == 0) return false; /* same as best */
  if (v->backend == TG_GEMM_BLAS && v->blas_threading == TG_BLAS_NATIVE && v->kind == kTapegrad &&
      threads == 1)
    return false; /* identical to SPLIT on one thread */
#ifndef TG_BENCH_CBLAS
  if (v->kind == kCblasDirect) return false;
#endif
  return true;
}

static void run_once(const variant* v, int n, int threads, tg_threadpool* pool, const float* a,
                     const float* b, float* c) {
  if (v->kind == kCblasDirect) {
#ifdef TG_BENCH_CBLAS
    openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
#endif
    return;
  }
  tg_gemm_options o = {v->backend, threads, pool, v->blas_threading, v->isa, NULL};
  tg_gemm_ex(&o, false, false, n, n, n, a, n, b, n, 0.0f, c, n);
}

static int reps_for(int n) { return n <= 256 ? 40 : n <= 512 ? 20 : n <= 1024 ? 8 : 4; }

static void bench_size(int n, int threads) {
  const size_t bytes = (size_t)n * (size_t)n * sizeof(float);
  float* a = (float*)tg_aligned_alloc(NULL, bytes);
  float* b = (float*)tg_aligned_alloc(NULL, bytes);
  float* c = (float*)tg_aligned_alloc(NULL, bytes);
  tg_error err = {0};
  tg_threadpool* pool = tg_threadpool_new(threads, NULL, &err);
  if (!a || !b || !c || !pool) {
    fprintf(stderr, "w3_matmul: setup failed for n=%d: %s\n", n, err.message);
    exit(1);
  }
  tg_rng rng;
  tg_rng_seed(&rng, 42);
  for (size_t i = 0; i < (size_t)n * (size_t)n; ++i) {
    a[i] = tg_rng_uniform(&rng) - 0.5f;
    b[i] = tg_rng_uniform(&rng) - 0.5f;
  }
  const double flops = 2.0 * n * (double)n * n;
  double med[kVariantCount] = {0}, best[kVariantCount] = {0};
  double cblas_med = 0.0;
  const int reps = reps_for(n);
  for (int vi = 0; vi < kVariantCount; ++vi) {
    const variant* v = &kVariants[vi];
    if (!variant_available(v, threads)) continue;
    run_once(v, n, threads, pool, a, b, c); /* warm-up: scratch, BLAS buffers, caches */
    double g[kMaxReps];
    for (int r = 0; r < reps; ++r) {
      const double t0 = tg_bench_now();
      run_once(v, n, threads, pool, a, b, c);
      g[r] = flops / (tg_bench_now() - t0) / 1e9;
    }
    med[vi] = tg_bench_median(g, reps);
    best[vi] = tg_bench_max(g, reps);
    if (v->kind == kCblasDirect) cblas_med = med[vi];
    if (v->blas_threading == TG_BLAS_NATIVE && threads > 1) tg_bench_sleep(0.3);
  }
  for (int vi = 0; vi < kVariantCount; ++vi) {
    const variant* v = &kVariants[vi];
    if (!variant_available(v, threads)) continue;
    char backend[32];
    snprintf(backend, sizeof backend, "%s%s", tg_gemm_backend_name(v->backend),
             v->backend == TG_GEMM_BLAS && v->kind == kTapegrad
                 ? (v->blas_threading == TG_BLAS_NATIVE ? "-native" : "-split")
                 : "");
    const char* isa = v->backend == TG_GEMM_BUILTIN ? (v->isa ? v->isa : tg_gemm_isa_name()) : "-";
    printf("W3 %s gflops backend=%s isa=%s blas_core=%s n=%d threads=%d median=%.1f max=%.1f",
           v->label, backend, isa, blas_core(), n, threads, med[vi], best[vi]);
    if (cblas_med > 0.0) printf(" ratio_vs_cblas=%.3f", med[vi] / cblas_med);
    printf("\n");
  }
  fflush(stdout);
  tg_threadpool_free(pool);
  tg_aligned_free(NULL, a);
  tg_aligned_free(NULL, b);
  tg_aligned_free(NULL, c);
}

int main(int argc, char** argv) {
  static const int kSizes[] = {256, 512, 1024, 2048};
  tg_bench_print_machine();
  printf("# W3: C = A*B, float32, square; GFLOP/s = 2n^3 / time; median and best of repetitions\n");
  for (size_t i = 0; i < sizeof kSizes / sizeof kSizes[0]; ++i) {
    const int n = kSizes[i];
    if (argc > 1 && atoi(argv[1]) != n) continue;
    for (int threads = 1; threads <= 2; ++threads) bench_size(n, threads);
  }
  return 0;
}
