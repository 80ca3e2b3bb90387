/* data/metrics.c — accuracies, top-k, mae, mse, and Keras' accuracy rule. */
#include "data/metrics.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static const char* const kNames[TG_METRIC_KIND_COUNT] = {
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "mean_absolute_error",
    "mean_squared_error",
};

const char* tg_metric_name(tg_metric_kind kind) {
  return kind >= 0 && kind < TG_METRIC_KIND_COUNT ? kNames[kind] : "unknown";
}

tg_status tg_metric_from_name(const char* name, tg_metric_kind* out, tg_error* err) {
  static const char fn[] = "tg_metric_from_name";
  if (name == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, name ? "out" : "name");
  static const struct {
    const char* alias;
    tg_metric_kind kind;
  } kAliases[] = {{"mae", TG_METRIC_MAE}, {"mse", TG_METRIC_MSE}};
  for (int i = 0; i < TG_METRIC_KIND_COUNT; ++i)
    if (strcmp(name, kNames[i]) == 0) {
      *out = (tg_metric_kind)i;
      return TG_OK;
    }
  for (size_t i = 0; i < sizeof kAliases / sizeof kAliases[0]; ++i)
    if (strcmp(name, kAliases[i].alias) == 0) {
      *out = kAliases[i].kind;
      return TG_OK;
    }
  if (strcmp(name, "accuracy") == 0 || strcmp(name, "acc") == 0)
    return tg_error_set(err, TG_ERR_ARG,
                        "%s: '%s' depends on the loss and the shapes: use tg_accuracy_for_loss", fn,
                        name);
  return tg_error_set(err, TG_ERR_ARG, "%s: unknown metric '%s'", fn, name);
}

tg_status tg_accuracy_for_loss(const char* loss_name, int output_rank, const int64_t* output_shape,
                               int target_rank, const int64_t* target_shape, tg_metric_kind* out,
                               tg_error* err) {
  static const char fn[] = "tg_accuracy_for_loss";
  if (out == NULL || (output_rank > 0 && output_shape == NULL) ||
      (target_rank > 0 && target_shape == NULL))
    return tg_error_set(
        err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn,
        out == NULL ? "out" : (output_shape == NULL ? "output_shape" : "target_shape"));
  if (output_rank < 0 || output_rank > TG_MAX_RANK || target_rank < 0 || target_rank > TG_MAX_RANK)
    return tg_error_set(err, TG_ERR_RANK, "%s: ranks %d and %d outside 0..%d", fn, output_rank,
                        target_rank, TG_MAX_RANK);
  const int64_t p_last = output_rank > 0 ? output_shape[output_rank - 1] : 1;
  const int64_t t_last = target_rank > 0 ? target_shape[target_rank - 1] : 1;
  const bool same_shape =
      output_rank == target_rank &&
      (output_rank == 0 || memcmp(output_shape, target_shape, (size_t)output_rank * 8) == 0);
  const char* loss = loss_name ? loss_name : "";
  char so[TG_SHAPE_STR_CAP], st[TG_SHAPE_STR_CAP];
  tg_shape_format(so, sizeof so, output_rank, output_shape);
  tg_shape_format(st, sizeof st, target_rank, target_shape);
  if (strcmp(loss, "binary_crossentropy") == 0 || p_last == 1) {
    *out = TG_METRIC_BINARY_ACCURACY;
    return TG_OK;
  }
  const bool sparse_shapes = target_rank < output_rank || (t_last == 1 && p_last > 1);
  if (strcmp(loss, "sparse_categorical_crossentropy") == 0) {
    if (!sparse_shapes)
      return tg_error_set(err, TG_ERR_SHAPE,
                          "%s: sparse_categorical_crossentropy takes integer labels, but the "
                          "targets %s have the output's shape %s (one-hot: use "
                          "categorical_crossentropy)",
                          fn, st, so);
    *out = TG_METRIC_SPARSE_CATEGORICAL_ACCURACY;
    return TG_OK;
  }
  if (sparse_shapes) {
    if (strcmp(loss, "categorical_crossentropy") == 0)
      return tg_error_set(err, TG_ERR_SHAPE,
                          "%s: categorical_crossentropy takes one-hot targets of the output's "
                          "shape %s, got %s (integer labels: use sparse_categorical_crossentropy)",
                          fn, so, st);
    *out = TG_METRIC_SPARSE_CATEGORICAL_ACCURACY;
    return TG_OK;
  }
  if (!same_shape)
    return tg_error_set(err, TG_ERR_SHAPE, "%s: output %s and targets %s do not fit an accuracy",
                        fn, so, st);
  *out = TG_METRIC_CATEGORICAL_ACCURACY;
  return TG_OK;
}

static tg_status check(const char* fn, const void* a, const void* b, const double* out, int64_t n,
                       int64_t classes, tg_error* err) {
  if (a == NULL || b == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn,
                        a == NULL ? "pred" : (b == NULL ? "target" : "out"));
  if (n < 1 || classes < 1)
    return tg_error_set(err, TG_ERR_ARG, "%s: %lld rows of %lld classes: nothing to average", fn,
                        (long long)n, (long long)classes);
  return TG_OK;
}

static int64_t argmax(const float* p, int64_t c) {
  int64_t best = 0;
  for (int64_t j = 1; j < c; ++j)
    if (p[j] > p[best] || (isnan(p[best]) && !isnan(p[j]))) best = j;
  return best;
}

/* True when class `label` is among the k largest of p (tf.math.in_top_k). */
static bool in_top_k(const float* p, int64_t c, int64_t label, int k) {
  const float v = p[label];
  if (isnan(v)) return false;
  int64_t higher = 0;
  for (int64_t j = 0; j < c; ++j) higher += p[j] > v;
  return higher < k;
}

tg_status tg_argmax_rows(const float* pred, int64_t rows, int64_t classes, int32_t* out,
                         tg_error* err) {
  static const char fn[] = "tg_argmax_rows";
  if (pred == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, pred ? "out" : "pred");
  if (rows < 0 || classes < 1 || classes > INT32_MAX)
    return tg_error_set(err, TG_ERR_ARG, "%s: %lld rows of %lld classes", fn, (long long)rows,
                        (long long)classes);
  for (int64_t r = 0; r < rows; ++r) out[r] = (int32_t)argmax(pred + r * classes, classes);
  return TG_OK;
}

tg_status tg_binary_accuracy(const float* pred, const float* target, int64_t n, float threshold,
                             double* out, tg_error* err) {
  tg_status st = check("binary_accuracy", pred, target, out, n, 1, err);
  if (st != TG_OK) return st;
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) hits += target[i] == (pred[i] > threshold ? 1.0f : 0.0f);
  *out = (double)hits / (double)n;
  return TG_OK;
}

tg_status tg_categorical_accuracy(const float* pred, const float* target, int64_t rows,
                                  int64_t classes, double* out, tg_error* err) {
  tg_status st = check("categorical_accuracy", pred, target, out, rows, classes, err);
  if (st != TG_OK) return st;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r)
    hits += argmax(pred + r * classes, classes) == argmax(target + r * classes, classes);
  *out = (double)hits / (double)rows;
  return TG_OK;
}

static tg_status check_labels(const char* fn, const int32_t* labels, int64_t rows, int64_t classes,
                              tg_error* err) {
  for (int64_t r = 0; r < rows; ++r)
    if (labels[r] < 0 || labels[r] >= classes)
      return tg_error_set(err, TG_ERR_ARG, "%s: label %d at row %lld out of range for %lld classes",
                          fn, (int)labels[r], (long long)r, (long long)classes);
  return TG_OK;
}

tg_status tg_sparse_categorical_accuracy(const float* pred, const int32_t* labels, int64_t rows,
                                         int64_t classes, double* out, tg_error* err) {
  static const char fn[] = "sparse_categorical_accuracy";
  tg_status st = check(fn, pred, labels, out, rows, classes, err);
  if (st == TG_OK) st = check_labels(fn, labels, rows, classes, err);
  if (st != TG_OK) return st;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r) hits += argmax(pred + r * classes, classes) == labels[r];
  *out = (double)hits / (double)rows;
  return TG_OK;
}

static tg_status check_k(const char* fn, int k, tg_error* err) {
  return k >= 1 ? TG_OK : tg_error_set(err, TG_ERR_ARG, "%s: k %d must be >= 1", fn, k);
}

tg_status tg_top_k_categorical_accuracy(const float* pred, const float* target, int64_t rows,
                                        int64_t classes, int k, double* out, tg_error* err) {
  static const char fn[] = "top_k_categorical_accuracy";
  tg_status st = check(fn, pred, target, out, rows, classes, err);
  if (st == TG_OK) st = check_k(fn, k, err);
  if (st != TG_OK) return st;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r)
    hits += in_top_k(pred + r * classes, classes, argmax(target + r * classes, classes), k);
  *out = (double)hits / (double)rows;
  return TG_OK;
}

tg_status tg_sparse_top_k_categorical_accuracy(const float* pred, const int32_t* labels,
                                               int64_t rows, int64_t classes, int k, double* out,
                                               tg_error* err) {
  static const char fn[] = "sparse_top_k_categorical_accuracy";
  tg_status st = check(fn, pred, labels, out, rows, classes, err);
  if (st == TG_OK) st = check_k(fn, k, err);
  if (st == TG_OK) st = check_labels(fn, labels, rows, classes, err);
  if (st != TG_OK) return st;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r) hits += in_top_k(pred + r * classes, classes, labels[r], k);
  *out = (double)hits / (double)rows;
  return TG_OK;
}

tg_status tg_mae_metric(const float* pred, const float* target, int64_t n, double* out,
                        tg_error* err) {
  tg_status st = check("mean_absolute_error", pred, target, out, n, 1, err);
  if (st != TG_OK) return st;
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += fabs((double)pred[i] - (double)target[i]);
  *out = s / (double)n;
  return TG_OK;
}

tg_status tg_mse_metric(const float* pred, const float* target, int64_t n, double* out,
                        tg_error* err) {
  tg_status st = check("mean_squared_error", pred, target, out, n, 1, err);
  if (st != TG_OK) return st;
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double e = (double)pred[i] - (double)target[i];
    s += e * e;
  }
  *out = s / (double)n;
  return TG_OK;
}

tg_status tg_metric_compute(tg_metric_kind kind, const tg_tensor* pred, const tg_tensor* target,
                            int k, float threshold, double* out, tg_error* err) {
  const char* fn = tg_metric_name(kind);
  if (kind < 0 || kind >= TG_METRIC_KIND_COUNT)
    return tg_error_set(err, TG_ERR_ARG, "tg_metric_compute: unknown metric kind %d", (int)kind);
  if (pred == NULL || target == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn,
                        pred == NULL ? "pred" : (target == NULL ? "target" : "out"));
  char sp[TG_SHAPE_STR_CAP], stt[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(pred, sp, sizeof sp);
  tg_tensor_shape_str(target, stt, sizeof stt);
  if (pred->dtype != TG_FLOAT32)
    return tg_error_set(err, TG_ERR_ARG, "%s: predictions %s must be float32, got %s", fn, sp,
                        tg_dtype_name(pred->dtype));
  const bool sparse = kind == TG_METRIC_SPARSE_CATEGORICAL_ACCURACY ||
                      kind == TG_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY;
  const int64_t classes = pred->rank > 0 ? pred->shape[pred->rank - 1] : 1;
  if (sparse) {
    /* labels: the prediction's shape without the class axis, or with a last axis of 1 */
    bool fits = target->dtype == TG_INT32 && pred->rank >= 1 && classes > 0 &&
                target->size * classes == pred->size;
    for (int d = 0; fits && d < pred->rank - 1; ++d)
      fits = d < target->rank && target->shape[d] == pred->shape[d];
    fits = fits && (target->rank == pred->rank - 1 ||
                    (target->rank == pred->rank && target->shape[target->rank - 1] == 1));
    if (!fits)
      return tg_error_set(err, TG_ERR_SHAPE,
                          "%s: predictions %s need int32 labels of shape %s without its last axis, "
                          "got %s %s",
                          fn, sp, sp, tg_dtype_name(target->dtype), stt);
    const int64_t rows = pred->size / classes;
    return kind == TG_METRIC_SPARSE_CATEGORICAL_ACCURACY
               ? tg_sparse_categorical_accuracy(pred->data, target->idata, rows, classes, out, err)
               : tg_sparse_top_k_categorical_accuracy(pred->data, target->idata, rows, classes, k,
                                                      out, err);
  }
  if (target->dtype != TG_FLOAT32 || !tg_same_shape(pred, target))
    return tg_error_set(err, TG_ERR_SHAPE, "%s: predictions %s and %s targets %s: shapes differ",
                        fn, sp, tg_dtype_name(target->dtype), stt);
  const int64_t rows = classes > 0 ? pred->size / classes : 0;
  switch (kind) {
    case TG_METRIC_BINARY_ACCURACY:
      return tg_binary_accuracy(pred->data, target->data, pred->size, threshold, out, err);
    case TG_METRIC_CATEGORICAL_ACCURACY:
      return tg_categorical_accuracy(pred->data, target->data, rows, classes, out, err);
    case TG_METRIC_TOP_K_CATEGORICAL_ACCURACY:
      return tg_top_k_categorical_accuracy(pred->data, target->data, rows, classes, k, out, err);
    case TG_METRIC_MAE:
      return tg_mae_metric(pred->data, target->data, pred->size, out, err);
    default:
      return tg_mse_metric(pred->data, target->data, pred->size, out, err);
  }
}
