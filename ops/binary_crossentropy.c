/* ops/binary_crossentropy.c — Keras' binary_crossentropy on probabilities:
 *   q = clip(p, eps, 1 - eps), eps = 1e-7;   y = (1/n) Σ -(t log q + (1 - t) log(1 - q))
 * Backward (clip passes the gradient only strictly inside its bounds, as TF):
 *   dp += dy/n · (-t/q + (1 - t)/(1 - q))  where eps < p < 1 - eps, else 0
 *   dt += dy/n · (log(1 - q) - log q)
 */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/loss_shape.h"
#include "ops/ops.h"

static const float kEps = 1e-7f;

static float clip(float p) { return p < kEps ? kEps : (p > 1.0f - kEps ? 1.0f - kEps : p); }

static tg_status bce_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  (void)shape;
  return tg_loss_shape_rule(n, false, rank, msg, cap);
}

static void bce_forward(tg_node* n) {
  const float* p = n->in[0]->data;
  const float* t = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  double s = 0.0;
  for (int64_t i = 0; i < size; ++i) {
    const double q = clip(p[i]);
    s -= t[i] * log(q) + (1.0 - t[i]) * log(1.0 - q);
  }
  n->out->data[0] = (float)(s / (double)size);
}

static void bce_backward(tg_node* n) {
  float* gp = n->in[0]->grad;
  float* gt = n->in[1]->grad;
  const float* p = n->in[0]->data;
  const float* t = n->in[1]->data;
  const int64_t size = n->in[0]->size;
  const float k = n->out->grad[0] / (float)size;
  for (int64_t i = 0; i < size; ++i) {
    const float q = clip(p[i]);
    const bool inside = p[i] > kEps && p[i] < 1.0f - kEps;
    if (gp && inside) gp[i] += k * (-t[i] / q + (1.0f - t[i]) / (1.0f - q));
    if (gt) gt[i] += k * (logf(1.0f - q) - logf(q));
  }
}

const tg_op_def tg_op_binary_crossentropy = {
    .name = "binary_crossentropy",
    .arity = 2,
    .shape = bce_shape,
    .forward = bce_forward,
    .backward = bce_backward,
    .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1)};

tg_tensor* tg_binary_crossentropy(tg_tape* t, tg_tensor* probabilities, tg_tensor* target) {
  tg_tensor* in[2] = {probabilities, target};
  return tg_tape_apply(t, &tg_op_binary_crossentropy, in, 2, NULL);
}
