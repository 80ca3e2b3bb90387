/* examples/seed_graphs.h — the seed model's gradient graphs: why zero init does not
 * learn, next to Keras' default init that does.
 *
 * For both initialisations the seed model (1 -> 16 relu -> 16 relu -> 2, MSE) runs one
 * forward+backward on the seed data; the gradient graph is written as
 * <dir>/zero_init.dot and <dir>/default_init.dot (rendered to .svg beside them when
 * Graphviz' dot is on PATH) and the text report of the analysis goes to `out`.
 * Ownership: files in `dir`; nothing to free. Thread-safety: no shared state.
 *
 *   tg_error err = {0};
 *   char dir[4096];
 *   if (tg_seed_graphs_write(tg_seed_graphs_dir(argc, argv, dir, sizeof dir), stdout, &err))
 *     fprintf(stderr, "%s\n", err.message);
 */
#ifndef TAPEGRAD_EXAMPLES_SEED_GRAPHS_H_
#define TAPEGRAD_EXAMPLES_SEED_GRAPHS_H_

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where the graphs go: argv[1] when given, else ".", both taken relative to
 * $BUILD_WORKING_DIRECTORY when set (the directory `bazel run` was started from;
 * the program itself runs in its runfiles tree). Uses buf (cap bytes) when it has to
 * join the two; returns buf or argv[1]. */
const char* tg_seed_graphs_dir(int argc, char** argv, char* buf, size_t cap);

/* Writes both graphs (and SVGs when dot is available) into dir and prints both
 * reports to out. TG_ERR_IO when a file cannot be written or dot fails. */
tg_status tg_seed_graphs_write(const char* dir, FILE* out, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_EXAMPLES_SEED_GRAPHS_H_ */
