/** @file data/metrics.h — Keras' metrics over plain arrays (or tensors): the accuracies,
 * top-k, mae and mse, and the rule that picks an accuracy for a loss.
 *
 * Definitions (means over the rows; classes along the last axis):
 *     binary_accuracy                 mean over all elements of [ t == (p > threshold ? 1 : 0) ]
 *                                     (exact comparison, as Keras: targets are 0 or 1)
 *     categorical_accuracy            [ argmax p == argmax t ]      (ties: the first maximum)
 *     sparse_categorical_accuracy     [ argmax p == label ]
 *     top_k_categorical_accuracy      [ argmax t is among the k largest p ]
 *     sparse_top_k_categorical_accuracy [ label is among the k largest p ]
 *       (as tf.math.in_top_k: the label's class counts as in the top k when fewer than k
 *        classes score strictly higher; a NaN score is never in the top k)
 *     mean_absolute_error             mean |p - t|;   mean_squared_error   mean (p - t)²
 * Results are computed in double. Errors (NULL, sizes, a label out of range) name
 * the metric, e.g. "sparse_categorical_accuracy: label 12 at row 3 out of range for
 * 10 classes". Thread-safety: pure functions.
 *
 *     double acc;
 *     tg_sparse_categorical_accuracy(probs, labels, rows, 10, &acc, &err);
 *     tg_metric_kind k;   // what Keras' "accuracy" means for this loss and these shapes
 *     tg_accuracy_for_loss("sparse_categorical_crossentropy", 2, pred_shape, 1, label_shape,
 *                          &k, &err);   // k == TG_METRIC_SPARSE_CATEGORICAL_ACCURACY
 */
#ifndef TAPEGRAD_DATA_METRICS_H_
#define TAPEGRAD_DATA_METRICS_H_

#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The metrics, as Keras names them (tg_metric_name). */
typedef enum tg_metric_kind {
  TG_METRIC_BINARY_ACCURACY = 0,               /**< "binary_accuracy" */
  TG_METRIC_CATEGORICAL_ACCURACY,              /**< "categorical_accuracy" */
  TG_METRIC_SPARSE_CATEGORICAL_ACCURACY,       /**< "sparse_categorical_accuracy" */
  TG_METRIC_TOP_K_CATEGORICAL_ACCURACY,        /**< "top_k_categorical_accuracy" */
  TG_METRIC_SPARSE_TOP_K_CATEGORICAL_ACCURACY, /**< "sparse_top_k_categorical_accuracy" */
  TG_METRIC_MAE,                               /**< "mean_absolute_error" */
  TG_METRIC_MSE,                               /**< "mean_squared_error" */
  TG_METRIC_KIND_COUNT                         /**< number of kinds */
} tg_metric_kind;

/** Keras' name ("binary_accuracy", ..., "mean_absolute_error", "mean_squared_error");
 * "unknown" out of range. Never NULL. */
const char* tg_metric_name(tg_metric_kind kind);
/** The kind for a Keras name or alias ("mae", "mse", "top_k_categorical_accuracy",
 * ...). "accuracy"/"acc" depend on the loss: use tg_accuracy_for_loss. TG_ERR_ARG
 * for an unknown name. */
tg_status tg_metric_from_name(const char* name, tg_metric_kind* out, tg_error* err);

/** Which accuracy Keras' "accuracy" means, given the loss name (Keras' names:
 * "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
 * "mean_squared_error", ...; NULL or any other name falls through to the shapes) and
 * the shapes of the model's output and of the targets:
 *     1. loss "binary_crossentropy", or output's last dimension 1  -> binary
 *     2. loss "sparse_categorical_crossentropy", or targets of lower rank than the
 *        output, or targets' last dimension 1 with the output's > 1 -> sparse categorical
 *     3. otherwise                                                -> categorical
 * (tf.keras' compile rule, with the loss deciding first as Keras 2.2 did). A sparse
 * loss whose targets already have the output's shape, or a categorical loss with
 * targets of another shape, is TG_ERR_SHAPE naming both shapes. */
tg_status tg_accuracy_for_loss(const char* loss_name, int output_rank, const int64_t* output_shape,
                               int target_rank, const int64_t* target_shape, tg_metric_kind* out,
                               tg_error* err);

/** The metrics on arrays. n: elements; rows x classes: row-major predictions. @{ */
tg_status tg_binary_accuracy(const float* pred, const float* target, int64_t n, float threshold,
                             double* out, tg_error* err);
tg_status tg_categorical_accuracy(const float* pred, const float* target, int64_t rows,
                                  int64_t classes, double* out, tg_error* err);
tg_status tg_sparse_categorical_accuracy(const float* pred, const int32_t* labels, int64_t rows,
                                         int64_t classes, double* out, tg_error* err);
tg_status tg_top_k_categorical_accuracy(const float* pred, const float* target, int64_t rows,
                                        int64_t classes, int k, double* out, tg_error* err);
tg_status tg_sparse_top_k_categorical_accuracy(const float* pred, const int32_t* labels,
                                               int64_t rows, int64_t classes, int k, double* out,
                                               tg_error* err);
tg_status tg_mae_metric(const float* pred, const float* target, int64_t n, double* out,
                        tg_error* err);
tg_status tg_mse_metric(const float* pred, const float* target, int64_t n, double* out,
                        tg_error* err);
/** @} */

/** Any metric on tensors: predictions [.., classes] float; targets float of the same
 * shape, or int32 labels of the shape without the class axis (sparse kinds). k is
 * for the top-k kinds (Keras' default is 5), threshold for binary (Keras: 0.5). */
tg_status tg_metric_compute(tg_metric_kind kind, const tg_tensor* pred, const tg_tensor* target,
                            int k, float threshold, double* out, tg_error* err);

/** Row-wise argmax of rows x classes predictions (the first maximum; NaN never wins). */
tg_status tg_argmax_rows(const float* pred, int64_t rows, int64_t classes, int32_t* out,
                         tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DATA_METRICS_H_ */
