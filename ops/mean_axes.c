/* ops/mean_axes.c — y = (1/count) Σ x over a set of axes (keepdims optional);
 * dx += dy / count, repeated over the reduced axes. Sums in double as tg_mean does. */
#include "core/tape.h"
#include "ops/internal/reduce_axes.h"
#include "ops/ops.h"

static tg_status mean_axes_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                 size_t cap) {
  return tg_reduce_shape(n, "average", rank, shape, msg, cap);
}

static void mean_axes_forward(tg_node* n) {
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  const float* x = n->in[0]->data;
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    tg_walk_pos pi;
    tg_walk_begin(&pi);
    double s = 0.0;
    for (int64_t j = 0; j < inner.size; ++j, tg_walk_next(&inner, &pi)) s += x[po.off + pi.off];
    n->out->data[o] = (float)(s / (double)inner.size);
  }
}

static void mean_axes_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    const float g = n->out->grad[o] / (float)inner.size;
    tg_walk_pos pi;
    tg_walk_begin(&pi);
    for (int64_t j = 0; j < inner.size; ++j, tg_walk_next(&inner, &pi)) gx[po.off + pi.off] += g;
  }
}

const tg_op_def tg_op_mean_axes = {.name = "mean_axes",
                                   .arity = 1,
                                   .shape = mean_axes_shape,
                                   .forward = mean_axes_forward,
                                   .backward = mean_axes_backward,
                                   .params_size = sizeof(tg_reduce_params),
                                   .describe = tg_reduce_describe,
                                   .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_mean_axes(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims) {
  tg_reduce_params p = tg_reduce_params_make(axes, n_axes, keepdims);
  return tg_tape_apply(t, &tg_op_mean_axes, &x, 1, &p);
}
