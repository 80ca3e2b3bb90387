/* ops/log_softmax.c — y = log(softmax(x)) along one axis (negative counts from the
 * end): y_j = (x_j - m) - log Σ_k exp(x_k - m) with m the lane max, so large inputs
 * neither overflow nor lose the small entries: log_softmax([100, 0]) = [0, -100],
 * where log(softmax(.)) would give [0, log(0) = -inf].
 * Backward: dx_j += dy_j - exp(y_j) Σ_k dy_k   per lane along the axis.
 */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/along_axis.h"
#include "ops/ops.h"

typedef struct log_softmax_params {
  int axis; /* as given; resolved against the input's rank */
} log_softmax_params;

static tg_axis_split split_of(const tg_node* n) {
  log_softmax_params p;
  tg_node_params(n, &p, sizeof p);
  return tg_axis_split_of(n->in[0], p.axis); /* the shape rule checked it */
}

static int log_softmax_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "axis=%d", split_of(n).axis);
}

static tg_status log_softmax_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                   size_t cap) {
  const tg_tensor* x = n->in[0];
  log_softmax_params p;
  tg_node_params(n, &p, sizeof p);
  tg_status st = tg_axis_check(x, p.axis, msg, cap);
  if (st != TG_OK) return st;
  *rank = x->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = x->shape[d];
  return TG_OK;
}

static void log_softmax_forward(tg_node* n) {
  const tg_axis_split s = split_of(n);
  const int64_t c = s.n, st = s.inner;
  if (c == 0 || n->out->size == 0) return;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < st; ++i) {
      const float* x = n->in[0]->data + o * c * st + i;
      float* y = n->out->data + o * c * st + i;
      float m = x[0];
      for (int64_t j = 1; j < c; ++j) m = x[j * st] > m ? x[j * st] : m;
      double sum = 0.0;
      for (int64_t j = 0; j < c; ++j) sum += expf(x[j * st] - m);
      const float log_sum = (float)log(sum);
      for (int64_t j = 0; j < c; ++j) y[j * st] = (x[j * st] - m) - log_sum;
    }
}

static void log_softmax_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const tg_axis_split s = split_of(n);
  const int64_t c = s.n, st = s.inner;
  if (c == 0 || n->out->size == 0) return;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < st; ++i) {
      const int64_t base = o * c * st + i;
      const float* y = n->out->data + base;
      const float* gy = n->out->grad + base;
      double total = 0.0;
      for (int64_t j = 0; j < c; ++j) total += gy[j * st];
      for (int64_t j = 0; j < c; ++j)
        gx[base + j * st] += gy[j * st] - expf(y[j * st]) * (float)total;
    }
}

const tg_op_def tg_op_log_softmax = {.name = "log_softmax",
                                     .arity = 1,
                                     .shape = log_softmax_shape,
                                     .forward = log_softmax_forward,
                                     .backward = log_softmax_backward,
                                     .backward_reads = TG_READS_OUTPUT,
                                     .params_size = sizeof(log_softmax_params),
                                     .describe = log_softmax_describe};

tg_tensor* tg_log_softmax(tg_tape* t, tg_tensor* x, int axis) {
  log_softmax_params p = {.axis = axis};
  return tg_tape_apply(t, &tg_op_log_softmax, &x, 1, &p);
}
