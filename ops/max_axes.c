/* ops/max_axes.c — y = max x over a set of axes (keepdims optional);
 * dx += dy at the element picked (the first NaN, else the first occurrence of the
 * max: ties are not split, as PyTorch's max(dim); TensorFlow
 * splits ties). */
#include "core/tape.h"
#include "ops/internal/reduce_axes.h"
#include "ops/ops.h"

static tg_status max_axes_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                size_t cap) {
  return tg_reduce_shape(n, "take the max of", rank, shape, msg, cap);
}

static void max_axes_forward(tg_node* n) { tg_reduce_extreme_forward(n, true); }

static void max_axes_backward(tg_node* n) { tg_reduce_extreme_backward(n, true); }

const tg_op_def tg_op_max_axes = {.name = "max_axes",
                                  .arity = 1,
                                  .shape = max_axes_shape,
                                  .forward = max_axes_forward,
                                  .backward = max_axes_backward,
                                  .params_size = sizeof(tg_reduce_params),
                                  .describe = tg_reduce_describe};

tg_tensor* tg_max_axes(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims) {
  tg_reduce_params p = tg_reduce_params_make(axes, n_axes, keepdims);
  return tg_tape_apply(t, &tg_op_max_axes, &x, 1, &p);
}
