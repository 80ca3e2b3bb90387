/* ops/square.c — y = x^2;  dx += dy * 2x. */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

static void square_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = x[i] * x[i];
}

static void square_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += gy[i] * 2.0f * x[i];
}

const tg_op_def tg_op_square = {.name = "square",
                                .arity = 1,
                                .shape = tg_same_shape_rule,
                                .forward = square_forward,
                                .backward = square_backward};

tg_tensor* tg_square(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_square, &x, 1, NULL);
}
