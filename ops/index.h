/** @file ops/index.h — indexing with int32 index tensors: gather (an embedding lookup) and
 * one_hot. Included by ops/ops.h.
 *
 * Index tensors come from tg_tape_index_leaf, tg_tensor_init_index_view or argmax.
 * Indices are checked when the op runs (recording and every replay): the first
 * index out of range stops it with an error naming the index and its position in
 * the index tensor (row-major), e.g.
 *     "gather: index 12 out of range for 10 rows (at position 3)".
 *
 *     int64_t si[2] = {2, 3};
 *     int32_t ids[6] = {4, 0, 4, 9, 1, 2};
 *     tg_tensor* idx = tg_tape_index_leaf(t, 2, si, ids);
 *     tg_tensor* emb = tg_gather(t, table, idx);   // table [10 x 8] -> [2x3x8]
 *     tg_tensor* oh = tg_one_hot(t, idx, 10);      // [2x3x10] float, no gradient
 */
#ifndef TAPEGRAD_OPS_INDEX_H_
#define TAPEGRAD_OPS_INDEX_H_

#include "core/op.h"
#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Rows of `table` (rank >= 1, float) picked by `indices` (int32, any shape):
 * output shape indices.shape + table.shape[1:] (rank <= 4), indices in
 * 0..rows-1. Backward scatter-adds into table's grad: a row picked k times gets the
 * sum of its k gradients. */
tg_tensor* tg_gather(tg_tape* t, tg_tensor* table, tg_tensor* indices);
/** Float tensor indices.shape + [depth] (rank <= 4): 1 at each index, 0 elsewhere;
 * indices in 0..depth-1, depth >= 1. No gradient. */
tg_tensor* tg_one_hot(tg_tape* t, tg_tensor* indices, int depth);

/** Float values that are whole numbers in [0, 2^31) as an int32 index tensor of the
 * same shape (token ids or labels held in a float input); anything else fails the
 * forward, naming the value and its position. No gradient. */
tg_tensor* tg_to_index(tg_tape* t, tg_tensor* x);

/** The op definitions, for tools and tests. @{ */
extern const tg_op_def tg_op_gather, tg_op_one_hot, tg_op_to_index;
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_INDEX_H_ */
