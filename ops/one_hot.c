/* ops/one_hot.c — y[i..., k] = (indices[i...] == k) for k < depth (float). No
 * gradient. Indices are checked in the forward: recording and every replay. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

typedef struct one_hot_params {
  int32_t depth;
} one_hot_params;

static int32_t depth_of(const tg_node* n) {
  one_hot_params p;
  tg_node_params(n, &p, sizeof p);
  return p.depth;
}

static int one_hot_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "depth=%d", depth_of(n));
}

static tg_status one_hot_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  const tg_tensor* idx = n->in[0];
  const int32_t depth = depth_of(n);
  char s[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(idx, s, sizeof s);
  if (depth < 1) {
    snprintf(msg, cap, "depth %d for indices %s must be at least 1", depth, s);
    return TG_ERR_ARG;
  }
  if (idx->rank >= TG_MAX_RANK) {
    snprintf(msg, cap, "indices %s: the output would have rank %d (at most %d)", s, idx->rank + 1,
             TG_MAX_RANK);
    return TG_ERR_RANK;
  }
  for (int d = 0; d < idx->rank; ++d) shape[d] = idx->shape[d];
  shape[idx->rank] = depth;
  *rank = idx->rank + 1;
  return TG_OK;
}

static void one_hot_forward(tg_node* n) {
  const tg_tensor* idx = n->in[0];
  const int32_t depth = depth_of(n);
  float* y = n->out->data;
  if (n->out->size > 0) memset(y, 0, (size_t)n->out->size * sizeof *y);
  for (int64_t i = 0; i < idx->size; ++i) {
    const int32_t k = idx->idata[i];
    if (k < 0 || k >= depth) {
      tg_tape_fail(n->tape, TG_ERR_ARG,
                   "one_hot: index %d out of range for depth %d (at position %lld)", k, depth,
                   (long long)i);
      return;
    }
    y[i * depth + k] = 1.0f;
  }
}

const tg_op_def tg_op_one_hot = {.name = "one_hot",
                                 .arity = 1,
                                 .shape = one_hot_shape,
                                 .forward = one_hot_forward,
                                 .params_size = sizeof(one_hot_params),
                                 .describe = one_hot_describe,
                                 .flags = TG_OP_NO_GRAD,
                                 .index_inputs = 1u << 0};

tg_tensor* tg_one_hot(tg_tape* t, tg_tensor* indices, int depth) {
  one_hot_params p = {.depth = depth};
  return tg_tape_apply(t, &tg_op_one_hot, &indices, 1, &p);
}
