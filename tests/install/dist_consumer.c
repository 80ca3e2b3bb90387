/* dist_consumer.c — a program outside Bazel that trains data-parallel with the
 * installed libtapegrad_dist (built with `cc $(pkg-config --cflags --libs
 * tapegrad-dist)`, run under mpirun): every rank trains the same small model on its
 * shard of a 10-row batch, and the ranks must end with the same parameters, bit for
 * bit (each receives the same reduced gradient), and a lower loss. Rank 0 prints
 * "dist: N ranks, loss A -> B, parameters agree"; exit status 0 on success. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dist/dist.h"
#include "tapegrad.h"

static int fail(const char* what, const char* message) {
  fprintf(stderr, "dist_consumer: %s: %s\n", what, message);
  return 1;
}

int main(int argc, char** argv) {
  tg_error err = {0};
  if (tg_dist_init(&argc, &argv, &err) != TG_OK) return fail("tg_dist_init", err.message);
  tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = 1, .seed = 3}, &err);
  if (m == NULL) return fail("tg_sequential_new", err.message);
  tg_model_add_dense(m, (tg_dense_options){.units = 16, .activation = TG_ACT_TANH});
  tg_model_add_dense(m, (tg_dense_options){.units = 2});
  tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE}, NULL);
  tg_dist* d = tg_dist_new(m, &(tg_dist_options){.seed = 3}, &err);
  if (d == NULL) return fail("tg_dist_new", err.message);

  float x[10], y[20];
  for (int i = 0; i < 10; ++i) {
    x[i] = (float)i / 10.0f;
    y[2 * i] = 0.5f * x[i];
    y[2 * i + 1] = 0.2f - x[i];
  }
  float first = 0.0f, loss = 0.0f;
  int rc = 0;
  for (int step = 0; step < 100 && rc == 0; ++step) {
    if (tg_dist_train_on_batch(d, x, 10, y, &loss) != TG_OK)
      rc = fail("tg_dist_train_on_batch", tg_dist_message(d));
    if (step == 0) first = loss;
  }
  // Every rank's parameters against rank 0's, bit for bit.
  const int64_t n = tg_model_param_size(m);
  float mine[128], rank0[128];
  if (rc == 0 && n > 128) rc = fail("parameters", "more than 128");
  if (rc == 0) {
    memcpy(mine, tg_model_param_values(m), (size_t)n * sizeof(float));
    memcpy(rank0, mine, sizeof rank0);
    MPI_Bcast(rank0, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    int same = memcmp(mine, rank0, (size_t)n * sizeof(float)) == 0, all_same = 0;
    MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (!all_same) rc = fail("parameters", "the ranks differ");
    if (!(loss < first) || !isfinite(loss)) rc = fail("loss", "did not decrease");
  }
  if (rc == 0 && tg_dist_rank(d) == 0)
    printf("dist: %d ranks, loss %.4g -> %.4g, parameters agree\n", tg_dist_size(d), (double)first,
           (double)loss);
  tg_dist_free(d);
  tg_model_free(m);
  tg_dist_finalize();
  return rc;
}
