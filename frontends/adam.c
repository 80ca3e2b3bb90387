/* frontends/adam.c — Keras' Adam (see optimizers.h for the rule and how it differs
 * from PyTorch's placement of epsilon). State block: m[n], v[n] (, v_hat[n]). */
#include <float.h>
#include <math.h>

#include "core/vector_clones.h"
#include "frontends/internal/optimizer_impl.h"

/* Adam's update of n elements (restrict parameters, which GCC trusts, unlike restrict
 * locals: no overlap checks before the loop). */
static inline __attribute__((always_inline)) void adam_run(float* restrict w,
                                                           const float* restrict g,
                                                           float* restrict m, float* restrict v,
                                                           int64_t n, float b1, float b2, float eps,
                                                           float lr_t) {
  for (int64_t i = 0; i < n; ++i) {
    const float mi = b1 * m[i] + (1.0f - b1) * g[i];
    const float vi = b2 * v[i] + (1.0f - b2) * (g[i] * g[i]);
    m[i] = fabsf(mi) < FLT_MIN ? 0.0f : mi;
    v[i] = vi < FLT_MIN ? 0.0f : vi;
    w[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps);
  }
}

/* The update of elements [i0, i1) with the step size lr_t; each element's update
 * reads and writes only its own w, m, v (, v_hat), so ranges can run on different
 * threads and give the same bits as one pass. */
TG_VECTOR_CLONES void tg_adam_range(tg_optimizer* o, float* w, const float* g, float lr_t,
                                    int64_t i0, int64_t i1) {
  const tg_optimizer_options* p = &o->opt;
  const int64_t n = o->n;
  const float b1 = p->beta_1, b2 = p->beta_2, eps = p->epsilon;
  float* restrict m = o->state;
  float* restrict v = o->state + n;
  float* restrict wr = w;
  const float* restrict gr = g;
  /* Two loops rather than one with a branch, so each is a single vectorised pass
   * over the block (restrict: the blocks never overlap). */
  /* A moment whose gradient stays 0 (a dead unit) decays into the subnormal range
   * and sticks there: 0.9 * m rounds back to m for the smallest subnormals. Every
   * step would then take the CPU's slow subnormal path (it made the seed's whole
   * step 2x slower), so moments below FLT_MIN become 0, as TensorFlow's
   * flush-to-zero makes them; the update such a moment gives is far below any
   * weight's last bit anyway. */
  if (!p->amsgrad) {
    adam_run(wr + i0, gr + i0, m + i0, v + i0, i1 - i0, b1, b2, eps, lr_t);
    return;
  }
  float* restrict v_hat = o->state + 2 * n; /* the largest v seen so far */
  for (int64_t i = i0; i < i1; ++i) {
    const float mi = b1 * m[i] + (1.0f - b1) * gr[i];
    const float vi = b2 * v[i] + (1.0f - b2) * (gr[i] * gr[i]);
    m[i] = fabsf(mi) < FLT_MIN ? 0.0f : mi;
    v[i] = vi < FLT_MIN ? 0.0f : vi;
    v_hat[i] = v_hat[i] < v[i] ? v[i] : v_hat[i];
    wr[i] -= lr_t * m[i] / (sqrtf(v_hat[i]) + eps);
  }
}

float tg_adam_lr_t(const tg_optimizer* o) {
  const tg_optimizer_options* p = &o->opt;
  const double t = (double)(o->iterations + 1);
  /* Both bias corrections folded into the step size, as Keras does. */
  return (float)(tg_opt_decayed_lr(o) * sqrt(1.0 - pow(p->beta_2, t)) / (1.0 - pow(p->beta_1, t)));
}
