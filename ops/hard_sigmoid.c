/* ops/hard_sigmoid.c — y = max(0, min(1, x/6 + 1/2)), Keras 3's definition
 * (relu6(x + 3) / 6; Keras 2 used 0.2 x + 0.5, which this is not).
 * dx += dy / 6 strictly inside (-3, 3), 0 outside and at the two kinks (as Keras'
 * relu6 gradient and PyTorch's hardsigmoid). */
#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

TG_VECTOR_CLONES static void hard_sigmoid_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) {
    /* relu6(x + 3) / 6 as Keras computes it (the same roundings); comparisons
     * written so a NaN falls through (NaN in, NaN out). */
    const float v = x[i] + 3.0f;
    y[i] = (v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v)) / 6.0f;
  }
}

TG_VECTOR_CLONES static void hard_sigmoid_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i)
    gx[i] += (x[i] > -3.0f && x[i] < 3.0f) ? gy[i] / 6.0f : 0.0f;
}

const tg_op_def tg_op_hard_sigmoid = {.name = "hard_sigmoid",
                                      .arity = 1,
                                      .shape = tg_same_shape_rule,
                                      .forward_range = hard_sigmoid_forward,
                                      .backward_range = hard_sigmoid_backward,
                                      .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_hard_sigmoid(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_hard_sigmoid, &x, 1, NULL);
}
