/** @file ops/nn.h — Neural-network ops: conv2d, pooling, dropout, normalisation. Included by
 * ops/ops.h.
 *
 * Images are channels-last (NHWC: [batch, height, width, channels]) and conv kernels
 * are HWIO ([kh, kw, in_channels / groups, filters]), the layouts Keras uses, so a
 * Keras model's weights load without a transpose. Padding follows Keras/TensorFlow:
 * `valid` uses only whole windows; `same` gives ceil(size / stride) outputs and pads
 * (window - 1) total, the odd element after (bottom/right), e.g. a 2x2 kernel pads
 * one row below and one column to the right. Every builder returns the output
 * (owned by the tape) or NULL with the first error kept on the tape.
 *
 *     // x: [8,28,28,1] images, k: [3,3,1,32] kernel (parameter), b: [32] bias
 *     tg_conv2d_options co = {.padding = TG_PADDING_SAME};
 *     tg_tensor* h = tg_relu(t, tg_add(t, tg_conv2d(t, x, k, &co), b));  // [8,28,28,32]
 *     tg_tensor* p = tg_max_pool2d(t, h, NULL);                           // [8,14,14,32]
 *     tg_tensor* d = tg_dropout(t, p, &(tg_dropout_options){.rate = 0.25f, .rng = &rng,
 *                                                            .training = true});
 *     tg_tensor* g = tg_global_avg_pool2d(t, d);                          // [8,32]
 *
 * Thread-safety: as the tape (one thread at a time); conv2d runs its products on
 * the tape's pool (tg_tape_set_threads).
 */
#ifndef TAPEGRAD_OPS_NN_H_
#define TAPEGRAD_OPS_NN_H_

#include <stdbool.h>

#include "core/op.h"
#include "core/rng.h"
#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Keras' `padding` argument. */
typedef enum tg_padding {
  TG_PADDING_VALID = 0, /**< no padding: windows lie inside the input */
  TG_PADDING_SAME       /**< zero padding so that the output is ceil(input / stride) */
} tg_padding;

/** conv2d's arguments; zero fields mean the defaults (stride 1, valid, dilation 1,
 * groups 1). A dilation and a stride both above 1 are allowed (Keras refuses). */
typedef struct tg_conv2d_options {
  int stride[2];      /**< {rows, cols}; 0: 1 */
  tg_padding padding; /**< 0: valid */
  int dilation[2];    /**< {rows, cols}; 0: 1 */
  int groups;         /**< in_channels and filters divisible by it; 0: 1 */
} tg_conv2d_options;

/** 2-D convolution (cross-correlation, as Keras and PyTorch):
 *     x [N,H,W,C], kernel [KH,KW,C/groups,F] -> [N,OH,OW,F]
 *     y[n,i,j,f] = sum_{a,b,c} x[n, i*sh + a*dh - pad_top, j*sw + b*dw - pad_left, g*C/G + c]
 *                              * kernel[a,b,c,f]      (g = f / (F/G); outside x counts as 0)
 * No bias: add one with tg_add (it broadcasts over the last axis). opt may be NULL.
 * Gradients for x and kernel. Errors name the shapes, e.g. "conv2d: input
 * [8x28x28x3] and kernel [3x3x1x32]: input has 3 channels, kernel expects 1". */
tg_tensor* tg_conv2d(tg_tape* t, tg_tensor* x, tg_tensor* kernel, const tg_conv2d_options* opt);

/** Pooling windows; zero fields mean Keras' defaults (2x2, stride = pool size, valid). */
typedef struct tg_pool2d_options {
  int pool_size[2];   /**< {rows, cols}; 0: 2 */
  int stride[2];      /**< 0: the pool size */
  tg_padding padding; /**< 0: valid */
} tg_pool2d_options;

/** Max over each window, [N,H,W,C] -> [N,OH,OW,C]; `same` padding never wins (the
 * max is over the window's elements inside x). A NaN in a window is the result
 * (as PyTorch). The gradient goes to the window's max, the first one on ties (the
 * first NaN when there is one). opt may be NULL. */
tg_tensor* tg_max_pool2d(tg_tape* t, tg_tensor* x, const tg_pool2d_options* opt);
/** Mean over each window; with `same` padding the mean of the elements inside x
 * only (Keras/TensorFlow, PyTorch's count_include_pad=False). opt may be NULL. */
tg_tensor* tg_avg_pool2d(tg_tape* t, tg_tensor* x, const tg_pool2d_options* opt);
/** Mean over height and width: [N,H,W,C] -> [N,C] (H*W must be > 0). */
tg_tensor* tg_global_avg_pool2d(tg_tape* t, tg_tensor* x);

/** dropout's arguments. */
typedef struct tg_dropout_options {
  float rate;    /**< fraction dropped, in [0, 1) */
  bool training; /**< false: y = x (Keras' inference) */
  /** Draws the mask (caller-owned, borrowed; it must outlive the tape's replays):
   * every forward -- the recording and each tg_tape_forward -- draws a new mask
   * from it, so the same seed gives the same sequence of masks. Required when
   * training. */
  tg_rng* rng;
} tg_dropout_options;

/** Inverted dropout as Keras: in training each element is kept with probability
 * 1 - rate and scaled by 1 / (1 - rate), else 0; dx = dy * the same mask. */
tg_tensor* tg_dropout(tg_tape* t, tg_tensor* x, const tg_dropout_options* opt);

/** batch_norm's arguments. */
typedef struct tg_batch_norm_options {
  bool training; /**< normalise with the batch's statistics, else with the moving ones */
  float epsilon; /**< added to the variance; 0: 1e-3 (Keras' default) */
  /** Inference: the statistics to normalise with ([C] each, e.g. a layer's moving
   * averages), read at every replay; both required when not training. @{ */
  tg_tensor* moving_mean;
  tg_tensor* moving_variance;
  /** @} */
  /** Training: where each forward writes the batch mean and the batch (biased)
   * variance, C floats each (caller-owned; NULL: not written), for the caller to
   * update its moving averages as Keras does. @{ */
  float* batch_mean;
  float* batch_variance;
  /** @} */
} tg_batch_norm_options;

/** Batch normalisation over every axis but the last (channels-last):
 *     y = gamma * (x - mean) / sqrt(var + eps) + beta,   gamma, beta: [C], C = x's last axis
 * training: mean and biased var of the batch (over N*H*W per channel); inference:
 * opt->moving_mean and opt->moving_variance. opt may be NULL (inference without
 * statistics is an error, so NULL means training with eps 1e-3). Gradients for x,
 * gamma, beta (and the moving statistics if they carry a grad). */
tg_tensor* tg_batch_norm(tg_tape* t, tg_tensor* x, tg_tensor* gamma, tg_tensor* beta,
                         const tg_batch_norm_options* opt);

/** Layer normalisation over the last axis (Keras LayerNormalization(axis=-1)):
 *     y = gamma * (x - mean) / sqrt(var + eps) + beta per row, gamma, beta: [D];
 * epsilon <= 0 means 1e-3 (Keras' default). Gradients for x, gamma and beta. */
tg_tensor* tg_layer_norm(tg_tape* t, tg_tensor* x, tg_tensor* gamma, tg_tensor* beta,
                         float epsilon);

/** The op definitions, for tools and tests. @{ */
extern const tg_op_def tg_op_conv2d, tg_op_max_pool2d, tg_op_avg_pool2d, tg_op_global_avg_pool2d,
    tg_op_dropout, tg_op_batch_norm, tg_op_layer_norm;
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_NN_H_ */
