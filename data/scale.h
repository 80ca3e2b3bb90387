/** @file data/scale.h — feature scaling: multiply by a constant (pixels / 255), and
 * standardisation with statistics computed on the training split only and then
 * applied unchanged to validation and test data (computing them on all the data
 * leaks the test set into training).
 *
 *     tg_dataset_scale(&train, 1.0f / 255.0f, &err);   // 0..255 bytes -> [0, 1]
 *
 *     tg_standardizer s;
 *     tg_standardizer_fit(&s, &train, &err);             // per-feature mean and std
 *     tg_standardizer_apply(&s, &train, &err);           // x = (x - mean) / std
 *     tg_standardizer_apply(&s, &test, &err);            // the *training* statistics
 *     tg_standardizer_free(&s);
 * Ownership: a standardizer owns its two arrays (the training set's allocator).
 */
#ifndef TAPEGRAD_DATA_SCALE_H_
#define TAPEGRAD_DATA_SCALE_H_

#include <stdint.h>

#include "core/status.h"
#include "data/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** x *= factor for every feature; factor must be finite (TG_ERR_ARG). */
tg_status tg_dataset_scale(tg_dataset* ds, float factor, tg_error* err);

/** Per-feature mean and standard deviation, fitted on a training set. */
typedef struct tg_standardizer {
  int64_t size; /**< features per row (the training set's row_size) */
  float* mean;  /**< size means */
  float* std;   /**< size population standard deviations; 1 where a feature is constant */
  /** private */
  const tg_allocator* alloc_;
} tg_standardizer;

/** Computes per-feature mean and population std (as numpy's std, ddof 0) over the
 * rows of `train` (>= 1 row). A constant feature gets std 1, so it is only centred
 * (as scikit-learn's StandardScaler). On error *s is empty, safe to free. */
tg_status tg_standardizer_fit(tg_standardizer* s, const tg_dataset* train, tg_error* err);

/** x = (x - mean) / std on every row of ds; ds->row_size must equal s->size. */
tg_status tg_standardizer_apply(const tg_standardizer* s, tg_dataset* ds, tg_error* err);

/** Releases the arrays and empties *s; NULL is ignored. */
void tg_standardizer_free(tg_standardizer* s);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DATA_SCALE_H_ */
