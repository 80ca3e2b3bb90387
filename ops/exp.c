/* ops/exp.c — y = exp(x);  dx += dy * y. */
#include <math.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

TG_VECTOR_CLONES static void exp_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = expf(x[i]);
}

TG_VECTOR_CLONES static void exp_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* y = n->out->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) gx[i] += gy[i] * y[i];
}

const tg_op_def tg_op_exp = {.name = "exp",
                             .arity = 1,
                             .shape = tg_same_shape_rule,
                             .forward_range = exp_forward,
                             .backward_range = exp_backward,
                             .backward_reads = TG_READS_OUTPUT};

tg_tensor* tg_exp(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_exp, &x, 1, NULL); }
