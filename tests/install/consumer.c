/* consumer.c — a program outside Bazel that uses the installed tapegrad: trains the
 * seed's network shape for a few steps and checks the version it was built against is
 * the one it runs with. Built with the compiler's defaults (gnu17), so a call such as
 * clock_gettime needs nothing special. Exit status 0 on success. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tapegrad.h"

int main(void) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (strcmp(tg_version(), TG_VERSION_STRING) != 0 || tg_version_major() != TG_VERSION_MAJOR) {
    fprintf(stderr, "built against %s, running %s\n", TG_VERSION_STRING, tg_version());
    return 1;
  }
  tg_error err = {0};
  tg_model_options mo = {.input_dim = 1, .seed = 1};
  tg_model* m = tg_sequential_new(&mo, &err);
  if (m == NULL) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  tg_model_add_dense(m, (tg_dense_options){.units = 16, .activation = TG_ACT_RELU});
  tg_model_add_dense(m, (tg_dense_options){.units = 2});
  tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE},
                   &(tg_optimizer_options){.kind = TG_OPT_ADAM, .epsilon = 1e-8f});
  float x[10], y[20];
  for (int i = 0; i < 10; ++i) {
    x[i] = (float)i / 10.0f;
    y[2 * i] = 0.1f;
    y[2 * i + 1] = 0.01f * (float)i;
  }
  float first = 0.0f, loss = 0.0f;
  for (int step = 0; step < 200; ++step) {
    if (tg_model_train_on_batch(m, x, 10, y, &loss) != TG_OK) {
      fprintf(stderr, "%s\n", tg_model_message(m));
      return 1;
    }
    if (step == 0) first = loss;
  }
  tg_model_free(m);
  printf("tapegrad %s: loss %.4g -> %.4g\n", tg_version(), first, loss);
  return loss < first ? 0 : 1;
}
