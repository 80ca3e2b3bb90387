/* ops/leaky_relu.c — y = x > 0 ? x : alpha x;  dx += dy * (x > 0 ? 1 : alpha).
 * alpha has no default here (Keras 3's LeakyReLU uses 0.3, PyTorch 0.01): pass it.
 * At x = 0 the gradient is alpha (the negative side, as relu'(0) = 0). */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

typedef struct leaky_relu_params {
  float alpha;
} leaky_relu_params;

static float alpha_of(const tg_node* n) {
  leaky_relu_params p;
  tg_node_params(n, &p, sizeof p);
  return p.alpha;
}

static int leaky_relu_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "alpha=%g", (double)alpha_of(n));
}

static tg_status leaky_relu_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                  size_t cap) {
  if (!isfinite(alpha_of(n))) {
    snprintf(msg, cap, "alpha %g is not finite", (double)alpha_of(n));
    return TG_ERR_ARG;
  }
  return tg_same_shape_rule(n, rank, shape, msg, cap);
}

TG_VECTOR_CLONES static void leaky_relu_forward(tg_node* n, int64_t begin, int64_t end) {
  const float alpha = alpha_of(n);
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
}

TG_VECTOR_CLONES static void leaky_relu_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float alpha = alpha_of(n);
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) gx[i] += x[i] > 0.0f ? gy[i] : alpha * gy[i];
}

const tg_op_def tg_op_leaky_relu = {.name = "leaky_relu",
                                    .arity = 1,
                                    .shape = leaky_relu_shape,
                                    .forward_range = leaky_relu_forward,
                                    .backward_range = leaky_relu_backward,
                                    .params_size = sizeof(leaky_relu_params),
                                    .describe = leaky_relu_describe,
                                    .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_leaky_relu(tg_tape* t, tg_tensor* x, float alpha) {
  leaky_relu_params p = {.alpha = alpha};
  return tg_tape_apply(t, &tg_op_leaky_relu, &x, 1, &p);
}
