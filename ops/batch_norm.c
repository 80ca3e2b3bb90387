/* ops/batch_norm.c — batch normalisation over every axis but the last (channels-last):
 *   x viewed as [M, C] (M = product of the other axes), per channel c:
 *   training:  mean_c = Σ_m x / M,  var_c = Σ_m (x - mean_c)² / M  (biased, as Keras)
 *   inference: mean_c, var_c = the moving statistics (inputs 4 and 5)
 *   xhat = (x - mean_c) * rstd_c,  rstd_c = 1 / sqrt(var_c + eps),  y = gamma_c * xhat + beta_c
 * Backward (Σ over m):  dbeta += Σ dy,  dgamma += Σ dy·xhat, and
 *   training:  dx += gamma·rstd · (dy - Σdy / M - xhat · Σ(dy·xhat) / M)
 *   inference: dx += gamma·rstd · dy,  dmean += -gamma·rstd · Σdy,
 *              dvar += -gamma·rstd² / 2 · Σ(dy·xhat)
 * One pass over x per statistic instead of the eight tensors a composition of
 * mean/sub/mul/rsqrt ops would hold; sums are taken in double.
 * Scratch: double acc[2C], then float mean[C], rstd[C] (saved for backward). */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

typedef struct batch_norm_params {
  float* batch_mean; /* caller's [C] outputs, or NULL */
  float* batch_variance;
  float epsilon;
  int32_t training;
} batch_norm_params;

static batch_norm_params params_of(const tg_node* n) {
  batch_norm_params p;
  tg_node_params(n, &p, sizeof p);
  return p;
}

static int batch_norm_describe(const tg_node* n, char* buf, size_t cap) {
  const batch_norm_params p = params_of(n);
  return snprintf(buf, cap, "%s eps=%g", p.training ? "training" : "inference", (double)p.epsilon);
}

/* [C] for argument `i` (gamma, beta, moving mean/variance), or an error. */
static tg_status check_vector(const tg_node* n, int i, const char* what, char* msg, size_t cap) {
  const tg_tensor* x = n->in[0];
  const tg_tensor* v = n->in[i];
  const int64_t c = x->shape[x->rank - 1];
  if (v->rank == 1 && v->shape[0] == c) return TG_OK;
  char sx[TG_SHAPE_STR_CAP], sv[TG_SHAPE_STR_CAP];
  snprintf(msg, cap, "%s %s must be [%lld], the last axis of input %s", what,
           tg_tensor_shape_str(v, sv, sizeof sv), (long long)c,
           tg_tensor_shape_str(x, sx, sizeof sx));
  return TG_ERR_SHAPE;
}

static tg_status batch_norm_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                  size_t cap) {
  const batch_norm_params p = params_of(n);
  const tg_tensor* x = n->in[0];
  char sx[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(x, sx, sizeof sx);
  if (x->rank < 1) {
    snprintf(msg, cap, "input %s must have a channel axis (rank >= 1)", sx);
    return TG_ERR_RANK;
  }
  if (!(p.epsilon > 0.0f) || !isfinite(p.epsilon)) {
    snprintf(msg, cap, "epsilon %g must be positive", (double)p.epsilon);
    return TG_ERR_ARG;
  }
  static const char* const kWhat[] = {"", "gamma", "beta", "moving_mean", "moving_variance"};
  for (int i = 1; i < n->n_in; ++i) {
    tg_status s = check_vector(n, i, kWhat[i], msg, cap);
    if (s != TG_OK) return s;
  }
  const int64_t c = x->shape[x->rank - 1];
  if (p.training && x->size == 0 && c > 0) {
    snprintf(msg, cap, "input %s has no elements to take batch statistics over", sx);
    return TG_ERR_SHAPE;
  }
  n->scratch_size = 6 * c; /* double acc[2C] (4C floats), mean[C], rstd[C] */
  *rank = x->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = x->shape[d];
  return TG_OK;
}

typedef struct bn_view {
  int64_t m, c;
  double *acc0, *acc1; /* [C] each */
  float *mean, *rstd;  /* [C] each */
} bn_view;

static bn_view view_of(tg_node* n) {
  const tg_tensor* x = n->in[0];
  bn_view v;
  v.c = x->shape[x->rank - 1];
  v.m = v.c > 0 ? x->size / v.c : 0;
  v.acc0 = (double*)(void*)n->scratch; /* 64-byte aligned arena memory */
  v.acc1 = v.acc0 + v.c;
  v.mean = n->scratch + 4 * v.c;
  v.rstd = v.mean + v.c;
  return v;
}

static void batch_norm_forward(tg_node* n) {
  const batch_norm_params p = params_of(n);
  const bn_view v = view_of(n);
  const float* x = n->in[0]->data;
  const float* gamma = n->in[1]->data;
  const float* beta = n->in[2]->data;
  const int64_t c = v.c;
  if (p.training) {
    for (int64_t j = 0; j < c; ++j) v.acc0[j] = 0.0, v.acc1[j] = 0.0;
    for (int64_t i = 0; i < v.m; ++i)
      for (int64_t j = 0; j < c; ++j) v.acc0[j] += x[i * c + j];
    for (int64_t j = 0; j < c; ++j) v.acc0[j] /= (double)v.m;
    for (int64_t i = 0; i < v.m; ++i)
      for (int64_t j = 0; j < c; ++j) {
        const double d = x[i * c + j] - v.acc0[j];
        v.acc1[j] += d * d;
      }
    for (int64_t j = 0; j < c; ++j) {
      const double var = v.acc1[j] / (double)v.m;
      v.mean[j] = (float)v.acc0[j];
      v.rstd[j] = (float)(1.0 / sqrt(var + (double)p.epsilon));
      if (p.batch_mean) p.batch_mean[j] = (float)v.acc0[j];
      if (p.batch_variance) p.batch_variance[j] = (float)var;
    }
  } else {
    const float* mm = n->in[3]->data;
    const float* mv = n->in[4]->data;
    for (int64_t j = 0; j < c; ++j) {
      v.mean[j] = mm[j];
      v.rstd[j] = (float)(1.0 / sqrt((double)mv[j] + (double)p.epsilon));
    }
  }
  float* y = n->out->data;
  for (int64_t i = 0; i < v.m; ++i)
    for (int64_t j = 0; j < c; ++j)
      y[i * c + j] = gamma[j] * ((x[i * c + j] - v.mean[j]) * v.rstd[j]) + beta[j];
}

static void batch_norm_backward(tg_node* n) {
  const batch_norm_params p = params_of(n);
  const bn_view v = view_of(n);
  const int64_t c = v.c;
  const float* x = n->in[0]->data;
  const float* gamma = n->in[1]->data;
  const float* gy = n->out->grad;
  /* acc0 = Σ dy, acc1 = Σ dy·xhat per channel */
  for (int64_t j = 0; j < c; ++j) v.acc0[j] = 0.0, v.acc1[j] = 0.0;
  for (int64_t i = 0; i < v.m; ++i)
    for (int64_t j = 0; j < c; ++j) {
      const float d = gy[i * c + j];
      v.acc0[j] += d;
      v.acc1[j] += (double)d * ((x[i * c + j] - v.mean[j]) * v.rstd[j]);
    }
  if (n->in[1]->grad)
    for (int64_t j = 0; j < c; ++j) n->in[1]->grad[j] += (float)v.acc1[j];
  if (n->in[2]->grad)
    for (int64_t j = 0; j < c; ++j) n->in[2]->grad[j] += (float)v.acc0[j];
  if (!p.training) {
    if (n->in[3]->grad)
      for (int64_t j = 0; j < c; ++j)
        n->in[3]->grad[j] += (float)(-(double)gamma[j] * v.rstd[j] * v.acc0[j]);
    if (n->in[4]->grad)
      for (int64_t j = 0; j < c; ++j)
        n->in[4]->grad[j] += (float)(-0.5 * (double)gamma[j] * v.rstd[j] * v.rstd[j] * v.acc1[j]);
  }
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  if (!p.training) {
    for (int64_t i = 0; i < v.m; ++i)
      for (int64_t j = 0; j < c; ++j) gx[i * c + j] += gamma[j] * v.rstd[j] * gy[i * c + j];
    return;
  }
  /* Turn the sums into per-channel coefficients: dx = a·dy + b·xhat + d. */
  for (int64_t j = 0; j < c; ++j) {
    v.acc0[j] /= (double)v.m; /* mean of dy */
    v.acc1[j] /= (double)v.m; /* mean of dy·xhat */
  }
  for (int64_t i = 0; i < v.m; ++i)
    for (int64_t j = 0; j < c; ++j) {
      const float xhat = (x[i * c + j] - v.mean[j]) * v.rstd[j];
      gx[i * c + j] +=
          gamma[j] * v.rstd[j] * (gy[i * c + j] - (float)v.acc0[j] - xhat * (float)v.acc1[j]);
    }
}

const tg_op_def tg_op_batch_norm = {.name = "batch_norm",
                                    .arity = TG_OP_VARIADIC,
                                    .shape = batch_norm_shape,
                                    .forward = batch_norm_forward,
                                    .backward = batch_norm_backward,
                                    .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1),
                                    .params_size = sizeof(batch_norm_params),
                                    .describe = batch_norm_describe};

tg_tensor* tg_batch_norm(tg_tape* t, tg_tensor* x, tg_tensor* gamma, tg_tensor* beta,
                         const tg_batch_norm_options* opt) {
  const tg_batch_norm_options none = {.training = true};
  if (opt == NULL) opt = &none;
  batch_norm_params p = {.batch_mean = opt->batch_mean,
                         .batch_variance = opt->batch_variance,
                         .epsilon = opt->epsilon == 0.0f ? 1e-3f : opt->epsilon,
                         .training = opt->training};
  if (!opt->training && (opt->moving_mean == NULL || opt->moving_variance == NULL)) {
    tg_tape_fail(t, TG_ERR_NULL_ARG,
                 "batch_norm: inference needs moving_mean and moving_variance (got %s and %s)",
                 opt->moving_mean ? "a tensor" : "NULL",
                 opt->moving_variance ? "a tensor" : "NULL");
    return NULL;
  }
  tg_tensor* in[5] = {x, gamma, beta, opt->moving_mean, opt->moving_variance};
  return tg_tape_apply(t, &tg_op_batch_norm, in, opt->training ? 3 : 5, &p);
}
