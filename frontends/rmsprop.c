/* frontends/rmsprop.c — Keras' RMSprop.
 *   a = rho·a + (1 - rho)·g²;   w -= lr·g / (sqrt(a) + epsilon)
 * State block: a[n]. */
#include <math.h>

#include "frontends/internal/optimizer_impl.h"

void tg_rmsprop_step(tg_optimizer* o, float* w, const float* g) {
  const float lr = (float)tg_opt_decayed_lr(o);
  const float rho = o->opt.rho, eps = o->opt.epsilon;
  float* a = o->state;
  for (int64_t i = 0; i < o->n; ++i) {
    a[i] = rho * a[i] + (1.0f - rho) * (g[i] * g[i]);
    w[i] -= lr * g[i] / (sqrtf(a[i]) + eps);
  }
}
