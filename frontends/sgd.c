/* frontends/sgd.c — Keras' SGD with momentum and Nesterov momentum.
 *   vel = momentum·vel - lr·g;   w += vel               (plain / momentum)
 *                                w += momentum·vel - lr·g   (nesterov)
 * State block: vel[n]. */
#include "frontends/internal/optimizer_impl.h"

void tg_sgd_step(tg_optimizer* o, float* w, const float* g) {
  const float lr = (float)tg_opt_decayed_lr(o);
  const float mu = o->opt.momentum;
  const bool nesterov = o->opt.nesterov;
  float* vel = o->state;
  for (int64_t i = 0; i < o->n; ++i) {
    vel[i] = mu * vel[i] - lr * g[i];
    w[i] += nesterov ? mu * vel[i] - lr * g[i] : vel[i];
  }
}
