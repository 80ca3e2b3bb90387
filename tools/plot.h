/** @file tools/plot.h — SVG line charts of training curves, written by the library itself
 * (no Python, no gnuplot): loss and metrics per epoch, training and validation, and
 * per-layer gradient norms.
 *
 * A chart is a set of series over a shared x axis. Non-finite points (a diverged
 * loss) break the line instead of bending the axes; a log y axis shows losses that
 * fall over several decades. The output is deterministic (same data, same bytes).
 *
 *     double epoch[3] = {1, 2, 3}, loss[3] = {0.9, 0.4, 0.2}, val[3] = {1.0, 0.5, 0.35};
 *     tg_plot_series s[2] = {{"loss", epoch, loss, 3}, {"val_loss", epoch, val, 3}};
 *     tg_plot_options o = {.title = "loss", .x_label = "epoch", .log_y = true};
 *     tg_error err = {0};
 *     if (tg_plot_save("loss.svg", &o, s, 2, &err) != TG_OK) fprintf(stderr, "%s\n", err.message);
 *
 * A history file (the CSV a CSV logger writes: a header `epoch,loss,accuracy,val_loss,
 * ...`, then one row of numbers per epoch) becomes one chart per quantity with
 * tg_plot_history; the `tgplot` command does the same from the shell.
 * Thread-safety: no shared state.
 */
#ifndef TAPEGRAD_TOOLS_PLOT_H_
#define TAPEGRAD_TOOLS_PLOT_H_

#include <stdbool.h>
#include <stdio.h>

#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One line: n points (x[i], y[i]); the arrays are borrowed for the call. */
typedef struct tg_plot_series {
  const char* name; /**< legend text */
  const double* x;  /**< n x values */
  const double* y;  /**< n y values (non-finite ones are not drawn) */
  int n;            /**< points */
} tg_plot_series;

/** Zero fields take the defaults: 640 x 400 pixels, no title or labels, linear y. */
typedef struct tg_plot_options {
  const char* title;   /**< above the chart; NULL: none */
  const char* x_label; /**< under the x axis; NULL: none */
  const char* y_label; /**< beside the y axis; NULL: none */
  bool log_y;          /**< log10 y axis; falls back to linear if a finite y is <= 0 */
  int width;           /**< pixels; 0: 640 (at least 200) */
  int height;          /**< pixels; 0: 400 (at least 150) */
} tg_plot_options;

/** Writes the chart as an SVG document to `out`. TG_ERR_NULL_ARG / TG_ERR_ARG (no
 * series, n < 0, a NULL array) or TG_ERR_IO with the reason in err. */
tg_status tg_plot_write(FILE* out, const tg_plot_options* opt, const tg_plot_series* series,
                        int n_series, tg_error* err);

/** Same into the file at `path`, replaced atomically (never half-written). */
tg_status tg_plot_save(const char* path, const tg_plot_options* opt, const tg_plot_series* series,
                       int n_series, tg_error* err);

/** Reads a history CSV and writes into `out_dir`: loss.svg (loss and val_loss), one
 * `<metric>.svg` per other quantity with its val_ twin, and grad_norm.svg when the file
 * has `grad_norm/<layer>` columns (one line per layer, log y). Returns the number of
 * charts written in *n_written (may be NULL). Errors name the file, line and column. */
tg_status tg_plot_history(const char* csv_path, const char* out_dir, int* n_written, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TOOLS_PLOT_H_ */
