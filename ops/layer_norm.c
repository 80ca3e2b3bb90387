/* ops/layer_norm.c — layer normalisation over the last axis (Keras
 * LayerNormalization(axis=-1)): x viewed as [R, D], per row r:
 *   mean_r = Σ_i x / D,  var_r = Σ_i (x - mean_r)² / D,  rstd_r = 1 / sqrt(var_r + eps)
 *   xhat = (x - mean_r) · rstd_r,  y = gamma_i · xhat + beta_i
 * Backward, g = dy · gamma:
 *   dx += rstd_r · (g - Σ_i g / D - xhat · Σ_i (g·xhat) / D)
 *   dgamma += Σ_r dy · xhat,  dbeta += Σ_r dy
 * Row sums in double. Scratch: float mean[R], rstd[R] (saved for backward). */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

typedef struct layer_norm_params {
  float epsilon;
} layer_norm_params;

static float epsilon_of(const tg_node* n) {
  layer_norm_params p;
  tg_node_params(n, &p, sizeof p);
  return p.epsilon;
}

static int layer_norm_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "eps=%g", (double)epsilon_of(n));
}

static tg_status layer_norm_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                  size_t cap) {
  const tg_tensor* x = n->in[0];
  char sx[TG_SHAPE_STR_CAP], sv[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(x, sx, sizeof sx);
  if (x->rank < 1) {
    snprintf(msg, cap, "input %s must have an axis to normalise (rank >= 1)", sx);
    return TG_ERR_RANK;
  }
  const int64_t d = x->shape[x->rank - 1];
  if (d == 0) {
    snprintf(msg, cap, "input %s has an empty last axis", sx);
    return TG_ERR_SHAPE;
  }
  const float eps = epsilon_of(n);
  if (!(eps > 0.0f) || !isfinite(eps)) {
    snprintf(msg, cap, "epsilon %g must be positive", (double)eps);
    return TG_ERR_ARG;
  }
  static const char* const kWhat[] = {"", "gamma", "beta"};
  for (int i = 1; i < 3; ++i) {
    const tg_tensor* v = n->in[i];
    if (v->rank != 1 || v->shape[0] != d) {
      snprintf(msg, cap, "%s %s must be [%lld], the last axis of input %s", kWhat[i],
               tg_tensor_shape_str(v, sv, sizeof sv), (long long)d, sx);
      return TG_ERR_SHAPE;
    }
  }
  n->scratch_size = 2 * (x->size / d);
  *rank = x->rank;
  for (int k = 0; k < TG_MAX_RANK; ++k) shape[k] = x->shape[k];
  return TG_OK;
}

static void layer_norm_forward(tg_node* n) {
  const tg_tensor* x = n->in[0];
  const int64_t d = x->shape[x->rank - 1], rows = x->size / d;
  const float* gamma = n->in[1]->data;
  const float* beta = n->in[2]->data;
  const double eps = epsilon_of(n);
  float* mean = n->scratch;
  float* rstd = n->scratch + rows;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x->data + r * d;
    double s = 0.0;
    for (int64_t i = 0; i < d; ++i) s += xr[i];
    const double mu = s / (double)d;
    double sq = 0.0;
    for (int64_t i = 0; i < d; ++i) sq += (xr[i] - mu) * (xr[i] - mu);
    mean[r] = (float)mu;
    rstd[r] = (float)(1.0 / sqrt(sq / (double)d + eps));
    float* yr = n->out->data + r * d;
    for (int64_t i = 0; i < d; ++i) yr[i] = gamma[i] * ((xr[i] - mean[r]) * rstd[r]) + beta[i];
  }
}

static void layer_norm_backward(tg_node* n) {
  const tg_tensor* x = n->in[0];
  const int64_t d = x->shape[x->rank - 1], rows = x->size / d;
  const float* gamma = n->in[1]->data;
  float* ggamma = n->in[1]->grad;
  float* gbeta = n->in[2]->grad;
  float* gx = x->grad;
  const float* mean = n->scratch;
  const float* rstd = n->scratch + rows;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x->data + r * d;
    const float* dy = n->out->grad + r * d;
    double s1 = 0.0, s2 = 0.0;
    for (int64_t i = 0; i < d; ++i) {
      const float xhat = (xr[i] - mean[r]) * rstd[r];
      const float g = dy[i] * gamma[i];
      s1 += g;
      s2 += (double)g * xhat;
      if (ggamma) ggamma[i] += dy[i] * xhat;
      if (gbeta) gbeta[i] += dy[i];
    }
    if (gx == NULL) continue;
    const float m1 = (float)(s1 / (double)d), m2 = (float)(s2 / (double)d);
    float* gxr = gx + r * d;
    for (int64_t i = 0; i < d; ++i) {
      const float xhat = (xr[i] - mean[r]) * rstd[r];
      gxr[i] += rstd[r] * (dy[i] * gamma[i] - m1 - xhat * m2);
    }
  }
}

const tg_op_def tg_op_layer_norm = {.name = "layer_norm",
                                    .arity = 3,
                                    .shape = layer_norm_shape,
                                    .forward = layer_norm_forward,
                                    .backward = layer_norm_backward,
                                    .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1),
                                    .params_size = sizeof(layer_norm_params),
                                    .describe = layer_norm_describe};

tg_tensor* tg_layer_norm(tg_tape* t, tg_tensor* x, tg_tensor* gamma, tg_tensor* beta,
                         float epsilon) {
  layer_norm_params p = {.epsilon = epsilon <= 0.0f ? 1e-3f : epsilon};
  tg_tensor* in[3] = {x, gamma, beta};
  return tg_tape_apply(t, &tg_op_layer_norm, in, 3, &p);
}
