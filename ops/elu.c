/* ops/elu.c — y = x > 0 ? x : alpha (exp(x) - 1);  dx += dy * (x > 0 ? 1 : alpha exp(x)).
 * Keras and PyTorch default alpha to 1.0; here it is always passed. expm1 keeps
 * small negative inputs exact. At x = 0 the gradient is alpha (the negative side). */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

typedef struct elu_params {
  float alpha;
} elu_params;

static float alpha_of(const tg_node* n) {
  elu_params p;
  tg_node_params(n, &p, sizeof p);
  return p.alpha;
}

static int elu_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "alpha=%g", (double)alpha_of(n));
}

static tg_status elu_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  if (!isfinite(alpha_of(n))) {
    snprintf(msg, cap, "alpha %g is not finite", (double)alpha_of(n));
    return TG_ERR_ARG;
  }
  return tg_same_shape_rule(n, rank, shape, msg, cap);
}

TG_VECTOR_CLONES static void elu_forward(tg_node* n, int64_t begin, int64_t end) {
  const float alpha = alpha_of(n);
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = x[i] > 0.0f ? x[i] : alpha * expm1f(x[i]);
}

TG_VECTOR_CLONES static void elu_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float alpha = alpha_of(n);
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) gx[i] += x[i] > 0.0f ? gy[i] : gy[i] * alpha * expf(x[i]);
}

const tg_op_def tg_op_elu = {.name = "elu",
                             .arity = 1,
                             .shape = elu_shape,
                             .forward_range = elu_forward,
                             .backward_range = elu_backward,
                             .params_size = sizeof(elu_params),
                             .describe = elu_describe,
                             .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_elu(tg_tape* t, tg_tensor* x, float alpha) {
  elu_params p = {.alpha = alpha};
  return tg_tape_apply(t, &tg_op_elu, &x, 1, &p);
}
