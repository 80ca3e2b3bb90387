/* ops/where.c — y = mask != 0 ? a : b, numpy broadcasting over all three.
 * mask is a float tensor: any nonzero value (NaN included, as NaN != 0) selects a.
 * Backward: da += dy where the mask holds, db += dy elsewhere (each summed over its
 * broadcast dimensions); the mask gets no gradient (it is a selector, piecewise
 * constant), even when it has a grad buffer.
 */
#include "core/tape.h"
#include "ops/internal/bcast_iter.h"
#include "ops/ops.h"

static tg_status where_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                             size_t cap) {
  static const char* const kNames[3] = {"mask", "a", "b"};
  return tg_bcast_shape_n(n->in, 3, kNames, rank, shape, msg, cap);
}

static void where_forward(tg_node* n) {
  const float* m = n->in[0]->data;
  const float* a = n->in[1]->data;
  const float* b = n->in[2]->data;
  float* y = n->out->data;
  tg_bcast_iter it;
  tg_bcast_iter_init(&it, n->out, n->in, 3);
  for (int64_t k = 0; k < n->out->size; ++k, tg_bcast_iter_next(&it))
    y[k] = m[it.off[0]] != 0.0f ? a[it.off[1]] : b[it.off[2]];
}

static void where_backward(tg_node* n) {
  float* ga = n->in[1]->grad;
  float* gb = n->in[2]->grad;
  if (ga == NULL && gb == NULL) return;
  const float* m = n->in[0]->data;
  const float* gy = n->out->grad;
  tg_bcast_iter it;
  tg_bcast_iter_init(&it, n->out, n->in, 3);
  for (int64_t k = 0; k < n->out->size; ++k, tg_bcast_iter_next(&it)) {
    if (m[it.off[0]] != 0.0f) {
      if (ga) ga[it.off[1]] += gy[k];
    } else if (gb) {
      gb[it.off[2]] += gy[k];
    }
  }
}

const tg_op_def tg_op_where = {.name = "where",
                               .arity = 3,
                               .shape = where_shape,
                               .forward = where_forward,
                               .backward = where_backward};

tg_tensor* tg_where(tg_tape* t, tg_tensor* mask, tg_tensor* a, tg_tensor* b) {
  tg_tensor* in[3] = {mask, a, b};
  return tg_tape_apply(t, &tg_op_where, in, 3, NULL);
}
