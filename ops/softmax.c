/* ops/softmax.c — y = softmax(x) along one axis (the last by default; negative
 * counts from the end), shifted by the lane max so exp never overflows.
 * Backward: dx_j += y_j (dy_j - Σ_k dy_k y_k)   per lane along the axis.
 */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/along_axis.h"
#include "ops/ops.h"

typedef struct softmax_params {
  int axis; /* as given; resolved against the input's rank */
} softmax_params;

static tg_axis_split split_of(const tg_node* n) {
  softmax_params p;
  tg_node_params(n, &p, sizeof p);
  return tg_axis_split_of(n->in[0], p.axis); /* the shape rule checked it */
}

static int softmax_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "axis=%d", split_of(n).axis);
}

static tg_status softmax_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  const tg_tensor* x = n->in[0];
  softmax_params p;
  tg_node_params(n, &p, sizeof p);
  tg_status st = tg_axis_check(x, p.axis, msg, cap);
  if (st != TG_OK) return st;
  *rank = x->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = x->shape[d];
  return TG_OK;
}

/* The last axis: contiguous rows. */
static void softmax_rows(const tg_tensor* xt, float* out, int64_t c) {
  for (int64_t r = 0; r < xt->size / c; ++r) {
    const float* x = xt->data + r * c;
    float* y = out + r * c;
    float m = x[0];
    for (int64_t j = 1; j < c; ++j) m = x[j] > m ? x[j] : m;
    double s = 0.0;
    for (int64_t j = 0; j < c; ++j) s += (y[j] = expf(x[j] - m));
    for (int64_t j = 0; j < c; ++j) y[j] = (float)(y[j] / s);
  }
}

/* Any other axis: the same arithmetic per lane, with stride `inner`. */
static void softmax_lanes(const tg_tensor* xt, float* out, tg_axis_split sp) {
  const int64_t c = sp.n, st = sp.inner;
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t i = 0; i < st; ++i) {
      const float* x = xt->data + o * c * st + i;
      float* y = out + o * c * st + i;
      float m = x[0];
      for (int64_t j = 1; j < c; ++j) m = x[j * st] > m ? x[j * st] : m;
      double s = 0.0;
      for (int64_t j = 0; j < c; ++j) s += (y[j * st] = expf(x[j * st] - m));
      for (int64_t j = 0; j < c; ++j) y[j * st] = (float)(y[j * st] / s);
    }
}

static void softmax_forward(tg_node* n) {
  const tg_axis_split s = split_of(n);
  if (s.n == 0 || n->out->size == 0) return;
  if (s.inner == 1)
    softmax_rows(n->in[0], n->out->data, s.n);
  else
    softmax_lanes(n->in[0], n->out->data, s);
}

static void softmax_backward(tg_node* n) {
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
      double dot = 0.0;
      for (int64_t j = 0; j < c; ++j) dot += (double)gy[j * st] * y[j * st];
      for (int64_t j = 0; j < c; ++j) gx[base + j * st] += y[j * st] * (gy[j * st] - (float)dot);
    }
}

const tg_op_def tg_op_softmax = {.name = "softmax",
                                 .arity = 1,
                                 .shape = softmax_shape,
                                 .forward = softmax_forward,
                                 .backward = softmax_backward,
                                 .backward_reads = TG_READS_OUTPUT,
                                 .params_size = sizeof(softmax_params),
                                 .describe = softmax_describe};

tg_tensor* tg_softmax_axis(tg_tape* t, tg_tensor* x, int axis) {
  softmax_params p = {.axis = axis};
  return tg_tape_apply(t, &tg_op_softmax, &x, 1, &p);
}

tg_tensor* tg_softmax(tg_tape* t, tg_tensor* x) { return tg_softmax_axis(t, x, -1); }
