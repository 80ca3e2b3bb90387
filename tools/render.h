/** @file tools/render.h — run Graphviz' `dot` on a DOT file (when it is installed).
 *
 * Ownership: files only; nothing to free. Thread-safety: runs a child process and
 * waits for it; safe from several threads for different output files.
 *
 *     tg_error err = {0};
 *     if (tg_dot_available() && tg_dot_render("graph.dot", "svg", "graph.svg", &err) != TG_OK)
 *       fprintf(stderr, "%s\n", err.message);
 */
#ifndef TAPEGRAD_TOOLS_RENDER_H_
#define TAPEGRAD_TOOLS_RENDER_H_

#include <stdbool.h>

#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** True when an executable `dot` is on PATH. */
bool tg_dot_available(void);

/** Runs `dot -T<format> dot_path -o out_path`. `format` is "svg" or "png".
 * TG_ERR_ARG for another format, TG_ERR_STATE when dot is not on PATH, TG_ERR_IO when
 * dot fails (the message carries the start of what dot printed). */
tg_status tg_dot_render(const char* dot_path, const char* format, const char* out_path,
                        tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TOOLS_RENDER_H_ */
