/* ops/relu.c — y = max(x, 0), NaN kept;  dx += dy * (x > 0).
 * The derivative at exactly 0 is 0, as in TensorFlow and PyTorch: a network whose
 * weights are all zero therefore gets exactly zero hidden gradients (the seed story).
 * A NaN input stays NaN (as in PyTorch): a diverged network shows NaN in its
 * outputs and loss instead of zeros that look like dead units.
 */
#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

static void relu_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = x[i] > 0.0f || x[i] != x[i] ? x[i] : 0.0f;
}

static void relu_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  /* gy is loaded whatever x is, so the select vectorises (a conditional load
   * kept this loop scalar, with a mispredicted branch per element). */
  for (int64_t i = 0; i < n->out->size; ++i) {
    const float g = gy[i];
    gx[i] += x[i] > 0.0f ? g : 0.0f;
  }
}

const tg_op_def tg_op_relu = {.name = "relu",
                              .arity = 1,
                              .shape = tg_same_shape_rule,
                              .forward = relu_forward,
                              .backward = relu_backward};

tg_tensor* tg_relu(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_relu, &x, 1, NULL); }
