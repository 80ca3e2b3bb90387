/* ops/internal/reduce_axes.c — axes checks and walks for the axis reductions. */
#include "ops/internal/reduce_axes.h"

#include <stdio.h>
#include <string.h>

tg_reduce_params tg_reduce_params_make(const int* axes, int n_axes, bool keepdims) {
  tg_reduce_params p;
  memset(&p, 0, sizeof p);
  p.n_axes = n_axes;
  p.axes_null = axes == NULL && n_axes > 0;
  p.keepdims = keepdims;
  for (int i = 0; axes != NULL && i < n_axes && i < TG_MAX_RANK; ++i) p.axes[i] = axes[i];
  return p;
}

static unsigned mask_of(const tg_node* n) {
  tg_reduce_params p;
  tg_node_params(n, &p, sizeof p);
  return p.mask;
}

tg_status tg_reduce_shape(tg_node* n, const char* empty_verb, int* rank, int64_t shape[TG_MAX_RANK],
                          char* msg, size_t cap) {
  tg_reduce_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  char s[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(x, s, sizeof s);
  if (p.axes_null) {
    snprintf(msg, cap, "axes is NULL but n_axes is %d for %s", p.n_axes, s);
    return TG_ERR_NULL_ARG;
  }
  if (p.n_axes < 0 || p.n_axes > x->rank) {
    snprintf(msg, cap, "%d axes given for %s (rank %d; 0 means every axis)", p.n_axes, s, x->rank);
    return TG_ERR_ARG;
  }
  unsigned mask = p.n_axes == 0 ? (1u << x->rank) - 1u : 0u;
  for (int i = 0; i < p.n_axes; ++i) {
    int axis = 0;
    if (!tg_axis_normalize(p.axes[i], x->rank, &axis)) {
      snprintf(msg, cap, "axis %d out of range for rank %d input %s", p.axes[i], x->rank, s);
      return TG_ERR_ARG;
    }
    if ((mask >> axis) & 1u) {
      snprintf(msg, cap, "axis %d given twice for %s", axis, s);
      return TG_ERR_ARG;
    }
    mask |= 1u << axis;
  }
  p.mask = mask;
  memcpy(n->params.bytes, &p, sizeof p);
  int64_t kept = 1, reduced = 1;
  int r = 0;
  for (int d = 0; d < x->rank; ++d) {
    if ((mask >> d) & 1u) {
      reduced *= x->shape[d];
      if (p.keepdims) shape[r++] = 1;
    } else {
      kept *= x->shape[d];
      shape[r++] = x->shape[d];
    }
  }
  if (empty_verb != NULL && reduced == 0 && kept > 0) {
    snprintf(msg, cap, "%s: cannot %s zero elements", s, empty_verb);
    return TG_ERR_SHAPE;
  }
  *rank = r;
  return TG_OK;
}

int tg_reduce_describe(const tg_node* n, char* buf, size_t cap) {
  tg_reduce_params p;
  tg_node_params(n, &p, sizeof p);
  int used = snprintf(buf, cap, "axes=");
  bool first = true;
  for (int d = 0; d < n->in[0]->rank && used >= 0 && (size_t)used < cap; ++d) {
    if (!((p.mask >> d) & 1u)) continue;
    used += snprintf(buf + used, cap - (size_t)used, first ? "%d" : ",%d", d);
    first = false;
  }
  if (p.keepdims && used >= 0 && (size_t)used < cap)
    used += snprintf(buf + used, cap - (size_t)used, " keepdims");
  return used;
}

void tg_reduce_walks(const tg_node* n, tg_walk* outer, tg_walk* inner) {
  const tg_tensor* x = n->in[0];
  const unsigned mask = mask_of(n);
  int64_t st[TG_MAX_RANK];
  tg_row_strides(x->rank, x->shape, st);
  memset(outer, 0, sizeof *outer);
  memset(inner, 0, sizeof *inner);
  outer->size = inner->size = 1;
  for (int d = 0; d < x->rank; ++d) {
    tg_walk* w = ((mask >> d) & 1u) ? inner : outer;
    w->dim[w->n] = x->shape[d];
    w->stride[w->n] = st[d];
    w->n++;
    w->size *= x->shape[d];
  }
}

int64_t tg_reduce_pick(const float* base, const tg_walk* inner, bool max, int64_t* off) {
  tg_walk_pos pos;
  tg_walk_begin(&pos);
  int64_t best = 0, best_off = 0;
  float v = base[0];
  for (int64_t j = 0; j < inner->size; ++j, tg_walk_next(inner, &pos)) {
    const float u = base[pos.off];
    if (v != v) break; /* a NaN is already picked */
    if (u != u || (max ? u > v : u < v)) {
      v = u;
      best = j;
      best_off = pos.off;
    }
  }
  *off = best_off;
  return best;
}

void tg_reduce_extreme_forward(tg_node* n, bool max) {
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  const float* x = n->in[0]->data;
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    int64_t off = 0;
    tg_reduce_pick(x + po.off, &inner, max, &off);
    n->out->data[o] = x[po.off + off];
  }
}

void tg_reduce_extreme_backward(tg_node* n, bool max) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  tg_walk outer, inner;
  tg_reduce_walks(n, &outer, &inner);
  const float* x = n->in[0]->data;
  tg_walk_pos po;
  tg_walk_begin(&po);
  for (int64_t o = 0; o < outer.size; ++o, tg_walk_next(&outer, &po)) {
    int64_t off = 0;
    tg_reduce_pick(x + po.off, &inner, max, &off);
    gx[po.off + off] += n->out->grad[o];
  }
}
