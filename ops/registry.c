/* ops/registry.c — the one table of ops that tools and the gradient-check test read. */
#include <string.h>

#include "ops/ops.h"

static const tg_op_def* const kOps[] = {
    &tg_op_matmul,
    &tg_op_add,
    &tg_op_sub,
    &tg_op_mul,
    &tg_op_scale,
    &tg_op_relu,
    &tg_op_sigmoid,
    &tg_op_tanh,
    &tg_op_sum,
    &tg_op_mean,
    &tg_op_mse,
    &tg_op_softmax,
    &tg_op_mae,
    &tg_op_binary_crossentropy,
    &tg_op_sigmoid_cross_entropy,
    &tg_op_categorical_crossentropy,
    &tg_op_softmax_cross_entropy,
    &tg_op_sparse_categorical_crossentropy,

    /* elementwise math and activations (ops/math.h) */

    /* shape ops (ops/shape.h) */

    /* reductions along axes (ops/reduce.h) */

    /* indexing (ops/index.h) */

    /* neural-network ops (ops/nn.h) */

};

int tg_op_count(void) { return (int)(sizeof kOps / sizeof kOps[0]); }

const tg_op_def* tg_op_at(int index) {
  return index >= 0 && index < tg_op_count() ? kOps[index] : NULL;
}

const tg_op_def* tg_op_find(const char* name) {
  if (name == NULL) return NULL;
  for (int i = 0; i < tg_op_count(); ++i)
    if (strcmp(kOps[i]->name, name) == 0) return kOps[i];
  return NULL;
}
