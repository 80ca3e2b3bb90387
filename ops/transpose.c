/* ops/transpose.c — y = xᵀ for a matrix: y[j][i] = x[i][j];  dx += dyᵀ. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/strided.h"
#include "ops/ops.h"

static const int kSwap[2] = {1, 0};

static tg_status transpose_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                 size_t cap) {
  const tg_tensor* x = n->in[0];
  if (x->rank != 2) {
    char s[TG_SHAPE_STR_CAP];
    snprintf(msg, cap, "expects a matrix (rank 2), got %s (permute takes any order of axes)",
             tg_tensor_shape_str(x, s, sizeof s));
    return TG_ERR_RANK;
  }
  *rank = 2;
  shape[0] = x->shape[1];
  shape[1] = x->shape[0];
  return TG_OK;
}

static void transpose_forward(tg_node* n) { tg_permute_forward(n->in[0], n->out, kSwap); }

static void transpose_backward(tg_node* n) { tg_permute_backward(n->in[0], n->out, kSwap); }

const tg_op_def tg_op_transpose = {.name = "transpose",
                                   .arity = 1,
                                   .shape = transpose_shape,
                                   .forward = transpose_forward,
                                   .backward = transpose_backward,
                                   .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_transpose(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_transpose, &x, 1, NULL);
}
