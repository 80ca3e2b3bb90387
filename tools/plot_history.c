/* tools/plot_history.c — a history CSV (epoch,loss,...,val_loss,...,grad_norm/<layer>)
 * into one SVG chart per quantity (tools/plot.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tools/plot.h"

enum { kMaxColumns = 64, kNameCap = 64, kLineCap = 8192 };

typedef struct history {
  int n_cols;
  char names[kMaxColumns][kNameCap];
  int rows, cap;
  double* values; /* rows x n_cols, row-major */
  const tg_allocator* alloc;
} history;

static void history_free(history* h) { h->alloc->free(h->alloc->ctx, h->values); }

static bool grow(history* h) {
  if (h->rows < h->cap) return true;
  int cap = h->cap ? 2 * h->cap : 64;
  double* v =
      (double*)h->alloc->alloc(h->alloc->ctx, (size_t)cap * (size_t)h->n_cols * sizeof(double));
  if (v == NULL) return false;
  if (h->rows) memcpy(v, h->values, (size_t)h->rows * (size_t)h->n_cols * sizeof(double));
  h->alloc->free(h->alloc->ctx, h->values);
  h->values = v;
  h->cap = cap;
  return true;
}

static void chomp(char* line) {
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
}

static tg_status read_header(history* h, char* line, const char* path, tg_error* err) {
  int col = 1;
  for (char* p = line;; ++h->n_cols) {
    char* comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (h->n_cols == kMaxColumns)
      return tg_error_set(err, TG_ERR_PARSE, "tg_plot_history: %s:1: more than %d columns", path,
                          kMaxColumns);
    if (len == 0 || len >= kNameCap)
      return tg_error_set(err, TG_ERR_PARSE, "tg_plot_history: %s:1:%d: column name %s", path, col,
                          len == 0 ? "is empty" : "is too long");
    memcpy(h->names[h->n_cols], p, len);
    h->names[h->n_cols][len] = '\0';
    if (comma == NULL) {
      ++h->n_cols;
      return TG_OK;
    }
    col += (int)len + 1;
    p = comma + 1;
  }
}

/* One row of numbers; an empty field (a quantity not measured that epoch) is NaN. */
static tg_status read_row(history* h, char* line, int lineno, const char* path, tg_error* err) {
  if (!grow(h)) return tg_error_set(err, TG_ERR_NOMEM, "tg_plot_history: out of memory");
  double* row = h->values + (size_t)h->rows * (size_t)h->n_cols;
  char* p = line;
  for (int c = 0; c < h->n_cols; ++c) {
    const int col = (int)(p - line) + 1;
    char* end = p;
    if (*p == ',' || *p == '\0') {
      row[c] = NAN;
    } else {
      errno = 0;
      row[c] = strtod(p, &end);
      if (end == p || (*end != ',' && *end != '\0')) {
        size_t len = strcspn(p, ",");
        return tg_error_set(err, TG_ERR_PARSE, "tg_plot_history: %s:%d:%d: '%.*s' is not a number",
                            path, lineno, col, (int)(len > 40 ? 40 : len), p);
      }
    }
    if (c + 1 < h->n_cols) {
      if (*end != ',')
        return tg_error_set(err, TG_ERR_PARSE,
                            "tg_plot_history: %s:%d: %d fields, the header has %d", path, lineno,
                            c + 1, h->n_cols);
      p = end + 1;
    } else if (*end != '\0') {
      return tg_error_set(err, TG_ERR_PARSE,
                          "tg_plot_history: %s:%d: more fields than the header's %d", path, lineno,
                          h->n_cols);
    }
  }
  ++h->rows;
  return TG_OK;
}

static tg_status read_history(history* h, const char* path, tg_error* err) {
  FILE* f = fopen(path, "r");
  if (f == NULL)
    return tg_error_set(err, TG_ERR_IO, "tg_plot_history: cannot open '%s': %s", path,
                        strerror(errno));
  char line[kLineCap];
  tg_status s = TG_OK;
  int lineno = 0;
  while (s == TG_OK && fgets(line, sizeof line, f)) {
    ++lineno;
    if (strchr(line, '\n') == NULL && !feof(f)) {
      s = tg_error_set(err, TG_ERR_PARSE, "tg_plot_history: %s:%d: line longer than %d bytes", path,
                       lineno, kLineCap - 1);
      break;
    }
    chomp(line);
    if (line[0] == '\0') continue;
    s = h->n_cols == 0 ? read_header(h, line, path, err) : read_row(h, line, lineno, path, err);
  }
  if (s == TG_OK && ferror(f))
    s = tg_error_set(err, TG_ERR_IO, "tg_plot_history: reading '%s' failed", path);
  fclose(f);
  if (s == TG_OK && (h->n_cols == 0 || h->rows == 0))
    s = tg_error_set(err, TG_ERR_PARSE, "tg_plot_history: %s: %s", path,
                     h->n_cols == 0 ? "empty file (no header)" : "no rows after the header");
  return s;
}

static int find_column(const history* h, const char* name) {
  for (int c = 0; c < h->n_cols; ++c)
    if (strcmp(h->names[c], name) == 0) return c;
  return -1;
}

/* Column c's values and the x values (epoch, else 1..rows), into caller buffers. */
static void column(const history* h, int c, double* out) {
  for (int r = 0; r < h->rows; ++r) out[r] = h->values[(size_t)r * (size_t)h->n_cols + (size_t)c];
}

/* A file name for a quantity: letters, digits, '-' and '_' kept, the rest '_'. */
static void file_name(char* buf, size_t cap, const char* dir, const char* name) {
  int n = snprintf(buf, cap, "%s/", dir);
  for (const char* p = name; *p && n + 5 < (int)cap; ++p) {
    char ch = *p;
    bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '-' || ch == '_';
    buf[n++] = keep ? ch : '_';
  }
  snprintf(buf + n, cap - (size_t)n, ".svg");
}

static const char kGradPrefix[] = "grad_norm/";

static bool is_grad(const char* name) {
  return strncmp(name, kGradPrefix, sizeof kGradPrefix - 1) == 0;
}

tg_status tg_plot_history(const char* csv_path, const char* out_dir, int* n_written,
                          tg_error* err) {
  if (n_written) *n_written = 0;
  if (csv_path == NULL || out_dir == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "tg_plot_history: %s is NULL",
                        csv_path == NULL ? "csv_path" : "out_dir");
  history h;
  memset(&h, 0, sizeof h);
  h.alloc = tg_default_allocator();
  tg_status s = read_history(&h, csv_path, err);
  double* buf = NULL;
  if (s == TG_OK) {
    buf = (double*)h.alloc->alloc(h.alloc->ctx,
                                  (size_t)(h.n_cols + 1) * (size_t)h.rows * sizeof(double));
    if (buf == NULL) s = tg_error_set(err, TG_ERR_NOMEM, "tg_plot_history: out of memory");
  }
  if (s != TG_OK) {
    history_free(&h);
    return s;
  }
  double* x = buf + (size_t)h.n_cols * (size_t)h.rows;
  const int epoch = find_column(&h, "epoch");
  for (int r = 0; r < h.rows; ++r) x[r] = r + 1.0;
  if (epoch >= 0) column(&h, epoch, x);
  for (int c = 0; c < h.n_cols; ++c) column(&h, c, buf + (size_t)c * (size_t)h.rows);

  tg_plot_series series[kMaxColumns];
  char path[4096];
  int written = 0;
  /* One chart per training quantity, with its val_ twin; a val_ column without one. */
  for (int c = 0; c < h.n_cols && s == TG_OK; ++c) {
    const char* name = h.names[c];
    if (c == epoch || is_grad(name)) continue;
    const bool val = strncmp(name, "val_", 4) == 0;
    if (val && find_column(&h, name + 4) >= 0) continue; /* drawn with its twin */
    int n = 0;
    series[n++] = (tg_plot_series){name, x, buf + (size_t)c * (size_t)h.rows, h.rows};
    char twin[kNameCap + 4];
    snprintf(twin, sizeof twin, "val_%s", name);
    const int t = val ? -1 : find_column(&h, twin);
    if (t >= 0)
      series[n++] = (tg_plot_series){h.names[t], x, buf + (size_t)t * (size_t)h.rows, h.rows};
    const bool is_loss = strstr(name, "loss") != NULL;
    tg_plot_options o = {.title = name, .x_label = "epoch", .y_label = name, .log_y = is_loss};
    file_name(path, sizeof path, out_dir, name);
    s = tg_plot_save(path, &o, series, n, err);
    written += s == TG_OK;
  }
  /* Every layer's gradient norm in one chart. */
  int n = 0;
  for (int c = 0; c < h.n_cols; ++c)
    if (is_grad(h.names[c]))
      series[n++] = (tg_plot_series){h.names[c] + sizeof kGradPrefix - 1, x,
                                     buf + (size_t)c * (size_t)h.rows, h.rows};
  if (s == TG_OK && n > 0) {
    tg_plot_options o = {.title = "gradient L2 norm per layer",
                         .x_label = "epoch",
                         .y_label = "L2 norm",
                         .log_y = true};
    file_name(path, sizeof path, out_dir, "grad_norm");
    s = tg_plot_save(path, &o, series, n, err);
    written += s == TG_OK;
  }
  h.alloc->free(h.alloc->ctx, buf);
  history_free(&h);
  if (n_written) *n_written = written;
  return s;
}
