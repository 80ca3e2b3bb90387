/* ops/log.c — y = log(x);  dx += dy / x.
 * IEEE results outside the domain, as C's logf: log(0) = -inf, log(x < 0) = NaN (not
 * errors: the data decides, and a NaN is visible in the output). */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

static void log_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = logf(x[i]);
}

static void log_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += gy[i] / x[i];
}

const tg_op_def tg_op_log = {.name = "log",
                             .arity = 1,
                             .shape = tg_same_shape_rule,
                             .forward = log_forward,
                             .backward = log_backward,
                             .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_log(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_log, &x, 1, NULL); }
