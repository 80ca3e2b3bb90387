/* ops/argmax.c — y = the position of the max of x along one axis (int32; the first
 * occurrence on ties, a NaN counts as the max as numpy). No gradient: an index. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/reduce_axes.h"
#include "ops/ops.h"

static tg_status argmax_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                              size_t cap) {
  tg_status s = tg_reduce_shape(n, "take the argmax of", rank, shape, msg, cap);
  if (s != TG_OK) return s;
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  if (inner.size > INT32_MAX) {
    char sx[TG_SHAPE_STR_CAP];
    snprintf(msg, cap, "%s: positions along the axis do not fit int32",
             tg_tensor_shape_str(n->in[0], sx, sizeof sx));
    return TG_ERR_OVERFLOW;
  }
  return TG_OK;
}

static void argmax_forward(tg_node* n) {
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  const float* x = n->in[0]->data;
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    int64_t off = 0;
    n->out->idata[o] = (int32_t)tg_reduce_pick(x + po.off, &inner, true, &off);
  }
}

const tg_op_def tg_op_argmax = {.name = "argmax",
                                .arity = 1,
                                .shape = argmax_shape,
                                .forward = argmax_forward,
                                .params_size = sizeof(tg_reduce_params),
                                .describe = tg_reduce_describe,
                                .flags = TG_OP_INDEX_OUTPUT | TG_OP_NO_GRAD};

tg_tensor* tg_argmax(tg_tape* t, tg_tensor* x, int axis, bool keepdims) {
  tg_reduce_params p = tg_reduce_params_make(&axis, 1, keepdims);
  return tg_tape_apply(t, &tg_op_argmax, &x, 1, &p);
}
