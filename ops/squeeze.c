/* ops/squeeze.c — removes one axis of size 1 (a view: same elements, same order). */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/strided.h"
#include "ops/ops.h"

typedef struct squeeze_params {
  int32_t axis;
} squeeze_params;

static int squeeze_describe(const tg_node* n, char* buf, size_t cap) {
  squeeze_params p;
  tg_node_params(n, &p, sizeof p);
  return snprintf(buf, cap, "axis=%d", p.axis);
}

static tg_status squeeze_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  squeeze_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  int axis = 0;
  if (!tg_axis_normalize(p.axis, x->rank, &axis)) {
    snprintf(msg, cap, "axis %d out of range for rank %d", p.axis, x->rank);
    return TG_ERR_ARG;
  }
  if (x->shape[axis] != 1) {
    char s[TG_SHAPE_STR_CAP];
    snprintf(msg, cap, "axis %d of %s has size %lld, not 1", p.axis,
             tg_tensor_shape_str(x, s, sizeof s), (long long)x->shape[axis]);
    return TG_ERR_SHAPE;
  }
  *rank = x->rank - 1;
  for (int d = 0, o = 0; d < x->rank; ++d)
    if (d != axis) shape[o++] = x->shape[d];
  return TG_OK;
}

const tg_op_def tg_op_squeeze = {.name = "squeeze",
                                 .arity = 1,
                                 .shape = squeeze_shape,
                                 .params_size = sizeof(squeeze_params),
                                 .describe = squeeze_describe,
                                 .flags = TG_OP_VIEW};

tg_tensor* tg_squeeze(tg_tape* t, tg_tensor* x, int axis) {
  squeeze_params p = {.axis = axis};
  return tg_tape_apply(t, &tg_op_squeeze, &x, 1, &p);
}
