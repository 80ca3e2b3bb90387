/* ops/logsumexp.c — y = log Σ exp(x) over a set of axes, as m + log Σ exp(x - m)
 * with m the max (no overflow for large x, no log(0) unless every term is -inf);
 * dx += dy * exp(x - y) (the softmax). A result of ±inf passes no gradient. */
#include <math.h>

#include "core/tape.h"
#include "ops/internal/reduce_axes.h"
#include "ops/ops.h"

static tg_status logsumexp_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                 size_t cap) {
  return tg_reduce_shape(n, "take the logsumexp of", rank, shape, msg, cap);
}

static void logsumexp_forward(tg_node* n) {
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  const float* x = n->in[0]->data;
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    const float* base = x + po.off;
    int64_t off = 0;
    tg_reduce_pick(base, &inner, true, &off);
    const double m = base[off];
    if (isinf(m)) { /* all -inf gives -inf; a +inf term gives +inf */
      n->out->data[o] = (float)m;
      continue;
    }
    tg_walk_pos pi;
    tg_walk_begin(&pi);
    double s = 0.0;
    for (int64_t j = 0; j < inner.size; ++j, tg_walk_next(&inner, &pi))
      s += exp((double)base[pi.off] - m);
    n->out->data[o] = (float)(m + log(s));
  }
}

static void logsumexp_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  const float* x = n->in[0]->data;
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    const double y = n->out->data[o];
    if (isinf(y)) continue;
    const double g = n->out->grad[o];
    tg_walk_pos pi;
    tg_walk_begin(&pi);
    for (int64_t j = 0; j < inner.size; ++j, tg_walk_next(&inner, &pi)) {
      const int64_t k = po.off + pi.off;
      gx[k] += (float)(g * exp((double)x[k] - y));
    }
  }
}

const tg_op_def tg_op_logsumexp = {.name = "logsumexp",
                                   .arity = 1,
                                   .shape = logsumexp_shape,
                                   .forward = logsumexp_forward,
                                   .backward = logsumexp_backward,
                                   .params_size = sizeof(tg_reduce_params),
                                   .describe = tg_reduce_describe};

tg_tensor* tg_logsumexp(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims) {
  tg_reduce_params p = tg_reduce_params_make(axes, n_axes, keepdims);
  return tg_tape_apply(t, &tg_op_logsumexp, &x, 1, &p);
}
