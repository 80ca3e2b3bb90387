/* ops/mse.c — y = (1/n) Σ (a - b)²  over all n elements (Keras' mean_squared_error
 * for equal output widths: mean over the last axis, then over the batch).
 * Backward: da += dy · 2(a - b)/n,  db -= dy · 2(a - b)/n.
 */
#include "core/tape.h"
#include "ops/internal/loss_shape.h"
#include "ops/ops.h"

static tg_status mse_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  (void)shape;
  return tg_loss_shape_rule(n, false, rank, msg, cap);
}

static void mse_forward(tg_node* n) {
  const float* a = n->in[0]->data;
  const float* b = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  double s = 0.0;
  int64_t i = 0;
  /* Four squares at a time in vectors, added to the sum one by one in order (the
   * same bits as one element at a time: only the sum is a chain). */
  for (; i + 4 <= size; i += 4) {
    double d[4];
    for (int j = 0; j < 4; ++j) d[j] = (double)a[i + j] - (double)b[i + j];
    for (int j = 0; j < 4; ++j) d[j] = d[j] * d[j];
    for (int j = 0; j < 4; ++j) s += d[j];
  }
  for (; i < size; ++i) {
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

const tg_op_def tg_op_mse = {.name = "mse",
                             .arity = 2,
                             .shape = mse_shape,
                             .forward = mse_forward,
                             .backward = mse_backward,
                             .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1)};

tg_tensor* tg_mse(tg_tape* t, tg_tensor* prediction, tg_tensor* target) {
  tg_tensor* in[2] = {prediction, target};
  return tg_tape_apply(t, &tg_op_mse, in, 2, NULL);
}
