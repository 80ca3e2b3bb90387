/** @file data/confusion.h — a confusion matrix for classifiers: counts[t * classes + p] is
 * how many rows of true class t were predicted as class p. Printed as a table with
 * the true class down the side and the predicted class across:
 *
 *     true\pred    0    1    2
 *             0   50    1    0
 *             1    2   47    1
 *             2    0    3   46
 *
 *     tg_confusion c;
 *     tg_confusion_init(&c, 10, NULL, &err);
 *     tg_confusion_add_predictions(&c, probs, labels, rows, &err);   // argmax per row
 *     tg_confusion_print(&c, NULL, stdout);
 *     tg_confusion_free(&c);
 * Ownership: the counts array is the matrix's (its allocator). Nothing aborts.
 */
#ifndef TAPEGRAD_DATA_CONFUSION_H_
#define TAPEGRAD_DATA_CONFUSION_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A classes x classes matrix of counts. */
typedef struct tg_confusion {
  int32_t classes; /**< number of classes */
  int64_t* counts; /**< classes * classes, row = true class, column = predicted */
  int64_t total;   /**< rows counted */
  /** private */
  const tg_allocator* alloc_;
} tg_confusion;

/** A zeroed classes x classes matrix (classes 1..4096). */
tg_status tg_confusion_init(tg_confusion* c, int32_t classes, const tg_allocator* alloc,
                            tg_error* err);
/** Releases the counts and empties *c; NULL is ignored. */
void tg_confusion_free(tg_confusion* c);
/** Adds n (true, predicted) pairs; a class outside [0, classes) is TG_ERR_ARG naming
 * it and its position, and nothing is added. */
tg_status tg_confusion_add(tg_confusion* c, const int32_t* truth, const int32_t* predicted,
                           int64_t n, tg_error* err);
/** Adds rows of classes-wide scores (predicted = the row's argmax) against labels. */
tg_status tg_confusion_add_predictions(tg_confusion* c, const float* scores, const int32_t* labels,
                                       int64_t rows, tg_error* err);
/** The table as text into buf (always NUL-terminated when cap > 0); returns the
 * length the whole table needs, as snprintf. `names` (classes entries) labels the
 * classes, or NULL for their numbers. */
size_t tg_confusion_format(const tg_confusion* c, const char* const* names, char* buf, size_t cap);
/** Writes the table to `out`; TG_ERR_IO if writing fails. */
tg_status tg_confusion_print(const tg_confusion* c, const char* const* names, FILE* out);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DATA_CONFUSION_H_ */
