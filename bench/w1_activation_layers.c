/* bench/w1_activation_layers.c — W1's seed step with the ReLUs as separate Activation
 * layers (Dense(16), Activation('relu'), ...) beside the fused form (Dense(16,
 * activation='relu')), same process, same data, alternating repetitions. Both record
 * the same ops in the same order, so the replay fuses bias add + ReLU either way and
 * the two should cost the same.
 *
 *   bazel run -c opt //bench:w1_activation_layers
 *
 * Lines (µs per train_on_batch step; median and min over 7 repetitions of 2000):
 *   W1 tapegrad fused_train_step_us threads=1 median=.. min=.. cpu_median=.. cpu_min=..
 *   W1 tapegrad activation_layers_train_step_us threads=1 ...   ratio_vs_fused=..
 */
#include <stdio.h>

#include "bench/bench_util.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"

enum { kSteps = 2000, kReps = 7 };

static tg_model* seed(bool separate) {
  tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = 1, .seed = 1}, NULL);
  const int64_t units[3] = {16, 16, 2};
  for (int i = 0; i < 3; ++i) {
    const bool relu = i < 2;
    tg_model_add_dense(
        m, (tg_dense_options){.units = units[i],
                              .activation = relu && !separate ? TG_ACT_RELU : TG_ACT_LINEAR});
    if (relu && separate) tg_model_add_activation(m, TG_ACT_RELU);
  }
  tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE},
                   &(tg_optimizer_options){.lr = 0.001f, .epsilon = 1e-8f});
  return m;
}

int main(void) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_bench_print_machine();
  tg_model* models[2] = {seed(false), seed(true)};
  double wall[2][kReps], cpu[2][kReps];
  for (int r = 0; r < kReps; ++r)
    for (int k = 0; k < 2; ++k) {
      const double c0 = tg_bench_thread_cpu(), t0 = tg_bench_now();
      for (int s = 0; s < kSteps; ++s) tg_model_train_on_batch(models[k], x, TG_SEED_ROWS, y, NULL);
      wall[k][r] = (tg_bench_now() - t0) * 1e6 / kSteps;
      cpu[k][r] = (tg_bench_thread_cpu() - c0) * 1e6 / kSteps;
    }
  const char* names[2] = {"fused_train_step_us", "activation_layers_train_step_us"};
  double fused_cpu = 0;
  for (int k = 0; k < 2; ++k) {
    const double cm = tg_bench_median(cpu[k], kReps);
    if (k == 0) fused_cpu = cm;
    printf("W1 tapegrad %s threads=1 median=%.3f min=%.3f cpu_median=%.3f cpu_min=%.3f", names[k],
           tg_bench_median(wall[k], kReps), tg_bench_min(wall[k], kReps), cm,
           tg_bench_min(cpu[k], kReps));
    if (k == 1) printf(" ratio_vs_fused=%.3f", cm / fused_cpu);
    printf("\n");
  }
  tg_model_free(models[0]);
  tg_model_free(models[1]);
  return 0;
}
