/* bench/doctor_cost.c — what the training doctor costs on a W2-sized step: the
 * 784 -> 512 -> 512 -> 10 MLP (ReLU, ReLU, linear), MSE against one-hot targets,
 * Adam, batch 128, trained with tg_model_fit over 400 batches per epoch (Fashion-MNIST has 422),
 * with the doctor on and off in alternating fits (so both see the same machine load).
 *
 *   bazel run -c opt //bench:doctor_cost -- [threads [aa]]
 *
 * Prints one line per setting and the overhead:
 *   DOCTOR off ms_per_step median=.. min=..   (thread CPU time, threads=1; wall otherwise)
 *   DOCTOR on  ms_per_step median=.. min=..
 *   DOCTOR overhead_pct median=.. min=..      (paired on/off fits: noisy under load)
 *   DOCTOR inside_pct median=.. max=..        (time inside the doctor / the fit's time)
 * Each fit is one epoch of 400 steps: it includes the doctor's per-fit set-up (the
 * constant-predictor floor over the targets) and its end-of-epoch checks (unit
 * symmetry, dead ReLUs), which a longer epoch spreads over more steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "core/rng.h"
#include "frontends/fit.h"
#include "frontends/model.h"

enum { kBatch = 128, kSteps = 400, kRows = kBatch * kSteps, kPairs = 11 };

static tg_model* w2(int threads) {
  tg_error err = {0};
  tg_model* m =
      tg_sequential_new(&(tg_model_options){.input_dim = 784, .seed = 1, .threads = threads}, &err);
  if (m == NULL) return NULL;
  tg_model_add_dense(m, (tg_dense_options){.units = 512, .activation = TG_ACT_RELU});
  tg_model_add_dense(m, (tg_dense_options){.units = 512, .activation = TG_ACT_RELU});
  tg_model_add_dense(m, (tg_dense_options){.units = 10});
  if (tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE}, NULL) != TG_OK) {
    fprintf(stderr, "doctor_cost: %s\n", tg_model_message(m));
    tg_model_free(m);
    return NULL;
  }
  return m;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 1;
  /* "aa" as a second argument runs both arms without the doctor: the noise floor. */
  const int aa = argc > 2 && strcmp(argv[2], "aa") == 0;
  float* x = (float*)malloc((size_t)kRows * 784 * sizeof(float));
  float* y = (float*)calloc((size_t)kRows * 10, sizeof(float));
  if (x == NULL || y == NULL) return 1;
  tg_rng r;
  tg_rng_seed(&r, 7);
  for (int64_t i = 0; i < (int64_t)kRows * 784; ++i) x[i] = tg_rng_uniform(&r);
  for (int i = 0; i < kRows; ++i) y[i * 10 + (int)tg_rng_below(&r, 10)] = 1.0f;
  tg_model* m = w2(threads);
  if (m == NULL) return 1;
  double off[kPairs], on[kPairs], pct[kPairs], inside[kPairs] = {0};
  FILE* quiet = fopen("/dev/null", "w"); /* the doctor's lines (this data kills ReLUs) */
  /* One warm-up fit records the tapes. */
  tg_model_fit(m, x, kRows, y, &(tg_fit_options){.batch_size = kBatch, .no_doctor = true});
  for (int p = 0; p < kPairs; ++p) {
    for (int k = 0; k < 2; ++k) {
      const int doctor = (k + p) % 2; /* alternate which runs first */
      tg_history* h = tg_history_new(NULL);
      const tg_fit_options fo = {
          .batch_size = kBatch, .no_doctor = aa || !doctor, .doctor_out = quiet, .history = h};
      const double t0 = threads == 1 ? tg_bench_thread_cpu() : tg_bench_now();
      if (tg_model_fit(m, x, kRows, y, &fo) != TG_OK) {
        fprintf(stderr, "doctor_cost: %s\n", tg_model_message(m));
        return 1;
      }
      const double t = (threads == 1 ? tg_bench_thread_cpu() : tg_bench_now()) - t0;
      (doctor ? on : off)[p] = 1e3 * t / kSteps;
      if (doctor && !aa)
        inside[p] = 100.0 * tg_history_doctor_seconds(h) / tg_history_fit_seconds(h);
      tg_history_free(h);
    }
    pct[p] = 100.0 * (on[p] - off[p]) / off[p];
  }
  const double off_min = tg_bench_min(off, kPairs), on_min = tg_bench_min(on, kPairs);
  const double pct_min = tg_bench_min(pct, kPairs);
  printf("# %s time, threads=%d, %d pairs of fits of %d steps\n",
         threads == 1 ? "thread CPU" : "wall", threads, kPairs, kSteps);
  printf("DOCTOR off ms_per_step median=%.3f min=%.3f\n", tg_bench_median(off, kPairs), off_min);
  printf("DOCTOR on  ms_per_step median=%.3f min=%.3f\n", tg_bench_median(on, kPairs), on_min);
  printf("DOCTOR overhead_pct median=%.2f min=%.2f\n", tg_bench_median(pct, kPairs), pct_min);
  /* The robust figure on a loaded machine: the doctor's own wall time within each fit. */
  printf("DOCTOR inside_pct median=%.3f max=%.3f\n", tg_bench_median(inside, kPairs),
         tg_bench_max(inside, kPairs));
  if (quiet) fclose(quiet);
  tg_model_free(m);
  free(x);
  free(y);
  return 0;
}
