/* ops/categorical_crossentropy.c — Keras' categorical_crossentropy on probabilities,
 * rows along the last axis (c classes, r = n/c rows):
 *   q = p / Σ_row p,   qc = clip(q, eps, 1 - eps), eps = 1e-7
 *   y = (1/r) Σ_rows -Σ_j t_j log qc_j
 * Backward, per row with s = Σ p and g_j = -t_j/qc_j where eps < q_j < 1 - eps (else 0):
 *   dp_k += dy/r · (g_k - Σ_j g_j q_j) / s        (through the normalisation)
 *   dt_j += dy/r · (-log qc_j)
 */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/loss_shape.h"
#include "ops/ops.h"

static const float kEps = 1e-7f;

static float clip(float q) { return q < kEps ? kEps : (q > 1.0f - kEps ? 1.0f - kEps : q); }

static tg_status cce_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  (void)shape;
  return tg_loss_shape_rule(n, true, rank, msg, cap);
}

static double row_sum(const float* p, int64_t c) {
  double s = 0.0;
  for (int64_t j = 0; j < c; ++j) s += p[j];
  return s;
}

static void cce_forward(tg_node* n) {
  const tg_tensor* pt = n->in[0];
  const int64_t c = pt->shape[pt->rank - 1];
  const int64_t rows = pt->size / c;
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = pt->data + r * c;
    const float* t = n->in[1]->data + r * c;
    const float s = (float)row_sum(p, c);
    for (int64_t j = 0; j < c; ++j) total -= t[j] * log((double)clip(p[j] / s));
  }
  n->out->data[0] = (float)(total / (double)rows);
}

static void cce_backward(tg_node* n) {
  const tg_tensor* pt = n->in[0];
  float* gp = pt->grad;
  float* gt = n->in[1]->grad;
  const int64_t c = pt->shape[pt->rank - 1];
  const int64_t rows = pt->size / c;
  const float k = n->out->grad[0] / (float)rows;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = pt->data + r * c;
    const float* t = n->in[1]->data + r * c;
    const float s = (float)row_sum(p, c);
    double gq = 0.0; /* Σ_j g_j q_j */
    for (int64_t j = 0; j < c; ++j) {
      const float q = p[j] / s;
      if (q > kEps && q < 1.0f - kEps) gq += (double)(-t[j] / q) * q;
    }
    for (int64_t j = 0; j < c; ++j) {
      const float q = p[j] / s;
      const float g = (q > kEps && q < 1.0f - kEps) ? -t[j] / q : 0.0f;
      if (gp) gp[r * c + j] += k * (g - (float)gq) / s;
      if (gt) gt[r * c + j] -= k * logf(clip(q));
    }
  }
}

const tg_op_def tg_op_categorical_crossentropy = {
    .name = "categorical_crossentropy",
    .arity = 2,
    .shape = cce_shape,
    .forward = cce_forward,
    .backward = cce_backward,
    .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1)};

tg_tensor* tg_categorical_crossentropy(tg_tape* t, tg_tensor* probabilities, tg_tensor* target) {
  tg_tensor* in[2] = {probabilities, target};
  return tg_tape_apply(t, &tg_op_categorical_crossentropy, in, 2, NULL);
}
