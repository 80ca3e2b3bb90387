/** @file data/split.h — train / validation / test splits with a seed.
 *
 * The rows are permuted with a Fisher-Yates shuffle driven by core/rng.h seeded with
 * `seed` (the same seed gives the same split on every machine), then the first
 * rows go to training, the next to validation and the last to test. With
 * `keep_order` nothing is shuffled: validation and test are the last rows, as
 * Keras' validation_split takes them. The three parts are disjoint and together
 * hold every row exactly once.
 *
 *     tg_split_options o = {.validation = 0.1, .test = 0.2, .seed = 42};
 *     tg_dataset train, val, test;
 *     if (tg_dataset_split(&all, &o, &train, &val, &test, &err) != TG_OK) ...
 * Ownership: the three data sets are the caller's (tg_dataset_free each); `val`
 * or `test` may be NULL when its fraction is 0.
 */
#ifndef TAPEGRAD_DATA_SPLIT_H_
#define TAPEGRAD_DATA_SPLIT_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "data/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How rows are split into train, validation and test sets. */
typedef struct tg_split_options {
  double validation; /**< fraction of rows for validation, [0, 1) */
  double test;       /**< fraction of rows for test, [0, 1); validation + test < 1 */
  uint64_t seed;     /**< the shuffle's seed */
  bool keep_order;   /**< no shuffle: train, validation, test in row order */
} tg_split_options;

/** Row counts: test = round(n * test), validation = round(n * validation), train =
 * the rest (>= 1 whenever n >= 1). */
tg_status tg_split_counts(int64_t n, const tg_split_options* o, int64_t* train, int64_t* val,
                          int64_t* test, tg_error* err);

/** The split's row order: perm[0..n) (caller's array of n) is the permutation whose
 * first `train` entries are the training rows, then validation, then test. */
tg_status tg_split_permutation(int64_t n, const tg_split_options* o, int64_t* perm, tg_error* err);

/** Copies the three parts of `all` into *train, *val, *test. On error all three are
 * empty. */
tg_status tg_dataset_split(const tg_dataset* all, const tg_split_options* o, tg_dataset* train,
                           tg_dataset* val, tg_dataset* test, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DATA_SPLIT_H_ */
