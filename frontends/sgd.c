/* frontends/sgd.c — Keras' SGD with momentum and Nesterov momentum.
 *   vel = momentum·vel - lr·g;   w += vel               (plain / momentum)
 *                                w += momentum·vel - lr·g   (nesterov)
 * State block: vel[n]. */
#include "frontends/internal/optimizer_impl.h"

void tg_sgd_range(tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g, int64_t i0,
                  int64_t i1) {
  const float lr = c->lr;
  const float mu = o->opt.momentum;
  const bool nesterov = o->opt.nesterov;
  float* vel = o->state;
  for (int64_t i = i0; i < i1; ++i) {
    vel[i] = mu * vel[i] - lr * g[i];
    w[i] += nesterov ? mu * vel[i] - lr * g[i] : vel[i];
  }
}
