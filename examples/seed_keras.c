/* examples/seed_keras.c — the seed exactly as its author wrote it in Keras:
 *
 *   model = Sequential()
 *   model.add(Dense(16, input_dim=1, kernel_initializer=Constant(0.0),
 *                   bias_initializer=Constant(0.0)))
 *   model.add(Activation('relu'))
 *   model.add(Dense(16, kernel_initializer=Constant(0.0), bias_initializer=Constant(0.0)))
 *   model.add(Activation('relu'))
 *   model.add(Dense(2, kernel_initializer=Constant(0.0), bias_initializer=Constant(0.0)))
 *   model.compile(loss='mse', optimizer=Adam(lr=0.001, beta_1=0.9, beta_2=0.999,
 *                                            epsilon=1e-08, decay=0.0))
 *   while True:
 *       model.train_on_batch(x, y)
 *       model.predict(x)
 *
 * Every prediction sits at [0.1, 0.045], the target means. The same model with
 * Keras' default initializers fits (loss below 1e-4). The gradient report of the
 * zero-initialised model says why: dense_1 and dense_2 are symmetric with gradients
 * that are exactly zero, the ReLUs (separate Activation layers here) are dead on
 * every sample, and only dense_3/bias learns.
 *
 *   bazel run //examples:seed_keras
 */
#include <stdio.h>
#include <stdlib.h>

#include "frontends/model.h"
#include "frontends/seed_problem.h"
#include "tools/analysis.h"
#include "tools/report.h"

enum { kSteps = 1000 };

/* The model as the question wrote it; `init` NULL: Keras' defaults. */
static tg_model* keras_model(const tg_initializer* init) {
  tg_error err = {0};
  tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = 1, .seed = 1}, &err);
  if (m == NULL) {
    fprintf(stderr, "seed_keras: %s\n", err.message);
    return NULL;
  }
  const tg_initializer def = {.kind = TG_INIT_DEFAULT};
  const tg_initializer k = init ? *init : def, b = init ? *init : def;
  tg_model_add_dense(m, (tg_dense_options){.units = 16, .kernel_init = k, .bias_init = b});
  tg_model_add_activation(m, TG_ACT_RELU);
  tg_model_add_dense(m, (tg_dense_options){.units = 16, .kernel_init = k, .bias_init = b});
  tg_model_add_activation(m, TG_ACT_RELU);
  tg_model_add_dense(m, (tg_dense_options){.units = 2, .kernel_init = k, .bias_init = b});
  const tg_optimizer_options adam = {.kind = TG_OPT_ADAM,
                                     .lr = 0.001f,
                                     .beta_1 = 0.9f,
                                     .beta_2 = 0.999f,
                                     .epsilon = 1e-08f,
                                     .decay = 0.0f};
  if (tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE}, &adam) != TG_OK) {
    fprintf(stderr, "seed_keras: %s\n", tg_model_message(m));
    tg_model_free(m);
    return NULL;
  }
  return m;
}

/* The question's loop for kSteps; prints the last predictions when `print`. */
static int train(tg_model* m, const float* x, const float* y, bool print, float* loss) {
  float pred[TG_SEED_ROWS * TG_SEED_OUTPUTS];
  tg_status st = TG_OK;
  for (int s = 0; s < kSteps && st == TG_OK; ++s) {
    st = tg_model_train_on_batch(m, x, TG_SEED_ROWS, y, loss);
    if (st == TG_OK) st = tg_model_predict(m, x, TG_SEED_ROWS, pred, TG_SEED_ROWS * 2);
  }
  if (st == TG_OK) st = tg_model_evaluate(m, x, TG_SEED_ROWS, y, loss);
  if (st != TG_OK) {
    fprintf(stderr, "seed_keras: %s\n", tg_model_message(m));
    return 1;
  }
  for (int i = 0; print && i < TG_SEED_ROWS; ++i)
    printf("  x=%.1f  predict -> [%.6f, %.6f]\n", x[i], pred[2 * i], pred[2 * i + 1]);
  return 0;
}

int main(void) {
  float x[TG_SEED_ROWS], y[TG_SEED_ROWS * TG_SEED_OUTPUTS], loss = 0.0f;
  tg_seed_data(x, y);
  const tg_initializer zero = tg_init_constant(0.0f);

  tg_model* m = keras_model(&zero);
  if (m == NULL) return EXIT_FAILURE;
  tg_model_summary(m, stdout);
  printf("\n== every kernel and bias Constant(0.0): %d train_on_batch/predict steps ==\n", kSteps);
  int rc = train(m, x, y, true, &loss);
  printf("  loss %.4e: every prediction is the target mean [0.1, 0.045]\n", loss);
  tg_model_free(m);

  m = keras_model(NULL);
  if (m == NULL) return EXIT_FAILURE;
  printf("\n== Keras' default initializers (glorot_uniform kernels, zero biases) ==\n");
  rc |= train(m, x, y, false, &loss);
  printf("  loss after %d steps: %.4e (%s 1e-4)\n", kSteps, loss,
         loss < 1e-4f ? "below" : "NOT below");
  tg_model_free(m);

  /* The gradient report of the zero-initialised model, before any step. */
  m = keras_model(&zero);
  if (m == NULL) return EXIT_FAILURE;
  printf("\n== why: the gradients of the Constant(0.0) model ==\n");
  tg_error err = {0};
  tg_analysis* a = NULL;
  tg_model_set_keep_gradients(m, true); /* the report reads every value and gradient */
  if (tg_model_compute_gradients(m, x, TG_SEED_ROWS, y, &loss) != TG_OK) {
    fprintf(stderr, "seed_keras: %s\n", tg_model_message(m));
    rc = 1;
  } else if ((a = tg_analysis_new(tg_model_tape(m), 1e-6f, &err)) == NULL ||
             tg_report_write_text(a, stdout, &err) != TG_OK) {
    fprintf(stderr, "seed_keras: %s\n", err.message);
    rc = 1;
  }
  tg_analysis_free(a);
  tg_model_free(m);
  return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
