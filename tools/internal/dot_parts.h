/* tools/internal/dot_parts.h — the larger HTML-like labels of the DOT picture
 * (parameter tables, the legend). Private to tools/. */
#ifndef TAPEGRAD_TOOLS_INTERNAL_DOT_PARTS_H_
#define TAPEGRAD_TOOLS_INTERNAL_DOT_PARTS_H_

#include <stdio.h>

#include "tools/analysis.h"

/* Writes the node statement of a parameter leaf: id, name, shape, statistics, the
 * zero-gradient flag and, when both sides are <= table_max, its value and gradient
 * cell grids. */
void tg_dot_put_param(FILE* f, const tg_analysis_leaf* leaf, int id, int table_max);

/* Writes the legend node "legend" (inside its own cluster). */
void tg_dot_put_legend(FILE* f, double tolerance);

#endif /* TAPEGRAD_TOOLS_INTERNAL_DOT_PARTS_H_ */
