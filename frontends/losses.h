/** @file frontends/losses.h — Keras' losses, each recorded on a tape as one op (ops/).
 *
 * Every loss is the mean over all elements (= Keras' mean over the last axis, then
 * over the batch), except categorical cross-entropy, which sums over the last axis
 * (the classes) and averages over the rows:
 *     mse                       mean (p - y)²                                  op "mse"
 *     mean_absolute_error       mean |p - y|                                   op "mae"
 *     binary_crossentropy       mean -(y log p + (1-y) log(1-p)), p clipped to
 *                               [1e-7, 1-1e-7] as Keras                 op "binary_crossentropy"
 *       from_logits             same on p = sigmoid(z), computed stably op "sigmoid_cross_entropy"
 *     categorical_crossentropy  mean over rows of -Σ y log p, p normalised to sum 1 per
 *                               row and clipped to [1e-7, 1-1e-7] as Keras
 *                                                                   op "categorical_crossentropy"
 *       from_logits             same on p = softmax(z), computed stably op "softmax_cross_entropy"
 *     sparse_categorical_crossentropy  the same against int32 class labels [rows] instead
 *                               of one-hot rows (a model's targets are then one label per
 *                               row)                       op "sparse_categorical_crossentropy"
 * Thread-safety: as the tape (one thread per tape).
 *
 *     tg_tensor* y_pred = ...;                     // recorded on tape t, shape [n, k]
 *     tg_loss loss = {.kind = TG_LOSS_MSE};
 *     tg_tensor* l = tg_loss_apply(t, loss, y_pred, y_true);
 *     if (l == NULL) fprintf(stderr, "%s\n", tg_tape_message(t));
 */
#ifndef TAPEGRAD_FRONTENDS_LOSSES_H_
#define TAPEGRAD_FRONTENDS_LOSSES_H_

#include <stdbool.h>

#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The losses, as Keras names them (tg_loss_kind_name). */
typedef enum tg_loss_kind {
  TG_LOSS_MSE = 0,                         /**< "mean_squared_error" */
  TG_LOSS_MAE,                             /**< "mean_absolute_error" */
  TG_LOSS_BINARY_CROSSENTROPY,             /**< "binary_crossentropy" */
  TG_LOSS_CATEGORICAL_CROSSENTROPY,        /**< "categorical_crossentropy" */
  TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, /**< "sparse_categorical_crossentropy" */
  TG_LOSS_KIND_COUNT                       /**< number of kinds */
} tg_loss_kind;

/** A loss: its kind and whether predictions are logits. */
typedef struct tg_loss {
  tg_loss_kind kind; /**< which one */
  bool from_logits;  /**< cross-entropies only: predictions are logits, not probabilities */
} tg_loss;

/** Records the loss of `prediction` against `target` (equal shapes; categorical needs
 * rank >= 1) and returns the scalar (owned by the tape), or NULL with the error on
 * the tape (unknown kind: TG_ERR_ARG). */
tg_tensor* tg_loss_apply(tg_tape* t, tg_loss loss, tg_tensor* prediction, tg_tensor* target);

/** Keras' name: "mean_squared_error", "mean_absolute_error", "binary_crossentropy",
 * "categorical_crossentropy", "sparse_categorical_crossentropy"; "unknown" out of
 * range. Never NULL. */
const char* tg_loss_kind_name(tg_loss_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_LOSSES_H_ */
