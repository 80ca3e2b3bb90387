/* data/scale.c — constant scaling and standardisation (statistics in double, two
 * passes, so large pixel counts do not lose precision). */
#include "data/scale.h"

#include <math.h>
#include <string.h>

tg_status tg_dataset_scale(tg_dataset* ds, float factor, tg_error* err) {
  static const char fn[] = "tg_dataset_scale";
  if (ds == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: ds is NULL", fn);
  if (!isfinite(factor))
    return tg_error_set(err, TG_ERR_ARG, "%s: factor %g is not finite", fn, (double)factor);
  const int64_t total = ds->n * ds->row_size;
  for (int64_t i = 0; i < total; ++i) ds->x[i] *= factor;
  return TG_OK;
}

void tg_standardizer_free(tg_standardizer* s) {
  if (s == NULL) return;
  if (s->alloc_) {
    s->alloc_->free(s->alloc_->ctx, s->mean);
    s->alloc_->free(s->alloc_->ctx, s->std);
  }
  memset(s, 0, sizeof *s);
}

tg_status tg_standardizer_fit(tg_standardizer* s, const tg_dataset* train, tg_error* err) {
  static const char fn[] = "tg_standardizer_fit";
  if (s == NULL || train == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, s ? "train" : "s");
  memset(s, 0, sizeof *s);
  if (train->alloc_ == NULL || train->n < 1)
    return tg_error_set(err, TG_ERR_ARG, "%s: the training set has no rows", fn);
  const tg_allocator* a = train->alloc_;
  const int64_t d = train->row_size;
  double* acc = (double*)a->alloc(a->ctx, (size_t)d * 2 * sizeof(double));
  s->mean = (float*)a->alloc(a->ctx, (size_t)d * sizeof(float));
  s->std = (float*)a->alloc(a->ctx, (size_t)d * sizeof(float));
  s->alloc_ = a;
  if (acc == NULL || s->mean == NULL || s->std == NULL) {
    a->free(a->ctx, acc);
    tg_standardizer_free(s);
    return tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory for %lld features", fn, (long long)d);
  }
  s->size = d;
  double* mean = acc;
  double* var = acc + d;
  memset(acc, 0, (size_t)d * 2 * sizeof(double));
  for (int64_t r = 0; r < train->n; ++r)
    for (int64_t j = 0; j < d; ++j) mean[j] += train->x[r * d + j];
  for (int64_t j = 0; j < d; ++j) mean[j] /= (double)train->n;
  for (int64_t r = 0; r < train->n; ++r)
    for (int64_t j = 0; j < d; ++j) {
      const double e = train->x[r * d + j] - mean[j];
      var[j] += e * e;
    }
  for (int64_t j = 0; j < d; ++j) {
    const double sd = sqrt(var[j] / (double)train->n);
    s->mean[j] = (float)mean[j];
    s->std[j] = sd > 0 ? (float)sd : 1.0f;
  }
  a->free(a->ctx, acc);
  return TG_OK;
}

tg_status tg_standardizer_apply(const tg_standardizer* s, tg_dataset* ds, tg_error* err) {
  static const char fn[] = "tg_standardizer_apply";
  if (s == NULL || ds == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, s ? "ds" : "s");
  if (s->mean == NULL)
    return tg_error_set(err, TG_ERR_STATE, "%s: the standardizer is not fitted", fn);
  if (ds->row_size != s->size)
    return tg_error_set(err, TG_ERR_SHAPE,
                        "%s: rows of %lld features, but the statistics are for %lld", fn,
                        (long long)ds->row_size, (long long)s->size);
  for (int64_t r = 0; r < ds->n; ++r)
    for (int64_t j = 0; j < s->size; ++j) {
      float* v = ds->x + r * s->size + j;
      *v = (*v - s->mean[j]) / s->std[j];
    }
  return TG_OK;
}
