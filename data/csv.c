/* data/csv.c — CSV into a data set: one pass over the lines, growable column
 * arrays, then one copy into the data set. */
#include "data/csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/internal/line_reader.h"

static const char kFn[] = "tg_csv_load";

/* One field of a line: [begin, end) after trimming blanks and one pair of quotes;
 * col is the 1-based character column where it starts. */
typedef struct field {
  const char* begin;
  const char* end;
  long col;
} field;

/* Splits the next field off *p (stopping at delim or the end); false at the end. */
static bool next_field(const char* line, const char** p, bool* more, char delim, field* f) {
  if (!*more) return false;
  const char* s = *p;
  const char* e = strchr(s, delim);
  if (e == NULL) {
    e = s + strlen(s);
    *more = false;
  } else {
    *p = e + 1;
  }
  while (s < e && (*s == ' ' || *s == '\t')) ++s;
  const char* t = e;
  while (t > s && (t[-1] == ' ' || t[-1] == '\t')) --t;
  f->col = (long)(s - line) + 1;
  if (t - s >= 2 && *s == '"' && t[-1] == '"') {
    ++s;
    --t;
  }
  f->begin = s;
  f->end = t;
  return true;
}

/* The field as a finite number, or an error at its position. */
static tg_status parse_number(const tg_line_reader* r, const field* f, double* out, tg_error* err) {
  const int len = (int)(f->end - f->begin);
  char tmp[64];
  if (len > 0 && len < (int)sizeof tmp) {
    memcpy(tmp, f->begin, (size_t)len);
    tmp[len] = '\0';
    char* stop = NULL;
    errno = 0;
    const double v = strtod(tmp, &stop);
    if (stop == tmp + len) {
      if (!isfinite(v) || errno == ERANGE || fabs(v) > 3.4028234663852886e38)
        return tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld:%ld: '%s' is not a finite float", kFn,
                            r->path, r->lineno, f->col, tmp);
      *out = v;
      return TG_OK;
    }
  }
  return tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld:%ld: expected a number, got '%.*s'", kFn,
                      r->path, r->lineno, f->col, len > 40 ? 40 : len, f->begin);
}

/* Growable arrays, through the allocator. */
typedef struct columns {
  const tg_allocator* a;
  int64_t rows, cap;
  int64_t nf, nt; /* features and float targets per row */
  float* x;
  float* y;
  int32_t* labels;
} columns;

static bool grow(const tg_allocator* a, void** p, int64_t old_n, int64_t new_n, size_t elem) {
  void* q = a->alloc(a->ctx, (size_t)new_n * elem);
  if (q == NULL) return false;
  if (*p) memcpy(q, *p, (size_t)old_n * elem);
  a->free(a->ctx, *p);
  *p = q;
  return true;
}

static bool reserve_row(columns* c, bool int_labels) {
  if (c->rows < c->cap) return true;
  const int64_t cap = c->cap ? c->cap * 2 : 256;
  if (cap > INT64_MAX / (c->nf + c->nt + 1)) return false;
  if (!grow(c->a, (void**)&c->x, c->rows * c->nf, cap * c->nf, sizeof(float))) return false;
  if (c->nt > 0 && !grow(c->a, (void**)&c->y, c->rows * c->nt, cap * c->nt, sizeof(float)))
    return false;
  if (int_labels && !grow(c->a, (void**)&c->labels, c->rows, cap, sizeof(int32_t))) return false;
  c->cap = cap;
  return true;
}

static void columns_free(columns* c) {
  c->a->free(c->a->ctx, c->x);
  c->a->free(c->a->ctx, c->y);
  c->a->free(c->a->ctx, c->labels);
}

static bool skippable(const char* line) {
  while (*line == ' ' || *line == '\t') ++line;
  return *line == '\0' || *line == '#';
}

static int64_t count_fields(const char* line, char delim) {
  int64_t n = 1;
  for (const char* p = line; *p; ++p) n += *p == delim;
  return n;
}

/* Finds the label column by name in the header line; -1 with err set if absent. */
static int64_t find_named(const tg_line_reader* r, const char* line, char delim, const char* name,
                          tg_error* err) {
  const char* p = line;
  bool more = true;
  field f;
  int64_t i = 0;
  while (next_field(line, &p, &more, delim, &f)) {
    if ((size_t)(f.end - f.begin) == strlen(name) && memcmp(f.begin, name, strlen(name)) == 0)
      return i;
    ++i;
  }
  tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld: no column named '%s' in the header '%.80s'", kFn,
               r->path, r->lineno, name, line);
  return -1;
}

static tg_status check_options(const tg_csv_options* o, tg_error* err) {
  if (o->mode < TG_CSV_LABEL_INT || o->mode > TG_CSV_LABEL_NONE)
    return tg_error_set(err, TG_ERR_ARG, "%s: unknown label mode %d", kFn, (int)o->mode);
  if (o->label_name && !o->header)
    return tg_error_set(err, TG_ERR_ARG, "%s: label_name '%s' needs a header (header = true)", kFn,
                        o->label_name);
  if (o->label_column < 0 || o->label_count < 0 || o->num_classes < 0)
    return tg_error_set(err, TG_ERR_ARG,
                        "%s: label_column %d, label_count %d and num_classes %d must be >= 0", kFn,
                        o->label_column, o->label_count, (int)o->num_classes);
  if (o->label_count > 1 && o->mode != TG_CSV_LABEL_FLOAT)
    return tg_error_set(err, TG_ERR_ARG,
                        "%s: label_count %d needs float targets (integer labels are one column)",
                        kFn, o->label_count);
  if (o->mode == TG_CSV_LABEL_ONE_HOT && o->num_classes == 1)
    return tg_error_set(err, TG_ERR_ARG, "%s: one-hot labels need at least 2 classes", kFn);
  const char d = o->delimiter ? o->delimiter : ',';
  if (d == '"' || d == '#' || d == '\n' || d == '\r' || d == '.' || d == '-' || d == '+' ||
      (d >= '0' && d <= '9'))
    return tg_error_set(err, TG_ERR_ARG, "%s: '%c' cannot separate numbers", kFn, d);
  return TG_OK;
}

/* Parses one data line into row c->rows. lab..lab+nl are the label columns. */
static tg_status parse_row(const tg_line_reader* r, const tg_csv_options* o, columns* c,
                           const char* line, size_t len, char delim, int64_t ncols,
                           int64_t header_line, int64_t lab, int64_t nl, tg_error* err) {
  const char* p = line;
  bool more = true;
  field f;
  int64_t col = 0, fi = 0;
  float* xr = c->x + c->rows * c->nf;
  float* yr = c->y ? c->y + c->rows * c->nt : NULL;
  while (next_field(line, &p, &more, delim, &f)) {
    if (col == ncols)
      return tg_error_set(err, TG_ERR_PARSE,
                          "%s: %s:%ld:%ld: expected %lld columns (as line %lld), got more", kFn,
                          r->path, r->lineno, f.col, (long long)ncols, (long long)header_line);
    double v = 0;
    tg_status st = parse_number(r, &f, &v, err);
    if (st != TG_OK) return st;
    const bool is_label = nl > 0 && col >= lab && col < lab + nl;
    if (!is_label) {
      xr[fi++] = (float)v;
    } else if (o->mode == TG_CSV_LABEL_FLOAT) {
      yr[col - lab] = (float)v;
    } else {
      if (v != floor(v) || fabs(v) > 2147483647.0)
        return tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld:%ld: label '%.*s' is not an integer",
                            kFn, r->path, r->lineno, f.col, (int)(f.end - f.begin), f.begin);
      if (o->num_classes > 0 && (v < 0 || v >= o->num_classes))
        return tg_error_set(err, TG_ERR_PARSE,
                            "%s: %s:%ld:%ld: label %.0f out of range for %d classes", kFn, r->path,
                            r->lineno, f.col, v, (int)o->num_classes);
      if (v < 0)
        return tg_error_set(err, TG_ERR_PARSE,
                            "%s: %s:%ld:%ld: label %.0f is negative (classes are 0, 1, ...)", kFn,
                            r->path, r->lineno, f.col, v);
      c->labels[c->rows] = (int32_t)v;
    }
    ++col;
  }
  if (col < ncols)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s:%ld:%ld: expected %lld columns (as line %lld), got %lld", kFn,
                        r->path, r->lineno, (long)len + 1, (long long)ncols, (long long)header_line,
                        (long long)col);
  c->rows++;
  return TG_OK;
}

tg_status tg_csv_load(const char* path, const tg_csv_options* o, const tg_allocator* alloc,
                      tg_dataset* out, tg_error* err) {
  if (out) memset(out, 0, sizeof *out);
  if (path == NULL || o == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", kFn,
                        path == NULL ? "path" : (o == NULL ? "options" : "out"));
  tg_status st = check_options(o, err);
  if (st != TG_OK) return st;
  const char delim = o->delimiter ? o->delimiter : ',';
  const bool int_labels = o->mode == TG_CSV_LABEL_INT || o->mode == TG_CSV_LABEL_ONE_HOT;
  const int64_t nl = o->mode == TG_CSV_LABEL_NONE ? 0 : (o->label_count > 0 ? o->label_count : 1);
  tg_line_reader r;
  if ((st = tg_line_reader_open(&r, kFn, path, alloc, err)) != TG_OK) return st;
  columns c;
  memset(&c, 0, sizeof c);
  c.a = r.alloc;
  int64_t ncols = -1, lab = 0, first_line = 0;
  const char* line;
  size_t len;
  int got;
  while (st == TG_OK && (got = tg_line_reader_next(&r, &line, &len, err)) == 1) {
    if (skippable(line)) continue;
    const bool is_header = ncols < 0 && o->header;
    if (ncols < 0) {
      ncols = count_fields(line, delim);
      first_line = r.lineno;
      if (o->label_name) {
        lab = find_named(&r, line, delim, o->label_name, err);
        if (lab < 0) st = err ? err->code : TG_ERR_PARSE;
      } else if (o->label_column > 0) {
        lab = o->label_column - 1;
      } else {
        lab = ncols - nl;
      }
      if (st == TG_OK && (lab < 0 || lab + nl > ncols))
        st = tg_error_set(err, TG_ERR_PARSE,
                          "%s: %s:%ld: label column %lld (and %lld after it) but the file has %lld "
                          "columns",
                          kFn, path, r.lineno, (long long)lab + 1, (long long)nl - 1,
                          (long long)ncols);
      if (st == TG_OK && ncols - nl < 1)
        st = tg_error_set(err, TG_ERR_PARSE,
                          "%s: %s:%ld: no feature column: all %lld columns are labels", kFn, path,
                          r.lineno, (long long)ncols);
      c.nf = ncols - nl;
      c.nt = o->mode == TG_CSV_LABEL_FLOAT ? nl : 0;
      if (st != TG_OK || is_header) continue;
    }
    if (!reserve_row(&c, int_labels))
      st =
          tg_error_set(err, TG_ERR_NOMEM, "%s: %s: out of memory at line %ld", kFn, path, r.lineno);
    else
      st = parse_row(&r, o, &c, line, len, delim, ncols, first_line, lab, nl, err);
  }
  if (st == TG_OK && got < 0) st = err ? err->code : TG_ERR_IO;
  if (st == TG_OK && c.rows == 0)
    st = tg_error_set(err, TG_ERR_PARSE, "%s: %s: no data rows", kFn, path);
  tg_line_reader_close(&r);
  int32_t classes = o->num_classes;
  if (st == TG_OK && int_labels && classes == 0) {
    for (int64_t i = 0; i < c.rows; ++i)
      classes = c.labels[i] >= classes ? c.labels[i] + 1 : classes;
  }
  tg_dataset tmp;
  memset(&tmp, 0, sizeof tmp);
  if (st == TG_OK) {
    const tg_label_kind kind = o->mode == TG_CSV_LABEL_FLOAT ? TG_LABELS_FLOAT
                               : int_labels                  ? TG_LABELS_INT
                                                             : TG_LABELS_NONE;
    st = tg_dataset_init(&tmp, c.rows, 1, &c.nf, kind, c.nt, c.a, NULL);
    if (st != TG_OK)
      tg_error_set(err, st, "%s: %s: out of memory for %lld rows", kFn, path, (long long)c.rows);
  }
  if (st == TG_OK) {
    memcpy(tmp.x, c.x, (size_t)(c.rows * c.nf) * sizeof(float));
    if (c.y) memcpy(tmp.y, c.y, (size_t)(c.rows * c.nt) * sizeof(float));
    if (int_labels) {
      memcpy(tmp.labels, c.labels, (size_t)c.rows * sizeof(int32_t));
      tmp.num_classes = classes;
    }
  }
  columns_free(&c);
  if (st != TG_OK) {
    tg_dataset_free(&tmp);
    return st;
  }
  if (o->mode != TG_CSV_LABEL_ONE_HOT) {
    *out = tmp;
    return TG_OK;
  }
  st = tg_dataset_one_hot(&tmp, classes, out, NULL);
  if (st != TG_OK)
    tg_error_set(err, st, "%s: %s: out of memory for %lld one-hot rows", kFn, path,
                 (long long)tmp.n);
  tg_dataset_free(&tmp);
  return st;
}
