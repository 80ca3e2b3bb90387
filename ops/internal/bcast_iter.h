/* ops/internal/bcast_iter.h — numpy broadcasting for elementwise ops whose math is
 * not add/sub/mul (div, maximum, minimum, where): the shape rule over 2 or 3 inputs
 * and an odometer that walks the output in order, carrying each input's offset.
 *
 *   tg_bcast_iter it;
 *   tg_bcast_iter_init(&it, n->out, n->in, 2);
 *   for (int64_t k = 0; k < n->out->size; ++k, tg_bcast_iter_next(&it))
 *     y[k] = f(a[it.off[0]], b[it.off[1]]);
 *
 * A backward walks the same way and adds into g[it.off[i]], which sums the output
 * gradient over every dimension input i was broadcast along. The walk is in output
 * order, so sums happen in the same order on every run (replay is bit-identical).
 */
#ifndef TAPEGRAD_OPS_INTERNAL_BCAST_ITER_H_
#define TAPEGRAD_OPS_INTERNAL_BCAST_ITER_H_

#include <stddef.h>

#include "core/op.h"

enum { TG_BCAST_ITER_MAX = 3 };

typedef struct tg_bcast_iter {
  int n;                                /* inputs walked */
  int64_t dims[4];                      /* output dims, padded left to rank 4 */
  int64_t stride[TG_BCAST_ITER_MAX][4]; /* input element strides; 0 where broadcast */
  int64_t idx[4];                       /* current output index */
  int64_t off[TG_BCAST_ITER_MAX];       /* current offset into each input */
} tg_bcast_iter;

/* Broadcast shape of n (2 or 3) inputs. names[i] prefixes each shape in the message
 * ("mask", "a", "b") or names is NULL ("[3x2] and [4]: ..."). */
tg_status tg_bcast_shape_n(tg_tensor* const* in, int n, const char* const* names, int* rank,
                           int64_t shape[TG_MAX_RANK], char* msg, size_t cap);

/* Starts a walk of y (the broadcast output of in[0..n-1]) at element 0. */
void tg_bcast_iter_init(tg_bcast_iter* it, const tg_tensor* y, tg_tensor* const* in, int n);

/* Moves to the next output element in row-major order. */
static inline void tg_bcast_iter_next(tg_bcast_iter* it) {
  for (int d = 3; d >= 0; --d) {
    for (int i = 0; i < it->n; ++i) it->off[i] += it->stride[i][d];
    if (++it->idx[d] < it->dims[d]) return;
    for (int i = 0; i < it->n; ++i) it->off[i] -= it->stride[i][d] * it->dims[d];
    it->idx[d] = 0;
  }
}

#endif /* TAPEGRAD_OPS_INTERNAL_BCAST_ITER_H_ */
