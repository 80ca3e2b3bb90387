/* bench/w5_data_parallel.c — W5: W2 (784 -> 512 -> 512 -> 10, ReLU, MSE, Adam lr 1e-3,
 * global batch 128) trained data-parallel over MPI. Launch it with bench/w5.sh
 * (1 rank x 2 threads, 2 ranks x 1 thread, 4 ranks oversubscribed), or by hand:
 *
 *   bazel build -c opt //bench:w5_data_parallel
 *   mpirun --allow-run-as-root --oversubscribe -np 2 bazel-bin/bench/w5_data_parallel 1
 *
 * Argument 1: kernel threads per rank (default 1). Each mode (sync: every bucket
 * reduced after backward; overlap: buckets started during backward; overlap+thread:
 * the same with the progress thread) runs 20 warm-up
 * steps and 100 timed steps; rank 0 prints per mode
 *   W5 ranks=R threads=T mode=M step_ms median=.. wait_ms median=.. wait_share=..
 *      bytes_per_step=.. buckets=.. overlap_ratio=..
 * step_ms is the slowest rank's step (the job moves at its pace); wait_ms the time
 * rank 0 is blocked in MPI_Wait after backward; wait_share = wait / step;
 * bytes_per_step the gradient bytes each rank hands to the reduction;
 * overlap_ratio = 1 - wait(overlap) / wait(sync): the share of the reduction's wait
 * that overlap hid behind backward (printed on the overlap line). A last line times
 * the reduction alone (a barrier, then MPI_Allreduce of the same bytes, 50 times):
 *   W5 allreduce ranks=R bytes=.. ms median=.. min=..
 * wait above that figure is time spent waiting for a slower rank, not moving data. */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_util.h"
#include "core/rng.h"
#include "dist/dist.h"

enum { IN = 784, HIDDEN = 512, OUT = 10, BATCH = 128, WARMUP = 20, STEPS = 100 };

static tg_model* w2_model(int threads) {
  tg_error err = {0};
  tg_model* m =
      tg_sequential_new(&(tg_model_options){.input_dim = IN, .seed = 1, .threads = threads}, &err);
  if (m == NULL) return NULL;
  tg_model_add_dense(m, (tg_dense_options){.units = HIDDEN, .activation = TG_ACT_RELU});
  tg_model_add_dense(m, (tg_dense_options){.units = HIDDEN, .activation = TG_ACT_RELU});
  tg_model_add_dense(m, (tg_dense_options){.units = OUT});
  tg_optimizer_options oo = {.kind = TG_OPT_ADAM, .lr = 1e-3f};
  if (tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE}, &oo) != TG_OK) {
    tg_model_free(m);
    return NULL;
  }
  return m;
}

/* Runs one mode; returns rank 0's median wait (ms) and prints the line. */
static double run_mode(tg_model* m, bool overlap, bool thread, const float* x, const float* y,
                       int threads, double sync_wait) {
  tg_error err = {0};
  tg_dist* d = tg_dist_new(
      m, &(tg_dist_options){.seed = 1, .no_overlap = !overlap, .progress_thread = thread}, &err);
  if (d == NULL) {
    fprintf(stderr, "w5: %s\n", err.message);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  double step[STEPS], wait[STEPS];
  int64_t bytes = 0;
  for (int s = 0; s < WARMUP + STEPS; ++s) {
    const tg_dist_stats a = tg_dist_get_stats(d);
    MPI_Barrier(MPI_COMM_WORLD); /* every rank starts the step together */
    const double t0 = tg_bench_now();
    if (tg_dist_train_on_batch(d, x, BATCH, y, NULL) != TG_OK) {
      fprintf(stderr, "w5: %s\n", tg_dist_message(d));
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double dt = tg_bench_now() - t0, slowest = dt;
    MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    const tg_dist_stats b = tg_dist_get_stats(d);
    if (s >= WARMUP) {
      step[s - WARMUP] = 1e3 * slowest;
      wait[s - WARMUP] = 1e3 * (b.wait_seconds - a.wait_seconds);
      bytes = b.bytes_reduced - a.bytes_reduced;
    }
  }
  const double step_ms = tg_bench_median(step, STEPS), wait_ms = tg_bench_median(wait, STEPS);
  if (tg_dist_rank(d) == 0) {
    printf(
        "W5 ranks=%d threads=%d mode=%s step_ms median=%.2f min=%.2f wait_ms median=%.3f "
        "wait_share=%.3f bytes_per_step=%lld buckets=%lld",
        tg_dist_size(d), threads,
        thread    ? "overlap+thread"
        : overlap ? "overlap"
                  : "sync",
        step_ms, tg_bench_min(step, STEPS), wait_ms, wait_ms / step_ms, (long long)bytes,
        (long long)tg_dist_get_stats(d).buckets);
    if (overlap && sync_wait > 0.01) printf(" overlap_ratio=%.2f", 1.0 - wait_ms / sync_wait);
    printf("\n");
    fflush(stdout);
  }
  tg_dist_free(d);
  return wait_ms;
}

static void allreduce_alone(int64_t floats) {
  float* g = (float*)calloc((size_t)floats, sizeof(float));
  double ms[50];
  for (int i = 0; i < 50 && g; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = tg_bench_now();
    MPI_Allreduce(MPI_IN_PLACE, g, (int)floats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    ms[i] = 1e3 * (tg_bench_now() - t0);
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0 && g)
    printf("W5 allreduce ranks=%d bytes=%lld ms median=%.3f min=%.3f\n", size,
           (long long)floats * 4, tg_bench_median(ms, 50), tg_bench_min(ms, 50));
  free(g);
}

int main(int argc, char** argv) {
  tg_error err = {0};
  if (tg_dist_init(&argc, &argv, &err) != TG_OK) {
    fprintf(stderr, "w5: %s\n", err.message);
    return 1;
  }
  const int threads = argc > 1 ? atoi(argv[1]) : 1;
  float* x = (float*)malloc(sizeof(float) * BATCH * IN);
  float* y = (float*)calloc(BATCH * OUT, sizeof(float));
  tg_model* m = w2_model(threads < 1 ? 1 : threads);
  if (x == NULL || y == NULL || m == NULL) {
    fprintf(stderr, "w5: out of memory\n");
    return 1;
  }
  tg_rng r;
  tg_rng_seed(&r, 42);
  for (int i = 0; i < BATCH * IN; ++i) x[i] = tg_rng_uniform(&r);
  for (int i = 0; i < BATCH; ++i) y[i * OUT + (int)tg_rng_below(&r, OUT)] = 1.0f;
  const double sync_wait = run_mode(m, false, false, x, y, threads, 0.0);
  run_mode(m, true, false, x, y, threads, sync_wait);
  run_mode(m, true, true, x, y, threads, sync_wait);
  allreduce_alone(tg_model_trainable_size(m));
  tg_model_free(m);
  free(x);
  free(y);
  tg_dist_finalize();
  return 0;
}
