/* ops/softmax_cross_entropy.c — categorical cross-entropy from logits z, rows along
 * the last axis (c classes, r = n/c rows), with the log-sum-exp shifted by the row max:
 *   lse = log Σ_j exp(z_j);   y = (1/r) Σ_rows Σ_j t_j (lse - z_j)
 * Backward: dz_j += dy/r · ((Σ_k t_k) softmax_j - t_j),   dt_j += dy/r · (lse - z_j).
 */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/loss_shape.h"
#include "ops/ops.h"

static tg_status sxe_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  (void)shape;
  return tg_loss_shape_rule(n, true, rank, msg, cap);
}

static double log_sum_exp(const float* z, int64_t c) {
  double m = z[0];
  for (int64_t j = 1; j < c; ++j) m = z[j] > m ? z[j] : m;
  double s = 0.0;
  for (int64_t j = 0; j < c; ++j) s += exp(z[j] - m);
  return m + log(s);
}

static void sxe_forward(tg_node* n) {
  const tg_tensor* zt = n->in[0];
  const int64_t c = zt->shape[zt->rank - 1];
  const int64_t rows = zt->size / c;
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = zt->data + r * c;
    const float* t = n->in[1]->data + r * c;
    const double lse = log_sum_exp(z, c);
    for (int64_t j = 0; j < c; ++j) total += t[j] * (lse - z[j]);
  }
  n->out->data[0] = (float)(total / (double)rows);
}

static void sxe_backward(tg_node* n) {
  const tg_tensor* zt = n->in[0];
  float* gz = zt->grad;
  float* gt = n->in[1]->grad;
  const int64_t c = zt->shape[zt->rank - 1];
  const int64_t rows = zt->size / c;
  const double k = n->out->grad[0] / (double)rows;
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = zt->data + r * c;
    const float* t = n->in[1]->data + r * c;
    const double lse = log_sum_exp(z, c);
    double t_sum = 0.0;
    for (int64_t j = 0; j < c; ++j) t_sum += t[j];
    for (int64_t j = 0; j < c; ++j) {
      if (gz) gz[r * c + j] += (float)(k * (t_sum * exp(z[j] - lse) - t[j]));
      if (gt) gt[r * c + j] += (float)(k * (lse - z[j]));
    }
  }
}

const tg_op_def tg_op_softmax_cross_entropy = {
    .name = "softmax_cross_entropy",
    .arity = 2,
    .shape = sxe_shape,
    .forward = sxe_forward,
    .backward = sxe_backward,
    .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1)};

tg_tensor* tg_softmax_cross_entropy(tg_tape* t, tg_tensor* logits, tg_tensor* target) {
  tg_tensor* in[2] = {logits, target};
  return tg_tape_apply(t, &tg_op_softmax_cross_entropy, in, 2, NULL);
}
