/* bench/predict_latency.c — inference latency: tg_model_predict of the seed model
 * (1 -> 16 -> 16 -> 2) on 1 row and on 10 rows, and of W2's MLP (784 -> 512 -> 512
 * -> 10) on 1 row. The predict tape is recorded by the first call and replayed by
 * the rest (its values share buffers by liveness: core/tape.h,
 * tg_tape_set_reuse_values). Each call is timed on its own.
 *
 *   bazel run -c opt //bench:predict_latency
 *
 * Lines (µs per call over kCalls calls after kWarmup; thread CPU time beside):
 *   PREDICT seed rows=1 median=.. p99=.. cpu_mean=..
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_util.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"

enum { kWarmup = 1000, kCalls = 20000 };

static int cmp(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static void measure(const char* name, tg_model* m, const float* x, int64_t rows, int64_t outs) {
  float* out = (float*)malloc((size_t)(rows * outs) * sizeof(float));
  double* us = (double*)malloc(kCalls * sizeof(double));
  for (int i = 0; i < kWarmup; ++i) tg_model_predict(m, x, rows, out, rows * outs);
  const double c0 = tg_bench_thread_cpu();
  for (int i = 0; i < kCalls; ++i) {
    const double t0 = tg_bench_now();
    tg_model_predict(m, x, rows, out, rows * outs);
    us[i] = (tg_bench_now() - t0) * 1e6;
  }
  const double cpu = (tg_bench_thread_cpu() - c0) * 1e6 / kCalls;
  qsort(us, kCalls, sizeof(double), cmp);
  printf("PREDICT %s rows=%lld median=%.3f p99=%.3f cpu_mean=%.3f out0=%.6g\n", name,
         (long long)rows, us[kCalls / 2], us[kCalls * 99 / 100], cpu, (double)out[0]);
  if (tg_model_status(m) != TG_OK) fprintf(stderr, "predict_latency: %s\n", tg_model_message(m));
  free(us);
  free(out);
}

int main(void) {
  tg_bench_print_machine();
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

  tg_model_options mo = {.input_dim = 784, .seed = 1, .threads = 1};
  tg_model* mlp = tg_sequential_new(&mo, &err);
  tg_dense_options d = {.units = 512, .activation = TG_ACT_RELU};
  tg_model_add_dense(mlp, d);
  tg_model_add_dense(mlp, d);
  d.units = 10;
  d.activation = TG_ACT_LINEAR;
  tg_model_add_dense(mlp, d);
  float* img = (float*)calloc(784, sizeof(float));
  for (int i = 0; i < 784; ++i) img[i] = (float)(i % 17) / 17.0f;
  measure("mlp_784_512_512_10", mlp, img, 1, 10);
  free(img);
  tg_model_free(mlp);
  return 0;
}
