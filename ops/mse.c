/* ops/mse.c — y = (1/n) Σ (a - b)²  over all n elements (Keras' mean_squared_error
 * for equal output widths: mean over the last axis, then over the batch).
 * Backward: da += dy · 2(a - b)/n,  db -= dy · 2(a - b)/n.
 */
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

static tg_status mse_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg, size_t cap) {
  (void)shape;
  const tg_tensor* a = n->in[0];
  const tg_tensor* b = n->in[1];
  char sa[TG_SHAPE_STR_CAP], sb[TG_SHAPE_STR_CAP];
  if (!tg_same_shape(a, b)) {
    snprintf(msg, cap, "prediction %s and target %s: shapes differ", tg_tensor_shape_str(a, sa, sizeof sa),
             tg_tensor_shape_str(b, sb, sizeof sb));
    return TG_ERR_SHAPE;
  }
  if (a->size == 0) {
    snprintf(msg, cap, "%s: cannot average zero elements", tg_tensor_shape_str(a, sa, sizeof sa));
    return TG_ERR_SHAPE;
  }
  *rank = 0;
  return TG_OK;
}

static void mse_forward(tg_node* n) {
  const float* a = n->in[0]->data;
  const float* b = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  double s = 0.0;
  for (int64_t i = 0; i < size; ++i) {
    const double d = (double)a[i] - (double)b[i];
    s += d * d;
  }
  n->out->data[0] = (float)(s / (double)size);
}

static void mse_backward(tg_node* n) {
  float* ga = n->in[0]->grad;
  float* gb = n->in[1]->grad;
  const float* a = n->in[0]->data;
  const float* b = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  const float k = 2.0f * n->out->grad[0] / (float)size;
  for (int64_t i = 0; i < size; ++i) {
    const float g = k * (a[i] - b[i]);
    if (ga) ga[i] += g;
    if (gb) gb[i] -= g;
  }
}

const tg_op_def tg_op_mse = {"mse", 2, mse_shape, mse_forward, mse_backward};

tg_tensor* tg_mse(tg_tape* t, tg_tensor* prediction, tg_tensor* target) {
  tg_tensor* in[2] = {prediction, target};
  return tg_tape_apply(t, &tg_op_mse, in, 2, NULL);
}
