/* ops/abs.c — y = |x|;  dx += dy * sign(x).
 * The gradient at x = 0 is 0 (sign(0) = 0, as PyTorch and TensorFlow). */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

static void abs_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = fabsf(x[i]);
}

static void abs_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i)
    gx[i] += x[i] > 0.0f ? gy[i] : (x[i] < 0.0f ? -gy[i] : 0.0f);
}

const tg_op_def tg_op_abs = {.name = "abs",
                             .arity = 1,
                             .shape = tg_same_shape_rule,
                             .forward = abs_forward,
                             .backward = abs_backward};

tg_tensor* tg_abs(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_abs, &x, 1, NULL); }
