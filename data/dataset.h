/** @file data/dataset.h — a data set in memory: N rows of float features (each row a
 * [d...] block, e.g. 28x28 pixels) and, per row, an int32 class label or a float
 * target vector (regression values, one-hot rows).
 *
 * Ownership: a tg_dataset owns its arrays (allocated through the allocator it was
 * made with; NULL means malloc) and releases them with tg_dataset_free. The struct
 * is plain and public for reading; rows are contiguous and row-major, so
 * `ds.x + i * ds.row_size` is row i. Thread-safety: no shared state.
 *
 *     tg_dataset ds;
 *     tg_error err = {0};
 *     int64_t row[1] = {2};
 *     if (tg_dataset_init(&ds, 100, 1, row, TG_LABELS_INT, 1, NULL, &err) != TG_OK) ...
 *     ds.x[0] = 0.5f;  ds.labels[0] = 3;
 *     tg_dataset first;  tg_dataset_slice(&ds, 0, 10, &first, &err);   // a copy of rows 0..9
 *     tg_dataset_free(&first);
 *     tg_dataset_free(&ds);
 */
#ifndef TAPEGRAD_DATA_DATASET_H_
#define TAPEGRAD_DATA_DATASET_H_

#include <stdint.h>

#include "core/alloc.h"
#include "core/status.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a row's target is. */
typedef enum tg_label_kind {
  TG_LABELS_NONE = 0, /**< features only */
  TG_LABELS_INT,      /**< one int32 class label per row (`labels`) */
  TG_LABELS_FLOAT     /**< target_size floats per row (`y`): values or one-hot rows */
} tg_label_kind;

enum { TG_DATASET_ROW_RANK = TG_MAX_RANK - 1 };

/** n rows of features with their targets, in arrays the data set owns. */
typedef struct tg_dataset {
  int64_t n;                              /**< rows */
  int row_rank;                           /**< rank of one row's features, 1..3 */
  int64_t row_shape[TG_DATASET_ROW_RANK]; /**< e.g. {28, 28}; 1 beyond row_rank */
  int64_t row_size;                       /**< floats per row (product of row_shape) */
  float* x;                               /**< n * row_size floats */
  tg_label_kind label_kind;               /**< which targets it has */
  int64_t target_size; /**< floats per row of y (TG_LABELS_FLOAT); 1 for int labels; 0 none */
  int32_t* labels;     /**< n labels in [0, num_classes) (TG_LABELS_INT), else NULL */
  float* y;            /**< n * target_size floats (TG_LABELS_FLOAT), else NULL */
  int32_t num_classes; /**< TG_LABELS_INT: labels lie in [0, num_classes); else 0 */
  /** private */
  const tg_allocator* alloc_;
} tg_dataset;

/** Makes *ds a zero-filled data set of n rows of shape row_shape[0..row_rank) with
 * targets of `kind` (target_size floats per row for TG_LABELS_FLOAT, ignored
 * otherwise). num_classes starts at 0; set it when filling labels. Errors
 * (TG_ERR_RANK, TG_ERR_ARG, TG_ERR_OVERFLOW, TG_ERR_NOMEM) leave *ds empty, safe to
 * free. */
tg_status tg_dataset_init(tg_dataset* ds, int64_t n, int row_rank, const int64_t* row_shape,
                          tg_label_kind kind, int64_t target_size, const tg_allocator* alloc,
                          tg_error* err);

/** Releases the arrays and empties *ds; NULL and empty data sets are ignored. */
void tg_dataset_free(tg_dataset* ds);

/** *out = a copy of rows [start, start + count) of src (through src's allocator). */
tg_status tg_dataset_slice(const tg_dataset* src, int64_t start, int64_t count, tg_dataset* out,
                           tg_error* err);

/** *out = a copy of rows rows[0..count) of src, in that order (rows may repeat). A row
 * index outside [0, src->n) is TG_ERR_ARG naming it and its position. */
tg_status tg_dataset_gather(const tg_dataset* src, const int64_t* rows, int64_t count,
                            tg_dataset* out, tg_error* err);

/** *out = a copy of src whose int labels are one-hot float rows of num_classes
 * (0: src->num_classes). TG_ERR_STATE if src has no int labels, TG_ERR_ARG for a
 * label outside [0, num_classes) (naming the row). */
tg_status tg_dataset_one_hot(const tg_dataset* src, int32_t num_classes, tg_dataset* out,
                             tg_error* err);

/** Views of the whole data set as tensors (nothing copied or allocated): features
 * [n, row_shape...] and labels [n] (int32) or targets [n, target_size]. The views are
 * valid while the data set lives. TG_ERR_STATE if the data set has no such targets. @{ */
tg_status tg_dataset_x_view(tg_dataset* ds, tg_tensor* out, tg_error* err);
tg_status tg_dataset_target_view(tg_dataset* ds, tg_tensor* out, tg_error* err);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DATA_DATASET_H_ */
