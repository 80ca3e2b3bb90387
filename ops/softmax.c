/* ops/softmax.c — y = softmax(x) along the last axis (rank >= 1), shifted by the row
 * max so exp never overflows.
 * Backward: dx_j += y_j (dy_j - Σ_k dy_k y_k)   per row.
 */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

static tg_status softmax_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  const tg_tensor* x = n->in[0];
  if (x->rank == 0) {
    snprintf(msg, cap, "input []: needs an axis to normalise over (rank >= 1)");
    return TG_ERR_RANK;
  }
  *rank = x->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = x->shape[d];
  return TG_OK;
}

static void softmax_forward(tg_node* n) {
  const tg_tensor* xt = n->in[0];
  const int64_t c = xt->shape[xt->rank - 1];
  if (c == 0) return;
  for (int64_t r = 0; r < xt->size / c; ++r) {
    const float* x = xt->data + r * c;
    float* y = n->out->data + r * c;
    float m = x[0];
    for (int64_t j = 1; j < c; ++j) m = x[j] > m ? x[j] : m;
    double s = 0.0;
    for (int64_t j = 0; j < c; ++j) s += (y[j] = expf(x[j] - m));
    for (int64_t j = 0; j < c; ++j) y[j] = (float)(y[j] / s);
  }
}

static void softmax_backward(tg_node* n) {
  const tg_tensor* xt = n->in[0];
  float* gx = xt->grad;
  if (gx == NULL) return;
  const int64_t c = xt->shape[xt->rank - 1];
  if (c == 0) return;
  for (int64_t r = 0; r < xt->size / c; ++r) {
    const float* y = n->out->data + r * c;
    const float* gy = n->out->grad + r * c;
    double dot = 0.0;
    for (int64_t j = 0; j < c; ++j) dot += (double)gy[j] * y[j];
    for (int64_t j = 0; j < c; ++j) gx[r * c + j] += y[j] * (gy[j] - (float)dot);
  }
}

const tg_op_def tg_op_softmax = {.name = "softmax",
                                 .arity = 1,
                                 .shape = softmax_shape,
                                 .forward = softmax_forward,
                                 .backward = softmax_backward};

tg_tensor* tg_softmax(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_softmax, &x, 1, NULL);
}
