/* frontends/adamw.c — Keras' AdamW: decoupled weight decay, then Adam.
 *   w -= lr' * weight_decay * w;   then the Adam step (adam.c) on the same state
 * The decay uses the parameter before the step and no gradient, so it shrinks every
 * weight alike whatever its gradient's scale (the point of decoupling it). */
#include "frontends/internal/optimizer_impl.h"

void tg_adamw_step(tg_optimizer* o, float* w, const float* g) {
  const float shrink = (float)(tg_opt_decayed_lr(o) * (double)o->opt.weight_decay);
  for (int64_t i = 0; i < o->n; ++i) w[i] -= w[i] * shrink;
  tg_adam_range(o, w, g, tg_adam_lr_t(o), 0, o->n);
}
