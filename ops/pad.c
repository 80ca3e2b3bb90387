/* ops/pad.c — constant padding: y = `value` everywhere, with x placed at offset
 * before[d] on every axis d (y.shape[d] = before[d] + x.shape[d] + after[d]);
 * dx += dy over x's place. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/strided.h"
#include "ops/ops.h"

typedef struct pad_params {
  float value;
  int64_t before[TG_MAX_RANK];
  int64_t after[TG_MAX_RANK];
} pad_params;

static int pad_describe(const tg_node* n, char* buf, size_t cap) {
  pad_params p;
  tg_node_params(n, &p, sizeof p);
  int used = 0;
  for (int d = 0; d < n->in[0]->rank && used >= 0 && (size_t)used < cap; ++d)
    used += snprintf(buf + used, cap - (size_t)used, "%s%lld,%lld", d ? " " : "",
                     (long long)p.before[d], (long long)p.after[d]);
  if (used >= 0 && (size_t)used < cap)
    used += snprintf(buf + used, cap - (size_t)used, " value=%g", (double)p.value);
  return used;
}

static tg_status pad_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  pad_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  char s[TG_SHAPE_STR_CAP];
  for (int d = 0; d < x->rank; ++d) {
    const char* side = p.before[d] < 0 ? "before" : p.after[d] < 0 ? "after" : NULL;
    if (side != NULL) {
      snprintf(msg, cap, "%s[%d] = %lld is negative (input %s)", side, d,
               (long long)(p.before[d] < 0 ? p.before[d] : p.after[d]),
               tg_tensor_shape_str(x, s, sizeof s));
      return TG_ERR_ARG;
    }
    if (p.before[d] > INT64_MAX / 4 || p.after[d] > INT64_MAX / 4) {
      snprintf(msg, cap, "padding of axis %d of %s is too large", d,
               tg_tensor_shape_str(x, s, sizeof s));
      return TG_ERR_OVERFLOW;
    }
    shape[d] = p.before[d] + x->shape[d] + p.after[d];
  }
  *rank = x->rank;
  return TG_OK;
}

/* x's box, x's strides, and y's strides and offset of x's first element. */
static int64_t walk(const tg_node* n, int64_t dim[TG_MAX_RANK], int64_t xs[TG_MAX_RANK],
                    int64_t ys[TG_MAX_RANK]) {
  pad_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  const tg_tensor* y = n->out;
  int64_t xst[TG_MAX_RANK], yst[TG_MAX_RANK];
  tg_row_strides(x->rank, x->shape, xst);
  tg_row_strides(y->rank, y->shape, yst);
  int64_t off = 0;
  for (int d = 0; d < x->rank; ++d) off += p.before[d] * yst[d];
  tg_align4(x->rank, x->shape, 1, dim);
  tg_align4(x->rank, xst, 0, xs);
  tg_align4(y->rank, yst, 0, ys);
  return off;
}

static void pad_forward(tg_node* n) {
  pad_params p;
  tg_node_params(n, &p, sizeof p);
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = p.value;
  int64_t dim[TG_MAX_RANK], xs[TG_MAX_RANK], ys[TG_MAX_RANK];
  const int64_t off = walk(n, dim, xs, ys);
  tg_strided_copy(y + off, ys, n->in[0]->data, xs, dim, false);
}

static void pad_backward(tg_node* n) {
  if (n->in[0]->grad == NULL) return;
  int64_t dim[TG_MAX_RANK], xs[TG_MAX_RANK], ys[TG_MAX_RANK];
  const int64_t off = walk(n, dim, xs, ys);
  tg_strided_copy(n->in[0]->grad, xs, n->out->grad + off, ys, dim, true);
}

const tg_op_def tg_op_pad = {.name = "pad",
                             .arity = 1,
                             .shape = pad_shape,
                             .forward = pad_forward,
                             .backward = pad_backward,
                             .params_size = sizeof(pad_params),
                             .describe = pad_describe,
                             .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_pad(tg_tape* t, tg_tensor* x, const int64_t* before, const int64_t* after,
                  float value) {
  pad_params p;
  memset(&p, 0, sizeof p);
  p.value = value;
  /* x's rank says how many entries the arrays have; a NULL x is the funnel's to report. */
  const int rank = x != NULL ? x->rank : 0;
  for (int d = 0; d < rank && d < TG_MAX_RANK; ++d) {
    p.before[d] = before ? before[d] : 0;
    p.after[d] = after ? after[d] : 0;
  }
  return tg_tape_apply(t, &tg_op_pad, &x, 1, &p);
}
