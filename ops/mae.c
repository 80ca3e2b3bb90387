/* ops/mae.c — y = (1/n) Σ |a - b|  (Keras' mean_absolute_error).
 * Backward: da += dy · sign(a - b)/n,  db -= dy · sign(a - b)/n,  sign(0) = 0 as TF.
 */
#include "core/tape.h"
#include "ops/internal/loss_shape.h"
#include "ops/ops.h"

static tg_status mae_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  (void)shape;
  return tg_loss_shape_rule(n, false, rank, msg, cap);
}

static void mae_forward(tg_node* n) {
  const float* a = n->in[0]->data;
  const float* b = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  double s = 0.0;
  for (int64_t i = 0; i < size; ++i) {
    const double d = (double)a[i] - (double)b[i];
    s += d < 0 ? -d : d;
  }
  n->out->data[0] = (float)(s / (double)size);
}

static void mae_backward(tg_node* n) {
  float* ga = n->in[0]->grad;
  float* gb = n->in[1]->grad;
  const float* a = n->in[0]->data;
  const float* b = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  const float k = n->out->grad[0] / (float)size;
  for (int64_t i = 0; i < size; ++i) {
    const float g = a[i] > b[i] ? k : (a[i] < b[i] ? -k : 0.0f);
    if (ga) ga[i] += g;
    if (gb) gb[i] -= g;
  }
}

const tg_op_def tg_op_mae = {.name = "mae",
                             .arity = 2,
                             .shape = mae_shape,
                             .forward = mae_forward,
                             .backward = mae_backward,
                             .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1)};

tg_tensor* tg_mae(tg_tape* t, tg_tensor* prediction, tg_tensor* target) {
  tg_tensor* in[2] = {prediction, target};
  return tg_tape_apply(t, &tg_op_mae, in, 2, NULL);
}
