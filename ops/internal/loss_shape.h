/* ops/internal/loss_shape.h — the shape rule the loss ops share: prediction and
 * target have equal, non-empty shapes (and a class axis when `needs_axis`); the
 * output is a scalar. */
#ifndef TAPEGRAD_OPS_INTERNAL_LOSS_SHAPE_H_
#define TAPEGRAD_OPS_INTERNAL_LOSS_SHAPE_H_

#include <stdbool.h>
#include <stdio.h>

#include "core/op.h"

static inline tg_status tg_loss_shape_rule(const tg_node* n, bool needs_axis, int* rank, char* msg,
                                           size_t cap) {
  const tg_tensor* a = n->in[0];
  const tg_tensor* b = n->in[1];
  char sa[TG_SHAPE_STR_CAP], sb[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(a, sa, sizeof sa);
  tg_tensor_shape_str(b, sb, sizeof sb);
  if (!tg_same_shape(a, b)) {
    snprintf(msg, cap, "prediction %s and target %s: shapes differ", sa, sb);
    return TG_ERR_SHAPE;
  }
  if (needs_axis && a->rank == 0) {
    snprintf(msg, cap, "prediction %s: needs a class axis (rank >= 1)", sa);
    return TG_ERR_RANK;
  }
  if (a->size == 0) {
    snprintf(msg, cap, "%s: cannot average zero elements", sa);
    return TG_ERR_SHAPE;
  }
  *rank = 0;
  return TG_OK;
}

#endif /* TAPEGRAD_OPS_INTERNAL_LOSS_SHAPE_H_ */
