/* ops/concat.c — y = [x1, x2, ..., xn] joined along one axis; every other dimension
 * equal. Backward: each dx_k += its block of dy (an input given twice gets both). */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/strided.h"
#include "ops/ops.h"

typedef struct concat_params {
  int32_t axis;
} concat_params;

static int concat_axis(const tg_node* n) {
  concat_params p;
  tg_node_params(n, &p, sizeof p);
  int axis = 0;
  tg_axis_normalize(p.axis, n->in[0]->rank, &axis);
  return axis;
}

static int concat_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "axis=%d", concat_axis(n));
}

static tg_status concat_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                              size_t cap) {
  concat_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x0 = n->in[0];
  int axis = 0;
  if (!tg_axis_normalize(p.axis, x0->rank, &axis)) {
    snprintf(msg, cap, "axis %d out of range for rank %d", p.axis, x0->rank);
    return TG_ERR_ARG;
  }
  int64_t total = 0;
  for (int k = 0; k < n->n_in; ++k) {
    const tg_tensor* x = n->in[k];
    bool fits = x->rank == x0->rank;
    for (int d = 0; fits && d < x->rank; ++d) fits = d == axis || x->shape[d] == x0->shape[d];
    if (!fits) {
      char s0[TG_SHAPE_STR_CAP], sk[TG_SHAPE_STR_CAP];
      snprintf(msg, cap, "input 1 %s and input %d %s differ outside axis %d",
               tg_tensor_shape_str(x0, s0, sizeof s0), k + 1, tg_tensor_shape_str(x, sk, sizeof sk),
               axis);
      return TG_ERR_SHAPE;
    }
    total += x->shape[axis];
  }
  *rank = x0->rank;
  for (int d = 0; d < x0->rank; ++d) shape[d] = d == axis ? total : x0->shape[d];
  return TG_OK;
}

/* y viewed as [outer, y.shape[axis] * inner]: input k fills a block of
 * x_k.shape[axis] * inner columns of every row. */
static int64_t outer_of(const tg_tensor* y, int axis) {
  int64_t o = 1;
  for (int d = 0; d < axis; ++d) o *= y->shape[d];
  return o;
}

static int64_t inner_of(const tg_tensor* y, int axis) {
  int64_t in = 1;
  for (int d = axis + 1; d < y->rank; ++d) in *= y->shape[d];
  return in;
}

static void concat_forward(tg_node* n) {
  const int axis = concat_axis(n);
  const tg_tensor* y = n->out;
  const int64_t outer = outer_of(y, axis), row = y->shape[axis] * inner_of(y, axis);
  int64_t col = 0;
  for (int k = 0; k < n->n_in; ++k) {
    const tg_tensor* x = n->in[k];
    const int64_t w = x->shape[axis] * inner_of(y, axis);
    for (int64_t o = 0; w > 0 && o < outer; ++o)
      memcpy(y->data + o * row + col, x->data + o * w, (size_t)w * sizeof(float));
    col += w;
  }
}

static void concat_backward(tg_node* n) {
  const int axis = concat_axis(n);
  const tg_tensor* y = n->out;
  const int64_t outer = outer_of(y, axis), row = y->shape[axis] * inner_of(y, axis);
  int64_t col = 0;
  for (int k = 0; k < n->n_in; ++k) {
    const tg_tensor* x = n->in[k];
    const int64_t w = x->shape[axis] * inner_of(y, axis);
    if (x->grad != NULL) {
      for (int64_t o = 0; o < outer; ++o) {
        float* gx = x->grad + o * w;
        const float* gy = y->grad + o * row + col;
        for (int64_t j = 0; j < w; ++j) gx[j] += gy[j];
      }
    }
    col += w;
  }
}

const tg_op_def tg_op_concat = {.name = "concat",
                                .arity = TG_OP_VARIADIC,
                                .shape = concat_shape,
                                .forward = concat_forward,
                                .backward = concat_backward,
                                .backward_reads = TG_READS_NOTHING,
                                .params_size = sizeof(concat_params),
                                .describe = concat_describe};

tg_tensor* tg_concat(tg_tape* t, tg_tensor* const* inputs, int n, int axis) {
  concat_params p = {.axis = axis};
  return tg_tape_apply(t, &tg_op_concat, inputs, n, &p);
}
