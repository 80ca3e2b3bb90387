/* examples/seed_distributed.c — the seed model trained data-parallel over MPI.
 *
 *   bazel build //examples:seed_distributed
 *   mpirun --allow-run-as-root --oversubscribe -np 2 bazel-bin/examples/seed_distributed
 *
 * Every rank builds the seed model with Keras' default initialisation, rank 0's
 * weights are copied to the others, and 1000 full-batch Adam steps run on the 10
 * rows split across the ranks (5+5 on 2 ranks, 2+3+2+3 on 4). Rank 0 prints the
 * global loss every 200 steps and one last line
 *   final_loss=<loss> param_sum=<sum of every parameter>
 * which agrees across -np 1, 2 and 4 to float rounding (docs/distributed.md). */
#include <stdio.h>

#include "dist/dist.h"
#include "frontends/seed_problem.h"

enum { STEPS = 1000 };

int main(int argc, char** argv) {
  tg_error err = {0};
  if (tg_dist_init(&argc, &argv, &err) != TG_OK) {
    fprintf(stderr, "seed_distributed: %s\n", err.message);
    return 1;
  }
  tg_model* m = tg_seed_model_new(NULL, 1, NULL, &err);
  tg_dist* d = m ? tg_dist_new(m, &(tg_dist_options){.seed = 1}, &err) : NULL;
  if (d == NULL) {
    fprintf(stderr, "seed_distributed: %s\n", err.message);
    tg_model_free(m);
    tg_dist_finalize();
    return 1;
  }
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_seed_data(x, y);
  const int rank = tg_dist_rank(d);
  if (rank == 0) printf("seed_distributed: %d ranks\n", tg_dist_size(d));
  float loss = 0.0f;
  int rc = 0;
  for (int s = 0; s < STEPS; ++s) {
    if (tg_dist_train_on_batch(d, x, TG_SEED_ROWS, y, &loss) != TG_OK) {
      fprintf(stderr, "seed_distributed: %s\n", tg_dist_message(d));
      rc = 1;
      break;
    }
    if (rank == 0 && (s + 1) % 200 == 0) printf("step %4d  loss %.6e\n", s + 1, (double)loss);
  }
  if (rc == 0 && tg_dist_evaluate(d, x, TG_SEED_ROWS, y, &loss) != TG_OK) {
    fprintf(stderr, "seed_distributed: %s\n", tg_dist_message(d));
    rc = 1;
  }
  if (rc == 0 && rank == 0) {
    double sum = 0.0;
    const float* p = tg_model_param_values(m);
    for (int64_t i = 0; i < tg_model_param_size(m); ++i) sum += p[i];
    printf("final_loss=%.9g param_sum=%.9g\n", (double)loss, sum);
  }
  tg_dist_free(d);
  tg_model_free(m);
  tg_dist_finalize();
  return rc;
}
