/* ops/reciprocal.c — y = 1 / x;  dx += dy * (-y^2).
 * IEEE results: 1/0 = inf. */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

static void reciprocal_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = 1.0f / x[i];
}

static void reciprocal_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* y = n->out->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += gy[i] * (-y[i] * y[i]);
}

const tg_op_def tg_op_reciprocal = {.name = "reciprocal",
                                    .arity = 1,
                                    .shape = tg_same_shape_rule,
                                    .forward = reciprocal_forward,
                                    .backward = reciprocal_backward,
                                    .backward_reads = TG_READS_OUTPUT};

tg_tensor* tg_reciprocal(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_reciprocal, &x, 1, NULL);
}
