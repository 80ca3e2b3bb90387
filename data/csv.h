/** @file data/csv.h — a data set from a CSV file (plain or gzip-compressed, read through
 * zlib): one row per line, numeric fields separated by commas (or o->delimiter).
 * Blank lines and lines starting with '#' are skipped. With `header` the first
 * other line names the columns. One column (by name or 1-based number; default the
 * last) holds the label, read as an integer class (int32 labels or one-hot float
 * rows) or as float targets (then `label_count` consecutive columns); every other
 * column is a feature, in file order.
 *
 *     label,pixel1,pixel2,...          tg_csv_options o = {.header = true,
 *     9,0,0,...                                            .label_name = "label"};
 *     2,0,12,...                       tg_dataset d;
 *                                      tg_csv_load("train.csv.gz", &o, NULL, &d, &err);
 *
 * Errors carry the file, the line and the column (1-based, in characters, where the
 * field starts) and what was expected, e.g.
 *     "tg_csv_load: data.csv:17:65: label 12 out of range for 10 classes"
 *     "tg_csv_load: data.csv:3:5: expected a number, got 'abc'"
 * Ownership: the data set is the caller's (tg_dataset_free); on error it is empty.
 * Every allocation goes through `alloc` (NULL: malloc). Thread-safety: no shared state.
 */
#ifndef TAPEGRAD_DATA_CSV_H_
#define TAPEGRAD_DATA_CSV_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/status.h"
#include "data/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the label column is read. */
/** How the label column becomes targets. */
typedef enum tg_csv_label_mode {
  TG_CSV_LABEL_INT = 0, /**< integer classes -> int32 labels (TG_LABELS_INT) */
  TG_CSV_LABEL_ONE_HOT, /**< integer classes -> one-hot float rows of num_classes */
  TG_CSV_LABEL_FLOAT,   /**< label_count float columns -> float targets */
  TG_CSV_LABEL_NONE     /**< no label: every column is a feature */
} tg_csv_label_mode;

/** How tg_csv_load reads a file; zero-initialised: no header, the last column an int label. */
typedef struct tg_csv_options {
  bool header;            /**< the first non-comment line names the columns */
  const char* label_name; /**< the label column by name (needs header); NULL: by number */
  int label_column;       /**< the label column's number, 1-based; 0: the last column */
  int label_count;        /**< TG_CSV_LABEL_FLOAT: target columns from the label column on
                             (0 means 1); with label_column 0, the last label_count */
  tg_csv_label_mode mode; /**< what the label columns hold */
  int32_t num_classes;    /**< INT/ONE_HOT: labels must be in [0, num_classes); 0: the largest
                             label + 1 */
  char delimiter;         /**< 0: ',' */
} tg_csv_options;

/** Reads `path` into *out (row shape [features]). TG_ERR_IO (cannot open, read
 * error), TG_ERR_PARSE (bad field, wrong column count, bad label, unknown label
 * column, no data rows), TG_ERR_ARG (bad options), TG_ERR_NOMEM. */
tg_status tg_csv_load(const char* path, const tg_csv_options* o, const tg_allocator* alloc,
                      tg_dataset* out, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DATA_CSV_H_ */
