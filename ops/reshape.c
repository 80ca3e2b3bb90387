/* ops/reshape.c — y = x under another shape (a view: same elements, same order);
 * dx += dy is the shared gradient buffer itself. One dimension may be -1. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

typedef struct reshape_params {
  int32_t rank;
  int32_t shape_null; /* the caller passed shape == NULL */
  int64_t shape[TG_MAX_RANK];
} reshape_params;

static tg_status reshape_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  reshape_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  char sx[TG_SHAPE_STR_CAP], sy[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(x, sx, sizeof sx);
  if (p.rank < 0 || p.rank > TG_MAX_RANK) {
    snprintf(msg, cap, "%s: rank %d is outside 0..%d", sx, p.rank, TG_MAX_RANK);
    return TG_ERR_RANK;
  }
  if (p.shape_null && p.rank > 0) {
    snprintf(msg, cap, "%s: shape is NULL for rank %d", sx, p.rank);
    return TG_ERR_NULL_ARG;
  }
  tg_shape_format(sy, sizeof sy, p.rank, p.shape);
  int infer = -1;
  int64_t known = 1;
  for (int d = 0; d < p.rank; ++d) {
    if (p.shape[d] == -1) {
      if (infer >= 0) {
        snprintf(msg, cap, "%s cannot become %s: only one dimension may be -1", sx, sy);
        return TG_ERR_SHAPE;
      }
      infer = d;
    } else if (p.shape[d] < 0) {
      snprintf(msg, cap, "%s cannot become %s: dimension %lld is negative", sx, sy,
               (long long)p.shape[d]);
      return TG_ERR_SHAPE;
    } else if (__builtin_mul_overflow(known, p.shape[d], &known)) {
      snprintf(msg, cap, "%s cannot become %s: too many elements", sx, sy);
      return TG_ERR_OVERFLOW;
    }
  }
  if (infer >= 0) {
    /* -1 next to a 0 could be anything: numpy refuses it too. */
    if (known == 0 || x->size % known != 0) {
      snprintf(msg, cap, "%s cannot become %s: %lld elements", sx, sy, (long long)x->size);
      return TG_ERR_SHAPE;
    }
    p.shape[infer] = x->size / known;
  } else if (known != x->size) {
    snprintf(msg, cap, "%s cannot become %s: %lld elements", sx, sy, (long long)x->size);
    return TG_ERR_SHAPE;
  }
  *rank = p.rank;
  for (int d = 0; d < p.rank; ++d) shape[d] = p.shape[d];
  return TG_OK;
}

const tg_op_def tg_op_reshape = {.name = "reshape",
                                 .arity = 1,
                                 .shape = reshape_shape,
                                 .params_size = sizeof(reshape_params),
                                 .flags = TG_OP_VIEW};

tg_tensor* tg_reshape(tg_tape* t, tg_tensor* x, int rank, const int64_t* shape) {
  reshape_params p;
  memset(&p, 0, sizeof p);
  p.rank = rank;
  p.shape_null = shape == NULL;
  for (int d = 0; shape != NULL && d < rank && d < TG_MAX_RANK; ++d) p.shape[d] = shape[d];
  return tg_tape_apply(t, &tg_op_reshape, &x, 1, &p);
}
