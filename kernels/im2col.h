/** @file kernels/im2col.h — the patch matrix of a 2-D convolution and its transpose-scatter,
 * the data movement around conv2d's matrix products (NHWC input, HWIO kernel).
 *
 *   x    [N,H,W,C]
 *   col  [M, K]  M = N*OH*OW, K = KH*KW*C: row m holds the windows of output pixel m,
 *                group g's taps at columns g*Kg + (a*KW + b)*Cg + c   (Kg = KH*KW*Cg)
 * Windows follow kernels/window.h (Keras/TensorFlow padding, strides, dilation).
 * Rows go in chunks [begin, end) so the caller can keep a chunk in cache while its
 * products run. Neither function allocates or fails; thread-safe on disjoint output.
 *
 *   tg_im2col_geometry g = {...};            // shapes and window axes of the conv
 *   tg_im2col_rows(&g, x, col, 0, 0, rows);  // col[0..rows) = the first rows patches
 *   tg_col2im_rows(&g, dcol, dx, 0, rows, 0, g.c);  // dx += every tap back at its pixel
 */
#ifndef TAPEGRAD_KERNELS_IM2COL_H_
#define TAPEGRAD_KERNELS_IM2COL_H_

#include <stdint.h>

#include "kernels/window.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Shapes and window axes of one convolution, as tg_im2col_rows and tg_col2im_rows read them. */
typedef struct tg_im2col_geometry {
  /** input [N,H,W,C] @{ */
  int64_t n, h, w, c;
  /** @} */
  /** kernel window and channels per group @{ */
  int64_t kh, kw, cg;
  /** @} */
  int64_t g; /**< groups (C = g*cg) */
  /** columns per group (kh*kw*cg) and of col (g*kg) @{ */
  int64_t kg, k;
  /** @} */
  /** output pixels per image (ax_h.out, ax_w.out) @{ */
  int64_t oh, ow;
  /** @} */
  /** where the windows fall along the rows and the columns @{ */
  tg_window_axis ax_h, ax_w;
  /** @} */
} tg_im2col_geometry;

/** col rows [begin-base, end-base) = the patches of output pixels [begin, end): every
 * tap of every group, zeros outside x. col holds (end - base) * k floats. */
void tg_im2col_rows(const tg_im2col_geometry* g, const float* x, float* col, int64_t base,
                    int64_t begin, int64_t end);

/** dx += every tap of dcol rows [0, end-begin) (the patches of output pixels [begin,
 * end)) back at its pixel, channels [c0, c1) only (workers splitting the channels
 * never add into the same element). */
void tg_col2im_rows(const tg_im2col_geometry* g, const float* dcol, float* dx, int64_t begin,
                    int64_t end, int64_t c0, int64_t c1);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_KERNELS_IM2COL_H_ */
