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
    &tg_op_neg,
    &tg_op_exp,
    &tg_op_log,
    &tg_op_sqrt,
    &tg_op_rsqrt,
    &tg_op_square,
    &tg_op_abs,
    &tg_op_reciprocal,
    &tg_op_div,
    &tg_op_pow,
    &tg_op_maximum,
    &tg_op_minimum,
    &tg_op_clip,
    &tg_op_where,
    &tg_op_leaky_relu,
    &tg_op_elu,
    &tg_op_gelu,
    &tg_op_softplus,
    &tg_op_silu,
    &tg_op_hard_sigmoid,
    &tg_op_log_softmax,

    /* shape ops (ops/shape.h) */
    &tg_op_reshape,
    &tg_op_flatten,
    &tg_op_squeeze,
    &tg_op_expand_dims,
    &tg_op_transpose,
    &tg_op_permute,
    &tg_op_concat,
    &tg_op_slice,
    &tg_op_broadcast_to,
    &tg_op_pad,

    /* reductions along axes (ops/reduce.h) */
    &tg_op_sum_axes,
    &tg_op_mean_axes,
    &tg_op_max_axes,
    &tg_op_min_axes,
    &tg_op_var_axes,
    &tg_op_logsumexp,
    &tg_op_argmax,

    /* indexing (ops/index.h) */
    &tg_op_gather,
    &tg_op_one_hot,
    &tg_op_to_index,

    /* neural-network ops (ops/nn.h) */
    &tg_op_conv2d,
    &tg_op_max_pool2d,
    &tg_op_avg_pool2d,
    &tg_op_global_avg_pool2d,
    &tg_op_dropout,
    &tg_op_batch_norm,
    &tg_op_layer_norm,

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
