/* ops/tanh.c — y = tanh(x);  dx += dy * (1 - y²). */
#include <math.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

TG_VECTOR_CLONES static void tanh_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = tanhf(x[i]);
}

TG_VECTOR_CLONES static void tanh_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* y = n->out->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) gx[i] += gy[i] * (1.0f - y[i] * y[i]);
}

const tg_op_def tg_op_tanh = {.name = "tanh",
                              .backward_reads = TG_READS_OUTPUT,
                              .arity = 1,
                              .shape = tg_same_shape_rule,
                              .forward_range = tanh_forward,
                              .backward_range = tanh_backward};

tg_tensor* tg_tanh(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_tanh, &x, 1, NULL); }
