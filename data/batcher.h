/** @file data/batcher.h — shuffled mini-batches that allocate nothing per step.
 *
 * A batcher holds, from tg_batcher_new on, every buffer it ever uses: the row order
 * (n indices) and one batch of features and targets. tg_batcher_next copies the next
 * batch_size rows (in the epoch's order) into those buffers and points tensor views
 * at them; at the end of an epoch it returns false once and the next call starts a
 * new epoch with a fresh order. Each epoch's order is a Fisher-Yates shuffle of the
 * identity drawn from the batcher's RNG, so the order continues across epochs from
 * the RNG state; tg_batcher_state / tg_batcher_set_state read and restore that state
 * (with the epoch and position), so a model that saves it resumes the exact order.
 *
 *     tg_batcher_options o = {.batch_size = 32, .shuffle = true, .seed = 7};
 *     tg_batcher* b = tg_batcher_new(&train, &o, NULL, &err);
 *     tg_batch batch;
 *     for (int epoch = 0; epoch < 10; ++epoch)
 *       while (tg_batcher_next(b, &batch)) train_step(&batch.x, &batch.target);
 *     tg_batcher_free(b);
 * The data set is borrowed: it must outlive the batcher and keep its shape.
 * Thread-safety: one thread per batcher.
 */
#ifndef TAPEGRAD_DATA_BATCHER_H_
#define TAPEGRAD_DATA_BATCHER_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/tensor.h"
#include "data/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_batcher tg_batcher; /**< a batcher (opaque) */

/** How a batcher cuts epochs into batches. */
typedef struct tg_batcher_options {
  int64_t batch_size;  /**< rows per batch, >= 1 */
  bool shuffle;        /**< false: rows in order every epoch */
  uint64_t seed;       /**< seeds the shuffle's RNG */
  bool drop_remainder; /**< skip the last, smaller batch of an epoch (fixed shapes for replay) */
} tg_batcher_options;

/** One batch: views into the batcher's buffers, valid until the next call. */
typedef struct tg_batch {
  int64_t rows;         /**< rows in this batch (batch_size, or fewer for the last one) */
  tg_tensor x;          /**< [rows, row_shape...] features */
  tg_tensor target;     /**< [rows] int32 labels or [rows, target_size] floats; rank 0 if none */
  const int64_t* index; /**< rows' indices in the data set */
  int64_t epoch;        /**< epoch this batch belongs to (0-based) */
  int64_t step;         /**< batch number within the epoch (0-based) */
} tg_batch;

/** Everything that decides the order from now on: restore it to resume exactly. */
typedef struct tg_batcher_state {
  tg_rng rng;       /**< the generator that draws the current epoch's order */
  int64_t epoch;    /**< current epoch (0-based) */
  int64_t position; /**< rows of the current epoch already served; 0: not started */
} tg_batcher_state;

/** New batcher over `ds` (borrowed). `alloc` may be NULL (malloc). NULL on error
 * (batch_size < 1, an empty or uninitialised data set, out of memory). */
tg_batcher* tg_batcher_new(const tg_dataset* ds, const tg_batcher_options* o,
                           const tg_allocator* alloc, tg_error* err);
/** Releases the batcher (not the data set); NULL is ignored. */
void tg_batcher_free(tg_batcher* b);

/** Fills *out with the next batch and returns true; returns false (once) at the end
 * of an epoch, and the next call begins the next epoch. Allocates nothing. */
bool tg_batcher_next(tg_batcher* b, tg_batch* out);

/** Batches per epoch: ceil(n / batch_size), or floor with drop_remainder. */
int64_t tg_batcher_steps_per_epoch(const tg_batcher* b);

/** Reads / restores the order state. Setting checks that the position fits the data
 * set (TG_ERR_ARG); a position inside an epoch redraws that epoch's order from
 * state.rng, so the following batches are the ones the saved batcher would give. @{ */
tg_batcher_state tg_batcher_state_get(const tg_batcher* b);
tg_status tg_batcher_state_set(tg_batcher* b, const tg_batcher_state* s, tg_error* err);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DATA_BATCHER_H_ */
