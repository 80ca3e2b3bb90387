/* tools/internal/format.c — numbers, escaping and unit-group lists. */
#include "tools/internal/format.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

const char* tg_fmt_num(char buf[TG_NUM_CAP], double v) {
  if (isnan(v))
    snprintf(buf, TG_NUM_CAP, "nan");
  else if (isinf(v))
    snprintf(buf, TG_NUM_CAP, v > 0 ? "inf" : "-inf");
  else
    snprintf(buf, TG_NUM_CAP, "%.4g", v == 0.0 ? 0.0 : v);
  return buf;
}

void tg_put_html(FILE* f, const char* s) {
  for (; *s; ++s) {
    switch (*s) {
      case '&':
        fputs("&amp;", f);
        break;
      case '<':
        fputs("&lt;", f);
        break;
      case '>':
        fputs("&gt;", f);
        break;
      case '"':
        fputs("&quot;", f);
        break;
      default:
        fputc(*s, f);
    }
  }
}

void tg_put_json_string(FILE* f, const char* s) {
  fputc('"', f);
  for (; *s; ++s) {
    const unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

void tg_put_json_num(FILE* f, double v) {
  if (!isfinite(v)) {
    fputs("null", f);
    return;
  }
  /* Values come from float32 data: print the shortest text that reads back as the
   * same float, so 1e-6f is 1e-06 and not 9.99999997e-07. */
  const float x = (float)v == 0.0f ? 0.0f : (float)v;
  char buf[TG_NUM_CAP];
  for (int digits = 1; digits <= 9; ++digits) {
    snprintf(buf, sizeof buf, "%.*g", digits, (double)x);
    if (strtof(buf, NULL) == x) break;
  }
  fputs(buf, f);
}

/* Writes the units of group g as ranges: "0-3,7". */
static void put_members(FILE* f, const int* group, int units, int g) {
  bool first = true;
  for (int u = 0; u < units; ++u) {
    if (group[u] != g) continue;
    int end = u;
    while (end + 1 < units && group[end + 1] == g) ++end;
    fprintf(f, first ? "%d" : ",%d", u);
    if (end > u) fprintf(f, "-%d", end);
    first = false;
    u = end;
  }
}

void tg_put_unit_groups(FILE* f, const int* group, int units, int n_groups, int max_groups) {
  int written = 0;
  for (int g = 0; g < n_groups; ++g) {
    int members = 0;
    for (int u = 0; u < units; ++u) members += group[u] == g;
    if (members < 2) continue;
    if (written == max_groups) {
      fputs(" ...", f);
      return;
    }
    fputs(written ? " {" : "{", f);
    put_members(f, group, units, g);
    fputc('}', f);
    ++written;
  }
}

void tg_put_stats(FILE* f, const tg_stats* s) {
  char a[TG_NUM_CAP], b[TG_NUM_CAP], c[TG_NUM_CAP], d[TG_NUM_CAP];
  /* Statistics over no finite entry would print as zeros that look like numbers. */
  if (s->count > 0 && s->nonfinite == s->count) {
    fprintf(f, "all %lld non-finite (%lld NaN, %lld inf)", (long long)s->count, (long long)s->nans,
            (long long)(s->nonfinite - s->nans));
    return;
  }
  fprintf(f, "min %s max %s mean %s l2 %s", tg_fmt_num(a, s->min), tg_fmt_num(b, s->max),
          tg_fmt_num(c, s->mean), tg_fmt_num(d, s->l2));
  if (s->nonfinite > 0)
    fprintf(f, " of the finite entries; %lld non-finite (%lld NaN, %lld inf)",
            (long long)s->nonfinite, (long long)s->nans, (long long)(s->nonfinite - s->nans));
}
