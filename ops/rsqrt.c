/* ops/rsqrt.c — y = 1 / sqrt(x);  dx += dy * (-y^3 / 2).
 * IEEE results outside the domain: rsqrt(0) = +inf, rsqrt(x < 0) = NaN. */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

static void rsqrt_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = 1.0f / sqrtf(x[i]);
}

static void rsqrt_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* y = n->out->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += gy[i] * (-0.5f * y[i] * y[i] * y[i]);
}

const tg_op_def tg_op_rsqrt = {.name = "rsqrt",
                               .arity = 1,
                               .shape = tg_same_shape_rule,
                               .forward = rsqrt_forward,
                               .backward = rsqrt_backward,
                               .backward_reads = TG_READS_OUTPUT};

tg_tensor* tg_rsqrt(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_rsqrt, &x, 1, NULL);
}
