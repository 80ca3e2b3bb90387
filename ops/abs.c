/* ops/abs.c — y = |x|;  dx += dy * sign(x).
 * The gradient at x = 0 is 0 (sign(0) = 0, as PyTorch and TensorFlow). */
#include <math.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

TG_VECTOR_CLONES static void abs_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = fabsf(x[i]);
}

TG_VECTOR_CLONES static void abs_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i)
    gx[i] += x[i] > 0.0f ? gy[i] : (x[i] < 0.0f ? -gy[i] : 0.0f);
}

const tg_op_def tg_op_abs = {.name = "abs",
                             .arity = 1,
                             .shape = tg_same_shape_rule,
                             .forward_range = abs_forward,
                             .backward_range = abs_backward,
                             .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_abs(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_abs, &x, 1, NULL); }
