/* tools/csv.c — a strict little CSV reader for numeric training data. */
#define _POSIX_C_SOURCE 200809L
#include "tools/csv.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kFn[] = "tg_csv_read";

void tg_csv_data_free(tg_csv_data* d) {
  if (d == NULL) return;
  free(d->x);
  free(d->y);
  memset(d, 0, sizeof *d);
}

/* Growable float arrays for x and y. */
typedef struct sink {
  tg_csv_data d;
  int64_t cap_rows, n_in, n_out;
} sink;

static bool reserve_row(sink* s) {
  if (s->d.rows < s->cap_rows) return true;
  const int64_t cap = s->cap_rows ? s->cap_rows * 2 : 64;
  float* x = (float*)realloc(s->d.x, (size_t)(cap * s->n_in) * sizeof(float));
  if (x) s->d.x = x;
  float* y = x ? (float*)realloc(s->d.y, (size_t)(cap * s->n_out) * sizeof(float)) : NULL;
  if (y) s->d.y = y;
  if (x == NULL || y == NULL) return false;
  s->cap_rows = cap;
  return true;
}

static bool skippable(const char* line) {
  while (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n') ++line;
  return *line == '\0' || *line == '#';
}

/* Parses one data line into row `s->d.rows`. */
static tg_status parse_line(sink* s, const char* path, long lineno, const char* line,
                            tg_error* err) {
  const int64_t want = s->n_in + s->n_out;
  float* xr = s->d.x + s->d.rows * s->n_in;
  float* yr = s->d.y + s->d.rows * s->n_out;
  const char* p = line;
  int64_t col = 0;
  for (;;) {
    while (*p == ' ' || *p == '\t') ++p;
    const long at = (long)(p - line) + 1;
    if (col == want)
      return tg_error_set(
          err, TG_ERR_PARSE,
          "%s: %s:%ld:%ld: expected %lld columns (%lld input%s then %lld target%s), "
          "got more",
          kFn, path, lineno, at, (long long)want, (long long)s->n_in, s->n_in == 1 ? "" : "s",
          (long long)s->n_out, s->n_out == 1 ? "" : "s");
    char* end = NULL;
    errno = 0;
    const float v = strtof(p, &end);
    const char* q = end;
    while (q && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')) ++q;
    if (end == p || (*q != ',' && *q != '\0')) {
      size_t len = strcspn(p, ",\r\n");
      return tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld:%ld: expected a number, got '%.*s'", kFn,
                          path, lineno, at, (int)(len > 40 ? 40 : len), p);
    }
    /* strtof reports ERANGE for subnormal results too, which are finite floats (as
     * is a value that underflows to 0): only an overflow (infinity) or a literal
     * inf/nan is refused. */
    if (!isfinite(v))
      return tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld:%ld: '%.*s' is not a finite float", kFn,
                          path, lineno, at, (int)(end - p), p);
    if (col < s->n_in)
      xr[col] = v;
    else
      yr[col - s->n_in] = v;
    ++col;
    if (*q == '\0') break;
    p = q + 1;
  }
  if (col < want)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s:%ld:%ld: expected %lld columns (%lld input%s then %lld target%s), "
                        "got %lld",
                        kFn, path, lineno, (long)strcspn(line, "\r\n") + 1, (long long)want,
                        (long long)s->n_in, s->n_in == 1 ? "" : "s", (long long)s->n_out,
                        s->n_out == 1 ? "" : "s", (long long)col);
  s->d.rows++;
  return TG_OK;
}

tg_status tg_csv_read(const char* path, int64_t n_inputs, int64_t n_targets, tg_csv_data* out,
                      tg_error* err) {
  if (out == NULL || path == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", kFn, path ? "out" : "path");
  memset(out, 0, sizeof *out);
  if (n_inputs < 1 || n_targets < 1 || n_inputs > (1 << 20) || n_targets > (1 << 20))
    return tg_error_set(err, TG_ERR_ARG,
                        "%s: n_inputs and n_targets must be 1..%d, got %lld and %lld", kFn, 1 << 20,
                        (long long)n_inputs, (long long)n_targets);
  FILE* f = fopen(path, "r");
  if (f == NULL)
    return tg_error_set(err, TG_ERR_IO, "%s: cannot open '%s': %s", kFn, path, strerror(errno));
  sink s;
  memset(&s, 0, sizeof s);
  s.n_in = n_inputs;
  s.n_out = n_targets;
  char* line = NULL;
  size_t cap = 0;
  long lineno = 0;
  tg_status st = TG_OK;
  while (st == TG_OK && getline(&line, &cap, f) >= 0) {
    ++lineno;
    if (skippable(line)) continue;
    if (!reserve_row(&s))
      st = tg_error_set(err, TG_ERR_NOMEM, "%s: %s: out of memory", kFn, path);
    else
      st = parse_line(&s, path, lineno, line, err);
  }
  if (st == TG_OK && ferror(f))
    st = tg_error_set(err, TG_ERR_IO, "%s: reading '%s' failed", kFn, path);
  if (st == TG_OK && s.d.rows == 0)
    st = tg_error_set(err, TG_ERR_PARSE, "%s: %s: no data rows", kFn, path);
  free(line);
  fclose(f);
  if (st != TG_OK) {
    tg_csv_data_free(&s.d);
    return st;
  }
  *out = s.d;
  return TG_OK;
}
