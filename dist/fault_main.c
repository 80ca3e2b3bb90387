/* dist/fault_main.c — the fault test's training program (dist/fault_test.sh runs it):
 * the seed model trained with tg_dist_fit, a checkpoint every 10 steps, and rank 0
 * writing the final parameters (raw float32) to a file.
 *   fault_main CKPT OUT [kill RANK STEP | resume]
 * kill: rank RANK ends itself with SIGKILL after step STEP (a crashed machine).
 * resume: start from CKPT (tg_dist_load) instead of a new model. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "frontends/seed_problem.h"

enum { EPOCHS = 60, BATCH = 4 }; /* 10 rows: 3 steps per epoch, 180 steps */

typedef struct kill_plan {
  int rank, me;
  int64_t step;
} kill_plan;

static bool maybe_die(void* ctx, int64_t steps, float loss) {
  const kill_plan* k = (const kill_plan*)ctx;
  (void)loss;
  if (k->me == k->rank && steps == k->step) {
    fprintf(stderr, "fault_main: rank %d kills itself after step %lld\n", k->me, (long long)steps);
    raise(SIGKILL);
  }
  return true;
}

int main(int argc, char** argv) {
  tg_error err = {0};
  if (argc < 3 || tg_dist_init(&argc, &argv, &err) != TG_OK) {
    fprintf(stderr, "usage: fault_main CKPT OUT [kill RANK STEP | resume] %s\n", err.message);
    return 2;
  }
  const char* ckpt = argv[1];
  const char* out = argv[2];
  const bool resume = argc > 3 && strcmp(argv[3], "resume") == 0;
  kill_plan k = {.rank = -1, .step = -1};
  if (argc > 5 && strcmp(argv[3], "kill") == 0) {
    k.rank = atoi(argv[4]);
    k.step = atoll(argv[5]);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &k.me);
  tg_model* m =
      resume ? tg_dist_load(0, ckpt, NULL, &err) : tg_seed_model_new(NULL, 11, NULL, &err);
  tg_dist* d = m ? tg_dist_new(m, &(tg_dist_options){.seed = 5}, &err) : NULL;
  if (d == NULL) {
    fprintf(stderr, "fault_main: %s\n", err.message);
    tg_model_free(m);
    tg_dist_finalize();
    return 1;
  }
  if (resume && k.me == 0)
    printf("fault_main: resuming at step %lld\n",
           (long long)tg_optimizer_iterations(tg_model_optimizer(m)));
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
  tg_seed_data(x, y);
  tg_dist_fit_options fo = {.epochs = EPOCHS,
                            .batch_size = BATCH,
                            .checkpoint = ckpt,
                            .checkpoint_every = 10,
                            .resume = resume,
                            .after_step = maybe_die,
                            .ctx = &k};
  tg_status st = tg_dist_fit(d, x, TG_SEED_ROWS, y, &fo);
  int rc = 0;
  if (st != TG_OK) {
    fprintf(stderr, "fault_main: %s\n", tg_dist_message(d));
    rc = 1;
  } else if (k.me == 0) {
    FILE* f = fopen(out, "wb");
    const size_t n = (size_t)tg_model_param_size(m);
    if (f == NULL || fwrite(tg_model_param_values(m), sizeof(float), n, f) != n) rc = 1;
    if (f && fclose(f) != 0) rc = 1;
    printf("fault_main: %lld steps, %zu parameters written to %s\n",
           (long long)tg_optimizer_iterations(tg_model_optimizer(m)), n, out);
  }
  tg_dist_free(d);
  tg_model_free(m);
  tg_dist_finalize();
  return rc;
}
