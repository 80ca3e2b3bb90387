/* data/confusion.c — counting and the text table. */
#include "data/confusion.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

tg_status tg_confusion_init(tg_confusion* c, int32_t classes, const tg_allocator* alloc,
                            tg_error* err) {
  static const char fn[] = "tg_confusion_init";
  if (c == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: c is NULL", fn);
  memset(c, 0, sizeof *c);
  if (classes < 1 || classes > 4096)
    return tg_error_set(err, TG_ERR_ARG, "%s: %d classes outside 1..4096", fn, (int)classes);
  const tg_allocator* a = tg_allocator_or_default(alloc);
  const size_t bytes = (size_t)classes * (size_t)classes * sizeof(int64_t);
  c->counts = (int64_t*)a->alloc(a->ctx, bytes);
  if (c->counts == NULL) return tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
  memset(c->counts, 0, bytes);
  c->classes = classes;
  c->alloc_ = a;
  return TG_OK;
}

void tg_confusion_free(tg_confusion* c) {
  if (c == NULL) return;
  if (c->alloc_) c->alloc_->free(c->alloc_->ctx, c->counts);
  memset(c, 0, sizeof *c);
}

static tg_status check_class(const char* fn, const char* what, int32_t v, int64_t i, int32_t k,
                             tg_error* err) {
  if (v >= 0 && v < k) return TG_OK;
  return tg_error_set(err, TG_ERR_ARG,
                      "%s: %s class %d (at position %lld) out of range for %d classes", fn, what,
                      (int)v, (long long)i, (int)k);
}

tg_status tg_confusion_add(tg_confusion* c, const int32_t* truth, const int32_t* predicted,
                           int64_t n, tg_error* err) {
  static const char fn[] = "tg_confusion_add";
  if (c == NULL || c->counts == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: c is NULL or not initialised", fn);
  if (n < 0) return tg_error_set(err, TG_ERR_ARG, "%s: n %lld is negative", fn, (long long)n);
  if (n > 0 && (truth == NULL || predicted == NULL))
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, truth ? "predicted" : "truth");
  for (int64_t i = 0; i < n; ++i) {
    tg_status st = check_class(fn, "true", truth[i], i, c->classes, err);
    if (st == TG_OK) st = check_class(fn, "predicted", predicted[i], i, c->classes, err);
    if (st != TG_OK) return st;
  }
  for (int64_t i = 0; i < n; ++i) c->counts[(int64_t)truth[i] * c->classes + predicted[i]]++;
  c->total += n;
  return TG_OK;
}

tg_status tg_confusion_add_predictions(tg_confusion* c, const float* scores, const int32_t* labels,
                                       int64_t rows, tg_error* err) {
  static const char fn[] = "tg_confusion_add_predictions";
  if (c == NULL || c->counts == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: c is NULL or not initialised", fn);
  if (rows < 0)
    return tg_error_set(err, TG_ERR_ARG, "%s: rows %lld is negative", fn, (long long)rows);
  if (rows > 0 && (scores == NULL || labels == NULL))
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, scores ? "labels" : "scores");
  const int64_t k = c->classes;
  for (int64_t r = 0; r < rows; ++r) {
    tg_status st = check_class(fn, "true", labels[r], r, c->classes, err);
    if (st != TG_OK) return st;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = scores + r * k;
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j)
      if (p[j] > p[best] || (isnan(p[best]) && !isnan(p[j]))) best = j;
    c->counts[(int64_t)labels[r] * k + best]++;
  }
  c->total += rows;
  return TG_OK;
}

/* snprintf into a moving window that counts what did not fit. */
typedef struct out_buf {
  char* buf;
  size_t cap, len;
} out_buf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
put(out_buf* o, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char* at = o->len < o->cap ? o->buf + o->len : NULL;
  const size_t room = o->len < o->cap ? o->cap - o->len : 0;
  const int n = vsnprintf(at, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

size_t tg_confusion_format(const tg_confusion* c, const char* const* names, char* buf, size_t cap) {
  out_buf o = {.buf = buf, .cap = cap, .len = 0};
  if (cap > 0) buf[0] = '\0';
  if (c == NULL || c->counts == NULL) return 0;
  const int32_t k = c->classes;
  /* One width for every count column, one for the row labels. */
  int width = 1, label_w = (int)strlen("true\\pred");
  char tmp[32];
  for (int64_t i = 0; i < (int64_t)k * k; ++i) {
    const int w = snprintf(tmp, sizeof tmp, "%lld", (long long)c->counts[i]);
    width = w > width ? w : width;
  }
  for (int32_t j = 0; j < k; ++j) {
    const int w = names ? (int)strlen(names[j]) : snprintf(tmp, sizeof tmp, "%d", (int)j);
    width = w > width ? w : width;
    label_w = w > label_w ? w : label_w;
  }
  put(&o, "%*s", label_w, "true\\pred");
  for (int32_t j = 0; j < k; ++j) {
    if (names)
      put(&o, "  %*s", width, names[j]);
    else
      put(&o, "  %*d", width, (int)j);
  }
  put(&o, "\n");
  for (int32_t t = 0; t < k; ++t) {
    if (names)
      put(&o, "%*s", label_w, names[t]);
    else
      put(&o, "%*d", label_w, (int)t);
    for (int32_t p = 0; p < k; ++p)
      put(&o, "  %*lld", width, (long long)c->counts[(int64_t)t * k + p]);
    put(&o, "\n");
  }
  return o.len;
}

tg_status tg_confusion_print(const tg_confusion* c, const char* const* names, FILE* out) {
  if (c == NULL || out == NULL) return TG_ERR_NULL_ARG;
  const size_t need = tg_confusion_format(c, names, NULL, 0);
  const tg_allocator* a = c->alloc_ ? c->alloc_ : tg_default_allocator();
  char* text = (char*)a->alloc(a->ctx, need + 1);
  if (text == NULL) return TG_ERR_NOMEM;
  tg_confusion_format(c, names, text, need + 1);
  const bool ok = fwrite(text, 1, need, out) == need;
  a->free(a->ctx, text);
  return ok ? TG_OK : TG_ERR_IO;
}
