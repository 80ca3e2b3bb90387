/* frontends/summary.c — Keras' model.summary() table for a Sequential model:
 * 65 columns, fields at 29 and 55 (Keras' positions .45, .85, 1.0), a rule under
 * every layer, totals at the end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontends/internal/model_impl.h"

enum { kWidth = 65, kCol2 = 29, kCol3 = 55 };

/* A growing string over a caller buffer: counts every byte, writes what fits. */
typedef struct sink {
  char* buf;
  size_t cap, len;
} sink;

static void put(sink* s, const char* fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (w < 0) return;
  size_t n = (size_t)w < sizeof tmp ? (size_t)w : sizeof tmp - 1;
  for (size_t i = 0; i < n; ++i, ++s->len)
    if (s->buf && s->len + 1 < s->cap) s->buf[s->len] = tmp[i];
}

static void rule(sink* s, char c) {
  char line[kWidth + 1];
  memset(line, c, kWidth);
  line[kWidth] = '\0';
  put(s, "%s\n", line);
}

/* One row: each field cut or padded to its column, as Keras' print_row. */
static void row(sink* s, const char* a, const char* b, const char* c) {
  put(s, "%-*.*s%-*.*s%-*.*s\n", kCol2, kCol2, a, kCol3 - kCol2, kCol3 - kCol2, b, kWidth - kCol3,
      kWidth - kCol3, c);
}

/* 12345 -> "12,345" (Keras formats counts with '{:,}'). */
static const char* grouped(char* buf, size_t cap, long long v) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", v);
  size_t j = 0;
  for (int i = 0; i < n && j + 1 < cap; ++i) {
    if (i > 0 && (n - i) % 3 == 0 && j + 2 < cap) buf[j++] = ',';
    buf[j++] = digits[i];
  }
  buf[j] = '\0';
  return buf;
}

static void write_summary(const tg_model* m, sink* s) {
  put(s, "Model: \"sequential\"\n");
  rule(s, '_');
  row(s, "Layer (type)", "Output Shape", "Param #");
  rule(s, '=');
  int64_t total = 0;
  for (int i = 0; i < m->n_layers; ++i) {
    const tg_dense_layer* l = m->layers[i];
    char name[TG_NAME_CAP + 16], shape[48], count[32];
    const int64_t params = l->in * l->units + (l->use_bias ? l->units : 0);
    snprintf(name, sizeof name, "%s (Dense)", l->name);
    snprintf(shape, sizeof shape, "(None, %lld)", (long long)l->units);
    row(s, name, shape, grouped(count, sizeof count, params));
    rule(s, i + 1 == m->n_layers ? '=' : '_');
    total += params;
  }
  if (m->n_layers == 0) rule(s, '=');
  char count[32];
  put(s, "Total params: %s\n", grouped(count, sizeof count, total));
  put(s, "Trainable params: %s\n", count);
  put(s, "Non-trainable params: 0\n");
  rule(s, '_');
}

size_t tg_model_summary_str(const tg_model* m, char* buf, size_t cap) {
  sink s = {buf, cap, 0};
  if (buf && cap) buf[0] = '\0';
  if (m == NULL) return 0;
  write_summary(m, &s);
  if (buf && cap) buf[s.len < cap ? s.len : cap - 1] = '\0';
  return s.len;
}

tg_status tg_model_summary(const tg_model* m, FILE* out) {
  if (m == NULL || out == NULL) return TG_ERR_NULL_ARG;
  char buf[8192];
  size_t len = tg_model_summary_str(m, buf, sizeof buf);
  if (len < sizeof buf) {
    fputs(buf, out);
  } else { /* big models: one exact-size buffer from the model's allocator */
    char* big = (char*)m->alloc->alloc(m->alloc->ctx, len + 1);
    if (big == NULL) return TG_ERR_NOMEM;
    tg_model_summary_str(m, big, len + 1);
    fputs(big, out);
    m->alloc->free(m->alloc->ctx, big);
  }
  /* A full disk shows only at the flush. */
  return fflush(out) != 0 || ferror(out) ? TG_ERR_IO : TG_OK;
}
