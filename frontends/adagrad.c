/* frontends/adagrad.c — Keras' Adagrad.
 *   a += g²;   w -= lr' g / sqrt(a + epsilon)
 * a starts at initial_accumulator_value (0.1). State block: a[n]. */
#include <math.h>

#include "frontends/internal/optimizer_impl.h"

void tg_adagrad_range(tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g, int64_t i0,
                      int64_t i1) {
  const float lr = c->lr;
  const float eps = o->opt.epsilon;
  float* a = o->state;
  for (int64_t i = i0; i < i1; ++i) {
    a[i] += g[i] * g[i];
    w[i] -= lr * g[i] / sqrtf(a[i] + eps);
  }
}
