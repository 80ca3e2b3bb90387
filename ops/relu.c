/* ops/relu.c — y = max(x, 0), NaN kept;  dx += dy * (y > 0).
 * The backward reads y, not x (y > 0 exactly when x > 0, NaN and -0 included), so
 * the value before the activation (a bias add's output) is dead after the forward
 * and the tape can lend its buffer to gradients (core/op.h, backward_reads).
 * The derivative at exactly 0 is 0, as in TensorFlow and PyTorch: a network whose
 * weights are all zero therefore gets exactly zero hidden gradients (the seed story).
 * A NaN input stays NaN (as in PyTorch): a diverged network shows NaN in its
 * outputs and loss instead of zeros that look like dead units.
 */
#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

/* The loops take restrict parameters (GCC trusts those, not restrict locals loaded
 * from the node) and are built for AVX2/AVX-512 too: a chain of the tape's plan
 * calls them once per tile. */
static inline __attribute__((always_inline)) void relu_run(float* restrict y,
                                                           const float* restrict x, int64_t n) {
  /* x <= 0 is false for NaN (kept) and true for -0 (which becomes +0): one compare. */
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] <= 0.0f ? 0.0f : x[i];
}

/* gy is loaded whatever y is, so the select vectorises (a conditional load kept
 * this loop scalar, with a mispredicted branch per element). */
static inline __attribute__((always_inline)) void relu_grad_run(float* restrict gx,
                                                                const float* restrict y,
                                                                const float* restrict gy,
                                                                int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gy[i];
    gx[i] += y[i] > 0.0f ? g : 0.0f;
  }
}

TG_VECTOR_CLONES static void relu_forward(tg_node* n, int64_t begin, int64_t end) {
  relu_run(n->out->data + begin, n->in[0]->data + begin, end - begin);
}

TG_VECTOR_CLONES static void relu_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  relu_grad_run(gx + begin, n->out->data + begin, n->out->grad + begin, end - begin);
}

const tg_op_def tg_op_relu = {.name = "relu",
                              .backward_reads = TG_READS_OUTPUT,
                              .arity = 1,
                              .shape = tg_same_shape_rule,
                              .forward_range = relu_forward,
                              .backward_range = relu_backward};

tg_tensor* tg_relu(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_relu, &x, 1, NULL); }
