/* bench/seed_train.c — the seed example's training alone, as one process: both runs
 * (every weight 0.0, then Keras' defaults), 1000 full-batch Adam steps each, a
 * predict and an evaluate, one summary line. bench/run_all.sh times it from process
 * start to exit (the example itself also writes and renders gradient graphs, which
 * is Graphviz's time, not training's).
 */
#include <stdio.h>
#include <stdlib.h>

#include "frontends/initializers.h"
#include "frontends/model.h"
#include "frontends/seed_problem.h"

enum { kSteps = 1000 };

static int run_case(const tg_initializer* init, float* final_loss) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS], pred[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_seed_data(x, y);
  tg_error err = {0};
  tg_model* m = tg_seed_model_new(init, 1, NULL, &err);
  if (m == NULL) {
    fprintf(stderr, "seed_train: %s\n", err.message);
    return 1;
  }
  float loss = 0.0f;
  tg_status st = TG_OK;
  for (int s = 0; s < kSteps && st == TG_OK; ++s)
    st = tg_model_train_on_batch(m, x, TG_SEED_ROWS, y, &loss);
  if (st == TG_OK) st = tg_model_predict(m, x, TG_SEED_ROWS, pred, TG_SEED_ROWS * TG_SEED_OUTPUTS);
  if (st == TG_OK) st = tg_model_evaluate(m, x, TG_SEED_ROWS, y, final_loss);
  if (st != TG_OK) fprintf(stderr, "seed_train: %s\n", tg_model_message(m));
  tg_model_free(m);
  return st == TG_OK ? 0 : 1;
}

int main(void) {
  const tg_initializer zero = tg_init_zeros();
  float zero_loss = 0.0f, default_loss = 0.0f;
  int rc = run_case(&zero, &zero_loss);
  rc |= run_case(NULL, &default_loss);
  printf("seed_train zero_init_loss=%.4e default_init_loss=%.4e\n", (double)zero_loss,
         (double)default_loss);
  return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
