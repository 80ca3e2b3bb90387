/* tools/internal/format.h — fixed number formatting and escaping shared by the DOT
 * exporter and the reports. Private to tools/. Output never depends on pointers or
 * locale-free state beyond the C locale's "%g", so the same tape gives the same bytes.
 */
#ifndef TAPEGRAD_TOOLS_INTERNAL_FORMAT_H_
#define TAPEGRAD_TOOLS_INTERNAL_FORMAT_H_

#include <stddef.h>
#include <stdio.h>

#include "tools/analysis.h"

enum { TG_NUM_CAP = 32 };

/* "%.4g" of v, with -0 written as 0 and non-finite values as nan, inf, -inf. */
const char* tg_fmt_num(char buf[TG_NUM_CAP], double v);

/* Writes s with &, <, >, " escaped for a Graphviz HTML-like label. */
void tg_put_html(FILE* f, const char* s);

/* Writes s as a JSON string literal (quotes included). */
void tg_put_json_string(FILE* f, const char* s);

/* Writes v as a JSON number: the shortest text that reads back as the same float32
 * (the precision of tapegrad's data), or null when it is not finite. */
void tg_put_json_num(FILE* f, double v);

/* Writes the members of every group with more than one unit as "{0-3,7} {4,5}";
 * writes nothing when every unit is alone. At most `max_groups` groups, then " ...". */
void tg_put_unit_groups(FILE* f, const int* group, int units, int n_groups, int max_groups);

/* Writes "value min 0 max 0 mean 0 l2 0" style statistics: "min A max B mean C l2 D". */
/* "min .. max .. mean .. l2 .."; with non-finite entries it says how many (NaN and
 * inf), and "all N non-finite (..)" instead of statistics when none is finite. */
void tg_put_stats(FILE* f, const tg_stats* s);

#endif /* TAPEGRAD_TOOLS_INTERNAL_FORMAT_H_ */
