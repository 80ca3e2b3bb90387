/* ops/sparse_categorical_crossentropy.c — Keras' sparse_categorical_crossentropy:
 * categorical cross-entropy against int32 class labels instead of one-hot rows.
 * Predictions [..., c] (r = n/c rows), labels [...] (or [..., 1]) in [0, c):
 *   probabilities:  q = p / Σ_row p,  y = (1/r) Σ_rows -log clip(q_label, 1e-7, 1 - 1e-7)
 *                   (the same normalisation and clip as categorical_crossentropy, so it
 *                    equals that op on the labels' one-hot rows)
 *   from_logits:    y = (1/r) Σ_rows (lse - z_label),  lse = log Σ_j exp z_j (max-shifted)
 * Backward (labels get no gradient), per row with label l and s = Σ p:
 *   probabilities:  dp_k += dy/r · (1 - [k = l] / q_l) / s   where eps < q_l < 1 - eps, else 0
 *   from_logits:    dz_k += dy/r · (softmax_k - [k = l])
 * A label outside [0, c) stops the forward (recording or replay) with an error that
 * names it and its position.
 */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

typedef struct scce_params {
  int32_t from_logits;
} scce_params;

static const float kEps = 1e-7f;

static tg_status scce_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                            size_t cap) {
  (void)shape;
  const tg_tensor* p = n->in[0];
  const tg_tensor* l = n->in[1];
  char sp[TG_SHAPE_STR_CAP], sl[TG_SHAPE_STR_CAP], want[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(p, sp, sizeof sp);
  tg_tensor_shape_str(l, sl, sizeof sl);
  if (p->rank == 0) {
    snprintf(msg, cap, "prediction %s: needs a class axis (rank >= 1)", sp);
    return TG_ERR_RANK;
  }
  bool fits = l->rank == p->rank - 1 || (l->rank == p->rank && l->shape[l->rank - 1] == 1);
  for (int d = 0; fits && d < p->rank - 1; ++d) fits = l->shape[d] == p->shape[d];
  if (!fits) {
    tg_shape_format(want, sizeof want, p->rank - 1, p->shape);
    snprintf(msg, cap,
             "prediction %s needs labels of shape %s (the prediction without its class "
             "axis), got %s",
             sp, want, sl);
    return TG_ERR_SHAPE;
  }
  if (p->size == 0) {
    snprintf(msg, cap, "%s: cannot average zero rows", sp);
    return TG_ERR_SHAPE;
  }
  *rank = 0;
  return TG_OK;
}

static bool from_logits(const tg_node* n) {
  scce_params p;
  tg_node_params(n, &p, sizeof p);
  return p.from_logits != 0;
}

static double log_sum_exp(const float* z, int64_t c) {
  double m = z[0];
  for (int64_t j = 1; j < c; ++j) m = z[j] > m ? z[j] : m;
  double s = 0.0;
  for (int64_t j = 0; j < c; ++j) s += exp(z[j] - m);
  return m + log(s);
}

static double row_sum(const float* p, int64_t c) {
  double s = 0.0;
  for (int64_t j = 0; j < c; ++j) s += p[j];
  return s;
}

static void scce_forward(tg_node* n) {
  const tg_tensor* pt = n->in[0];
  const int32_t* labels = n->in[1]->idata;
  const int64_t c = pt->shape[pt->rank - 1];
  const int64_t rows = pt->size / c;
  n->out->data[0] = 0.0f;
  for (int64_t r = 0; r < rows; ++r)
    if (labels[r] < 0 || labels[r] >= c) {
      tg_tape_fail(n->tape, TG_ERR_ARG,
                   "sparse_categorical_crossentropy: label %d out of range for %lld classes (at "
                   "position %lld)",
                   (int)labels[r], (long long)c, (long long)r);
      return;
    }
  const bool logits = from_logits(n);
  double total = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = pt->data + r * c;
    const int32_t l = labels[r];
    if (logits) {
      total += log_sum_exp(p, c) - p[l];
    } else {
      float q = (float)(p[l] / row_sum(p, c));
      q = q < kEps ? kEps : (q > 1.0f - kEps ? 1.0f - kEps : q);
      total -= log((double)q);
    }
  }
  n->out->data[0] = (float)(total / (double)rows);
}

static void scce_backward(tg_node* n) {
  const tg_tensor* pt = n->in[0];
  float* g = pt->grad;
  if (g == NULL) return;
  const int32_t* labels = n->in[1]->idata;
  const int64_t c = pt->shape[pt->rank - 1];
  const int64_t rows = pt->size / c;
  const double k = n->out->grad[0] / (double)rows;
  const bool logits = from_logits(n);
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = pt->data + r * c;
    float* gr = g + r * c;
    const int32_t l = labels[r];
    if (logits) {
      const double lse = log_sum_exp(p, c);
      for (int64_t j = 0; j < c; ++j) gr[j] += (float)(k * (exp(p[j] - lse) - (j == l)));
    } else {
      const double s = row_sum(p, c);
      const float q = (float)(p[l] / s);
      if (!(q > kEps && q < 1.0f - kEps)) continue; /* clipped: flat */
      for (int64_t j = 0; j < c; ++j) gr[j] += (float)(k * (1.0 - (j == l ? 1.0 / q : 0.0)) / s);
    }
  }
}

static int scce_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "%s", from_logits(n) ? "from_logits" : "probabilities");
}

const tg_op_def tg_op_sparse_categorical_crossentropy = {
    .name = "sparse_categorical_crossentropy",
    .arity = 2,
    .shape = scce_shape,
    .forward = scce_forward,
    .backward = scce_backward,
    .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1),
    .params_size = sizeof(scce_params),
    .describe = scce_describe,
    .index_inputs = 1u << 1,
};

tg_tensor* tg_sparse_categorical_crossentropy(tg_tape* t, tg_tensor* prediction, tg_tensor* labels,
                                              bool from_logits) {
  const scce_params p = {.from_logits = from_logits ? 1 : 0};
  tg_tensor* in[2] = {prediction, labels};
  return tg_tape_apply(t, &tg_op_sparse_categorical_crossentropy, in, 2, &p);
}
