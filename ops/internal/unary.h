/* ops/internal/unary.h — the shape rule every elementwise unary op shares. */
#ifndef TAPEGRAD_OPS_INTERNAL_UNARY_H_
#define TAPEGRAD_OPS_INTERNAL_UNARY_H_

#include "core/op.h"

/* Output shape = input shape. */
static inline tg_status tg_same_shape_rule(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK],
                                           char* msg, size_t cap) {
  (void)msg;
  (void)cap;
  *rank = n->in[0]->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = n->in[0]->shape[d];
  return TG_OK;
}

#endif /* TAPEGRAD_OPS_INTERNAL_UNARY_H_ */
