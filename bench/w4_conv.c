/* bench/w4_conv.c — W4: a conv2d layer, 3x3, 32 -> 64 channels, 14x14, batch 64,
 * 'same', forward and both backward products (dK and dX), then a 2x2 max-pool, at 1
 * and 2 threads, beside the im2col floor measured in the same process.
 *
 *   bazel run -c opt //bench:w4_conv            # 1 and 2 threads
 *   bazel run -c opt //bench:w4_conv -- 1       # one thread count
 *   bazel run -c opt //bench:w4_conv -- 1 cpu   # every time as the calling thread's CPU time
 *
 * The floor is the same products as plain calls: im2col of x (a plain loop split
 * over the same workers) and the three tg_gemm_ex calls conv2d makes -- y = col·K,
 * dK += colᵀ·dY, dcol = dY·Kᵀ -- on the same pool and backend. conv2d also scatters
 * dcol back into dX (col2im), which the floor leaves out. Repetitions of tapegrad
 * and of the floor alternate, so a change in the machine's load hits both alike.
 *
 * Lines (medians of the repetitions, milliseconds):
 *   W4 tapegrad conv2d threads=<t> fwd_ms= bwd_ms= total_ms= gflops=
 *   W4 floor conv2d threads=<t> im2col_ms= fwd_gemm_ms= dk_gemm_ms= dcol_gemm_ms=
 *      total_ms= gflops= backend=<the gemm backend AUTO resolved>
 *   W4 chunked_floor conv2d threads=<t> rows= total_ms= gflops=  (conv2d builds col
 *      in chunks of `rows` rows and runs each chunk's products while it is in cache:
 *      the same chunked im2col and products as plain calls, col2im left out again)
 *   W4 ratio conv2d threads=<t> tapegrad_vs_chunked_floor=
 *   W4 ratio conv2d threads=<t> tapegrad_vs_floor=<total / floor total>
 *      cpu_tapegrad_ms= cpu_floor_ms= cpu_ratio=  (the calling thread's CPU time: at one
 *      thread the whole work, and what other processes' load does not inflate)
 *   W4 tapegrad max_pool2d threads=<t> fwd_ms= bwd_ms= total_ms= gbytes_per_s=
 *   W4 tapegrad layer_step threads=<t> total_ms=  (the whole tape: conv, pool, sum;
 *      tg_tape_forward + tg_tape_backward, gradient zeroing included)
 *   W4 tapegrad batch_norm threads=1 shape= fwd_ms= bwd_ms=  (training mode, on the
 *      conv's output: the fused op beside the layer it follows)
 * GFLOP/s count the three products only: 3 · 2·M·K·F with M = N·OH·OW, K = 3·3·32.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "core/alloc.h"
#include "core/rng.h"
#include "core/tape.h"
#include "core/threadpool.h"
#include "kernels/gemm.h"
#include "ops/ops.h"

enum { N = 64, H = 14, W = 14, C = 32, F = 64, KH = 3, KW = 3, REPS = 25 };
enum { M = N * H * W, K = KH * KW * C };

typedef struct floor_bufs {
  const float* x;
  float* col;
} floor_bufs;

/* The floor's im2col of rows [begin, end) into col (row `begin` first): 'same' 3x3
 * stride 1 pads one pixel on each side. */
static void floor_im2col_rows(const float* x, float* col, int64_t begin, int64_t end) {
  for (int64_t m = begin; m < end; ++m) {
    const int64_t ow = m % W, oh = (m / W) % H, n = m / (W * H);
    float* row = col + (m - begin) * K;
    for (int a = 0; a < KH; ++a)
      for (int c = 0; c < KW; ++c) {
        const int64_t ih = oh + a - 1, iw = ow + c - 1;
        float* dst = row + (a * KW + c) * C;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W)
          memset(dst, 0, C * sizeof *dst);
        else
          memcpy(dst, x + ((n * H + ih) * W + iw) * C, C * sizeof *dst);
      }
  }
}

/* The whole-matrix floor's im2col, split over the pool's workers. */
static void floor_im2col(void* ctx, int worker, int workers) {
  const floor_bufs* b = ctx;
  int64_t begin, end;
  tg_threadpool_split(M, worker, workers, &begin, &end);
  floor_im2col_rows(b->x, b->col + begin * K, begin, end);
}

static float* filled(int64_t n, tg_rng* rng) {
  float* p = (float*)tg_aligned_alloc(NULL, (size_t)n * sizeof(float));
  if (p == NULL) {
    fprintf(stderr, "w4_conv: out of memory\n");
    exit(1);
  }
  for (int64_t i = 0; i < n; ++i) p[i] = tg_rng_uniform(rng) - 0.5f;
  return p;
}

/* Wall-clock seconds, or with `cpu` the calling thread's CPU seconds: at one thread
 * that is all the work, and the other processes' load on a shared machine does not
 * inflate it (at two threads it misses the second worker's share). */
static bool g_cpu_clock = false;
static double clock_now(void) { return g_cpu_clock ? tg_bench_thread_cpu() : tg_bench_now(); }

static void bench_threads(int threads) {
  tg_rng rng;
  tg_rng_seed(&rng, 4);
  tg_tape* t = tg_tape_new();
  tg_tape_set_threads(t, threads);
  const int64_t sx[4] = {N, H, W, C}, sk[4] = {KH, KW, C, F};
  float* xv = filled((int64_t)N * H * W * C, &rng);
  float* kv = filled((int64_t)K * F, &rng);
  tg_tensor* x = tg_tape_leaf(t, 4, sx, xv, true);
  tg_tensor* k = tg_tape_leaf(t, 4, sk, kv, true);
  tg_conv2d_options same = {.padding = TG_PADDING_SAME};
  tg_tensor* y = tg_conv2d(t, x, k, &same);
  tg_tensor* p = tg_max_pool2d(t, y, NULL);
  tg_tensor* loss = tg_sum(t, p);
  if (tg_tape_backward(t, loss) != TG_OK) {
    fprintf(stderr, "w4_conv: %s\n", tg_tape_message(t));
    exit(1);
  }
  /* The nodes themselves, to time each op's forward and backward alone. */
  tg_node* conv = (tg_node*)tg_tape_node(t, y->node);
  tg_node* pool_node = (tg_node*)tg_tape_node(t, p->node);

  /* The floor: its own buffers, the tape's pool and the same gemm options. */
  tg_threadpool* pool = tg_tape_pool(t);
  const tg_gemm_options o = {.threads = threads, .pool = pool};
  float* col = filled((int64_t)M * K, &rng);
  float* dcol = filled((int64_t)M * K, &rng);
  float* fy = filled((int64_t)M * F, &rng);
  float* fdk = filled((int64_t)K * F, &rng);
  const float* dy = y->grad; /* the gradient backward left there */
  floor_bufs fb = {.x = xv, .col = col};

  /* conv2d's chunk height (ops/conv2d.c: 1 << 15 floats per thread, >= 64 rows) */
  int64_t rows = ((int64_t)1 << 15) * threads / K;
  if (rows < 64) rows = 64;
  double ch_tot[REPS];
  double tg_fwd[REPS], tg_bwd[REPS], tg_tot[REPS], fl_col[REPS], fl_fwd[REPS], fl_dk[REPS],
      fl_dcol[REPS], fl_tot[REPS], tg_cpu[REPS], fl_cpu[REPS], pl_fwd[REPS], pl_bwd[REPS],
      pl_tot[REPS], step[REPS];
  for (int r = -2; r < REPS; ++r) { /* two warm-up rounds */
    double c0 = tg_bench_thread_cpu();
    double t0 = clock_now();
    conv->op->forward(conv);
    double t1 = clock_now();
    conv->op->backward(conv);
    double t2 = clock_now();
    double c1 = tg_bench_thread_cpu();

    double c2 = tg_bench_thread_cpu();
    double f0 = clock_now();
    tg_threadpool_run(pool, threads, floor_im2col, &fb);
    double f1 = clock_now();
    tg_gemm_ex(&o, false, false, M, F, K, col, K, kv, F, 0.0f, fy, F);
    double f2 = clock_now();
    tg_gemm_ex(&o, true, false, K, F, M, col, K, dy, F, 1.0f, fdk, F);
    double f3 = clock_now();
    tg_gemm_ex(&o, false, true, M, K, F, dy, F, kv, F, 0.0f, dcol, K);
    double f4 = clock_now();
    double c3 = tg_bench_thread_cpu();

    /* The chunked floor: the products conv2d makes, as plain calls. */
    double q0 = clock_now();
    for (int64_t b = 0; b < M; b += rows) {
      const int64_t e = b + rows < M ? b + rows : M;
      floor_im2col_rows(xv, col, b, e);
      tg_gemm_ex(&o, false, false, e - b, F, K, col, K, kv, F, 0.0f, fy + b * F, F);
    }
    for (int64_t b = 0; b < M; b += rows) {
      const int64_t e = b + rows < M ? b + rows : M;
      floor_im2col_rows(xv, col, b, e);
      tg_gemm_ex(&o, true, false, K, F, e - b, col, K, dy + b * F, F, 1.0f, fdk, F);
      tg_gemm_ex(&o, false, true, e - b, K, F, dy + b * F, F, kv, F, 0.0f, dcol, K);
    }
    double q1 = clock_now();

    double p0 = clock_now();
    pool_node->op->forward(pool_node);
    double p1 = clock_now();
    pool_node->op->backward(pool_node);
    double p2 = clock_now();

    double s0 = clock_now();
    tg_tape_forward(t);
    tg_tape_backward(t, loss);
    double s1 = clock_now();
    if (r < 0) continue;
    tg_fwd[r] = (t1 - t0) * 1e3;
    tg_bwd[r] = (t2 - t1) * 1e3;
    tg_tot[r] = (t2 - t0) * 1e3;
    tg_cpu[r] = (c1 - c0) * 1e3;
    fl_cpu[r] = (c3 - c2) * 1e3;
    fl_col[r] = (f1 - f0) * 1e3;
    fl_fwd[r] = (f2 - f1) * 1e3;
    fl_dk[r] = (f3 - f2) * 1e3;
    fl_dcol[r] = (f4 - f3) * 1e3;
    fl_tot[r] = (f4 - f0) * 1e3;
    ch_tot[r] = (q1 - q0) * 1e3;
    pl_fwd[r] = (p1 - p0) * 1e3;
    pl_bwd[r] = (p2 - p1) * 1e3;
    pl_tot[r] = (p2 - p0) * 1e3;
    step[r] = (s1 - s0) * 1e3;
  }
  const double gflop = 3.0 * 2.0 * M * (double)K * F / 1e9;
  const double tg_ms = tg_bench_median(tg_tot, REPS), fl_ms = tg_bench_median(fl_tot, REPS);
  printf("W4 tapegrad conv2d threads=%d fwd_ms=%.3f bwd_ms=%.3f total_ms=%.3f gflops=%.1f\n",
         threads, tg_bench_median(tg_fwd, REPS), tg_bench_median(tg_bwd, REPS), tg_ms,
         gflop / (tg_ms * 1e-3));
  printf(
      "W4 floor conv2d threads=%d im2col_ms=%.3f fwd_gemm_ms=%.3f dk_gemm_ms=%.3f "
      "dcol_gemm_ms=%.3f total_ms=%.3f gflops=%.1f backend=%s\n",
      threads, tg_bench_median(fl_col, REPS), tg_bench_median(fl_fwd, REPS),
      tg_bench_median(fl_dk, REPS), tg_bench_median(fl_dcol, REPS), fl_ms, gflop / (fl_ms * 1e-3),
      tg_gemm_backend_name(tg_gemm_resolve(&o, false, M, F, K)));
  const double ch_ms = tg_bench_median(ch_tot, REPS);
  printf("W4 chunked_floor conv2d threads=%d rows=%lld total_ms=%.3f gflops=%.1f\n", threads,
         (long long)rows, ch_ms, gflop / (ch_ms * 1e-3));
  printf("W4 ratio conv2d threads=%d tapegrad_vs_chunked_floor=%.3f\n", threads, tg_ms / ch_ms);
  const double tg_cpu_ms = tg_bench_median(tg_cpu, REPS), fl_cpu_ms = tg_bench_median(fl_cpu, REPS);
  printf(
      "W4 ratio conv2d threads=%d tapegrad_vs_floor=%.3f cpu_tapegrad_ms=%.3f cpu_floor_ms=%.3f "
      "cpu_ratio=%.3f\n",
      threads, tg_ms / fl_ms, tg_cpu_ms, fl_cpu_ms, tg_cpu_ms / fl_cpu_ms);
  const double pool_ms = tg_bench_median(pl_tot, REPS);
  /* bytes: forward reads y and writes p and the argmax; backward reads both, adds into dy */
  const double pool_gb = ((double)M * F + 2.0 * (M / 4) * F + 2.0 * (M / 4) * F + M * F) * 4 / 1e9;
  printf(
      "W4 tapegrad max_pool2d threads=%d fwd_ms=%.3f bwd_ms=%.3f total_ms=%.3f "
      "gbytes_per_s=%.1f\n",
      threads, tg_bench_median(pl_fwd, REPS), tg_bench_median(pl_bwd, REPS), pool_ms,
      pool_gb / (pool_ms * 1e-3));
  printf("W4 tapegrad layer_step threads=%d total_ms=%.3f\n", threads, tg_bench_median(step, REPS));
  fflush(stdout);
  tg_aligned_free(NULL, col);
  tg_aligned_free(NULL, dcol);
  tg_aligned_free(NULL, fy);
  tg_aligned_free(NULL, fdk);
  tg_aligned_free(NULL, xv);
  tg_aligned_free(NULL, kv);
  tg_tape_free(t);
}

/* batch_norm (training) on the conv's output shape, forward + backward of the node
 * alone: the fused op's cost beside the conv it normally follows. */
static void bench_batch_norm(void) {
  tg_rng rng;
  tg_rng_seed(&rng, 5);
  tg_tape* t = tg_tape_new();
  const int64_t sy[4] = {N, H, W, F}, sc[1] = {F};
  float* yv = filled((int64_t)M * F, &rng);
  tg_tensor* y = tg_tape_leaf(t, 4, sy, yv, true);
  tg_tensor* gamma = tg_tape_leaf(t, 1, sc, NULL, true);
  tg_tensor* beta = tg_tape_leaf(t, 1, sc, NULL, true);
  tg_batch_norm_options bo = {.training = true};
  tg_tensor* z = tg_batch_norm(t, y, gamma, beta, &bo);
  if (tg_tape_backward(t, tg_sum(t, z)) != TG_OK) {
    fprintf(stderr, "w4_conv: %s\n", tg_tape_message(t));
    exit(1);
  }
  tg_node* bn = (tg_node*)tg_tape_node(t, z->node);
  double fwd[REPS], bwd[REPS];
  for (int r = -2; r < REPS; ++r) {
    const double t0 = clock_now();
    bn->op->forward(bn);
    const double t1 = clock_now();
    bn->op->backward(bn);
    const double t2 = clock_now();
    if (r < 0) continue;
    fwd[r] = (t1 - t0) * 1e3;
    bwd[r] = (t2 - t1) * 1e3;
  }
  printf("W4 tapegrad batch_norm threads=1 shape=[%dx%dx%dx%d] fwd_ms=%.3f bwd_ms=%.3f\n", N, H, W,
         F, tg_bench_median(fwd, REPS), tg_bench_median(bwd, REPS));
  tg_aligned_free(NULL, yv);
  tg_tape_free(t);
}

int main(int argc, char** argv) {
  tg_bench_print_machine();
  printf(
      "# W4: conv2d 3x3 same, x [%d,%d,%d,%d] NHWC, kernel [3,3,%d,%d] HWIO; forward + dK + "
      "dX, then max_pool2d 2x2; medians of %d repetitions\n",
      N, H, W, C, C, F, REPS);
  int only = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "cpu") == 0)
      g_cpu_clock = true;
    else
      only = atoi(argv[i]);
  }
  printf("# clock: %s\n", g_cpu_clock ? "thread cpu time" : "wall");
  for (int threads = 1; threads <= 2; ++threads) {
    if (only != 0 && only != threads) continue;
    bench_threads(threads);
  }
  bench_batch_norm();
  return 0;
}
