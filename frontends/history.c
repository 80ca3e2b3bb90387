/* frontends/history.c — Keras' History: per-epoch values under their log names, and
 * the doctor's warnings. Columns grow as keys appear; every column has one value per
 * epoch (NaN where that epoch did not log the key). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontends/fit.h"
#include "frontends/internal/fit_impl.h"
#include "frontends/internal/history_impl.h"

enum { kKeyCap = 64 };

struct tg_history {
  const tg_allocator* alloc;
  int n_keys, cap_keys;
  char (*keys)[kKeyCap];
  double** cols; /* n_keys columns of cap_epochs values */
  int* epoch;
  int n_epochs, cap_epochs;
  char* warnings;
  size_t warn_len, warn_cap;
  double fit_seconds, doctor_seconds;
};

tg_history* tg_history_new(const tg_allocator* alloc) {
  if (alloc == NULL) alloc = tg_default_allocator();
  tg_history* h = (tg_history*)alloc->alloc(alloc->ctx, sizeof *h);
  if (h == NULL) return NULL;
  memset(h, 0, sizeof *h);
  h->alloc = alloc;
  return h;
}

void tg_history_clear(tg_history* h) {
  if (h == NULL) return;
  const tg_allocator* a = h->alloc;
  for (int i = 0; i < h->n_keys; ++i) a->free(a->ctx, h->cols[i]);
  a->free(a->ctx, h->cols);
  a->free(a->ctx, h->keys);
  a->free(a->ctx, h->epoch);
  a->free(a->ctx, h->warnings);
  memset(h, 0, sizeof *h);
  h->alloc = a;
}

void tg_history_free(tg_history* h) {
  if (h == NULL) return;
  tg_history_clear(h);
  h->alloc->free(h->alloc->ctx, h);
}

int tg_history_epochs(const tg_history* h) { return h ? h->n_epochs : 0; }
int tg_history_epoch(const tg_history* h, int i) {
  return h && i >= 0 && i < h->n_epochs ? h->epoch[i] : -1;
}
int tg_history_key_count(const tg_history* h) { return h ? h->n_keys : 0; }
const char* tg_history_key(const tg_history* h, int i) {
  return h && i >= 0 && i < h->n_keys ? h->keys[i] : NULL;
}

static int find_key(const tg_history* h, const char* key) {
  for (int i = 0; key && i < h->n_keys; ++i)
    if (strcmp(h->keys[i], key) == 0) return i;
  return -1;
}

const double* tg_history_values(const tg_history* h, const char* key) {
  if (h == NULL) return NULL;
  const int i = find_key(h, key);
  return i >= 0 ? h->cols[i] : NULL;
}

const char* tg_history_warnings(const tg_history* h) { return h && h->warnings ? h->warnings : ""; }

static bool grow_epochs(tg_history* h) {
  if (h->n_epochs < h->cap_epochs) return true;
  const tg_allocator* a = h->alloc;
  const int cap = h->cap_epochs ? 2 * h->cap_epochs : 16;
  int* e = (int*)a->alloc(a->ctx, (size_t)cap * sizeof *e);
  if (e == NULL) return false;
  if (h->n_epochs) memcpy(e, h->epoch, (size_t)h->n_epochs * sizeof *e);
  for (int i = 0; i < h->n_keys; ++i) {
    double* c = (double*)a->alloc(a->ctx, (size_t)cap * sizeof *c);
    if (c == NULL) {
      a->free(a->ctx, e);
      return false; /* the columns grown so far keep their old contents: still valid */
    }
    if (h->n_epochs) memcpy(c, h->cols[i], (size_t)h->n_epochs * sizeof *c);
    a->free(a->ctx, h->cols[i]);
    h->cols[i] = c;
  }
  a->free(a->ctx, h->epoch);
  h->epoch = e;
  h->cap_epochs = cap;
  return true;
}

static int add_key(tg_history* h, const char* key) {
  const tg_allocator* a = h->alloc;
  if (h->n_keys == h->cap_keys) {
    const int cap = h->cap_keys ? 2 * h->cap_keys : 16;
    char(*k)[kKeyCap] = (char(*)[kKeyCap])a->alloc(a->ctx, (size_t)cap * kKeyCap);
    double** c = (double**)a->alloc(a->ctx, (size_t)cap * sizeof *c);
    if (k == NULL || c == NULL) {
      a->free(a->ctx, k);
      a->free(a->ctx, c);
      return -1;
    }
    if (h->n_keys) {
      memcpy(k, h->keys, (size_t)h->n_keys * kKeyCap);
      memcpy(c, h->cols, (size_t)h->n_keys * sizeof *c);
    }
    a->free(a->ctx, h->keys);
    a->free(a->ctx, h->cols);
    h->keys = k;
    h->cols = c;
    h->cap_keys = cap;
  }
  double* col =
      (double*)a->alloc(a->ctx, (size_t)(h->cap_epochs ? h->cap_epochs : 1) * sizeof *col);
  if (col == NULL) return -1;
  for (int e = 0; e < h->n_epochs; ++e) col[e] = NAN;
  snprintf(h->keys[h->n_keys], kKeyCap, "%s", key);
  h->cols[h->n_keys] = col;
  return h->n_keys++;
}

bool tg_history_append(tg_history* h, int epoch, int n, const char* const* names,
                       const double* values) {
  if (!grow_epochs(h)) return false;
  const int e = h->n_epochs;
  for (int i = 0; i < h->n_keys; ++i) h->cols[i][e] = NAN;
  for (int i = 0; i < n; ++i) {
    int k = find_key(h, names[i]);
    if (k < 0 && (k = add_key(h, names[i])) < 0) return false;
    h->cols[k][e] = values[i];
  }
  h->epoch[e] = epoch;
  h->n_epochs++;
  return true;
}

bool tg_history_warn(tg_history* h, const char* line) {
  const size_t len = strlen(line);
  if (h->warn_len + len + 2 > h->warn_cap) {
    const size_t cap = (h->warn_len + len + 2) * 2;
    char* w = (char*)h->alloc->alloc(h->alloc->ctx, cap);
    if (w == NULL) return false;
    if (h->warn_len) memcpy(w, h->warnings, h->warn_len);
    h->alloc->free(h->alloc->ctx, h->warnings);
    h->warnings = w;
    h->warn_cap = cap;
  }
  memcpy(h->warnings + h->warn_len, line, len);
  h->warn_len += len;
  h->warnings[h->warn_len++] = '\n';
  h->warnings[h->warn_len] = '\0';
  return true;
}

void tg_history_add_time(tg_history* h, double fit_seconds, double doctor_seconds) {
  h->fit_seconds += fit_seconds;
  h->doctor_seconds += doctor_seconds;
}

double tg_history_fit_seconds(const tg_history* h) { return h ? h->fit_seconds : 0.0; }
double tg_history_doctor_seconds(const tg_history* h) { return h ? h->doctor_seconds : 0.0; }
