/** @file tools/report.h — the gradient analysis of a tape as plain text or JSON, for people
 * without Graphviz and for tests. Same findings as the DOT picture: per-layer unit
 * groups ("16 units -> 1 distinct (symmetric)"), parameters whose gradient is exactly
 * zero, ReLU units dead on the whole batch, and value/gradient statistics.
 *
 * Ownership: reads the analysis only; the caller keeps the FILE* open and closes it.
 * Thread-safety: none needed beyond not sharing the FILE*. Output is deterministic.
 *
 *     tg_error err = {0};
 *     tg_analysis* a = tg_analysis_new(tape, 1e-6f, &err);   // after tg_tape_backward
 *     if (a == NULL || tg_report_write_text(a, stdout, &err) != TG_OK)
 *       fprintf(stderr, "%s\n", err.message);
 *     tg_report_save(a, TG_REPORT_JSON, "report.json", &err);
 *     tg_analysis_free(a);
 */
#ifndef TAPEGRAD_TOOLS_REPORT_H_
#define TAPEGRAD_TOOLS_REPORT_H_

#include <stdio.h>

#include "core/status.h"
#include "tools/analysis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What tg_report_save writes. */
typedef enum tg_report_format {
  TG_REPORT_TEXT = 0, /**< plain text */
  TG_REPORT_JSON      /**< one JSON object */
} tg_report_format;

/** Writes the report to an open stream. TG_ERR_NULL_ARG for a NULL argument, TG_ERR_IO
 * when the stream reports an error. @{ */
tg_status tg_report_write_text(const tg_analysis* a, FILE* out, tg_error* err);
tg_status tg_report_write_json(const tg_analysis* a, FILE* out, tg_error* err);
/** @} */

/** Writes the report to `path` through a temporary file and a rename (never a
 * half-written file); links, FIFOs, devices and "-" as core/atomic_file.h says.
 * TG_ERR_IO with the path and the reason when that fails. */
tg_status tg_report_save(const tg_analysis* a, tg_report_format format, const char* path,
                         tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TOOLS_REPORT_H_ */
