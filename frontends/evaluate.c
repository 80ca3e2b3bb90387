/* frontends/evaluate.c — Keras' evaluate (loss and metrics in batches), predict in
 * batches, and fit / evaluate straight from a data set (data/dataset.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "frontends/fit.h"
#include "frontends/internal/fit_impl.h"
#include "frontends/internal/model_impl.h"

tg_status tg_model_evaluate_metrics(tg_model* m, const float* x, int64_t n, const float* y,
                                    const tg_evaluate_options* options, tg_evaluation* out) {
  const char* fn = "tg_model_evaluate_metrics";
  tg_status st = tg_model_check_batch(m, fn, &x, 1, n, y, true, true);
  if (st != TG_OK) return st;
  if (out == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: out is NULL", fn);
  tg_evaluate_options o;
  memset(&o, 0, sizeof o);
  if (options) o = *options;
  if (o.batch_size < 0 || o.verbose < 0 || o.verbose > 2)
    return tg_model_fail(m, TG_ERR_ARG, "%s: batch_size must be >= 0 and verbose 0, 1 or 2", fn);
  if (m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY &&
      (st = tg_model_labels_from_floats(m, fn, y, n, NULL)) != TG_OK)
    return st;
  const int64_t batch = o.batch_size == 0 ? 32 : (o.batch_size < n ? o.batch_size : n);
  tg_progress p;
  const int64_t steps = (n + batch - 1) / batch;
  tg_progress_begin(&p, o.out, o.verbose, steps);
  tg_metric_sums sums;
  memset(&sums, 0, sizeof sums);
  double loss = NAN;
  if ((st = tg_model_eval_batches(m, fn, x, n, y, batch, &loss, &sums, &p)) != TG_OK) return st;
  memset(out, 0, sizeof *out);
  out->loss = loss;
  out->n_metrics = m->fx.n_metrics;
  tg_logs logs = {0};
  tg_logs_put(&logs, "loss", loss);
  for (int i = 0; i < m->fx.n_metrics; ++i) {
    out->metrics[i] = sums.sum[i] / (double)sums.rows;
    out->names[i] = m->fx.metrics[i].name;
    tg_logs_put(&logs, out->names[i], out->metrics[i]);
  }
  tg_progress_end(&p, steps, &logs);
  return TG_OK;
}

tg_status tg_model_predict_batched(tg_model* m, const float* x, int64_t n, int64_t batch_size,
                                   float* out, int64_t out_cap) {
  const char* fn = "tg_model_predict_batched";
  tg_status st = tg_model_check_batch(m, fn, &x, 1, n, NULL, false, false);
  if (st != TG_OK) return st;
  if (batch_size < 0)
    return tg_model_fail(m, TG_ERR_ARG, "%s: batch_size must be >= 0, got %lld", fn,
                         (long long)batch_size);
  const int64_t w = tg_model_output_dim(m), in = tg_model_input_dim(m);
  if (out == NULL || out_cap < n * w)
    return tg_model_fail(m, out ? TG_ERR_SHAPE : TG_ERR_NULL_ARG,
                         "%s: out holds %lld floats but %lld rows of %lld outputs need %lld", fn,
                         (long long)(out ? out_cap : 0), (long long)n, (long long)w,
                         (long long)(n * w));
  const int64_t batch = batch_size == 0 ? 32 : batch_size;
  for (int64_t b0 = 0; b0 < n; b0 += batch) {
    const int64_t rows = n - b0 < batch ? n - b0 : batch;
    if ((st = tg_model_predict(m, x + b0 * in, rows, out + b0 * w, rows * w)) != TG_OK) return st;
  }
  return TG_OK;
}

/* The data set's targets as fit takes them: int labels become floats (owned by the
 * model's allocator; *owned says whether to free). */
static tg_status targets_of(tg_model* m, const char* fn, const tg_dataset* ds, const float** y,
                            float** owned) {
  *owned = NULL;
  if (ds->row_size != tg_model_input_dim(m))
    return tg_model_fail(m, TG_ERR_SHAPE, "%s: rows of %lld features but the model takes %lld", fn,
                         (long long)ds->row_size, (long long)tg_model_input_dim(m));
  if (ds->label_kind == TG_LABELS_FLOAT) {
    if (ds->target_size != tg_model_target_width(m))
      return tg_model_fail(m, TG_ERR_SHAPE, "%s: targets of %lld floats but the model needs %lld",
                           fn, (long long)ds->target_size, (long long)tg_model_target_width(m));
    *y = ds->y;
    return TG_OK;
  }
  if (ds->label_kind != TG_LABELS_INT)
    return tg_model_fail(m, TG_ERR_ARG, "%s: the data set has no targets", fn);
  if (m->loss.kind != TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: the data set has integer labels but the loss %s takes targets of "
                         "the output's shape (use sparse_categorical_crossentropy or one-hot the "
                         "labels with tg_dataset_one_hot)",
                         fn, tg_loss_kind_name(m->loss.kind));
  float* f = (float*)m->alloc->alloc(m->alloc->ctx, (size_t)ds->n * sizeof(float));
  if (f == NULL) return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory", fn);
  for (int64_t i = 0; i < ds->n; ++i) f[i] = (float)ds->labels[i];
  *y = f;
  *owned = f;
  return TG_OK;
}

tg_status tg_model_fit_dataset(tg_model* m, const tg_dataset* train, const tg_dataset* val,
                               const tg_fit_options* options) {
  const char* fn = "tg_model_fit_dataset";
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (train == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: train is NULL", fn);
  if (!m->compiled) return tg_model_fail(m, TG_ERR_STATE, "%s: compile the model first", fn);
  tg_fit_options o;
  memset(&o, 0, sizeof o);
  if (options) o = *options;
  const float *y = NULL, *vy = NULL;
  float *owned = NULL, *vowned = NULL;
  tg_status st = targets_of(m, fn, train, &y, &owned);
  if (st == TG_OK && val) {
    st = targets_of(m, fn, val, &vy, &vowned);
    o.validation_x = val->x;
    o.validation_y = vy;
    o.validation_n = val->n;
  }
  if (st == TG_OK) st = tg_model_fit(m, train->x, train->n, y, &o);
  m->alloc->free(m->alloc->ctx, owned);
  m->alloc->free(m->alloc->ctx, vowned);
  return st;
}

tg_status tg_model_evaluate_dataset(tg_model* m, const tg_dataset* ds,
                                    const tg_evaluate_options* options, tg_evaluation* out) {
  const char* fn = "tg_model_evaluate_dataset";
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (ds == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: ds is NULL", fn);
  if (!m->compiled) return tg_model_fail(m, TG_ERR_STATE, "%s: compile the model first", fn);
  const float* y = NULL;
  float* owned = NULL;
  tg_status st = targets_of(m, fn, ds, &y, &owned);
  if (st == TG_OK) st = tg_model_evaluate_metrics(m, ds->x, ds->n, y, options, out);
  m->alloc->free(m->alloc->ctx, owned);
  return st;
}
