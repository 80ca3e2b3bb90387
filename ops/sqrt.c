/* ops/sqrt.c — y = sqrt(x);  dx += dy / (2 y).
 * IEEE results outside the domain: sqrt(x < 0) = NaN; at x = 0 the gradient is +inf. */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

static void sqrt_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = sqrtf(x[i]);
}

static void sqrt_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* y = n->out->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += gy[i] * 0.5f / y[i];
}

const tg_op_def tg_op_sqrt = {.name = "sqrt",
                              .arity = 1,
                              .shape = tg_same_shape_rule,
                              .forward = sqrt_forward,
                              .backward = sqrt_backward,
                              .backward_reads = TG_READS_OUTPUT};

tg_tensor* tg_sqrt(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_sqrt, &x, 1, NULL); }
