/* frontends/metrics_glue.c — compile's metrics and loss checks, labels given as
 * floats, sample weights on the tape, per-row losses, and the small model state the
 * training loop and callbacks read and set (learning rate, stop flag, RNG streams). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/op.h"
#include "frontends/fit.h"
#include "frontends/internal/model_impl.h"
#include "frontends/internal/optimizer_impl.h"

/* The activation the model's output layer ends with. */
static tg_activation output_activation(const tg_model* m) {
  if (m->output < 0) return TG_ACT_LINEAR;
  const int node = m->syms[m->output].node;
  if (node < 0) return TG_ACT_LINEAR;
  const tg_layer* l = m->nodes[node].layer;
  return l->type->activation ? l->type->activation(l) : TG_ACT_LINEAR;
}

static const char* output_layer_name(const tg_model* m) {
  const int node = m->output >= 0 ? m->syms[m->output].node : -1;
  return node >= 0 ? m->nodes[node].layer->name : "?";
}

tg_status tg_model_check_loss(tg_model* m, const char* fn, tg_loss loss) {
  const tg_activation act = output_activation(m);
  const bool ce = loss.kind == TG_LOSS_CATEGORICAL_CROSSENTROPY ||
                  loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  if (loss.from_logits && ce && act == TG_ACT_SOFTMAX)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: the output layer %s ends with softmax but the loss %s is "
                         "from_logits: it would apply softmax twice (drop the softmax or set "
                         "from_logits = false)",
                         fn, output_layer_name(m), tg_loss_kind_name(loss.kind));
  if (loss.from_logits && loss.kind == TG_LOSS_BINARY_CROSSENTROPY && act == TG_ACT_SIGMOID)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: the output layer %s ends with sigmoid but the loss "
                         "binary_crossentropy is from_logits: it would apply sigmoid twice (drop "
                         "the sigmoid or set from_logits = false)",
                         fn, output_layer_name(m));
  if (loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
    const tg_layer_shape* s = tg_model_output_shape(m);
    if (s->rank < 1 || s->dim[s->rank - 1] < 2) {
      char b[64];
      return tg_model_fail(m, TG_ERR_SHAPE,
                           "%s: sparse_categorical_crossentropy needs an output with a class "
                           "axis of >= 2 classes, got %s",
                           fn, tg_layer_shape_str(s, b, sizeof b));
    }
  }
  return TG_OK;
}

int64_t tg_model_target_width(const tg_model* m) {
  return m->compiled && m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY
             ? tg_model_output_dim(m) /
                   tg_model_output_shape(m)->dim[tg_model_output_shape(m)->rank - 1]
             : tg_model_output_dim(m);
}

static int64_t n_classes(const tg_model* m) {
  const tg_layer_shape* s = tg_model_output_shape(m);
  return s && s->rank > 0 ? s->dim[s->rank - 1] : 1;
}

tg_status tg_model_labels_from_floats(tg_model* m, const char* fn, const float* y, int64_t n,
                                      int32_t* dst) {
  const int64_t classes = n_classes(m);
  const int64_t count = n * tg_model_target_width(m);
  for (int64_t i = 0; i < count; ++i) {
    const float v = y[i];
    if (!(v >= 0.0f && v < (float)classes && v == floorf(v)))
      return tg_model_fail(m, TG_ERR_ARG,
                           "%s: y[%lld] = %g is not a class of the model's output (%lld classes)",
                           fn, (long long)i, (double)v, (long long)classes);
    if (dst) dst[i] = (int32_t)v;
  }
  return TG_OK;
}

/* ---- sample weights: y = x forward, dx[r] += w[r] * dy[r] backward ---- */

static tg_status weight_rows_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                   size_t cap) {
  const tg_tensor* x = n->in[0];
  const tg_tensor* w = n->in[1];
  if (x->rank < 1 || w->rank != 1 || w->shape[0] != x->shape[0]) {
    snprintf(msg, cap, "weights must be [rows] for %lld rows", (long long)x->shape[0]);
    return TG_ERR_SHAPE;
  }
  *rank = x->rank;
  for (int i = 0; i < x->rank; ++i) shape[i] = x->shape[i];
  return TG_OK;
}

static void weight_rows_forward(tg_node* n) {
  memcpy(n->out->data, n->in[0]->data, (size_t)n->out->size * sizeof(float));
}

static void weight_rows_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* gy = n->out->grad;
  const float* w = n->in[1]->data;
  const int64_t rows = n->out->shape[0], width = n->out->size / (rows ? rows : 1);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < width; ++j) gx[r * width + j] += w[r] * gy[r * width + j];
}

static const tg_op_def kWeightRows = {.name = "sample_weight",
                                      .arity = 2,
                                      .shape = weight_rows_shape,
                                      .forward = weight_rows_forward,
                                      .backward = weight_rows_backward};

tg_tensor* tg_model_weight_rows(tg_tape* t, tg_tensor* x, tg_tensor* w) {
  tg_tensor* in[2] = {x, w};
  return tg_tape_apply(t, &kWeightRows, in, 2, NULL);
}

/* ---- one row's loss, as the loss ops compute it ---- */

static double clip_p(double p) { return p < 1e-7 ? 1e-7 : (p > 1.0 - 1e-7 ? 1.0 - 1e-7 : p); }

double tg_model_row_loss(const tg_model* m, const float* p, const float* t, int64_t w) {
  double s = 0.0;
  switch (m->loss.kind) {
    case TG_LOSS_MSE:
      for (int64_t j = 0; j < w; ++j) s += ((double)p[j] - t[j]) * ((double)p[j] - t[j]);
      return s / (double)w;
    case TG_LOSS_MAE:
      for (int64_t j = 0; j < w; ++j) s += fabs((double)p[j] - t[j]);
      return s / (double)w;
    case TG_LOSS_BINARY_CROSSENTROPY:
      for (int64_t j = 0; j < w; ++j) {
        if (m->loss.from_logits) {
          const double z = p[j];
          s += (z > 0 ? z : 0) - z * t[j] + log1p(exp(-fabs(z)));
        } else {
          const double q = clip_p(p[j]);
          s -= t[j] * log(q) + (1.0 - t[j]) * log(1.0 - q);
        }
      }
      return s / (double)w;
    case TG_LOSS_CATEGORICAL_CROSSENTROPY:
    case TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY: {
      const bool sparse = m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
      double mx = -INFINITY, norm = 0.0;
      for (int64_t j = 0; j < w; ++j) {
        if (p[j] > mx) mx = p[j];
        norm += p[j];
      }
      double lse = 0.0;
      if (m->loss.from_logits) {
        for (int64_t j = 0; j < w; ++j) lse += exp((double)p[j] - mx);
        lse = mx + log(lse);
      }
      for (int64_t j = 0; j < w; ++j) {
        const double y = sparse ? (j == (int64_t)t[0] ? 1.0 : 0.0) : t[j];
        if (y == 0.0) continue;
        const double lp = m->loss.from_logits ? (double)p[j] - lse : log(clip_p(p[j] / norm));
        s -= y * lp;
      }
      return s;
    }
    default:
      return NAN;
  }
}

/* ---- metrics ---- */

static tg_status metric_fits(tg_model* m, const char* fn, const tg_metric_slot* ms) {
  const bool sparse_loss = m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  const bool sparse_metric = ms->kind == TG_METRIC_SPARSE_CATEGORICAL_ACCURACY ||
                             ms->kind == TG_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY;
  const char* loss = tg_loss_kind_name(m->loss.kind);
  const int64_t classes = n_classes(m);
  if (sparse_loss && !sparse_metric)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: metric '%s' does not fit the loss %s: its targets are class "
                         "labels, not rows of the output's %lld values",
                         fn, ms->name, loss, (long long)classes);
  if (!sparse_loss && sparse_metric)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: metric '%s' takes class labels but the loss %s takes targets of "
                         "the output's shape (use categorical_accuracy or "
                         "sparse_categorical_crossentropy)",
                         fn, ms->name, loss);
  const bool needs_classes = ms->kind == TG_METRIC_CATEGORICAL_ACCURACY ||
                             ms->kind == TG_METRIC_TOP_K_CATEGORICAL_ACCURACY || sparse_metric;
  if (needs_classes && classes < 2)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: metric '%s' needs an output of >= 2 classes, the output has %lld", fn,
                         ms->name, (long long)classes);
  return TG_OK;
}

/* Resolves metrics[0..n) against m's loss and output and, when every one fits,
 * replaces m's metrics with them; on error they stay as they were. */
tg_status tg_model_metrics_resolve(tg_model* m, const char* fn, const char* const* metrics,
                                   int n_metrics) {
  if (n_metrics < 0 || n_metrics > TG_MAX_METRICS || (n_metrics > 0 && metrics == NULL))
    return tg_model_fail(m, TG_ERR_ARG, "%s: takes 0..%d metrics, got %d%s", fn, TG_MAX_METRICS,
                         n_metrics, n_metrics > 0 && metrics == NULL ? " and a NULL list" : "");
  tg_metric_slot slots[TG_FIT_MAX_METRICS];
  for (int i = 0; i < n_metrics; ++i) {
    tg_metric_slot ms = {.k = 5};
    const char* name = metrics[i];
    if (name == NULL || name[0] == '\0' || strlen(name) >= TG_FIT_NAME_CAP)
      return tg_model_fail(m, TG_ERR_ARG, "%s: metrics[%d] is NULL, empty or too long", fn, i);
    snprintf(ms.name, sizeof ms.name, "%s", name);
    tg_error err = {0};
    tg_status st;
    if (strcmp(name, "accuracy") == 0 || strcmp(name, "acc") == 0) {
      const tg_layer_shape* s = tg_model_output_shape(m);
      int64_t os[TG_MAX_RANK] = {1}, ts[TG_MAX_RANK] = {1};
      for (int d = 0; d < s->rank; ++d) os[d + 1] = ts[d + 1] = s->dim[d];
      const int t_rank =
          m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? s->rank : s->rank + 1;
      st = tg_accuracy_for_loss(tg_loss_kind_name(m->loss.kind), s->rank + 1, os, t_rank, ts,
                                &ms.kind, &err);
    } else {
      st = tg_metric_from_name(name, &ms.kind, &err);
    }
    if (st != TG_OK) return tg_model_fail(m, st, "%s: %s", fn, err.message);
    if ((st = metric_fits(m, fn, &ms)) != TG_OK) return st;
    for (int j = 0; j < i; ++j)
      if (strcmp(slots[j].name, ms.name) == 0)
        return tg_model_fail(m, TG_ERR_ARG, "%s: metric '%s' is listed twice", fn, ms.name);
    slots[i] = ms;
  }
  for (int i = 0; i < n_metrics; ++i) m->fx.metrics[i] = slots[i];
  m->fx.n_metrics = n_metrics;
  return TG_OK;
}

tg_status tg_model_compile_metrics(tg_model* m, tg_loss loss, const tg_optimizer_options* optimizer,
                                   const char* const* metrics, int n_metrics) {
  const char* fn = "tg_model_compile_metrics";
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (n_metrics < 0 || n_metrics > TG_MAX_METRICS || (n_metrics > 0 && metrics == NULL))
    return tg_model_fail(m, TG_ERR_ARG, "%s: takes 0..%d metrics, got %d%s", fn, TG_MAX_METRICS,
                         n_metrics, n_metrics > 0 && metrics == NULL ? " and a NULL list" : "");
  tg_status st = tg_model_compile(m, loss, optimizer);
  if (st != TG_OK) return st;
  m->fx.n_metrics = 0; /* a compile that fails on a metric leaves none */
  return tg_model_metrics_resolve(m, fn, metrics, n_metrics);
}

tg_status tg_model_set_metrics(tg_model* m, const char* const* metrics, int n_metrics) {
  const char* fn = "tg_model_set_metrics";
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (!m->compiled)
    return tg_model_fail(m, TG_ERR_STATE,
                         "%s: compile the model first (the metrics depend on "
                         "its loss)",
                         fn);
  return tg_model_metrics_resolve(m, fn, metrics, n_metrics);
}

int tg_model_metric_count(const tg_model* m) { return m ? m->fx.n_metrics : 0; }

const char* tg_model_metric_name(const tg_model* m, int i) {
  return m && i >= 0 && i < m->fx.n_metrics ? m->fx.metrics[i].name : NULL;
}

tg_status tg_model_metrics_add(tg_model* m, const char* fn, const float* pred, const float* target,
                               int64_t rows, tg_metric_sums* s) {
  const int64_t width = tg_model_output_dim(m), classes = n_classes(m);
  const int64_t cls_rows = rows * (width / classes); /* rows of classes along the last axis */
  enum { kChunk = 256 };
  int32_t labels[kChunk];
  for (int i = 0; i < m->fx.n_metrics; ++i) {
    const tg_metric_slot* ms = &m->fx.metrics[i];
    tg_error err = {0};
    double v = 0.0;
    tg_status st = TG_OK;
    switch (ms->kind) {
      case TG_METRIC_BINARY_ACCURACY:
        st = tg_binary_accuracy(pred, target, rows * width, 0.5f, &v, &err);
        break;
      case TG_METRIC_CATEGORICAL_ACCURACY:
        st = tg_categorical_accuracy(pred, target, cls_rows, classes, &v, &err);
        break;
      case TG_METRIC_TOP_K_CATEGORICAL_ACCURACY:
        st = tg_top_k_categorical_accuracy(pred, target, cls_rows, classes, ms->k, &v, &err);
        break;
      case TG_METRIC_SPARSE_CATEGORICAL_ACCURACY:
      case TG_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY: {
        /* In chunks so no buffer is allocated per step. */
        double total = 0.0;
        for (int64_t r0 = 0; r0 < cls_rows && st == TG_OK; r0 += kChunk) {
          const int64_t c = cls_rows - r0 < kChunk ? cls_rows - r0 : kChunk;
          for (int64_t r = 0; r < c; ++r) labels[r] = (int32_t)target[r0 + r];
          double part = 0.0;
          st = ms->kind == TG_METRIC_SPARSE_CATEGORICAL_ACCURACY
                   ? tg_sparse_categorical_accuracy(pred + r0 * classes, labels, c, classes, &part,
                                                    &err)
                   : tg_sparse_top_k_categorical_accuracy(pred + r0 * classes, labels, c, classes,
                                                          ms->k, &part, &err);
          total += part * (double)c;
        }
        v = cls_rows ? total / (double)cls_rows : 0.0;
        break;
      }
      case TG_METRIC_MAE:
        st = tg_mae_metric(pred, target, rows * width, &v, &err);
        break;
      case TG_METRIC_MSE:
        st = tg_mse_metric(pred, target, rows * width, &v, &err);
        break;
      default:
        st = tg_error_set(&err, TG_ERR_STATE, "unknown metric kind %d", (int)ms->kind);
    }
    if (st != TG_OK) return tg_model_fail(m, st, "%s: %s", fn, err.message);
    s->sum[i] += v * (double)rows;
  }
  s->rows += rows;
  return TG_OK;
}

void tg_fit_format_value(char* buf, size_t cap, double v) {
  const double a = fabs(v);
  snprintf(buf, cap, a > 1e-3 && a < 1e5 ? "%.4f" : "%.4e", v);
}

/* ---- state for callbacks and resuming ---- */

void tg_model_stop_training(tg_model* m) {
  if (m) m->fx.stop_training = true;
}

float tg_model_learning_rate(const tg_model* m) {
  return m && m->optimizer ? m->optimizer->opt.lr : NAN;
}

tg_status tg_model_set_learning_rate(tg_model* m, float lr) {
  const char* fn = "tg_model_set_learning_rate";
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (m->optimizer == NULL)
    return tg_model_fail(m, TG_ERR_STATE, "%s: compile the model first", fn);
  if (!(lr >= 0.0f) || isinf(lr))
    return tg_model_fail(m, TG_ERR_ARG, "%s: lr must be finite and >= 0, got %g", fn, (double)lr);
  m->optimizer->opt.lr = lr;
  return TG_OK;
}

tg_model_rng_state tg_model_rng_state_get(const tg_model* m) {
  tg_model_rng_state s;
  memset(&s, 0, sizeof s);
  if (m) {
    s.shuffle = m->shuffle_rng;
    s.layers = m->layer_rng;
  }
  return s;
}

void tg_model_rng_state_set(tg_model* m, const tg_model_rng_state* s) {
  if (m == NULL || s == NULL) return;
  m->shuffle_rng = s->shuffle;
  m->layer_rng = s->layers;
}
