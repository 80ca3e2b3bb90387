/* ops/broadcast_to.c — y = x repeated to a larger shape under numpy broadcasting
 * (shapes aligned on the right, each dimension of x equal or 1);
 * dx += dy summed over the repeated dimensions. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/strided.h"
#include "ops/ops.h"

typedef struct broadcast_to_params {
  int32_t rank;
  int32_t shape_null; /* the caller passed shape == NULL */
  int64_t shape[TG_MAX_RANK];
} broadcast_to_params;

static tg_status broadcast_to_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                    size_t cap) {
  broadcast_to_params p;
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
  if (x->rank > p.rank) {
    snprintf(msg, cap, "%s cannot broadcast to %s: it has more dimensions", sx, sy);
    return TG_ERR_SHAPE;
  }
  for (int d = 0; d < p.rank; ++d) {
    const int xd = d - (p.rank - x->rank); /* x's axis aligned with axis d */
    if (p.shape[d] < 0) {
      snprintf(msg, cap, "%s cannot broadcast to %s: dimension %lld is negative", sx, sy,
               (long long)p.shape[d]);
      return TG_ERR_SHAPE;
    }
    if (xd >= 0 && x->shape[xd] != 1 && x->shape[xd] != p.shape[d]) {
      snprintf(msg, cap, "%s cannot broadcast to %s: axis %d has %lld, not 1 or %lld", sx, sy, xd,
               (long long)x->shape[xd], (long long)p.shape[d]);
      return TG_ERR_SHAPE;
    }
  }
  *rank = p.rank;
  for (int d = 0; d < p.rank; ++d) shape[d] = p.shape[d];
  return TG_OK;
}

/* y's box and strides, and x's strides in it (0 along repeated dimensions). */
static void walk(const tg_tensor* x, const tg_tensor* y, int64_t dim[TG_MAX_RANK],
                 int64_t ys[TG_MAX_RANK], int64_t xs[TG_MAX_RANK]) {
  int64_t xst[TG_MAX_RANK], yst[TG_MAX_RANK];
  tg_row_strides(x->rank, x->shape, xst);
  tg_row_strides(y->rank, y->shape, yst);
  for (int d = 0; d < x->rank; ++d)
    if (x->shape[d] == 1) xst[d] = 0;
  tg_align4(y->rank, y->shape, 1, dim);
  tg_align4(y->rank, yst, 0, ys);
  tg_align4(x->rank, xst, 0, xs);
}

static void broadcast_to_forward(tg_node* n) {
  int64_t dim[TG_MAX_RANK], ys[TG_MAX_RANK], xs[TG_MAX_RANK];
  walk(n->in[0], n->out, dim, ys, xs);
  tg_strided_copy(n->out->data, ys, n->in[0]->data, xs, dim, false);
}

static void broadcast_to_backward(tg_node* n) {
  if (n->in[0]->grad == NULL) return;
  int64_t dim[TG_MAX_RANK], ys[TG_MAX_RANK], xs[TG_MAX_RANK];
  walk(n->in[0], n->out, dim, ys, xs);
  tg_strided_copy(n->in[0]->grad, xs, n->out->grad, ys, dim, true);
}

const tg_op_def tg_op_broadcast_to = {.name = "broadcast_to",
                                      .arity = 1,
                                      .shape = broadcast_to_shape,
                                      .forward = broadcast_to_forward,
                                      .backward = broadcast_to_backward,
                                      .params_size = sizeof(broadcast_to_params),
                                      .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_broadcast_to(tg_tape* t, tg_tensor* x, int rank, const int64_t* shape) {
  broadcast_to_params p;
  memset(&p, 0, sizeof p);
  p.rank = rank;
  p.shape_null = shape == NULL;
  for (int d = 0; shape != NULL && d < rank && d < TG_MAX_RANK; ++d) p.shape[d] = shape[d];
  return tg_tape_apply(t, &tg_op_broadcast_to, &x, 1, &p);
}
