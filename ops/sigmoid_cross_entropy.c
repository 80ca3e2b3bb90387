/* ops/sigmoid_cross_entropy.c — binary cross-entropy from logits z (Keras'
 * binary_crossentropy(from_logits=True)), in TF's overflow-free form:
 *   y = (1/n) Σ max(z, 0) - z t + log(1 + exp(-|z|))
 * Backward: dz += dy/n · (sigmoid(z) - t),   dt += dy/n · (-z).
 */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/loss_shape.h"
#include "ops/ops.h"

static tg_status sce_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  (void)shape;
  return tg_loss_shape_rule(n, false, rank, msg, cap);
}

static void sce_forward(tg_node* n) {
  const float* z = n->in[0]->data;
  const float* t = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  double s = 0.0;
  for (int64_t i = 0; i < size; ++i) {
    const double zi = z[i];
    s += (zi > 0 ? zi : 0) - zi * t[i] + log1p(exp(-fabs(zi)));
  }
  n->out->data[0] = (float)(s / (double)size);
}

static void sce_backward(tg_node* n) {
  float* gz = n->in[0]->grad;
  float* gt = n->in[1]->grad;
  const float* z = n->in[0]->data;
  const float* t = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  const float k = n->out->grad[0] / (float)size;
  for (int64_t i = 0; i < size; ++i) {
    /* sigmoid in two branches so exp never overflows */
    const float e = expf(-fabsf(z[i]));
    const float sig = z[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    if (gz) gz[i] += k * (sig - t[i]);
    if (gt) gt[i] -= k * z[i];
  }
}

const tg_op_def tg_op_sigmoid_cross_entropy = {
    .name = "sigmoid_cross_entropy",
    .arity = 2,
    .shape = sce_shape,
    .forward = sce_forward,
    .backward = sce_backward,
    .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1)};

tg_tensor* tg_sigmoid_cross_entropy(tg_tape* t, tg_tensor* logits, tg_tensor* target) {
  tg_tensor* in[2] = {logits, target};
  return tg_tape_apply(t, &tg_op_sigmoid_cross_entropy, in, 2, NULL);
}
