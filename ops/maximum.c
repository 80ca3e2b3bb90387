/* ops/maximum.c — y = max(a, b) elementwise with numpy broadcasting.
 * Backward: the larger input gets dy; on a tie (a == b) each gets dy/2, as PyTorch
 * (the average of the two one-sided derivatives). NaN propagates: max(NaN, x) = NaN,
 * and then both inputs get dy (as PyTorch), so the NaN reaches every gradient that
 * depends on it instead of being dropped.
 */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/bcast_iter.h"
#include "ops/ops.h"

static tg_status maximum_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  return tg_bcast_shape_n(n->in, 2, NULL, rank, shape, msg, cap);
}

static void maximum_forward(tg_node* n) {
  const float* a = n->in[0]->data;
  const float* b = n->in[1]->data;
  float* y = n->out->data;
  tg_bcast_iter it;
  tg_bcast_iter_init(&it, n->out, n->in, 2);
  for (int64_t k = 0; k < n->out->size; ++k, tg_bcast_iter_next(&it)) {
    const float va = a[it.off[0]], vb = b[it.off[1]];
    /* Not fmaxf: it returns the other operand when one is NaN. */
    y[k] = (va >= vb || isnan(va)) ? va : vb;
  }
}

static void maximum_backward(tg_node* n) {
  float* ga = n->in[0]->grad;
  float* gb = n->in[1]->grad;
  const float* a = n->in[0]->data;
  const float* b = n->in[1]->data;
  const float* gy = n->out->grad;
  tg_bcast_iter it;
  tg_bcast_iter_init(&it, n->out, n->in, 2);
  for (int64_t k = 0; k < n->out->size; ++k, tg_bcast_iter_next(&it)) {
    const float va = a[it.off[0]], vb = b[it.off[1]];
    float wa, wb; /* shares of dy */
    if (va > vb) {
      wa = 1.0f, wb = 0.0f;
    } else if (va < vb) {
      wa = 0.0f, wb = 1.0f;
    } else if (va == vb) {
      wa = 0.5f, wb = 0.5f;
    } else {
      wa = 1.0f, wb = 1.0f; /* a NaN */
    }
    if (ga) ga[it.off[0]] += wa * gy[k];
    if (gb) gb[it.off[1]] += wb * gy[k];
  }
}

const tg_op_def tg_op_maximum = {.name = "maximum",
                                 .arity = 2,
                                 .shape = maximum_shape,
                                 .forward = maximum_forward,
                                 .backward = maximum_backward};

tg_tensor* tg_maximum(tg_tape* t, tg_tensor* a, tg_tensor* b) {
  tg_tensor* in[2] = {a, b};
  return tg_tape_apply(t, &tg_op_maximum, in, 2, NULL);
}
