/* ops/max_pool2d.c — y[n,i,j,c] = max over the window's elements inside x;
 * dx[argmax] += dy (the first maximum on ties; a NaN in the window wins, the first
 * one, so NaN propagates as in PyTorch).
 *   x [N,H,W,C] -> y [N,OH,OW,C]; scratch: the winning tap (a*PW + b) per output, as
 *   int32 in the node's float scratch (the same 4 bytes), written by every forward. */
#include <stdint.h>

#include "core/tape.h"
#include "ops/internal/pool2d.h"
#include "ops/ops.h"

static tg_status max_pool2d_shape(tg_node* nd, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                  size_t cap) {
  tg_status s = tg_pool2d_shape(nd, rank, shape, msg, cap);
  if (s != TG_OK) return s;
  nd->scratch_size = shape[0] * shape[1] * shape[2] * shape[3];
  return TG_OK;
}

static void max_pool2d_forward(tg_node* nd) {
  const tg_pool2d_geometry g = tg_pool2d_geometry_of(nd);
  const int64_t pw = g.ax_w.window, c = g.c;
  const float* x = nd->in[0]->data;
  float* y = nd->out->data;
  int32_t* arg = (int32_t*)(void*)nd->scratch;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t i = 0; i < g.oh; ++i) {
      int64_t a0, a1;
      tg_window_taps(&g.ax_h, i, &a0, &a1);
      const int64_t ih0 = i * g.ax_h.stride - g.ax_h.pad_before;
      for (int64_t j = 0; j < g.ow; ++j) {
        int64_t b0, b1;
        tg_window_taps(&g.ax_w, j, &b0, &b1);
        const int64_t iw0 = j * g.ax_w.stride - g.ax_w.pad_before;
        const int64_t o = ((n * g.oh + i) * g.ow + j) * c;
        float* restrict best = y + o;
        int32_t* restrict at = arg + o;
        if (a0 >= a1 || b0 >= b1) { /* no element of x in the window (not with pooling) */
          for (int64_t ci = 0; ci < c; ++ci) best[ci] = 0.0f, at[ci] = -1;
          continue;
        }
        const float* first = x + ((n * g.h + ih0 + a0) * g.w + iw0 + b0) * c;
        for (int64_t ci = 0; ci < c; ++ci) best[ci] = first[ci], at[ci] = (int32_t)(a0 * pw + b0);
        for (int64_t a = a0; a < a1; ++a)
          for (int64_t b = b0; b < b1; ++b) {
            const float* v = x + ((n * g.h + ih0 + a) * g.w + iw0 + b) * c;
            const int32_t tap = (int32_t)(a * pw + b);
            for (int64_t ci = 0; ci < c; ++ci) { /* no branches: the loop vectorises */
              const float vi = v[ci], bi = best[ci];
              const int take = (vi > bi) | ((vi != vi) & (bi == bi)); /* larger, or first NaN */
              best[ci] = take ? vi : bi;
              at[ci] = take ? tap : at[ci];
            }
          }
      }
    }
}

static void max_pool2d_backward(tg_node* nd) {
  float* gx = nd->in[0]->grad;
  if (gx == NULL) return;
  const tg_pool2d_geometry g = tg_pool2d_geometry_of(nd);
  const int64_t pw = g.ax_w.window, c = g.c;
  const float* gy = nd->out->grad;
  const int32_t* arg = (const int32_t*)(const void*)nd->scratch;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t i = 0; i < g.oh; ++i) {
      const int64_t ih0 = i * g.ax_h.stride - g.ax_h.pad_before;
      for (int64_t j = 0; j < g.ow; ++j) {
        const int64_t iw0 = j * g.ax_w.stride - g.ax_w.pad_before;
        const int64_t o = ((n * g.oh + i) * g.ow + j) * c;
        for (int64_t ci = 0; ci < c; ++ci) {
          const int32_t tap = arg[o + ci];
          if (tap < 0) continue;
          const int64_t ih = ih0 + tap / pw, iw = iw0 + tap % pw;
          gx[((n * g.h + ih) * g.w + iw) * c + ci] += gy[o + ci];
        }
      }
    }
}

const tg_op_def tg_op_max_pool2d = {.name = "max_pool2d",
                                    .arity = 1,
                                    .shape = max_pool2d_shape,
                                    .forward = max_pool2d_forward,
                                    .backward = max_pool2d_backward,
                                    .backward_reads = TG_READS_NOTHING,
                                    .params_size = sizeof(tg_pool2d_params),
                                    .describe = tg_pool2d_describe};

tg_tensor* tg_max_pool2d(tg_tape* t, tg_tensor* x, const tg_pool2d_options* opt) {
  const tg_pool2d_params p = tg_pool2d_params_make(opt);
  return tg_tape_apply(t, &tg_op_max_pool2d, &x, 1, &p);
}
