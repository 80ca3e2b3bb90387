/* ops/internal/pool2d.h — what max_pool2d and avg_pool2d share: the parameter block
 * (Keras' defaults applied by the builder), the shape rule and the description.
 * x [N,H,W,C] -> y [N,OH,OW,C], windows per kernels/window.h (no dilation). */
#ifndef TAPEGRAD_OPS_INTERNAL_POOL2D_H_
#define TAPEGRAD_OPS_INTERNAL_POOL2D_H_

#include <stdio.h>

#include "core/op.h"
#include "kernels/window.h"
#include "ops/nn.h"

typedef struct tg_pool2d_params {
  int32_t pool[2], stride[2], padding;
} tg_pool2d_params;

typedef struct tg_pool2d_geometry {
  int64_t n, h, w, c, oh, ow;
  tg_window_axis ax_h, ax_w;
} tg_pool2d_geometry;

static inline tg_pool2d_params tg_pool2d_params_make(const tg_pool2d_options* opt) {
  const tg_pool2d_options none = {.padding = TG_PADDING_VALID};
  if (opt == NULL) opt = &none;
  tg_pool2d_params p;
  for (int i = 0; i < 2; ++i) {
    p.pool[i] = opt->pool_size[i] ? opt->pool_size[i] : 2;
    p.stride[i] = opt->stride[i] ? opt->stride[i] : p.pool[i];
  }
  p.padding = (int32_t)opt->padding;
  return p;
}

static inline tg_pool2d_params tg_pool2d_params_of(const tg_node* nd) {
  tg_pool2d_params p;
  tg_node_params(nd, &p, sizeof p);
  return p;
}

static inline tg_pool2d_geometry tg_pool2d_geometry_of(const tg_node* nd) {
  const tg_pool2d_params p = tg_pool2d_params_of(nd);
  const tg_tensor* x = nd->in[0];
  tg_pool2d_geometry g;
  g.n = x->shape[0];
  g.h = x->shape[1];
  g.w = x->shape[2];
  g.c = x->shape[3];
  const int same = p.padding == TG_PADDING_SAME;
  g.ax_h = tg_window_axis_make(g.h, p.pool[0], p.stride[0], 1, same);
  g.ax_w = tg_window_axis_make(g.w, p.pool[1], p.stride[1], 1, same);
  g.oh = g.ax_h.out;
  g.ow = g.ax_w.out;
  return g;
}

static inline tg_status tg_pool2d_shape(tg_node* nd, int* rank, int64_t shape[TG_MAX_RANK],
                                        char* msg, size_t cap) {
  const tg_pool2d_params p = tg_pool2d_params_of(nd);
  char sx[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(nd->in[0], sx, sizeof sx);
  if (nd->in[0]->rank != 4) {
    snprintf(msg, cap, "input %s must be 4-D [batch, height, width, channels]", sx);
    return TG_ERR_RANK;
  }
  if (p.pool[0] < 1 || p.pool[1] < 1) {
    snprintf(msg, cap, "pool size %dx%d must be positive", (int)p.pool[0], (int)p.pool[1]);
    return TG_ERR_ARG;
  }
  if (p.stride[0] < 1 || p.stride[1] < 1) {
    snprintf(msg, cap, "stride %dx%d must be positive", (int)p.stride[0], (int)p.stride[1]);
    return TG_ERR_ARG;
  }
  if (p.padding != TG_PADDING_VALID && p.padding != TG_PADDING_SAME) {
    snprintf(msg, cap, "padding %d is neither valid nor same", (int)p.padding);
    return TG_ERR_ARG;
  }
  const tg_pool2d_geometry g = tg_pool2d_geometry_of(nd);
  if (p.padding == TG_PADDING_VALID && (g.oh <= 0 || g.ow <= 0)) {
    snprintf(msg, cap,
             "input %s: the %dx%d window does not fit in the %lldx%lld input with valid "
             "padding",
             sx, (int)p.pool[0], (int)p.pool[1], (long long)g.h, (long long)g.w);
    return TG_ERR_SHAPE;
  }
  *rank = 4;
  shape[0] = g.n;
  shape[1] = g.oh;
  shape[2] = g.ow;
  shape[3] = g.c;
  return TG_OK;
}

/* "2x2 s2 valid", "3x3 s2x1 same". */
static inline int tg_pool2d_describe(const tg_node* nd, char* buf, size_t cap) {
  const tg_pool2d_params p = tg_pool2d_params_of(nd);
  const char* pad = p.padding == TG_PADDING_SAME ? "same" : "valid";
  if (p.stride[0] == p.stride[1])
    return snprintf(buf, cap, "%dx%d s%d %s", (int)p.pool[0], (int)p.pool[1], (int)p.stride[0],
                    pad);
  return snprintf(buf, cap, "%dx%d s%dx%d %s", (int)p.pool[0], (int)p.pool[1], (int)p.stride[0],
                  (int)p.stride[1], pad);
}

#endif /* TAPEGRAD_OPS_INTERNAL_POOL2D_H_ */
