/** @file kernels/window.h — where sliding windows fall along one spatial axis (conv2d,
 * pooling), with Keras/TensorFlow's padding rules:
 *   span   = (window - 1) * dilation + 1
 *   valid: out = (in - span) / stride + 1 (floor), pad_before = 0
 *   same:  out = ceil(in / stride), total = max((out - 1) * stride + span - in, 0),
 *          pad_before = total / 2 (the odd element goes after, as TensorFlow)
 * Output i covers input rows i * stride - pad_before + a * dilation, a < window.
 *
 *   tg_window_axis ax = tg_window_axis_make(28, 3, 1, 1, 1);  // 28 rows, 3 taps, same
 *   int64_t a0, a1;
 *   tg_window_taps(&ax, 0, &a0, &a1);  // output 0: taps [1, 3) fall inside the input
 */
#ifndef TAPEGRAD_KERNELS_WINDOW_H_
#define TAPEGRAD_KERNELS_WINDOW_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One spatial axis of a sliding window: input and output lengths, the window's taps,
 * stride and dilation, and the padding before the first input row. */
typedef struct tg_window_axis {
  /** lengths, taps and padding as the file comment defines them @{ */
  int64_t in, out, window, stride, dilation, pad_before;
  /** @} */
} tg_window_axis;

/** The axis for `in` input rows and a window of `window` taps (`same` padding when
 * nonzero, else valid); out may come out <= 0 for valid padding (the caller reports it). */
static inline tg_window_axis tg_window_axis_make(int64_t in, int64_t window, int64_t stride,
                                                 int64_t dilation, int same) {
  /* Field by field: the header is also C++17, which has no designated initializers. */
  tg_window_axis w;
  w.in = in;
  w.window = window;
  w.stride = stride;
  w.dilation = dilation;
  const int64_t span = (window - 1) * dilation + 1;
  if (same) {
    w.out = (in + stride - 1) / stride;
    int64_t total = (w.out - 1) * stride + span - in;
    if (total < 0) total = 0;
    w.pad_before = total / 2;
  } else {
    w.out = in >= span ? (in - span) / stride + 1 : 0;
    w.pad_before = 0;
  }
  return w;
}

/** The window taps a of output o that fall inside the input: [*a0, *a1). */
static inline void tg_window_taps(const tg_window_axis* w, int64_t o, int64_t* a0, int64_t* a1) {
  const int64_t start = o * w->stride - w->pad_before; /* input row of tap 0 */
  int64_t lo = 0, hi = w->window;
  if (start < 0) lo = (-start + w->dilation - 1) / w->dilation;
  const int64_t last = w->in - 1 - start; /* a * dilation <= last */
  if (last < 0) {
    hi = 0;
  } else if ((hi - 1) * w->dilation > last) {
    hi = last / w->dilation + 1;
  }
  if (lo > hi) lo = hi;
  *a0 = lo;
  *a1 = hi;
}

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_KERNELS_WINDOW_H_ */
