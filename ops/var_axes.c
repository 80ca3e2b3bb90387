/* ops/var_axes.c — population variance over a set of axes (numpy's default, ddof 0):
 * m = (1/N) Σ x,  y = (1/N) Σ (x - m)^2;  dx += dy * 2 (x - m) / N
 * (the term through m vanishes: Σ (x - m) = 0). Two passes in double. */
#include "core/tape.h"
#include "ops/internal/reduce_axes.h"
#include "ops/ops.h"

static tg_status var_axes_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                size_t cap) {
  return tg_reduce_shape(n, "take the variance of", rank, shape, msg, cap);
}

static double mean_of(const float* base, const tg_walk* inner) {
  tg_walk_pos pi;
  tg_walk_begin(&pi);
  double s = 0.0;
  for (int64_t j = 0; j < inner->size; ++j, tg_walk_next(inner, &pi)) s += base[pi.off];
  return s / (double)inner->size;
}

static void var_axes_forward(tg_node* n) {
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  const float* x = n->in[0]->data;
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    const float* base = x + po.off;
    const double m = mean_of(base, &inner);
    tg_walk_pos pi;
    tg_walk_begin(&pi);
    double s = 0.0;
    for (int64_t j = 0; j < inner.size; ++j, tg_walk_next(&inner, &pi)) {
      const double d = base[pi.off] - m;
      s += d * d;
    }
    n->out->data[o] = (float)(s / (double)inner.size);
  }
}

static void var_axes_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  const float* x = n->in[0]->data;
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    const float* base = x + po.off;
    const double m = mean_of(base, &inner);
    const double g = 2.0 * n->out->grad[o] / (double)inner.size;
    tg_walk_pos pi;
    tg_walk_begin(&pi);
    for (int64_t j = 0; j < inner.size; ++j, tg_walk_next(&inner, &pi))
      gx[po.off + pi.off] += (float)(g * (base[pi.off] - m));
  }
}

const tg_op_def tg_op_var_axes = {.name = "var_axes",
                                  .arity = 1,
                                  .shape = var_axes_shape,
                                  .forward = var_axes_forward,
                                  .backward = var_axes_backward,
                                  .params_size = sizeof(tg_reduce_params),
                                  .describe = tg_reduce_describe};

tg_tensor* tg_var_axes(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims) {
  tg_reduce_params p = tg_reduce_params_make(axes, n_axes, keepdims);
  return tg_tape_apply(t, &tg_op_var_axes, &x, 1, &p);
}
