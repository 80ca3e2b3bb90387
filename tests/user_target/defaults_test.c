/* A user's program in this workspace that calls POSIX clock_gettime with no feature
 * macro: it compiles only when the workspace does not force -std=c11 on everyone. */
#include <stdio.h>
#include <time.h>

#include "core/version.h"
#include "frontends/model.h"

int main(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 1;
  tg_error err = {0};
  tg_model_options mo = {.input_dim = 3, .seed = 1};
  tg_model* m = tg_sequential_new(&mo, &err);
  if (m == NULL) return 1;
  tg_model_free(m);
  printf("tapegrad %s from a target with default flags\n", tg_version());
  return 0;
}
