/* frontends/rmsprop.c — Keras' RMSprop.
 *   a = rho·a + (1 - rho)·g²;   w -= lr·g / (sqrt(a) + epsilon)
 * State block: a[n]. */
#include <math.h>

#include "frontends/internal/optimizer_impl.h"

void tg_rmsprop_range(tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g, int64_t i0,
                      int64_t i1) {
  const float lr = c->lr;
  const float rho = o->opt.rho, eps = o->opt.epsilon;
  float* a = o->state;
  for (int64_t i = i0; i < i1; ++i) {
    a[i] = rho * a[i] + (1.0f - rho) * (g[i] * g[i]);
    w[i] -= lr * g[i] / (sqrtf(a[i]) + eps);
  }
}
