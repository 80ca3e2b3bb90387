/* bench/w1_seed.c — W1: the seed network, 1 -> 16 -> 16 -> 2 (ReLU, ReLU, linear),
 * MSE, Adam(lr 1e-3, epsilon 1e-8), 10 samples full batch (x[i] = i/10,
 * y[i] = [0.1, 0.01 i]), Keras' default init. One step = forward + backward + Adam.
 *
 *   bazel run -c opt //bench:w1_seed
 *
 * Lines (µs per step; median and min over 5 repetitions of 1000 steps each):
 *   W1 tapegrad train_step_us threads=1 median=.. min=.. ratio_vs_plain_c=..
 *   W1 tapegrad train_predict_step_us threads=1 ...   (a predict after every step,
 *                                                      as in the original Keras loop)
 *   W1 plain-c train_step_us threads=1 ...            (the same step written by hand
 *                                                      in plain C: the floor)
 * The plain-C step is the baseline measured in the same process: no tape, no
 * dispatch, every loop specialised to these shapes by hand. cpu_median/cpu_min are
 * the same figures in thread CPU time, which other processes' load does not inflate.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "core/vector_clones.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"

enum { kSteps = 1000, kReps = 5, N = TG_SEED_ROWS, H = TG_SEED_HIDDEN, O = TG_SEED_OUTPUTS };

/* ---- the hand-written floor ---------------------------------------------------- */

/* Parameters in one block, as the model keeps them: w1[1*H] b1[H] w2[H*H] b2[H]
 * w3[H*O] b3[O]. */
enum {
  kW1 = 0,
  kB1 = kW1 + H,
  kW2 = kB1 + H,
  kB2 = kW2 + H * H,
  kW3 = kB2 + H,
  kB3 = kW3 + H * O,
  kParams = kB3 + O
};

typedef struct plain_net {
  float p[kParams], g[kParams], m[kParams], v[kParams];
  long t;
} plain_net;

/* Built for the same instruction sets as the library's kernels and loops (which
 * pick AVX2 or AVX-512 at run time), so the floor is not held to the x86-64
 * baseline's 4-wide vectors while tapegrad is not. */
TG_VECTOR_CLONES static float plain_step(plain_net* net, const float* x, const float* y) {
  const float* w1 = net->p + kW1;
  const float* b1 = net->p + kB1;
  const float* w2 = net->p + kW2;
  const float* b2 = net->p + kB2;
  const float* w3 = net->p + kW3;
  const float* b3 = net->p + kB3;
  float z1[N][H], h1[N][H], z2[N][H], h2[N][H], out[N][O];
  /* forward */
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < H; ++j) {
      z1[i][j] = x[i] * w1[j] + b1[j];
      h1[i][j] = z1[i][j] > 0.0f ? z1[i][j] : 0.0f;
    }
    for (int j = 0; j < H; ++j) z2[i][j] = b2[j];
    for (int k = 0; k < H; ++k)
      for (int j = 0; j < H; ++j) z2[i][j] += h1[i][k] * w2[k * H + j];
    for (int j = 0; j < H; ++j) h2[i][j] = z2[i][j] > 0.0f ? z2[i][j] : 0.0f;
    for (int j = 0; j < O; ++j) {
      float s = b3[j];
      for (int k = 0; k < H; ++k) s += h2[i][k] * w3[k * O + j];
      out[i][j] = s;
    }
  }
  float loss = 0.0f, dout[N][O];
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < O; ++j) {
      const float d = out[i][j] - y[i * O + j];
      loss += d * d;
      dout[i][j] = 2.0f * d / (N * O);
    }
  /* backward; dh = dz·wᵀ runs along rows of wᵀ (copied once per step) so it
   * vectorises instead of summing short dot products one add at a time */
  float* g = net->g;
  memset(g, 0, sizeof net->g);
  float w2t[H * H], w3t[O * H];
  for (int k = 0; k < H; ++k) {
    for (int j = 0; j < H; ++j) w2t[j * H + k] = w2[k * H + j];
    for (int j = 0; j < O; ++j) w3t[j * H + k] = w3[k * O + j];
  }
  float dz2[N][H], dz1[N][H];
  for (int i = 0; i < N; ++i) {
    float dh[H] = {0};
    for (int j = 0; j < O; ++j) {
      g[kB3 + j] += dout[i][j];
      for (int k = 0; k < H; ++k) g[kW3 + k * O + j] += h2[i][k] * dout[i][j];
      for (int k = 0; k < H; ++k) dh[k] += dout[i][j] * w3t[j * H + k];
    }
    for (int k = 0; k < H; ++k) dz2[i][k] = z2[i][k] > 0.0f ? dh[k] : 0.0f;
    for (int k = 0; k < H; ++k) {
      g[kB2 + k] += dz2[i][k];
      for (int j = 0; j < H; ++j) g[kW2 + k * H + j] += h1[i][k] * dz2[i][j];
    }
    float dh1[H] = {0};
    for (int j = 0; j < H; ++j)
      for (int k = 0; k < H; ++k) dh1[k] += dz2[i][j] * w2t[j * H + k];
    for (int k = 0; k < H; ++k) dz1[i][k] = z1[i][k] > 0.0f ? dh1[k] : 0.0f;
    for (int j = 0; j < H; ++j) {
      g[kB1 + j] += dz1[i][j];
      g[kW1 + j] += x[i] * dz1[i][j];
    }
  }
  /* Adam, Keras' form */
  net->t++;
  const float lr_t =
      (float)(1e-3 * sqrt(1.0 - pow(0.999, (double)net->t)) / (1.0 - pow(0.9, (double)net->t)));
  for (int i = 0; i < kParams; ++i) {
    const float mi = 0.9f * net->m[i] + 0.1f * g[i];
    const float vi = 0.999f * net->v[i] + 0.001f * g[i] * g[i];
    /* moments below FLT_MIN are 0, as in frontends/adam.c (else they stick in
     * the subnormal range and every step takes the slow path) */
    net->m[i] = fabsf(mi) < FLT_MIN ? 0.0f : mi;
    net->v[i] = vi < FLT_MIN ? 0.0f : vi;
    net->p[i] -= lr_t * net->m[i] / (sqrtf(net->v[i]) + 1e-8f);
  }
  return loss / (N * O);
}

/* ---- timing ---------------------------------------------------------------------- */

typedef enum { kTapegradTrain, kTapegradTrainPredict, kPlainC } loop_kind;

/* µs per step of one repetition (wall clock; *cpu_us the thread's CPU time): a
 * fresh network, kSteps steps. */
static double run_rep(loop_kind kind, const float* x, const float* y, float* final_loss,
                      double* cpu_us) {
  float loss = 0.0f, pred[N * O];
  if (kind == kPlainC) {
    plain_net* net = (plain_net*)calloc(1, sizeof *net);
    /* Same start as the model: its own initial parameters. */
    tg_error err = {0};
    tg_model* m = tg_seed_model_new(NULL, 1, NULL, &err);
    memcpy(net->p, tg_model_param_values(m), sizeof net->p);
    tg_model_free(m);
    const double c0 = tg_bench_thread_cpu(), t0 = tg_bench_now();
    for (int s = 0; s < kSteps; ++s) loss = plain_step(net, x, y);
    const double us = (tg_bench_now() - t0) * 1e6 / kSteps;
    *cpu_us = (tg_bench_thread_cpu() - c0) * 1e6 / kSteps;
    free(net);
    *final_loss = loss;
    return us;
  }
  tg_error err = {0};
  tg_model* m = tg_seed_model_new(NULL, 1, NULL, &err);
  if (m == NULL) {
    fprintf(stderr, "w1_seed: %s\n", err.message);
    exit(1);
  }
  const double c0 = tg_bench_thread_cpu(), t0 = tg_bench_now();
  for (int s = 0; s < kSteps; ++s) {
    tg_model_train_on_batch(m, x, N, y, &loss);
    if (kind == kTapegradTrainPredict) tg_model_predict(m, x, N, pred, N * O);
  }
  const double us = (tg_bench_now() - t0) * 1e6 / kSteps;
  *cpu_us = (tg_bench_thread_cpu() - c0) * 1e6 / kSteps;
  if (tg_model_status(m) != TG_OK) fprintf(stderr, "w1_seed: %s\n", tg_model_message(m));
  tg_model_free(m);
  *final_loss = loss;
  return us;
}

/* `w1_seed profile STEPS`: only the tapegrad training loop, for a profiler. */
static int profile(long steps, const float* x, const float* y) {
  tg_error err = {0};
  tg_model* m = tg_seed_model_new(NULL, 1, NULL, &err);
  if (m == NULL) return 1;
  float loss = 0.0f;
  const double c0 = tg_bench_thread_cpu();
  for (long s = 0; s < steps; ++s) tg_model_train_on_batch(m, x, N, y, &loss);
  printf("W1 profile steps=%ld cpu_us_per_step=%.3f final_loss=%.4g\n", steps,
         (tg_bench_thread_cpu() - c0) * 1e6 / (double)steps, (double)loss);
  tg_model_free(m);
  return 0;
}

/* `w1_seed fuse REPS`: the optimizer during backward (the default) against the update
 * after backward (tg_model_set_fuse_optimizer off), two models stepped in turn, blocks
 * of kSteps steps, which goes first alternating; the median of the blocks' ratios. */
static int fuse_pair(int reps, const float* x, const float* y) {
  tg_error err = {0};
  tg_model* m[2] = {tg_seed_model_new(NULL, 1, NULL, &err), tg_seed_model_new(NULL, 1, NULL, &err)};
  if (m[0] == NULL || m[1] == NULL || reps < 1 || reps > 1000) return 1;
  tg_model_set_fuse_optimizer(m[1], false);
  static double cpu[2][1000], ratio[1000];
  float loss = 0.0f;
  for (int r = 0; r < reps; ++r) {
    for (int j = 0; j < 2; ++j) {
      const int k = (r + j) % 2;
      const double c0 = tg_bench_thread_cpu();
      for (int s = 0; s < kSteps; ++s) tg_model_train_on_batch(m[k], x, N, y, &loss);
      cpu[k][r] = (tg_bench_thread_cpu() - c0) * 1e6 / kSteps;
    }
    ratio[r] = cpu[0][r] / cpu[1][r];
  }
  printf(
      "W1 fuse_optimizer threads=1 fused_cpu_median=%.3f after_cpu_median=%.3f "
      "ratio_median=%.4f same_bits=%d\n",
      tg_bench_median(cpu[0], reps), tg_bench_median(cpu[1], reps), tg_bench_median(ratio, reps),
      memcmp(tg_model_param_values(m[0]), tg_model_param_values(m[1]),
             (size_t)tg_model_param_size(m[0]) * sizeof(float)) == 0);
  tg_model_free(m[0]);
  tg_model_free(m[1]);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "fuse") == 0) {
    float x[N], y[N * O];
    tg_seed_data(x, y);
    return fuse_pair(atoi(argv[2]), x, y);
  }
  if (argc == 3 && strcmp(argv[1], "profile") == 0) {
    float x[N], y[N * O];
    tg_seed_data(x, y);
    return profile(atol(argv[2]), x, y);
  }
  tg_bench_print_machine();
  printf("# W1: seed MLP 1-16-16-2, 10 rows, Adam; %d repetitions of %d steps\n", kReps, kSteps);
  float x[N], y[N * O];
  tg_seed_data(x, y);
  static const char* const names[] = {"tapegrad train_step_us", "tapegrad train_predict_step_us",
                                      "plain-c train_step_us"};
  double us[3][kReps], cpu[3][kReps];
  float loss[3] = {0};
  /* Interleave the loops so drifting machine load hits all of them alike. */
  for (int r = 0; r < kReps; ++r)
    for (int k = 0; k < 3; ++k) us[k][r] = run_rep((loop_kind)k, x, y, &loss[k], &cpu[k][r]);
  double med[3], best[3], cmed[3], cbest[3];
  for (int k = 0; k < 3; ++k) {
    best[k] = tg_bench_min(us[k], kReps);
    med[k] = tg_bench_median(us[k], kReps);
    cbest[k] = tg_bench_min(cpu[k], kReps);
    cmed[k] = tg_bench_median(cpu[k], kReps);
  }
  for (int k = 0; k < 3; ++k) {
    printf("W1 %s threads=1 median=%.3f min=%.3f cpu_median=%.3f cpu_min=%.3f", names[k], med[k],
           best[k], cmed[k], cbest[k]);
    if (k != kPlainC) printf(" ratio_vs_plain_c=%.2f", cmed[k] / cmed[kPlainC]);
    printf(" final_loss=%.4g\n", (double)loss[k]);
  }
  return 0;
}
