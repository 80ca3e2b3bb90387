/* ops/expand_dims.c — inserts an axis of size 1 (a view: same elements, same order).
 * As numpy, axis counts positions in the output: -rank-1..rank, -1 appends. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/strided.h"
#include "ops/ops.h"

typedef struct expand_dims_params {
  int32_t axis;
} expand_dims_params;

static int expand_dims_describe(const tg_node* n, char* buf, size_t cap) {
  expand_dims_params p;
  tg_node_params(n, &p, sizeof p);
  return snprintf(buf, cap, "axis=%d", p.axis);
}

static tg_status expand_dims_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                   size_t cap) {
  expand_dims_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  char s[TG_SHAPE_STR_CAP];
  if (x->rank >= TG_MAX_RANK) {
    snprintf(msg, cap, "%s is already rank %d (at most %d)", tg_tensor_shape_str(x, s, sizeof s),
             x->rank, TG_MAX_RANK);
    return TG_ERR_RANK;
  }
  int axis = 0;
  if (!tg_axis_normalize(p.axis, x->rank + 1, &axis)) {
    snprintf(msg, cap, "axis %d out of range for rank %d (output rank %d)", p.axis, x->rank,
             x->rank + 1);
    return TG_ERR_ARG;
  }
  *rank = x->rank + 1;
  for (int d = 0, i = 0; d < *rank; ++d) shape[d] = d == axis ? 1 : x->shape[i++];
  return TG_OK;
}

const tg_op_def tg_op_expand_dims = {.name = "expand_dims",
                                     .arity = 1,
                                     .shape = expand_dims_shape,
                                     .params_size = sizeof(expand_dims_params),
                                     .describe = expand_dims_describe,
                                     .flags = TG_OP_VIEW};

tg_tensor* tg_expand_dims(tg_tape* t, tg_tensor* x, int axis) {
  expand_dims_params p = {.axis = axis};
  return tg_tape_apply(t, &tg_op_expand_dims, &x, 1, &p);
}
