/* ops/sigmoid.c — y = 1 / (1 + exp(-x));  dx += dy * y * (1 - y). */
#include <math.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

TG_VECTOR_CLONES static void sigmoid_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  /* Two branches so exp never overflows. */
  for (int64_t i = begin; i < end; ++i) {
    if (x[i] >= 0.0f) {
      y[i] = 1.0f / (1.0f + expf(-x[i]));
    } else {
      float e = expf(x[i]);
      y[i] = e / (1.0f + e);
    }
  }
}

TG_VECTOR_CLONES static void sigmoid_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* y = n->out->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) gx[i] += gy[i] * y[i] * (1.0f - y[i]);
}

const tg_op_def tg_op_sigmoid = {.name = "sigmoid",
                                 .backward_reads = TG_READS_OUTPUT,
                                 .arity = 1,
                                 .shape = tg_same_shape_rule,
                                 .forward_range = sigmoid_forward,
                                 .backward_range = sigmoid_backward};

tg_tensor* tg_sigmoid(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_sigmoid, &x, 1, NULL);
}
