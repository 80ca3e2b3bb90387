/** @file tools/dot_export.h — a recorded tape as a Graphviz DOT picture that shows why a
 * network does (not) learn.
 *
 * The picture: op nodes and tensor edges labelled with shapes; inputs (blue),
 * parameters (yellow tables), ops (grey) and the loss (red octagon) drawn
 * differently; one cluster per scope (a Dense layer "dense_1" with its kernel, bias,
 * matmul, add and activation). Every parameter shows name, shape, value and gradient
 * statistics (min, max, mean, L2 norm, exact zeros) and, when it has at most
 * `table_max` rows and columns, its value and gradient matrices as one coloured cell
 * per entry (blue negative, red positive, grey exactly zero), so identical columns
 * are visibly identical. Each layer carries the symmetry analysis of
 * tools/analysis.h ("16 units -> 1 distinct (symmetric)", highlighted in red),
 * exactly-zero gradients and dead ReLUs are flagged, and a legend explains it all.
 * With `backward`, dashed edges show the gradient flow (VJPs) from the loss back to
 * every parameter, labelled with the L2 norm of the gradient they carry.
 *
 * Output is deterministic: node ids come from node indices and leaf first-use order,
 * numbers are printed with "%.4g"; never pointers. Render with `dot -Tsvg g.dot`.
 * Ownership: reads the tape and its tensors only. Thread-safety: as reading the tape.
 *
 *     tg_tape_backward(tape, loss);
 *     tg_dot_options opt = {.backward = true, .tolerance = 1e-6f};
 *     tg_error err = {0};
 *     if (tg_dot_save(tape, &opt, "graph.dot", &err) != TG_OK)
 *       fprintf(stderr, "%s\n", err.message);
 *     // $ dot -Tsvg graph.dot -o graph.svg
 */
#ifndef TAPEGRAD_TOOLS_DOT_EXPORT_H_
#define TAPEGRAD_TOOLS_DOT_EXPORT_H_

#include <stdbool.h>
#include <stdio.h>

#include "core/status.h"
#include "core/tape.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Zero-initialised options are the defaults. */
typedef struct tg_dot_options {
  bool backward;     /**< also draw the VJP edges from the loss back to the parameters */
  float tolerance;   /**< symmetry tolerance, finite and >= 0 (0: exact equality only) */
  int table_max;     /**< largest side drawn cell by cell; 0: 32; < 0: never */
  const char* title; /**< first line of the picture's caption; NULL: "tapegrad" */
  /** Also write under each matrix product which kernel it runs ("y: small avx2 1
   * thread; dA: ..."; ops/kernel_choice.h): depends on the CPU and the BLAS found. */
  bool kernels;
} tg_dot_options;

/** Writes the DOT text of `tape` to an open stream. `opt` may be NULL (defaults).
 * Returns TG_OK, or fills err: TG_ERR_NULL_ARG (tape/out NULL), TG_ERR_STATE (the tape
 * holds an error, or does not keep every value and gradient of its step, as
 * tg_analysis_new requires), TG_ERR_ARG (bad tolerance), TG_ERR_IO (the stream
 * failed). */
tg_status tg_dot_write(const tg_tape* tape, const tg_dot_options* opt, FILE* out, tg_error* err);

/** Same, into `path` through a temporary file and a rename (never half-written); a
 * symbolic link is followed, a FIFO, character device or "-" (standard output) is
 * written as a stream, a directory is refused (core/atomic_file.h). */
tg_status tg_dot_save(const tg_tape* tape, const tg_dot_options* opt, const char* path,
                      tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TOOLS_DOT_EXPORT_H_ */
