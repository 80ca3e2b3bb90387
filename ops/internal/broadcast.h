/* ops/internal/broadcast.h — numpy broadcasting for the elementwise binary ops.
 *
 * Shapes align on the right; each pair of dimensions must be equal or contain a 1.
 * Everything is padded to rank 4 so one loop nest serves every rank. Backward
 * reuses the same index walk, which sums the gradient over broadcast dimensions
 * (accumulating into the input's grad, as every VJP does).
 */
#ifndef TAPEGRAD_OPS_INTERNAL_BROADCAST_H_
#define TAPEGRAD_OPS_INTERNAL_BROADCAST_H_

#include <stddef.h>

#include "core/op.h"

typedef enum tg_bcast_kind { TG_BCAST_ADD, TG_BCAST_SUB, TG_BCAST_MUL } tg_bcast_kind;

/* Shape rule shared by add, sub and mul. `sym` is the operator in messages. */
tg_status tg_bcast_shape(const tg_tensor* a, const tg_tensor* b, const char* sym, int* rank,
                         int64_t shape[TG_MAX_RANK], char* msg, size_t cap);

/* y = a (op) b with broadcasting. */
void tg_bcast_forward(tg_bcast_kind kind, const tg_tensor* a, const tg_tensor* b, tg_tensor* y);

/* gx[x index] += sign * gy[k] * (other ? other[other index] : 1) over every output k,
 * which reduces gy over the dimensions x was broadcast along. */
void tg_bcast_accumulate(float* gx, const tg_tensor* x, const float* gy, const tg_tensor* y,
                         float sign, const tg_tensor* other);

/* The same over output elements [begin, end) (core/op.h, forward_range), for a and
 * b (x and other) that are each full (y's size) or a row repeated along y: the
 * bits tg_bcast_forward and tg_bcast_accumulate give for those elements. */
void tg_bcast_forward_range(tg_bcast_kind kind, const tg_tensor* a, const tg_tensor* b,
                            tg_tensor* y, int64_t begin, int64_t end);
void tg_bcast_accumulate_range(float* gx, const tg_tensor* x, const float* gy, const tg_tensor* y,
                               float sign, const tg_tensor* other, int64_t begin, int64_t end);

#endif /* TAPEGRAD_OPS_INTERNAL_BROADCAST_H_ */
