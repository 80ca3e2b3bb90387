/* frontends/summary.c — Keras' model.summary() table. Sequential models: 65 columns,
 * fields at 29 and 55 (Keras' positions .45, .85, 1.0). Functional models: 98
 * columns, fields at 32, 53 and 65 (.33, .55, .67, 1.0) with "Connected to", one
 * InputLayer row per input, one row per further connection of a shared layer. A rule
 * under every layer, totals at the end; a shared layer's parameters count once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontends/internal/model_impl.h"

enum { kWidth = 65, kCol2 = 29, kCol3 = 55 };
enum { kFWidth = 98, kFCol2 = 32, kFCol3 = 53, kFCol4 = 65 };
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

static void rule_w(sink* s, char c, int width) {
  char line[kFWidth + 1];
  memset(line, c, (size_t)width);
  line[width] = '\0';
  put(s, "%s\n", line);
}

static void rule(sink* s, char c) { rule_w(s, c, kWidth); }

/* One row: each field cut or padded to its column, as Keras' print_row. */
static void row(sink* s, const char* a, const char* b, const char* c) {
  put(s, "%-*.*s%-*.*s%-*.*s\n", kCol2, kCol2, a, kCol3 - kCol2, kCol3 - kCol2, b, kWidth - kCol3,
      kWidth - kCol3, c);
}

static void row4(sink* s, const char* a, const char* b, const char* c, const char* d) {
  put(s, "%-*.*s%-*.*s%-*.*s%-*.*s\n", kFCol2, kFCol2, a, kFCol3 - kFCol2, kFCol3 - kFCol2, b,
      kFCol4 - kFCol3, kFCol4 - kFCol3, c, kFWidth - kFCol4, kFWidth - kFCol4, d);
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

/* Parameters of layer l: trainable and not. */
static void layer_params(const tg_model* m, const tg_layer* l, int64_t* trainable, int64_t* other) {
  *trainable = *other = 0;
  for (int i = 0; i < l->n_params; ++i) {
    const tg_param_entry* e = m->params.e[l->param[i]];
    *(e->trainable ? trainable : other) += e->size;
  }
}

static void totals(const tg_model* m, sink* s) {
  char count[32];
  put(s, "Total params: %s\n", grouped(count, sizeof count, (long long)m->params.size));
  put(s, "Trainable params: %s\n", grouped(count, sizeof count, (long long)m->params.trainable));
  put(s, "Non-trainable params: %s\n",
      grouped(count, sizeof count, (long long)(m->params.size - m->params.trainable)));
}

static void write_sequential(const tg_model* m, sink* s) {
  put(s, "Model: \"sequential\"\n");
  rule(s, '_');
  row(s, "Layer (type)", "Output Shape", "Param #");
  rule(s, '=');
  for (int i = 0; i < m->n_layers; ++i) {
    const tg_layer* l = m->layers[i];
    char name[2 * TG_NAME_CAP + 16], shape[64], count[32];
    int64_t tr = 0, other = 0;
    layer_params(m, l, &tr, &other);
    snprintf(name, sizeof name, "%s (%s)", l->name, l->type->name);
    row(s, name, tg_layer_shape_str(&l->out, shape, sizeof shape),
        grouped(count, sizeof count, (long long)(tr + other)));
    rule(s, i + 1 == m->n_layers ? '=' : '_');
  }
  if (m->n_layers == 0) rule(s, '=');
  totals(m, s);
  rule(s, '_');
}

/* "dense_1[1][0]": the layer that made symbol `sym`, which of its applications, and
 * output 0 (every layer here has one output). */
static void connection(const tg_model* m, int sym, char* buf, size_t cap) {
  const tg_symbol* y = &m->syms[sym];
  if (y->node < 0) {
    int k = 0; /* inputs are named in creation order */
    for (int i = 0; i < sym; ++i) k += m->syms[i].node < 0;
    snprintf(buf, cap, "input_%d[0][0]", k + 1);
    return;
  }
  const tg_layer* l = m->nodes[y->node].layer;
  int use = 0;
  for (int i = 0; i < y->node; ++i) use += m->nodes[i].layer == l;
  snprintf(buf, cap, "%s[%d][0]", l->name, use);
}

static void write_functional(const tg_model* m, sink* s) {
  put(s, "Model: \"model\"\n");
  rule_w(s, '_', kFWidth);
  row4(s, "Layer (type)", "Output Shape", "Param #", "Connected to");
  rule_w(s, '=', kFWidth);
  int rows = 0, total_rows = 0;
  for (int i = 0; i < m->n_syms; ++i) total_rows += m->syms[i].node < 0;
  for (int i = 0; i < m->n_layers; ++i) total_rows += m->layers[i]->uses > 0;
  char name[2 * TG_NAME_CAP + 16], shape[72], count[32], conn[TG_NAME_CAP + 24];
  for (int i = 0, k = 0; i < m->n_syms; ++i) {
    if (m->syms[i].node >= 0) continue;
    char inner[64];
    snprintf(name, sizeof name, "input_%d (InputLayer)", ++k);
    snprintf(shape, sizeof shape, "[%s]",
             tg_layer_shape_str(&m->syms[i].shape, inner, sizeof inner));
    row4(s, name, shape, "0", "");
    rule_w(s, ++rows == total_rows ? '=' : '_', kFWidth);
  }
  /* Layers in the order of their first application (a topological order). */
  for (int n = 0; n < m->n_nodes; ++n) {
    const tg_layer* l = m->nodes[n].layer;
    bool first = true;
    for (int j = 0; j < n && first; ++j) first = m->nodes[j].layer != l;
    if (!first) continue;
    int64_t tr = 0, other = 0;
    layer_params(m, l, &tr, &other);
    snprintf(name, sizeof name, "%s (%s)", l->name, l->type->name);
    tg_layer_shape_str(&l->out, shape, sizeof shape);
    grouped(count, sizeof count, (long long)(tr + other));
    bool printed = false;
    for (int j = n; j < m->n_nodes; ++j) {
      if (m->nodes[j].layer != l) continue;
      for (int k = 0; k < m->nodes[j].n_in; ++k) {
        connection(m, m->nodes[j].in[k], conn, sizeof conn);
        row4(s, printed ? "" : name, printed ? "" : shape, printed ? "" : count, conn);
        printed = true;
      }
    }
    rule_w(s, ++rows == total_rows ? '=' : '_', kFWidth);
  }
  if (total_rows == 0) rule_w(s, '=', kFWidth);
  totals(m, s);
  rule_w(s, '_', kFWidth);
}

static void write_summary(const tg_model* m, sink* s) {
  if (m->functional)
    write_functional(m, s);
  else
    write_sequential(m, s);
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
