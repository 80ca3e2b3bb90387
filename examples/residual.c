/* examples/residual.c — a functional model with a skip connection and a shared layer:
 *
 *   x = Input(4)
 *   h = Dense(8, relu)(x)
 *   shared = Dense(8, relu)            # one kernel and bias, applied twice
 *   s1 = Add()([h, shared(h)])         # skip connection around the first use
 *   s2 = Add()([s1, shared(s1)])       # and around the second
 *   y = Dense(1)(s2)
 *
 * Trained with Adam on y = x0 - x1 + 0.5 x2 x3; prints Keras' summary (with "Connected
 * to": shared's two applications are dense_2[0][0] and dense_2[1][0]) and writes the
 * gradient graph residual.dot (and residual.svg with Graphviz) into the directory given
 * as the first argument or the one `bazel run` started from.
 *
 *   bazel run //examples:residual
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "frontends/model.h"
#include "tools/dot_export.h"
#include "tools/render.h"

enum { kRows = 64, kSteps = 300 };

int main(int argc, char** argv) {
  float x[kRows * 4], y[kRows];
  tg_rng rng;
  tg_rng_seed(&rng, 2);
  for (int i = 0; i < kRows; ++i) {
    for (int k = 0; k < 4; ++k) x[4 * i + k] = 2.0f * tg_rng_uniform(&rng) - 1.0f;
    y[i] = x[4 * i] - x[4 * i + 1] + 0.5f * x[4 * i + 2] * x[4 * i + 3];
  }
  tg_error err = {0};
  tg_model* m = tg_functional_new(&(tg_model_options){.seed = 3}, &err);
  if (m == NULL) {
    fprintf(stderr, "residual: %s\n", err.message);
    return EXIT_FAILURE;
  }
  const tg_dense_options relu8 = {.units = 8, .activation = TG_ACT_RELU};
  tg_sym in = tg_model_input(m, 1, (const int64_t[]){4});
  tg_sym h = tg_model_call1(m, tg_model_dense(m, relu8), in);
  tg_layer* shared = tg_model_dense(m, relu8);
  tg_sym s1 =
      tg_model_call(m, tg_model_merge_add(m), (tg_sym[]){h, tg_model_call1(m, shared, h)}, 2);
  tg_sym s2 =
      tg_model_call(m, tg_model_merge_add(m), (tg_sym[]){s1, tg_model_call1(m, shared, s1)}, 2);
  tg_sym out = tg_model_call1(m, tg_model_dense(m, (tg_dense_options){.units = 1}), s2);
  tg_status st = tg_model_set_io(m, &in, 1, out);
  if (st == TG_OK)
    st = tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE},
                          &(tg_optimizer_options){.kind = TG_OPT_ADAM, .lr = 0.01f});
  float loss = 0.0f, first = 0.0f;
  for (int s = 0; s < kSteps && st == TG_OK; ++s) {
    /* The last step keeps every value and gradient for the picture (the same
     * numbers; the steps before share memory by liveness). */
    if (s == kSteps - 1) tg_model_set_keep_gradients(m, true);
    st = tg_model_train_on_batch(m, x, kRows, y, &loss);
    if (s == 0) first = loss;
  }
  if (st != TG_OK) {
    fprintf(stderr, "residual: %s\n", tg_model_message(m));
    tg_model_free(m);
    return EXIT_FAILURE;
  }
  tg_model_summary(m, stdout);
  printf("loss: %.4e after the first step, %.4e after %d\n", first, loss, kSteps);

  const char* dir = argc > 1 && argv[1][0] != '\0' ? argv[1] : ".";
  const char* wd = getenv("BUILD_WORKING_DIRECTORY");
  char dot[4096], svg[4096];
  if (dir[0] != '/' && wd != NULL && wd[0] != '\0')
    snprintf(dot, sizeof dot, "%s/%s/residual.dot", wd, dir);
  else
    snprintf(dot, sizeof dot, "%s/residual.dot", dir);
  snprintf(svg, sizeof svg, "%.4090s", dot);
  snprintf(svg + strlen(svg) - 3, 4, "svg");
  /* The last training step's tape: forward, backward and gradients in place. */
  const tg_dot_options opt = {.backward = true, .tolerance = 1e-6f, .title = "residual MLP"};
  st = tg_dot_save(tg_model_tape(m), &opt, dot, &err);
  if (st == TG_OK && tg_dot_available()) st = tg_dot_render(dot, "svg", svg, &err);
  if (st != TG_OK)
    fprintf(stderr, "residual: %s\n", err.message);
  else
    printf("wrote %s%s\n", dot, tg_dot_available() ? " and the .svg beside it" : "");
  tg_model_free(m);
  return st == TG_OK && loss < first ? EXIT_SUCCESS : EXIT_FAILURE;
}
