/* frontends/adamw.c — Keras' AdamW: decoupled weight decay, then Adam.
 *   w -= lr' * weight_decay * w;   then the Adam step (adam.c) on the same state
 * The decay uses the parameter before the step and no gradient, so it shrinks every
 * weight alike whatever its gradient's scale (the point of decoupling it). */
#include "frontends/internal/optimizer_impl.h"

void tg_adamw_range(tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g, int64_t i0,
                    int64_t i1) {
  const float shrink = c->shrink;
  for (int64_t i = i0; i < i1; ++i) w[i] -= w[i] * shrink;
  tg_adam_range(o, w, g, c->lr_t, i0, i1);
}
