/* ops/internal/strided.c — the four-deep copy loop the shape ops share. */
#include "ops/internal/strided.h"

void tg_strided_copy(float* dst, const int64_t ds[TG_MAX_RANK], const float* src,
                     const int64_t ss[TG_MAX_RANK], const int64_t d[TG_MAX_RANK], bool add) {
  for (int k = 0; k < TG_MAX_RANK; ++k)
    if (d[k] == 0) return; /* nothing to visit (and empty tensors may have no storage) */
  for (int64_t i0 = 0; i0 < d[0]; ++i0) {
    for (int64_t i1 = 0; i1 < d[1]; ++i1) {
      for (int64_t i2 = 0; i2 < d[2]; ++i2) {
        float* y = dst + i0 * ds[0] + i1 * ds[1] + i2 * ds[2];
        const float* x = src + i0 * ss[0] + i1 * ss[1] + i2 * ss[2];
        const int64_t ys = ds[3], xs = ss[3], n = d[3];
        /* Contiguous rows (the common case) as plain loops that vectorise. */
        if (ys == 1 && xs == 1) {
          if (add)
            for (int64_t j = 0; j < n; ++j) y[j] += x[j];
          else
            memcpy(y, x, (size_t)n * sizeof *y);
        } else if (add) {
          for (int64_t j = 0; j < n; ++j) y[j * ys] += x[j * xs];
        } else {
          for (int64_t j = 0; j < n; ++j) y[j * ys] = x[j * xs];
        }
      }
    }
  }
}

/* The box of y's indices, with y's strides and the strides of x that reach the same
 * element: output axis i walks input axis perm[i]. */
static void permute_walk(const tg_tensor* x, const tg_tensor* y, const int* perm,
                         int64_t dim[TG_MAX_RANK], int64_t ys[TG_MAX_RANK],
                         int64_t xs[TG_MAX_RANK]) {
  int64_t xst[TG_MAX_RANK], yst[TG_MAX_RANK], src[TG_MAX_RANK];
  tg_row_strides(x->rank, x->shape, xst);
  tg_row_strides(y->rank, y->shape, yst);
  for (int i = 0; i < y->rank; ++i) src[i] = xst[perm[i]];
  tg_align4(y->rank, y->shape, 1, dim);
  tg_align4(y->rank, yst, 0, ys);
  tg_align4(y->rank, src, 0, xs);
}

void tg_permute_forward(const tg_tensor* x, tg_tensor* y, const int* perm) {
  int64_t dim[TG_MAX_RANK], ys[TG_MAX_RANK], xs[TG_MAX_RANK];
  permute_walk(x, y, perm, dim, ys, xs);
  tg_strided_copy(y->data, ys, x->data, xs, dim, false);
}

void tg_permute_backward(const tg_tensor* x, const tg_tensor* y, const int* perm) {
  if (x->grad == NULL) return;
  int64_t dim[TG_MAX_RANK], ys[TG_MAX_RANK], xs[TG_MAX_RANK];
  permute_walk(x, y, perm, dim, ys, xs);
  tg_strided_copy(x->grad, xs, y->grad, ys, dim, true);
}
