/** @file ops/shape.h — shape ops: reshape, flatten, squeeze, expand_dims (views: they share
 * their input's data and gradient, nothing is copied), and transpose, permute,
 * concat, slice, broadcast_to, pad (copies, with gradients that route back).
 * Included by ops/ops.h.
 *
 * Axes may be negative (counted from the end, as numpy). Every builder returns the
 * output (owned by the tape) or NULL with the first error kept on the tape, e.g.
 *     "reshape: [6x4] cannot become [5x-1]: 24 elements"
 *     "slice: axis 2 out of range for rank 2".
 *
 *     int64_t s[3] = {8, 7, 7};
 *     tg_tensor* x = tg_tape_leaf(t, 3, s, NULL, false);
 *     tg_tensor* flat = tg_flatten(t, x);                  // [8x49], a view of x
 *     tg_tensor* tail = tg_slice_axis(t, flat, 1, -9, TG_SLICE_END, 2);  // [8x5]
 *     tg_tensor* both = tg_concat(t, (tg_tensor*[]){flat, tail}, 2, 1);  // [8x54]
 */
#ifndef TAPEGRAD_OPS_SHAPE_H_
#define TAPEGRAD_OPS_SHAPE_H_

#include <stdint.h>

#include "core/op.h"
#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A view of x with `rank` dimensions `shape`; one dimension may be -1 (inferred from
 * the element count). The output shares x's data and grad. */
tg_tensor* tg_reshape(tg_tape* t, tg_tensor* x, int rank, const int64_t* shape);
/** [N, a, b, c] -> [N, a*b*c], keeping the batch axis 0 (as Keras' Flatten; [N] ->
 * [N x 1]). A view. Rank >= 1. */
tg_tensor* tg_flatten(tg_tape* t, tg_tensor* x);
/** Removes `axis`, which must have size 1. A view. */
tg_tensor* tg_squeeze(tg_tape* t, tg_tensor* x, int axis);
/** Inserts a dimension of size 1 before position `axis` (-rank-1..rank, as numpy;
 * -1 appends). A view. The output rank must stay <= 4. */
tg_tensor* tg_expand_dims(tg_tape* t, tg_tensor* x, int axis);

/** The transpose of a matrix [M x N] -> [N x M] (a copy). Rank 2 only (see permute). */
tg_tensor* tg_transpose(tg_tape* t, tg_tensor* x);
/** Output axis i is input axis perm[i] (numpy's transpose(x, perm)); perm has rank(x)
 * entries forming a permutation of 0..rank-1 (negative entries count from the end). */
tg_tensor* tg_permute(tg_tape* t, tg_tensor* x, const int* perm);
/** Joins n >= 1 tensors along `axis`; every other dimension must be equal. The same
 * tensor may appear more than once (its gradient is the sum). */
tg_tensor* tg_concat(tg_tape* t, tg_tensor* const* inputs, int n, int axis);

/** `stop` value meaning "to the end of the axis". */
#define TG_SLICE_END INT64_MAX
/** numpy's x[start0:stop0:step0, start1:stop1:step1, ...]: each array has rank(x)
 * entries; negative start/stop count from the end, out-of-range ones clamp to the
 * axis (as numpy), steps must be positive. NULL arrays mean start 0, stop
 * TG_SLICE_END, step 1 on every axis. A copy. */
tg_tensor* tg_slice(tg_tape* t, tg_tensor* x, const int64_t* start, const int64_t* stop,
                    const int64_t* step);
/** The same along one axis, every other axis whole: x[..., start:stop:step, ...]. */
tg_tensor* tg_slice_axis(tg_tape* t, tg_tensor* x, int axis, int64_t start, int64_t stop,
                         int64_t step);

/** x repeated to `shape` under numpy broadcasting (x's shape aligned on the right,
 * each dimension equal or 1). Backward sums over the repeated dimensions. */
tg_tensor* tg_broadcast_to(tg_tape* t, tg_tensor* x, int rank, const int64_t* shape);
/** x surrounded by `value`: before[d] and after[d] (>= 0, rank(x) entries each; NULL:
 * none) elements on each side of axis d. */
tg_tensor* tg_pad(tg_tape* t, tg_tensor* x, const int64_t* before, const int64_t* after,
                  float value);

/** The op definitions, for tools and tests. @{ */
extern const tg_op_def tg_op_reshape, tg_op_flatten, tg_op_squeeze, tg_op_expand_dims,
    tg_op_transpose, tg_op_permute, tg_op_concat, tg_op_slice, tg_op_broadcast_to, tg_op_pad;
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_SHAPE_H_ */
