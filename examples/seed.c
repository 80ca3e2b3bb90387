/* examples/seed.c — the question tapegrad was born from, reproduced.
 *
 * A 1 -> 16 -> 16 -> 2 ReLU network, MSE, Adam(0.001, 0.9, 0.999, 1e-8), trained
 * full-batch on x[i] = i/10, y[i] = [0.1, 0.01 i]. Run twice:
 *   1. every kernel and bias initialised to 0.0 (the question): every ReLU input is
 *      exactly 0, so every hidden gradient is exactly 0 and only the output bias
 *      learns -- it converges to the target means [0.1, 0.045];
 *   2. Keras' defaults (glorot_uniform kernels, zero biases): the network fits.
 * Then it writes the gradient graphs of both cases, zero_init.dot and
 * default_init.dot (and .svg when Graphviz is installed), into the directory given as
 * the first argument or the one `bazel run` was started from, and prints the analysis.
 *
 *   bazel run //examples:seed
 */
#include <stdio.h>
#include <stdlib.h>

#include "examples/seed_graphs.h"
#include "frontends/seed_problem.h"

enum { kSteps = 1000 };

/* Trains one case for kSteps and prints predictions beside targets; 0 on success. */
static int run_case(const char* title, const tg_initializer* init, const char* verdict) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS], pred[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_seed_data(x, y);
  tg_error err = {0};
  tg_model* m = tg_seed_model_new(init, 1, NULL, &err);
  if (m == NULL) {
    fprintf(stderr, "seed: %s\n", err.message);
    return 1;
  }
  float loss = 0.0f;
  tg_status st = TG_OK;
  for (int s = 0; s < kSteps && st == TG_OK; ++s)
    st = tg_model_train_on_batch(m, x, TG_SEED_ROWS, y, &loss);
  if (st == TG_OK) st = tg_model_predict(m, x, TG_SEED_ROWS, pred, TG_SEED_ROWS * 2);
  if (st == TG_OK) st = tg_model_evaluate(m, x, TG_SEED_ROWS, y, &loss);
  if (st != TG_OK) {
    fprintf(stderr, "seed: %s\n", tg_model_message(m));
    tg_model_free(m);
    return 1;
  }
  printf("== %s: %d full-batch Adam steps ==\n", title, kSteps);
  printf("   x    target             prediction\n");
  for (int i = 0; i < TG_SEED_ROWS; ++i)
    printf("  %.1f  [%.4f, %.4f]   [%.6f, %.6f]\n", x[i], y[2 * i], y[2 * i + 1], pred[2 * i],
           pred[2 * i + 1]);
  printf("  final loss: %.4e\n  %s\n\n", loss, verdict);
  tg_model_free(m);
  return 0;
}

int main(int argc, char** argv) {
  const tg_initializer zero = tg_init_zeros();
  int rc = run_case("every kernel and bias = 0.0", &zero,
                    "-> every prediction is the target mean [0.1, 0.045]: all hidden gradients are "
                    "exactly 0, only the output bias learns.");
  rc |= run_case("Keras defaults (glorot_uniform kernels, zero biases)", NULL,
                 "-> the predictions track the targets: random kernels break the symmetry.");
  char dir[4096];
  tg_error err = {0};
  if (tg_seed_graphs_write(tg_seed_graphs_dir(argc, argv, dir, sizeof dir), stdout, &err) !=
      TG_OK) {
    fprintf(stderr, "seed: %s\n", err.message);
    rc = 1;
  }
  return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
