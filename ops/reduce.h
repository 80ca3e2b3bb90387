/** @file ops/reduce.h — reductions along axes, with keepdims: sum, mean, max, min, var,
 * logsumexp, and argmax (an int32 index, no gradient). Included by ops/ops.h.
 *
 * `axes` lists n_axes distinct axes (negative ones count from the end, as numpy);
 * n_axes == 0 reduces over every axis. keepdims keeps each reduced axis as a 1 (so
 * the result broadcasts against x). The full reductions tg_sum / tg_mean (ops/ops.h)
 * stay as they are. Errors name the op, the axis and the shape, e.g.
 *     "sum_axes: axis 2 out of range for rank 2 input [3x4]".
 *
 *     int axes[1] = {-1};
 *     tg_tensor* m = tg_max_axes(t, logits, axes, 1, true);      // [N x 1]
 *     tg_tensor* lse = tg_logsumexp(t, logits, axes, 1, false);  // [N]
 *     tg_tensor* pred = tg_argmax(t, logits, -1, false);         // [N], int32
 */
#ifndef TAPEGRAD_OPS_REDUCE_H_
#define TAPEGRAD_OPS_REDUCE_H_

#include <stdbool.h>

#include "core/op.h"
#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Σ over the axes (0 for no elements);  dx += dy. */
tg_tensor* tg_sum_axes(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims);
/** The mean over the axes; zero elements is an error. */
tg_tensor* tg_mean_axes(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims);
/** Max / min over the axes. A NaN among the elements gives NaN. The gradient goes to
 * the one element picked: the first NaN, else the first occurrence of the extreme
 * (ties are not split). Zero elements is an error. @{ */
tg_tensor* tg_max_axes(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims);
tg_tensor* tg_min_axes(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims);
/** @} */
/** Population variance (numpy's default, ddof = 0): mean((x - mean(x))^2) over the
 * axes;  dx += dy * 2 (x - mean) / count. Zero elements is an error. */
tg_tensor* tg_var_axes(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims);
/** log Σ exp(x) over the axes, computed as m + log Σ exp(x - m) with m the max, so
 * large inputs do not overflow;  dx += dy * exp(x - y). A result of ±inf (every
 * element -inf, or one +inf) passes no gradient. Zero elements is an error. */
tg_tensor* tg_logsumexp(tg_tape* t, tg_tensor* x, const int* axes, int n_axes, bool keepdims);
/** The position of the max along one axis, as an int32 tensor (first occurrence on
 * ties; a NaN counts as the max, as numpy). No gradient. */
tg_tensor* tg_argmax(tg_tape* t, tg_tensor* x, int axis, bool keepdims);

/** The op definitions, for tools and tests. @{ */
extern const tg_op_def tg_op_sum_axes, tg_op_mean_axes, tg_op_max_axes, tg_op_min_axes,
    tg_op_var_axes, tg_op_logsumexp, tg_op_argmax;
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_REDUCE_H_ */
