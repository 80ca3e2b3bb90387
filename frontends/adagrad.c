/* frontends/adagrad.c — Keras' Adagrad.
 *   a += g²;   w -= lr' g / sqrt(a + epsilon)
 * a starts at initial_accumulator_value (0.1). State block: a[n]. */
#include <math.h>

#include "frontends/internal/optimizer_impl.h"

void tg_adagrad_step(tg_optimizer* o, float* w, const float* g) {
  const float lr = (float)tg_opt_decayed_lr(o);
  const float eps = o->opt.epsilon;
  float* a = o->state;
  for (int64_t i = 0; i < o->n; ++i) {
    a[i] += g[i] * g[i];
    w[i] -= lr * g[i] / sqrtf(a[i] + eps);
  }
}
