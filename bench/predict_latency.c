/* bench/predict_latency.c — inference latency: tg_model_predict of the seed model
 * (1 -> 16 -> 16 -> 2) on 1 row and on 10 rows, and of W2's MLP (784 -> 512 -> 512
 * -> 10) on 1 row. The predict tape is recorded by the first call and replayed by
 * the rest (its values share buffers by liveness: core/tape.h,
 * tg_tape_set_reuse_values). Each call is timed on its own.
 *
 *   bazel run -c opt //bench:predict_latency
 *   bazel-bin/bench/predict_latency profile seed1|seed10|mlp CALLS   # for callgrind
 *
 * Lines (µs per call over kCalls calls after kWarmup; thread CPU time beside):
 *   PREDICT seed rows=1 median=.. p99=.. cpu_mean=.. cpu_p99=..
 * bench/predict_latency_torch.py prints the same lines for PyTorch and
 * bench/predict_latency_vs_torch.sh runs both in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"

enum { kWarmup = 1000, kCalls = 20000, kMlpIn = 784, kMlpOut = 10 };

static int cmp(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* kCalls calls, each timed on its own by `clock` (seconds): µs per call. */
static void timed_calls(double (*clock)(void), tg_model* m, const float* x, int64_t rows,
                        float* out, int64_t cap, double* us) {
  for (int i = 0; i < kCalls; ++i) {
    const double t0 = clock();
    if (m) tg_model_predict(m, x, rows, out, cap);
    us[i] = (clock() - t0) * 1e6;
  }
}

/* Wall-clock median and p99 of kCalls calls, their mean thread CPU, then a second
 * pass timing each call by the thread's CPU clock (cpu_p99: on a shared machine a
 * wall-clock p99 that cpu_p99 does not show is time the thread was not running). */
static void measure(const char* name, tg_model* m, const float* x, int64_t rows, int64_t outs) {
  float* out = (float*)malloc((size_t)(rows * outs) * sizeof(float));
  double* us = (double*)malloc(kCalls * sizeof(double));
  for (int i = 0; i < kWarmup; ++i) tg_model_predict(m, x, rows, out, rows * outs);
  const double c0 = tg_bench_thread_cpu();
  timed_calls(tg_bench_now, m, x, rows, out, rows * outs, us);
  const double cpu = (tg_bench_thread_cpu() - c0) * 1e6 / kCalls;
  qsort(us, kCalls, sizeof(double), cmp);
  const double median = us[kCalls / 2], p99 = us[kCalls * 99 / 100];
  timed_calls(tg_bench_thread_cpu, m, x, rows, out, rows * outs, us);
  qsort(us, kCalls, sizeof(double), cmp);
  printf("PREDICT %s rows=%lld median=%.3f p99=%.3f cpu_mean=%.3f cpu_p99=%.3f out0=%.6g\n", name,
         (long long)rows, median, p99, cpu, us[kCalls * 99 / 100], (double)out[0]);
  if (tg_model_status(m) != TG_OK) fprintf(stderr, "predict_latency: %s\n", tg_model_message(m));
  free(us);
  free(out);
}

/* What two clock reads around nothing cost: part of every figure above. */
static void timer_floor(void) {
  double* us = (double*)malloc(kCalls * sizeof(double));
  timed_calls(tg_bench_now, NULL, NULL, 0, NULL, 0, us);
  qsort(us, kCalls, sizeof(double), cmp);
  printf("# timer: an empty timed region takes median=%.3f p99=%.3f us", us[kCalls / 2],
         us[kCalls * 99 / 100]);
  timed_calls(tg_bench_thread_cpu, NULL, NULL, 0, NULL, 0, us);
  qsort(us, kCalls, sizeof(double), cmp);
  printf(" (thread CPU clock: median=%.3f p99=%.3f)\n", us[kCalls / 2], us[kCalls * 99 / 100]);
  free(us);
}

/* W2's MLP: Dense 512 ReLU, Dense 512 ReLU, Dense 10, glorot_uniform, seed 1. */
static tg_model* mlp_new(tg_error* err) {
  tg_model_options mo = {.input_dim = kMlpIn, .seed = 1, .threads = 1};
  tg_model* mlp = tg_sequential_new(&mo, err);
  if (mlp == NULL) return NULL;
  tg_dense_options d = {.units = 512, .activation = TG_ACT_RELU};
  tg_model_add_dense(mlp, d);
  tg_model_add_dense(mlp, d);
  d.units = kMlpOut;
  d.activation = TG_ACT_LINEAR;
  tg_model_add_dense(mlp, d);
  return mlp;
}

static void mlp_image(float* img) {
  for (int i = 0; i < kMlpIn; ++i) img[i] = (float)(i % 17) / 17.0f;
}

/* `predict_latency profile seed1|seed10|mlp CALLS`: only that figure's predict loop
 * (no clock reads), for callgrind: instructions per call = the difference of two
 * runs' totals over the difference of their CALLS. */
static int profile(const char* which, long calls) {
  tg_error err = {0};
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS], img[kMlpIn];
  float out[TG_SEED_ROWS * TG_SEED_OUTPUTS + kMlpOut];
  tg_seed_data(x, y);
  mlp_image(img);
  const bool mlp = strcmp(which, "mlp") == 0;
  const int64_t rows = strcmp(which, "seed10") == 0 ? TG_SEED_ROWS : 1;
  tg_model* m = mlp ? mlp_new(&err) : tg_seed_model_new(NULL, 1, NULL, &err);
  if (m == NULL || (!mlp && strcmp(which, "seed1") != 0 && rows == 1)) {
    if (m)
      fprintf(stderr, "predict_latency profile: the figure is seed1, seed10 or mlp, not '%s'\n",
              which);
    else
      fprintf(stderr, "predict_latency profile: %s\n", err.message);
    tg_model_free(m);
    return 1;
  }
  const float* in = mlp ? img : x;
  const int64_t cap = (int64_t)(sizeof out / sizeof out[0]);
  for (long i = 0; i < calls; ++i) tg_model_predict(m, in, rows, out, cap);
  printf("PREDICT profile %s calls=%ld out0=%.6g\n", which, calls, (double)out[0]);
  const int bad = tg_model_status(m) != TG_OK;
  tg_model_free(m);
  return bad;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "profile") == 0) return profile(argv[2], atol(argv[3]));
  tg_bench_print_machine();
  timer_floor();
  tg_error err = {0};
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_seed_data(x, y);
  tg_model* seed = tg_seed_model_new(NULL, 1, NULL, &err);
  if (seed == NULL) {
    fprintf(stderr, "predict_latency: %s\n", err.message);
    return 1;
  }
  measure("seed", seed, x, 1, TG_SEED_OUTPUTS);
  measure("seed", seed, x, TG_SEED_ROWS, TG_SEED_OUTPUTS);
  tg_model_free(seed);

  tg_model* mlp = mlp_new(&err);
  if (mlp == NULL) {
    fprintf(stderr, "predict_latency: %s\n", err.message);
    return 1;
  }
  float img[kMlpIn];
  mlp_image(img);
  measure("mlp_784_512_512_10", mlp, img, 1, kMlpOut);
  tg_model_free(mlp);
  return 0;
}
