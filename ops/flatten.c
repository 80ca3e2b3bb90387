/* ops/flatten.c — [N, a, b, c] -> [N, a*b*c] keeping the batch axis (Keras' Flatten;
 * [N] -> [N x 1]). A view: the elements keep their order, dx is dy's buffer. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

static tg_status flatten_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  const tg_tensor* x = n->in[0];
  if (x->rank == 0) {
    snprintf(msg, cap, "input []: a scalar has no batch axis to keep");
    return TG_ERR_RANK;
  }
  int64_t rest = 1;
  for (int d = 1; d < x->rank; ++d) rest *= x->shape[d];
  *rank = 2;
  shape[0] = x->shape[0];
  shape[1] = rest;
  return TG_OK;
}

const tg_op_def tg_op_flatten = {
    .name = "flatten", .arity = 1, .shape = flatten_shape, .flags = TG_OP_VIEW};

tg_tensor* tg_flatten(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_flatten, &x, 1, NULL);
}
