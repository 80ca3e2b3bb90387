/* frontends/tensor_batches.c — the tensor forms of train/evaluate/predict/fit: check
 * each tensor's shape against the model (so a width mismatch is reported before any
 * training), then call the array forms. */
#include <stdio.h>

#include "frontends/internal/model_impl.h"

/* rows of t if it is [rows, width] (or [rows] when width is 1), else -1. */
static int64_t rows_of(const tg_tensor* t, int64_t width) {
  if (t->rank == 2 && t->shape[1] == width) return t->shape[0];
  if (t->rank == 1 && width == 1) return t->shape[0];
  return -1;
}

/* Checks x (and y when given) and returns the row count through *n. */
static tg_status check_xy(tg_model* m, const char* fn, const tg_tensor* x, const tg_tensor* y,
                          bool needs_y, int64_t* n) {
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (x == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: x is NULL", fn);
  if (needs_y && y == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: y is NULL", fn);
  if (m->n_nodes == 0) return tg_model_fail(m, TG_ERR_STATE, "%s: the model has no layers", fn);
  if (m->n_inputs != 1)
    return tg_model_fail(m, TG_ERR_ARG, "%s: the model takes %d inputs; use the _multi forms", fn,
                         m->n_inputs);
  char s[TG_SHAPE_STR_CAP];
  const int64_t in = tg_model_input_dim(m);
  *n = rows_of(x, in);
  if (*n < 0)
    return tg_model_fail(m, TG_ERR_SHAPE, "%s: x is %s but the model takes [n x %lld] inputs", fn,
                         tg_tensor_shape_str(x, s, sizeof s), (long long)in);
  if (!needs_y) return TG_OK;
  if (y->dtype != TG_FLOAT32 || x->dtype != TG_FLOAT32)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: x and y must be float32 (class labels as floats for a sparse loss)",
                         fn);
  /* A sparse loss takes one label per row (fit_impl.h). */
  const int64_t ny = rows_of(y, tg_model_target_width(m));
  if (ny < 0)
    return tg_model_fail(m, TG_ERR_SHAPE, "%s: y is %s but the model gives [n x %lld] outputs", fn,
                         tg_tensor_shape_str(y, s, sizeof s), (long long)tg_model_output_dim(m));
  if (ny != *n)
    return tg_model_fail(m, TG_ERR_SHAPE, "%s: x has %lld rows but y has %lld", fn, (long long)*n,
                         (long long)ny);
  return TG_OK;
}

tg_status tg_model_train_on_batch_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                                          float* loss) {
  int64_t n = 0;
  tg_status st = check_xy(m, "tg_model_train_on_batch", x, y, true, &n);
  return st != TG_OK ? st : tg_model_train_on_batch(m, x->data, n, y->data, loss);
}

tg_status tg_model_evaluate_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                                    float* loss) {
  int64_t n = 0;
  tg_status st = check_xy(m, "tg_model_evaluate", x, y, true, &n);
  return st != TG_OK ? st : tg_model_evaluate(m, x->data, n, y->data, loss);
}

tg_status tg_model_fit_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                               const tg_fit_options* options) {
  int64_t n = 0;
  tg_status st = check_xy(m, "tg_model_fit", x, y, true, &n);
  return st != TG_OK ? st : tg_model_fit(m, x->data, n, y->data, options);
}

tg_status tg_model_predict_tensors(tg_model* m, const tg_tensor* x, tg_tensor* out) {
  const char* fn = "tg_model_predict";
  int64_t n = 0;
  tg_status st = check_xy(m, fn, x, NULL, false, &n);
  if (st != TG_OK) return st;
  if (out == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: out is NULL", fn);
  if (rows_of(out, tg_model_output_dim(m)) != n) {
    char s[TG_SHAPE_STR_CAP];
    return tg_model_fail(m, TG_ERR_SHAPE, "%s: out is %s but %lld rows give [%lld x %lld]", fn,
                         tg_tensor_shape_str(out, s, sizeof s), (long long)n, (long long)n,
                         (long long)tg_model_output_dim(m));
  }
  return tg_model_predict(m, x->data, n, out->data, out->size);
}
