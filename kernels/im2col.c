/* kernels/im2col.c — conv2d's patch matrix (im2col) and its scatter-add (col2im). */
#include "kernels/im2col.h"

#include <stdbool.h>
#include <string.h>

void tg_im2col_rows(const tg_im2col_geometry* g, const float* x, float* col, int64_t base,
                    int64_t begin, int64_t end) {
  const int64_t cg = g->cg;
  for (int64_t m = begin; m < end; ++m) {
    const int64_t ow_i = m % g->ow;
    const int64_t oh_i = (m / g->ow) % g->oh;
    const int64_t n = m / (g->ow * g->oh);
    float* row = col + (m - base) * g->k;
    const int64_t ih0 = oh_i * g->ax_h.stride - g->ax_h.pad_before;
    const int64_t iw0 = ow_i * g->ax_w.stride - g->ax_w.pad_before;
    for (int64_t a = 0; a < g->kh; ++a) {
      const int64_t ih = ih0 + a * g->ax_h.dilation;
      const bool row_in = ih >= 0 && ih < g->h;
      for (int64_t b = 0; b < g->kw; ++b) {
        const int64_t iw = iw0 + b * g->ax_w.dilation;
        float* dst = row + (a * g->kw + b) * cg;
        if (!row_in || iw < 0 || iw >= g->w) {
          for (int64_t gi = 0; gi < g->g; ++gi)
            memset(dst + gi * g->kg, 0, (size_t)cg * sizeof *dst);
          continue;
        }
        const float* src = x + ((n * g->h + ih) * g->w + iw) * g->c;
        if (g->g == 1) {
          memcpy(dst, src, (size_t)cg * sizeof *dst);
        } else {
          for (int64_t gi = 0; gi < g->g; ++gi)
            memcpy(dst + gi * g->kg, src + gi * cg, (size_t)cg * sizeof *dst);
        }
      }
    }
  }
}

void tg_col2im_rows(const tg_im2col_geometry* g, const float* dcol, float* dx, int64_t begin,
                    int64_t end, int64_t c0, int64_t c1) {
  const int64_t cg = g->cg;
  for (int64_t m = begin; m < end; ++m) {
    const int64_t ow_i = m % g->ow;
    const int64_t oh_i = (m / g->ow) % g->oh;
    const int64_t n = m / (g->ow * g->oh);
    int64_t a0, a1, b0, b1;
    tg_window_taps(&g->ax_h, oh_i, &a0, &a1);
    tg_window_taps(&g->ax_w, ow_i, &b0, &b1);
    const int64_t ih0 = oh_i * g->ax_h.stride - g->ax_h.pad_before;
    const int64_t iw0 = ow_i * g->ax_w.stride - g->ax_w.pad_before;
    const float* row = dcol + (m - begin) * g->k;
    for (int64_t a = a0; a < a1; ++a) {
      const int64_t ih = ih0 + a * g->ax_h.dilation;
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t iw = iw0 + b * g->ax_w.dilation;
        float* restrict dst = dx + ((n * g->h + ih) * g->w + iw) * g->c;
        const float* restrict src = row + (a * g->kw + b) * cg;
        for (int64_t gi = c0 / cg; gi < g->g && gi * cg < c1; ++gi) {
          const int64_t lo = gi * cg > c0 ? 0 : c0 - gi * cg;
          const int64_t hi = (gi + 1) * cg < c1 ? cg : c1 - gi * cg;
          for (int64_t ci = lo; ci < hi; ++ci) dst[gi * cg + ci] += src[gi * g->kg + ci];
        }
      }
    }
  }
}
