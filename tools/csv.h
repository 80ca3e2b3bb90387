/** @file tools/csv.h — training data from a CSV file: one sample per line, the input
 * columns first and the target columns after them, separated by commas. Blank lines
 * and lines starting with '#' (e.g. a header) are skipped.
 *
 *     # x, y1, y2
 *     0.0, 0.1, 0.00
 *     0.1, 0.1, 0.01
 *
 * Errors carry the file, line and column (1-based, in characters), e.g.
 *     "tg_csv_read: data.csv:3:6: expected a number, got 'abc'".
 * Ownership: tg_csv_read fills a caller struct whose arrays the caller releases with
 * tg_csv_data_free. Thread-safety: no shared state.
 *
 *     tg_csv_data d;
 *     tg_error err = {0};
 *     if (tg_csv_read("data.csv", 1, 2, &d, &err) != TG_OK) puts(err.message);
 *     else { train(d.x, d.rows, d.y); tg_csv_data_free(&d); }
 */
#ifndef TAPEGRAD_TOOLS_CSV_H_
#define TAPEGRAD_TOOLS_CSV_H_

#include <stdint.h>

#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A numeric CSV file as input and target rows (tg_csv_data_free releases it). */
typedef struct tg_csv_data {
  int64_t rows; /**< data lines read */
  float* x;     /**< rows * n_inputs, row-major */
  float* y;     /**< rows * n_targets, row-major */
} tg_csv_data;

/** Reads `path` expecting n_inputs + n_targets (each >= 1) numeric columns per line.
 * TG_ERR_IO when the file cannot be read, TG_ERR_PARSE (with line and column) for a
 * malformed line or a file without data rows, TG_ERR_NOMEM. On error *out is empty. */
tg_status tg_csv_read(const char* path, int64_t n_inputs, int64_t n_targets, tg_csv_data* out,
                      tg_error* err);

/** Releases the arrays (the struct itself is the caller's); NULL is ignored. */
void tg_csv_data_free(tg_csv_data* d);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TOOLS_CSV_H_ */
