/* ops/internal/along_axis.h — the axis of softmax and log_softmax: validation
 * (negative counts from the end) and the (outer, axis, inner) split of a row-major
 * tensor, so element j of the lane (o, i) sits at o*n*inner + j*inner + i. */
#ifndef TAPEGRAD_OPS_INTERNAL_ALONG_AXIS_H_
#define TAPEGRAD_OPS_INTERNAL_ALONG_AXIS_H_

#include <stdio.h>

#include "core/op.h"

typedef struct tg_axis_split {
  int axis; /* resolved: 0..rank-1 */
  int64_t outer, n, inner;
} tg_axis_split;

/* Checks `axis` for x, or writes the reason into msg and returns the error:
 * "axis 2 out of range for rank 2 input [3x4]". */
static inline tg_status tg_axis_check(const tg_tensor* x, int axis, char* msg, size_t cap) {
  char sx[TG_SHAPE_STR_CAP];
  if (x->rank == 0) {
    snprintf(msg, cap, "input []: needs an axis to normalise over (rank >= 1)");
    return TG_ERR_RANK;
  }
  const int a = axis < 0 ? axis + x->rank : axis;
  if (a < 0 || a >= x->rank) {
    snprintf(msg, cap, "axis %d out of range for rank %d input %s", axis, x->rank,
             tg_tensor_shape_str(x, sx, sizeof sx));
    return TG_ERR_ARG;
  }
  return TG_OK;
}

/* The split along an axis tg_axis_check accepted. */
static inline tg_axis_split tg_axis_split_of(const tg_tensor* x, int axis) {
  tg_axis_split s;
  s.axis = axis < 0 ? axis + x->rank : axis;
  s.outer = 1;
  s.inner = 1;
  for (int d = 0; d < s.axis; ++d) s.outer *= x->shape[d];
  for (int d = s.axis + 1; d < x->rank; ++d) s.inner *= x->shape[d];
  s.n = x->shape[s.axis];
  return s;
}

#endif /* TAPEGRAD_OPS_INTERNAL_ALONG_AXIS_H_ */
