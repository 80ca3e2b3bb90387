/* frontends/losses.c — maps a tg_loss to the op that records it (formulas in losses.h). */
#include "frontends/losses.h"

#include "ops/ops.h"

const char* tg_loss_kind_name(tg_loss_kind kind) {
  switch (kind) {
    case TG_LOSS_MSE:
      return "mean_squared_error";
    case TG_LOSS_MAE:
      return "mean_absolute_error";
    case TG_LOSS_BINARY_CROSSENTROPY:
      return "binary_crossentropy";
    case TG_LOSS_CATEGORICAL_CROSSENTROPY:
      return "categorical_crossentropy";
    case TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
      return "sparse_categorical_crossentropy";
    default:
      return "unknown";
  }
}

tg_tensor* tg_loss_apply(tg_tape* t, tg_loss loss, tg_tensor* prediction, tg_tensor* target) {
  switch (loss.kind) {
    case TG_LOSS_MSE:
      return tg_mse(t, prediction, target);
    case TG_LOSS_MAE:
      return tg_mae(t, prediction, target);
    case TG_LOSS_BINARY_CROSSENTROPY:
      return loss.from_logits ? tg_sigmoid_cross_entropy(t, prediction, target)
                              : tg_binary_crossentropy(t, prediction, target);
    case TG_LOSS_CATEGORICAL_CROSSENTROPY:
      return loss.from_logits ? tg_softmax_cross_entropy(t, prediction, target)
                              : tg_categorical_crossentropy(t, prediction, target);
    case TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
      return tg_sparse_categorical_crossentropy(t, prediction, target, loss.from_logits);
    default:
      tg_tape_fail(t, TG_ERR_ARG, "tg_loss_apply: unknown loss kind %d", (int)loss.kind);
      return NULL;
  }
}
