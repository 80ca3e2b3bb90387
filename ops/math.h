/** @file ops/math.h — elementwise math and activations. Included by ops/ops.h.
 *
 * Every builder returns the output (owned by the tape, valid until tg_tape_clear /
 * tg_tape_free) or NULL with the first error kept on the tape. Binary and ternary
 * ops broadcast like numpy. Values outside a function's domain are not errors:
 * they give the IEEE result (log(0) = -inf, sqrt(-1) = NaN, 1/0 = inf), so the data
 * decides and a NaN shows in the output. Bad parameters are errors, e.g.
 * "clip: lo 2 > hi 1" or "pow: exponent inf is not finite".
 *
 *     tg_tensor* d = tg_sub(t, pred, target);
 *     // Huber-like: 0.5 min(|d|, 1)^2 + (|d| - min(|d|, 1))
 *     tg_tensor* a = tg_abs(t, d);
 *     tg_tensor* q = tg_clip(t, a, 0.0f, 1.0f);
 *     tg_tensor* loss = tg_mean(t, tg_add(t, tg_scale(t, tg_square(t, q), 0.5f), tg_sub(t, a, q)));
 */
#ifndef TAPEGRAD_OPS_MATH_H_
#define TAPEGRAD_OPS_MATH_H_

#include "core/op.h"
#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- elementwise math ---- */

/** y = -x. */
tg_tensor* tg_neg(tg_tape* t, tg_tensor* x);
/** y = exp(x). */
tg_tensor* tg_exp(tg_tape* t, tg_tensor* x);
/** y = log(x) (natural); log(0) = -inf, log(x < 0) = NaN. */
tg_tensor* tg_log(tg_tape* t, tg_tensor* x);
/** y = sqrt(x); sqrt(x < 0) = NaN. */
tg_tensor* tg_sqrt(tg_tape* t, tg_tensor* x);
/** y = 1 / sqrt(x). */
tg_tensor* tg_rsqrt(tg_tape* t, tg_tensor* x);
/** y = x * x. */
tg_tensor* tg_square(tg_tape* t, tg_tensor* x);
/** y = |x|; the gradient at 0 is 0. */
tg_tensor* tg_abs(tg_tape* t, tg_tensor* x);
/** y = 1 / x. */
tg_tensor* tg_reciprocal(tg_tape* t, tg_tensor* x);
/** y = a / b with broadcasting. */
tg_tensor* tg_div(tg_tape* t, tg_tensor* a, tg_tensor* b);
/** y = x^exponent for a constant, finite exponent (powf semantics; exponent 0 has
 * gradient 0 everywhere). */
tg_tensor* tg_pow(tg_tape* t, tg_tensor* x, float exponent);
/** Elementwise max / min with broadcasting. NaN propagates (maximum(NaN, x) = NaN).
 * The gradient goes to the larger (smaller) input; on a tie each gets half. @{ */
tg_tensor* tg_maximum(tg_tape* t, tg_tensor* a, tg_tensor* b);
tg_tensor* tg_minimum(tg_tape* t, tg_tensor* a, tg_tensor* b);
/** @} */
/** y = min(max(x, lo), hi); lo <= hi, neither NaN (either may be infinite). NaN in,
 * NaN out. The gradient is 1 on [lo, hi] and 0 outside. */
tg_tensor* tg_clip(tg_tape* t, tg_tensor* x, float lo, float hi);
/** y = mask != 0 ? a : b, broadcasting over all three. mask is a float tensor (a
 * comparison's 0/1 result); it gets no gradient. */
tg_tensor* tg_where(tg_tape* t, tg_tensor* mask, tg_tensor* a, tg_tensor* b);

/* ---- activations ---- */

/** y = x > 0 ? x : alpha x (Keras 3's LeakyReLU default is alpha 0.3, PyTorch's 0.01;
 * here it is always given). alpha finite. */
tg_tensor* tg_leaky_relu(tg_tape* t, tg_tensor* x, float alpha);
/** y = x > 0 ? x : alpha (exp(x) - 1) (Keras and PyTorch default alpha 1.0). */
tg_tensor* tg_elu(tg_tape* t, tg_tensor* x, float alpha);

/** GELU's two forms, as PyTorch's `approximate`. */
typedef enum tg_gelu_approximate {
  TG_GELU_NONE = 0, /**< exact: x Φ(x) = x/2 (1 + erf(x/√2)) */
  TG_GELU_TANH = 1  /**< x/2 (1 + tanh(√(2/π) (x + 0.044715 x³))) */
} tg_gelu_approximate;
/** y = GELU(x), exact or with the tanh approximation. */
tg_tensor* tg_gelu(tg_tape* t, tg_tensor* x, tg_gelu_approximate approximate);

/** y = log(1 + exp(x)), stable for any x (softplus(100) = 100). */
tg_tensor* tg_softplus(tg_tape* t, tg_tensor* x);
/** y = x * sigmoid(x). tg_swish is the same op (Keras names it both ways). @{ */
tg_tensor* tg_silu(tg_tape* t, tg_tensor* x);
tg_tensor* tg_swish(tg_tape* t, tg_tensor* x);
/** @} */
/** Keras 3's hard sigmoid: y = max(0, min(1, x/6 + 1/2)) (= relu6(x + 3) / 6; Keras 2
 * used 0.2 x + 0.5, which this is not). */
tg_tensor* tg_hard_sigmoid(tg_tape* t, tg_tensor* x);
/** Softmax along `axis` (negative counts from the end: -1 is the last axis, which
 * tg_softmax in ops/ops.h uses). "softmax: axis 2 out of range for rank 2 input [3x4]". */
tg_tensor* tg_softmax_axis(tg_tape* t, tg_tensor* x, int axis);
/** log(softmax(x)) along `axis`, computed stably (no log(0) for large inputs). */
tg_tensor* tg_log_softmax(tg_tape* t, tg_tensor* x, int axis);

/** The op definitions, for tools and tests. @{ */
extern const tg_op_def tg_op_neg, tg_op_exp, tg_op_log, tg_op_sqrt, tg_op_rsqrt, tg_op_square,
    tg_op_abs, tg_op_reciprocal, tg_op_div, tg_op_pow, tg_op_maximum, tg_op_minimum, tg_op_clip,
    tg_op_where;
extern const tg_op_def tg_op_leaky_relu, tg_op_elu, tg_op_gelu, tg_op_softplus, tg_op_silu,
    tg_op_hard_sigmoid, tg_op_log_softmax;
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_MATH_H_ */
