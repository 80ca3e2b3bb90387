/* bench/w2_mlp.c — W2: a real-size MLP, 784 -> 512 -> 512 -> 10 (ReLU, ReLU, linear),
 * MSE against one-hot targets, Adam(lr 1e-3), batch 128, inputs uniform in [0, 1)
 * from a fixed seed. 20 warm-up steps, then 200 timed steps (each timed on its own).
 *
 *   bazel run -c opt //bench:w2_mlp
 *
 * Per thread count it prints one line:
 *   W2 tapegrad ms_per_step threads=1 median=.. min=.. gflops=.. backend=..
 *      blas_floor_ms=.. kernel_floor_ms=.. ratio=.. peak_rss_mib=..
 * gflops counts the 410.8 MFLOP of the step's eight matrix products. The floors are
 * those eight products called directly, right after the timed steps, on the very
 * buffers of the recorded tape (so they add no memory): blas_floor_ms through CBLAS
 * itself with OpenBLAS at the same thread count, kernel_floor_ms through tg_gemm_ex
 * with the backend the step actually used. ratio = median / the floor of the
 * backend the step used (BLAS: blas_floor_ms). peak_rss_mib is the process's peak
 * (getrusage) at the end of the timed steps, before the floors run: the bench opens
 * OpenBLAS for blas_floor_ms only then, so the figure holds the library only when
 * the step itself used it. One thread count per process (argument 1 or 2) keeps it
 * one model's; without an argument the threads=2 line also holds the first run's.
 *
 * With a second argument `fuse` (w2_mlp 1 fuse) it compares instead the optimizer
 * during backward (the default) with the update after backward
 * (tg_model_set_fuse_optimizer(m, false)): two models alike, stepped in turn (which
 * one goes first alternates), and one line
 *   W2 fuse_optimizer threads=1 fused_median=.. after_median=.. ratio_median=..
 * where ratio_median is the median over the pairs of fused / after, and same_bits
 * says whether both models' parameters ended identical.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "core/rng.h"
#include "core/tape.h"
#include "core/threadpool.h"
#include "frontends/model.h"
#include "kernels/gemm.h"
#include "ops/ops.h"

#ifdef TG_BENCH_CBLAS
#include <cblas.h>
#include <dlfcn.h>

/* OpenBLAS for the floor, opened only after the training phase's peak RSS is read
 * (linked, it would be in every process's memory from the start). */
typedef struct cblas_fns {
  void (*sgemm)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE,
                const blasint, const blasint, const blasint, const float, const float*,
                const blasint, const float*, const blasint, const float, float*, const blasint);
  void (*set_threads)(int);
  char* (*corename)(void);
} cblas_fns;

static bool open_cblas(cblas_fns* f) {
  void* h = dlopen("libopenblas.so.0", RTLD_NOW);
  if (h == NULL) h = dlopen("libopenblas.so", RTLD_NOW);
  if (h == NULL) return false;
  void* sym = dlsym(h, "cblas_sgemm");
  memcpy(&f->sgemm, &sym, sizeof sym);
  sym = dlsym(h, "openblas_set_num_threads");
  memcpy(&f->set_threads, &sym, sizeof sym);
  sym = dlsym(h, "openblas_get_corename");
  memcpy(&f->corename, &sym, sizeof sym);
  return f->sgemm && f->set_threads && f->corename; /* kept open for the process */
}
static cblas_fns g_cblas;
#endif

/* The kernel OpenBLAS picked for this CPU (OPENBLAS_CORETYPE overrides it), "-"
 * without BLAS; printed on every line so runs with different kernels stay apart. */
static const char* blas_core(void) {
#ifdef TG_BENCH_CBLAS
  if (g_cblas.corename) return g_cblas.corename();
#endif
  return "-";
}

enum { kIn = 784, kHidden = 512, kOut = 10, kBatch = 128, kWarmup = 20, kSteps = 200 };
static const double kStepMflop = 410.8;

static tg_model* make_model(int threads) {
  tg_error err = {0};
  /* TG_W2_KEEP_ALL=1: every gradient its own buffer (the memory before gradient
   * buffers were shared by liveness), for the before/after figure. */
  const char* keep = getenv("TG_W2_KEEP_ALL");
  tg_model_options mo = {
      .input_dim = kIn, .seed = 1, .threads = threads, .keep_gradients = keep && keep[0] == '1'};
  tg_model* m = tg_sequential_new(&mo, &err);
  if (m == NULL) {
    fprintf(stderr, "w2_mlp: %s\n", err.message);
    exit(1);
  }
  tg_model_add_dense(m, (tg_dense_options){.units = kHidden, .activation = TG_ACT_RELU});
  tg_model_add_dense(m, (tg_dense_options){.units = kHidden, .activation = TG_ACT_RELU});
  tg_model_add_dense(m, (tg_dense_options){.units = kOut});
  tg_optimizer_options oo = {.kind = TG_OPT_ADAM, .lr = 1e-3f};
  if (tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE}, &oo) != TG_OK) {
    fprintf(stderr, "w2_mlp: %s\n", tg_model_message(m));
    exit(1);
  }
  return m;
}

/* One product of the floor: C = beta*C + op(A)·op(B). */
typedef struct product {
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  const float* a;
  const float* b;
  float* c;
  float beta;
} product;

/* The step's matrix products, read off the recorded tape: per matmul node the
 * forward y = a·w, and in backward dw += aᵀ·dy and (when a has a gradient)
 * da += dy·wᵀ. Returns how many (8 for this model). */
static int collect_products(const tg_tape* t, product* out, int cap) {
  int n = 0;
  for (int i = 0; i < tg_tape_node_count(t); ++i) {
    const tg_node* nd = tg_tape_node(t, i);
    if (nd->op != &tg_op_matmul) continue;
    const tg_tensor* a = nd->in[0];
    const tg_tensor* w = nd->in[1];
    const tg_tensor* y = nd->out;
    const int64_t m = a->shape[0], k = a->shape[1], nn = w->shape[1];
    if (n < cap)
      out[n++] = (product){false, false, m, nn, k, k, nn, nn, a->data, w->data, y->data, 0.0f};
    if (w->grad && n < cap)
      out[n++] = (product){true, false, k, nn, m, k, nn, nn, a->data, y->grad, w->grad, 1.0f};
    if (a->grad && n < cap)
      out[n++] = (product){false, true, m, k, nn, nn, nn, k, y->grad, w->data, a->grad, 1.0f};
  }
  return n;
}

static void run_products(const product* p, int n, const tg_gemm_options* o, bool cblas) {
  for (int i = 0; i < n; ++i) {
    if (cblas) {
#ifdef TG_BENCH_CBLAS
      g_cblas.sgemm(CblasRowMajor, p[i].ta ? CblasTrans : CblasNoTrans,
                    p[i].tb ? CblasTrans : CblasNoTrans, (int)p[i].m, (int)p[i].n, (int)p[i].k,
                    1.0f, p[i].a, (int)p[i].lda, p[i].b, (int)p[i].ldb, p[i].beta, p[i].c,
                    (int)p[i].ldc);
#endif
    } else {
      tg_gemm_ex(o, p[i].ta, p[i].tb, p[i].m, p[i].n, p[i].k, p[i].a, p[i].lda, p[i].b, p[i].ldb,
                 p[i].beta, p[i].c, p[i].ldc);
    }
  }
}

/* Median ms of `reps` runs of the eight products. */
static double floor_ms(const product* p, int n, const tg_gemm_options* o, bool cblas, int reps) {
  double ms[kSteps];
  run_products(p, n, o, cblas);
  for (int r = 0; r < reps; ++r) {
    const double t0 = tg_bench_now();
    run_products(p, n, o, cblas);
    ms[r] = (tg_bench_now() - t0) * 1e3;
  }
  return tg_bench_median(ms, reps);
}

static void bench_threads(int threads, const float* x, const float* y) {
  tg_model* m = make_model(threads);
  float loss = 0.0f;
  for (int s = 0; s < kWarmup; ++s) tg_model_train_on_batch(m, x, kBatch, y, &loss);
  double ms[kSteps];
  for (int s = 0; s < kSteps; ++s) {
    const double t0 = tg_bench_now();
    const tg_status st = tg_model_train_on_batch(m, x, kBatch, y, &loss);
    ms[s] = (tg_bench_now() - t0) * 1e3;
    if (st != TG_OK) {
      fprintf(stderr, "w2_mlp: %s\n", tg_model_message(m));
      exit(1);
    }
  }
  const double med = tg_bench_median(ms, kSteps), best = tg_bench_min(ms, kSteps);
  const double rss = tg_bench_peak_rss_mib();
  if (getenv("TG_W2_RESIDENT")) tg_bench_print_resident("W2 after the timed steps,", 16.0);

  /* The floors, on the tape's own buffers and pool. */
  tg_tape* t = (tg_tape*)tg_model_tape(m);
  product p[16];
  const int np = collect_products(t, p, 16);
  tg_gemm_options o = {.threads = threads, .pool = tg_tape_pool(t)};
  const tg_gemm_backend used = tg_gemm_resolve(&o, false, kBatch, kHidden, kIn);
  const double kernel_floor = floor_ms(p, np, &o, false, kSteps);
  double blas_floor = -1.0;
#ifdef TG_BENCH_CBLAS
  if (g_cblas.sgemm != NULL || open_cblas(&g_cblas)) {
    g_cblas.set_threads(threads);
    blas_floor = floor_ms(p, np, &o, true, kSteps);
    g_cblas.set_threads(1);
  }
  if (threads > 1) tg_bench_sleep(0.3); /* let OpenBLAS's threads go idle */
#endif
  const double floor = used == TG_GEMM_BLAS && blas_floor > 0.0 ? blas_floor : kernel_floor;
  /* Where the memory is: the parameter, gradient and Adam blocks (4 floats per
   * parameter), the training tape's arena and node list, the pool's kernel scratch. */
  const double mib = 1024.0 * 1024.0;
  const double model_mib = 4.0 * sizeof(float) * (double)tg_model_param_size(m) / mib;
  const double tape_mib = (double)tg_tape_reserved_bytes(t) / mib;
  const double scratch_mib = (double)tg_threadpool_scratch_bytes(tg_tape_pool(t)) * threads / mib;
  const double grad_arena_mib = (double)tg_tape_gradient_arena_bytes(t) / mib;
  /* Packed gradients held in the buffers of values no backward reads: no memory of
   * their own (core/tape.h, tg_tape_gradient_bytes_in_values). */
  const double grad_in_values_mib = (double)tg_tape_gradient_bytes_in_values(t) / mib;
  printf(
      "W2 tapegrad ms_per_step threads=%d median=%.3f min=%.3f gflops=%.1f backend=%s "
      "blas_core=%s products=%d blas_floor_ms=%.3f kernel_floor_ms=%.3f ratio=%.3f "
      "peak_rss_mib=%.1f rss_measured=before_floors params_grads_adam_mib=%.1f tape_mib=%.1f "
      "grad_arena_mib=%.2f grad_in_values_mib=%.2f scratch_mib=%.1f final_loss=%.4g\n",
      threads, med, best, kStepMflop / med, tg_gemm_backend_name(used), blas_core(), np, blas_floor,
      kernel_floor, med / floor, rss, model_mib, tape_mib, grad_arena_mib, grad_in_values_mib,
      scratch_mib, (double)loss);
  fflush(stdout);
  tg_model_free(m);
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double timed_step(tg_model* m, const float* x, const float* y) {
  float loss = 0.0f;
  const double t0 = tg_bench_now();
  const tg_status st = tg_model_train_on_batch(m, x, kBatch, y, &loss);
  const double ms = (tg_bench_now() - t0) * 1e3;
  if (st != TG_OK) {
    fprintf(stderr, "w2_mlp: %s\n", tg_model_message(m));
    exit(1);
  }
  return ms;
}

static void bench_fuse_pair(int threads, const float* x, const float* y) {
  tg_model* fused = make_model(threads);
  tg_model* after = make_model(threads);
  tg_model_set_fuse_optimizer(after, false);
  for (int s = 0; s < kWarmup; ++s) {
    timed_step(fused, x, y);
    timed_step(after, x, y);
  }
  static double fm[kSteps], am[kSteps], ratio[kSteps];
  for (int s = 0; s < kSteps; ++s) {
    if (s % 2 == 0) {
      fm[s] = timed_step(fused, x, y);
      am[s] = timed_step(after, x, y);
    } else {
      am[s] = timed_step(after, x, y);
      fm[s] = timed_step(fused, x, y);
    }
    ratio[s] = fm[s] / am[s];
  }
  qsort(ratio, kSteps, sizeof ratio[0], cmp_double);
  const int64_t n = tg_model_param_size(fused);
  const bool same = memcmp(tg_model_param_values(fused), tg_model_param_values(after),
                           (size_t)n * sizeof(float)) == 0;
  printf(
      "W2 fuse_optimizer threads=%d fused_median=%.3f after_median=%.3f ratio_median=%.4f "
      "ratio_p10=%.4f ratio_p90=%.4f fused_steps=%lld same_bits=%d\n",
      threads, tg_bench_median(fm, kSteps), tg_bench_median(am, kSteps), ratio[kSteps / 2],
      ratio[kSteps / 10], ratio[kSteps - 1 - kSteps / 10], (long long)tg_model_fused_steps(fused),
      same ? 1 : 0);
  fflush(stdout);
  tg_model_free(fused);
  tg_model_free(after);
}

int main(int argc, char** argv) {
  tg_bench_print_machine();
  printf("# W2: 784-512-512-10 ReLU MLP, MSE, Adam, batch 128; %d warm-up + %d timed steps\n",
         kWarmup, kSteps);
  static float x[kBatch * kIn], y[kBatch * kOut];
  tg_rng rng;
  tg_rng_seed(&rng, 2024);
  for (int i = 0; i < kBatch * kIn; ++i) x[i] = tg_rng_uniform(&rng);
  for (int i = 0; i < kBatch; ++i) y[i * kOut + (int)tg_rng_below(&rng, kOut)] = 1.0f;
  const int only = argc > 1 ? atoi(argv[1]) : 0;
  if (argc > 2 && strcmp(argv[2], "fuse") == 0) {
    bench_fuse_pair(only > 0 ? only : 1, x, y);
    return 0;
  }
  for (int threads = 1; threads <= 2; ++threads)
    if (only == 0 || only == threads) bench_threads(threads, x, y);
  return 0;
}
