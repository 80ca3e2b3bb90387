/* ops/internal/strided.h — index walks over rank <= 4 tensors for the shape ops and
 * the axis reductions.
 *
 * A walk visits every index of a box of up to four dimensions in row-major order and
 * keeps the element offset that a set of strides gives it. Shape ops copy along two
 * walks at once (permute, slice, pad, broadcast_to and their gradients); reductions
 * walk the kept axes outside and the reduced axes inside.
 */
#ifndef TAPEGRAD_OPS_INTERNAL_STRIDED_H_
#define TAPEGRAD_OPS_INTERNAL_STRIDED_H_

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/tensor.h"

/* Row-major element strides of x (stride[d] for d < rank; 0 beyond). */
static inline void tg_row_strides(int rank, const int64_t* shape, int64_t stride[TG_MAX_RANK]) {
  int64_t s = 1;
  for (int d = TG_MAX_RANK - 1; d >= 0; --d) {
    if (d >= rank) {
      stride[d] = 0;
      continue;
    }
    stride[d] = s;
    s *= shape[d];
  }
}

/* axis in -rank..rank-1 (negative counts from the end, as numpy) to 0..rank-1;
 * false when out of range. */
static inline bool tg_axis_normalize(int64_t axis, int rank, int* out) {
  if (axis < -(int64_t)rank || axis >= rank) return false;
  *out = (int)(axis < 0 ? axis + rank : axis);
  return true;
}

/* v[0..rank) right-aligned into out[4] (the loops of tg_strided_copy run four deep),
 * `fill` in front: 1 for dimensions, 0 for strides. */
static inline void tg_align4(int rank, const int64_t* v, int64_t fill, int64_t out[TG_MAX_RANK]) {
  const int pad = TG_MAX_RANK - rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) out[d] = d < pad ? fill : v[d - pad];
}

/* A box of n <= 4 dimensions and the element stride of each. */
typedef struct tg_walk {
  int n;
  int64_t dim[TG_MAX_RANK];
  int64_t stride[TG_MAX_RANK];
  int64_t size; /* product of dim (1 when n == 0) */
} tg_walk;

typedef struct tg_walk_pos {
  int64_t idx[TG_MAX_RANK];
  int64_t off;
} tg_walk_pos;

static inline void tg_walk_begin(tg_walk_pos* p) { memset(p, 0, sizeof *p); }

/* Moves to the next index in row-major order (wraps to the start after the last). */
static inline void tg_walk_next(const tg_walk* w, tg_walk_pos* p) {
  for (int k = w->n - 1; k >= 0; --k) {
    p->off += w->stride[k];
    if (++p->idx[k] < w->dim[k]) return;
    p->off -= w->stride[k] * w->dim[k];
    p->idx[k] = 0;
  }
}

/* dst[Σ i_k dst_stride_k] = src[Σ i_k src_stride_k] for every index i of dim[0..4)
 * (add: += instead, which also sums where dst strides are 0). */
void tg_strided_copy(float* dst, const int64_t dst_stride[TG_MAX_RANK], const float* src,
                     const int64_t src_stride[TG_MAX_RANK], const int64_t dim[TG_MAX_RANK],
                     bool add);

/* y = x with output axis i taken from input axis perm[i] (y's shape already so);
 * backward: x->grad += y->grad permuted back. Shared by permute and transpose. */
void tg_permute_forward(const tg_tensor* x, tg_tensor* y, const int* perm);
void tg_permute_backward(const tg_tensor* x, const tg_tensor* y, const int* perm);

#endif /* TAPEGRAD_OPS_INTERNAL_STRIDED_H_ */
