/* ops/square.c — y = x^2;  dx += dy * 2x. */
#include <math.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

TG_VECTOR_CLONES static void square_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = x[i] * x[i];
}

TG_VECTOR_CLONES static void square_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) gx[i] += gy[i] * 2.0f * x[i];
}

const tg_op_def tg_op_square = {.name = "square",
                                .arity = 1,
                                .shape = tg_same_shape_rule,
                                .forward_range = square_forward,
                                .backward_range = square_backward,
                                .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_square(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_square, &x, 1, NULL);
}
