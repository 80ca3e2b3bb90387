/* ops/slice.c — numpy's y = x[start0:stop0:step0, ...]: per axis, negative bounds
 * count from the end and clamp to the axis, steps are positive;
 * y[i] = x[start + i*step] on every axis;  dx[start + i*step] += dy[i]. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/strided.h"
#include "ops/ops.h"

typedef struct slice_params {
  /* one_axis: tg_slice_axis's form, the bounds of `axis` in entry 0 (the shape rule
   * spreads them over every axis); otherwise one entry per axis of x. */
  int32_t one_axis;
  int32_t axis;
  int64_t start[TG_MAX_RANK];
  int64_t stop[TG_MAX_RANK];
  int64_t step[TG_MAX_RANK];
} slice_params;

/* numpy's rule for a bound of an axis of size dim, as slice.indices() does it. */
static int64_t clamp_bound(int64_t b, int64_t dim) {
  if (b < 0) b = b < -dim ? 0 : b + dim;
  return b > dim ? dim : b;
}

/* The bounds per axis, made non-negative and clamped; first element and count. */
static void resolve(const tg_node* n, int64_t first[TG_MAX_RANK], int64_t count[TG_MAX_RANK],
                    int64_t step[TG_MAX_RANK]) {
  slice_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  for (int d = 0; d < x->rank; ++d) {
    int64_t lo = 0, hi = TG_SLICE_END, st = 1;
    if (!p.one_axis || d == p.axis) {
      const int k = p.one_axis ? 0 : d;
      lo = p.start[k];
      hi = p.stop[k];
      st = p.step[k];
    }
    lo = clamp_bound(lo, x->shape[d]);
    hi = clamp_bound(hi, x->shape[d]);
    first[d] = lo;
    step[d] = st;
    count[d] = hi > lo ? (hi - lo - 1) / st + 1 : 0; /* ceil, without overflow */
  }
}

/* The smallest stop that gives the same elements (x[1:5:2] is x[1:4:2]). */
static int64_t stop_of(int64_t first, int64_t count, int64_t step) {
  return count > 0 ? first + (count - 1) * step + 1 : first;
}

static int slice_describe(const tg_node* n, char* buf, size_t cap) {
  int64_t first[TG_MAX_RANK], count[TG_MAX_RANK], step[TG_MAX_RANK];
  resolve(n, first, count, step);
  int used = 0;
  for (int d = 0; d < n->in[0]->rank && used >= 0 && (size_t)used < cap; ++d)
    used += snprintf(buf + used, cap - (size_t)used, "%s%lld:%lld:%lld", d ? "," : "",
                     (long long)first[d], (long long)stop_of(first[d], count[d], step[d]),
                     (long long)step[d]);
  return used;
}

static tg_status slice_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                             size_t cap) {
  slice_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  if (p.one_axis) {
    int axis = 0;
    if (!tg_axis_normalize(p.axis, x->rank, &axis)) {
      snprintf(msg, cap, "axis %d out of range for rank %d", p.axis, x->rank);
      return TG_ERR_ARG;
    }
    p.axis = axis;
    memcpy(n->params.bytes, &p, sizeof p); /* forward and backward read the axis as 0.. */
  }
  for (int d = 0; d < x->rank; ++d) {
    if (p.one_axis && d != p.axis) continue;
    const int64_t st = p.step[p.one_axis ? 0 : d];
    if (st <= 0) {
      char s[TG_SHAPE_STR_CAP];
      snprintf(msg, cap, "step %lld on axis %d of %s must be positive", (long long)st, d,
               tg_tensor_shape_str(x, s, sizeof s));
      return TG_ERR_ARG;
    }
  }
  int64_t first[TG_MAX_RANK], count[TG_MAX_RANK], step[TG_MAX_RANK];
  resolve(n, first, count, step);
  *rank = x->rank;
  for (int d = 0; d < x->rank; ++d) shape[d] = count[d];
  return TG_OK;
}

/* y's box, y's strides, and x's strides and offset of y's first element. */
static const float* walk(const tg_node* n, const float* x, int64_t dim[TG_MAX_RANK],
                         int64_t ys[TG_MAX_RANK], int64_t xs[TG_MAX_RANK]) {
  const tg_tensor* xt = n->in[0];
  int64_t first[TG_MAX_RANK], count[TG_MAX_RANK], step[TG_MAX_RANK], xst[TG_MAX_RANK],
      yst[TG_MAX_RANK], src[TG_MAX_RANK];
  resolve(n, first, count, step);
  tg_row_strides(xt->rank, xt->shape, xst);
  tg_row_strides(xt->rank, count, yst);
  int64_t off = 0;
  for (int d = 0; d < xt->rank; ++d) {
    off += first[d] * xst[d];
    src[d] = step[d] * xst[d];
  }
  tg_align4(xt->rank, count, 1, dim);
  tg_align4(xt->rank, yst, 0, ys);
  tg_align4(xt->rank, src, 0, xs);
  return x + off;
}

static void slice_forward(tg_node* n) {
  int64_t dim[TG_MAX_RANK], ys[TG_MAX_RANK], xs[TG_MAX_RANK];
  const float* x = walk(n, n->in[0]->data, dim, ys, xs);
  if (n->out->size > 0) tg_strided_copy(n->out->data, ys, x, xs, dim, false);
}

static void slice_backward(tg_node* n) {
  if (n->in[0]->grad == NULL || n->out->size == 0) return;
  int64_t dim[TG_MAX_RANK], ys[TG_MAX_RANK], xs[TG_MAX_RANK];
  float* gx = (float*)walk(n, n->in[0]->grad, dim, ys, xs);
  tg_strided_copy(gx, xs, n->out->grad, ys, dim, true);
}

const tg_op_def tg_op_slice = {.name = "slice",
                               .arity = 1,
                               .shape = slice_shape,
                               .forward = slice_forward,
                               .backward = slice_backward,
                               .params_size = sizeof(slice_params),
                               .describe = slice_describe,
                               .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_slice(tg_tape* t, tg_tensor* x, const int64_t* start, const int64_t* stop,
                    const int64_t* step) {
  slice_params p;
  memset(&p, 0, sizeof p);
  /* x's rank says how many entries the arrays have; a NULL x is the funnel's to report. */
  const int rank = x != NULL ? x->rank : 0;
  for (int d = 0; d < TG_MAX_RANK; ++d) {
    const bool given = d < rank;
    p.start[d] = given && start ? start[d] : 0;
    p.stop[d] = given && stop ? stop[d] : TG_SLICE_END;
    p.step[d] = given && step ? step[d] : 1;
  }
  return tg_tape_apply(t, &tg_op_slice, &x, 1, &p);
}

tg_tensor* tg_slice_axis(tg_tape* t, tg_tensor* x, int axis, int64_t start, int64_t stop,
                         int64_t step) {
  slice_params p;
  memset(&p, 0, sizeof p);
  p.one_axis = 1;
  p.axis = axis;
  p.start[0] = start;
  p.stop[0] = stop;
  p.step[0] = step;
  return tg_tape_apply(t, &tg_op_slice, &x, 1, &p);
}
