/* examples/fit.c — the Keras workflow in C: build a Sequential model, print its
 * summary, fit it with Keras-like progress lines, evaluate and predict.
 *
 *   bazel run //examples:fit
 *
 * The data are the seed story's: x[i] = i/10, y[i] = [0.1, 0.01 i], with Keras'
 * default initializers, so the network fits.
 */
#include <stdio.h>

#include "frontends/model.h"

int main(void) {
  float x[10], y[20];
  for (int i = 0; i < 10; ++i) {
    x[i] = (float)i / 10.0f;
    y[2 * i] = 0.1f;
    y[2 * i + 1] = 0.01f * (float)i;
  }

  tg_error err = {0};
  tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = 1, .seed = 1}, &err);
  if (m == NULL) {
    fprintf(stderr, "fit: %s\n", err.message);
    return 1;
  }
  tg_status st = tg_model_add_dense(m, (tg_dense_options){.units = 16, .activation = TG_ACT_RELU});
  if (st == TG_OK) st = tg_model_add_dense(m, (tg_dense_options){.units = 16, .activation = TG_ACT_RELU});
  if (st == TG_OK) st = tg_model_add_dense(m, (tg_dense_options){.units = 2});
  /* Zero option fields are Keras' defaults: this is Adam(lr=0.001, epsilon=1e-8). */
  if (st == TG_OK)
    st = tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE},
                          &(tg_optimizer_options){.kind = TG_OPT_ADAM, .epsilon = 1e-8f});
  if (st == TG_OK) st = tg_model_summary(m, stdout);

  /* 1000 epochs of one full batch; show the progress bar of the last few epochs. */
  if (st == TG_OK)
    st = tg_model_fit(m, x, 10, y, &(tg_fit_options){.epochs = 997, .batch_size = 10});
  if (st == TG_OK)
    st = tg_model_fit(m, x, 10, y,
                      &(tg_fit_options){.epochs = 3, .batch_size = 10, .verbose = 1, .out = stdout});

  float loss = 0.0f, pred[20];
  if (st == TG_OK) st = tg_model_evaluate(m, x, 10, y, &loss);
  if (st == TG_OK) st = tg_model_predict(m, x, 10, pred, 20);
  if (st != TG_OK) {
    fprintf(stderr, "fit: %s\n", tg_model_message(m));
    tg_model_free(m);
    return 1;
  }
  printf("evaluate: loss %.4e\npredict:\n", loss);
  for (int i = 0; i < 10; ++i) printf("  [%.6f, %.6f]\n", pred[2 * i], pred[2 * i + 1]);
  tg_model_free(m);
  return 0;
}
