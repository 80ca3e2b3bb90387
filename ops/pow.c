/* ops/pow.c — y = x^p for a constant exponent p;  dx += dy * p x^(p-1).
 * IEEE results as C's powf (a negative x with a non-integer p gives NaN). p = 0
 * gives y = 1 and a zero gradient everywhere (also at x = 0, where p x^(p-1) would
 * be 0 * inf), as PyTorch. The exponent must be finite. */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

typedef struct pow_params {
  float exponent;
} pow_params;

static float exponent_of(const tg_node* n) {
  pow_params p;
  tg_node_params(n, &p, sizeof p);
  return p.exponent;
}

static int pow_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "exponent=%g", (double)exponent_of(n));
}

static tg_status pow_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  if (!isfinite(exponent_of(n))) {
    snprintf(msg, cap, "exponent %g is not finite", (double)exponent_of(n));
    return TG_ERR_ARG;
  }
  return tg_same_shape_rule(n, rank, shape, msg, cap);
}

static void pow_forward(tg_node* n) {
  const float p = exponent_of(n);
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = powf(x[i], p);
}

static void pow_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float p = exponent_of(n);
  if (p == 0.0f) return; /* y is the constant 1 */
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += gy[i] * p * powf(x[i], p - 1.0f);
}

const tg_op_def tg_op_pow = {.name = "pow",
                             .arity = 1,
                             .shape = pow_shape,
                             .forward = pow_forward,
                             .backward = pow_backward,
                             .params_size = sizeof(pow_params),
                             .describe = pow_describe};

tg_tensor* tg_pow(tg_tape* t, tg_tensor* x, float exponent) {
  pow_params p = {.exponent = exponent};
  return tg_tape_apply(t, &tg_op_pow, &x, 1, &p);
}
