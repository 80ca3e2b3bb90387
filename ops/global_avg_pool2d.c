/* ops/global_avg_pool2d.c — y[n,c] = mean over (h,w) of x[n,h,w,c];
 * dx[n,h,w,c] += dy[n,c] / (H*W).   x [N,H,W,C] -> y [N,C]. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

static tg_status global_avg_pool2d_shape(tg_node* nd, int* rank, int64_t shape[TG_MAX_RANK],
                                         char* msg, size_t cap) {
  const tg_tensor* x = nd->in[0];
  char sx[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(x, sx, sizeof sx);
  if (x->rank != 4) {
    snprintf(msg, cap, "input %s must be 4-D [batch, height, width, channels]", sx);
    return TG_ERR_RANK;
  }
  if (x->shape[1] * x->shape[2] == 0) {
    snprintf(msg, cap, "input %s has no pixels to average", sx);
    return TG_ERR_SHAPE;
  }
  *rank = 2;
  shape[0] = x->shape[0];
  shape[1] = x->shape[3];
  return TG_OK;
}

static void global_avg_pool2d_forward(tg_node* nd) {
  const tg_tensor* x = nd->in[0];
  const int64_t n = x->shape[0], hw = x->shape[1] * x->shape[2], c = x->shape[3];
  const float inv = 1.0f / (float)hw;
  for (int64_t i = 0; i < n; ++i) {
    float* restrict y = nd->out->data + i * c;
    for (int64_t ci = 0; ci < c; ++ci) y[ci] = 0.0f;
    for (int64_t p = 0; p < hw; ++p) {
      const float* restrict v = x->data + (i * hw + p) * c;
      for (int64_t ci = 0; ci < c; ++ci) y[ci] += v[ci];
    }
    for (int64_t ci = 0; ci < c; ++ci) y[ci] *= inv;
  }
}

static void global_avg_pool2d_backward(tg_node* nd) {
  const tg_tensor* x = nd->in[0];
  if (x->grad == NULL) return;
  const int64_t n = x->shape[0], hw = x->shape[1] * x->shape[2], c = x->shape[3];
  const float inv = 1.0f / (float)hw;
  for (int64_t i = 0; i < n; ++i) {
    const float* restrict d = nd->out->grad + i * c;
    for (int64_t p = 0; p < hw; ++p) {
      float* restrict v = x->grad + (i * hw + p) * c;
      for (int64_t ci = 0; ci < c; ++ci) v[ci] += d[ci] * inv;
    }
  }
}

const tg_op_def tg_op_global_avg_pool2d = {.name = "global_avg_pool2d",
                                           .arity = 1,
                                           .shape = global_avg_pool2d_shape,
                                           .forward = global_avg_pool2d_forward,
                                           .backward = global_avg_pool2d_backward,
                                           .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_global_avg_pool2d(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_global_avg_pool2d, &x, 1, NULL);
}
