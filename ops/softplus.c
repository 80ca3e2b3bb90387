/* ops/softplus.c — y = log(1 + exp(x));  dx += dy * sigmoid(x).
 * Computed as max(x, 0) + log1p(exp(-|x|)): exp never overflows and log1p keeps the
 * small tail exact, so softplus(100) = 100 and softplus(-100) = exp(-100) ~ 3.7e-44
 * (a float32 subnormal), not inf or 0. */
#include <math.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

TG_VECTOR_CLONES static void softplus_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = fmaxf(x[i], 0.0f) + log1pf(expf(-fabsf(x[i])));
}

/* sigmoid(x) in the two branches that never overflow (as ops/sigmoid.c). */
static float stable_sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

TG_VECTOR_CLONES static void softplus_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) gx[i] += gy[i] * stable_sigmoid(x[i]);
}

const tg_op_def tg_op_softplus = {.name = "softplus",
                                  .arity = 1,
                                  .shape = tg_same_shape_rule,
                                  .forward_range = softplus_forward,
                                  .backward_range = softplus_backward,
                                  .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_softplus(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_softplus, &x, 1, NULL);
}
