/* ops/avg_pool2d.c — y[n,i,j,c] = mean of the window's elements inside x (with
 * `same` padding the divisor counts only those, as Keras/TensorFlow);
 * dx[each of them] += dy / count.   x [N,H,W,C] -> y [N,OH,OW,C]. */
#include "core/tape.h"
#include "ops/internal/pool2d.h"
#include "ops/ops.h"

static void avg_pool2d_forward(tg_node* nd) {
  const tg_pool2d_geometry g = tg_pool2d_geometry_of(nd);
  const int64_t c = g.c;
  const float* x = nd->in[0]->data;
  float* y = nd->out->data;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t i = 0; i < g.oh; ++i) {
      int64_t a0, a1;
      tg_window_taps(&g.ax_h, i, &a0, &a1);
      const int64_t ih0 = i * g.ax_h.stride - g.ax_h.pad_before;
      for (int64_t j = 0; j < g.ow; ++j) {
        int64_t b0, b1;
        tg_window_taps(&g.ax_w, j, &b0, &b1);
        const int64_t iw0 = j * g.ax_w.stride - g.ax_w.pad_before;
        float* restrict out = y + ((n * g.oh + i) * g.ow + j) * c;
        for (int64_t ci = 0; ci < c; ++ci) out[ci] = 0.0f;
        for (int64_t a = a0; a < a1; ++a)
          for (int64_t b = b0; b < b1; ++b) {
            const float* restrict v = x + ((n * g.h + ih0 + a) * g.w + iw0 + b) * c;
            for (int64_t ci = 0; ci < c; ++ci) out[ci] += v[ci];
          }
        const int64_t count = (a1 - a0) * (b1 - b0);
        const float inv = count > 0 ? 1.0f / (float)count : 0.0f;
        for (int64_t ci = 0; ci < c; ++ci) out[ci] *= inv;
      }
    }
}

static void avg_pool2d_backward(tg_node* nd) {
  float* gx = nd->in[0]->grad;
  if (gx == NULL) return;
  const tg_pool2d_geometry g = tg_pool2d_geometry_of(nd);
  const int64_t c = g.c;
  const float* gy = nd->out->grad;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t i = 0; i < g.oh; ++i) {
      int64_t a0, a1;
      tg_window_taps(&g.ax_h, i, &a0, &a1);
      const int64_t ih0 = i * g.ax_h.stride - g.ax_h.pad_before;
      for (int64_t j = 0; j < g.ow; ++j) {
        int64_t b0, b1;
        tg_window_taps(&g.ax_w, j, &b0, &b1);
        const int64_t iw0 = j * g.ax_w.stride - g.ax_w.pad_before;
        const float* restrict d = gy + ((n * g.oh + i) * g.ow + j) * c;
        const int64_t count = (a1 - a0) * (b1 - b0);
        const float inv = count > 0 ? 1.0f / (float)count : 0.0f;
        for (int64_t a = a0; a < a1; ++a)
          for (int64_t b = b0; b < b1; ++b) {
            float* restrict v = gx + ((n * g.h + ih0 + a) * g.w + iw0 + b) * c;
            for (int64_t ci = 0; ci < c; ++ci) v[ci] += d[ci] * inv;
          }
      }
    }
}

const tg_op_def tg_op_avg_pool2d = {.name = "avg_pool2d",
                                    .arity = 1,
                                    .shape = tg_pool2d_shape,
                                    .forward = avg_pool2d_forward,
                                    .backward = avg_pool2d_backward,
                                    .backward_reads = TG_READS_NOTHING,
                                    .params_size = sizeof(tg_pool2d_params),
                                    .describe = tg_pool2d_describe};

tg_tensor* tg_avg_pool2d(tg_tape* t, tg_tensor* x, const tg_pool2d_options* opt) {
  const tg_pool2d_params p = tg_pool2d_params_make(opt);
  return tg_tape_apply(t, &tg_op_avg_pool2d, &x, 1, &p);
}
