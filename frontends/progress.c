/* frontends/progress.c — Keras' Progbar for fit and evaluate.
 *
 * verbose 1: on a terminal the bar is redrawn in place (\r) at most every 50 ms,
 *   "123/469 [=======>......................] - ETA: 1s - loss: 0.4012"; when the
 *   output is a file or a pipe only the finished line is written, so logs get one
 *   line per epoch:
 *   "469/469 [==============================] - 2s 4ms/step - loss: 0.3121 - accuracy: 0.8874"
 * verbose 2: one line per epoch, "469/469 - 2s - loss: 0.3121 - 2s/epoch - 4ms/step".
 * Numbers as Keras: %.4f, or %.4e when the value is small (or huge). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frontends/internal/fit_impl.h"

double tg_fit_now(void) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0.0;
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tg_progress_begin(tg_progress* p, FILE* out, int verbose, int64_t target) {
  memset(p, 0, sizeof *p);
  p->out = verbose > 0 ? out : NULL;
  p->verbose = verbose;
  p->target = target;
  p->tty = p->out != NULL && isatty(fileno(p->out));
  p->start = tg_fit_now();
}

/* Appends " - name: value" for each log entry (grad norms stay out of the bar). */
static size_t put_logs(char* buf, size_t cap, size_t len, const tg_logs* logs) {
  for (int i = 0; logs && i < logs->n && len < cap; ++i) {
    if (strchr(logs->names[i], '/')) continue;
    char v[32];
    tg_fit_format_value(v, sizeof v, logs->values[i]);
    const int k = snprintf(buf + len, cap - len, " - %s: %s", logs->names[i], v);
    if (k > 0) len += (size_t)k;
  }
  return len < cap ? len : cap - 1;
}

static size_t put_bar(char* buf, size_t cap, int64_t current, int64_t target) {
  int digits = 1;
  for (int64_t t = target; t >= 10; t /= 10) ++digits;
  int len = snprintf(buf, cap, "%*lld/%lld [", digits, (long long)current, (long long)target);
  const int width = 30;
  const int done = target > 0 ? (int)(width * (double)current / (double)target) : width;
  for (int i = 0; i < width && len + 2 < (int)cap; ++i) {
    char c = '.';
    if (i < done - 1)
      c = '=';
    else if (i == done - 1)
      c = current < target ? '>' : '=';
    buf[len++] = c;
  }
  if (len + 1 < (int)cap) buf[len++] = ']';
  buf[len] = '\0';
  return (size_t)len;
}

static size_t put_time_per_step(char* buf, size_t cap, double tpu) {
  int k;
  if (tpu >= 1.0)
    k = snprintf(buf, cap, "%.0fs/step", tpu);
  else if (tpu >= 1e-3)
    k = snprintf(buf, cap, "%.0fms/step", tpu * 1e3);
  else
    k = snprintf(buf, cap, "%.0fus/step", tpu * 1e6);
  return k > 0 ? (size_t)k : 0;
}

static void emit(tg_progress* p, const char* line, size_t len, bool final) {
  if (p->tty) {
    fputc('\r', p->out);
    fputs(line, p->out);
    for (size_t i = len; i < p->last_len; ++i) fputc(' ', p->out);
    p->last_len = len;
  } else {
    fputs(line, p->out);
  }
  if (final) {
    fputc('\n', p->out);
    p->last_len = 0;
  }
  fflush(p->out);
}

void tg_progress_update(tg_progress* p, int64_t current, const tg_logs* logs) {
  if (p->out == NULL || p->verbose != 1 || !p->tty || current >= p->target) return;
  const double now = tg_fit_now();
  if (now - p->last_update < 0.05 && current > 1) return;
  p->last_update = now;
  char line[1024];
  size_t len = put_bar(line, sizeof line, current, p->target);
  const double tpu = current > 0 ? (now - p->start) / (double)current : 0.0;
  const double eta = tpu * (double)(p->target - current);
  int k;
  if (eta > 3600)
    k = snprintf(line + len, sizeof line - len, " - ETA: %d:%02d:%02d", (int)(eta / 3600),
                 (int)fmod(eta, 3600) / 60, (int)fmod(eta, 60));
  else if (eta > 60)
    k = snprintf(line + len, sizeof line - len, " - ETA: %d:%02d", (int)(eta / 60),
                 (int)fmod(eta, 60));
  else
    k = snprintf(line + len, sizeof line - len, " - ETA: %.0fs", eta);
  if (k > 0) len += (size_t)k;
  len = put_logs(line, sizeof line, len, logs);
  p->painted = true;
  emit(p, line, len, false);
}

void tg_progress_end(tg_progress* p, int64_t steps, const tg_logs* logs) {
  if (p->out == NULL) return;
  const double elapsed = tg_fit_now() - p->start;
  const double tpu = steps > 0 ? elapsed / (double)steps : 0.0;
  char line[1024];
  size_t len;
  if (p->verbose == 1) {
    len = put_bar(line, sizeof line, steps, p->target);
    int k = snprintf(line + len, sizeof line - len, " - %.0fs ", elapsed);
    if (k > 0) len += (size_t)k;
    len += put_time_per_step(line + len, sizeof line - len, tpu);
    len = put_logs(line, sizeof line, len, logs);
  } else {
    int k = snprintf(line, sizeof line, "%lld/%lld - %.0fs", (long long)steps, (long long)p->target,
                     elapsed);
    len = k > 0 ? (size_t)k : 0;
    len = put_logs(line, sizeof line, len, logs);
    k = snprintf(line + len, sizeof line - len, " - %.0fs/epoch - ", elapsed);
    if (k > 0 && len + (size_t)k < sizeof line) len += (size_t)k;
    len += put_time_per_step(line + len, sizeof line - len, tpu);
  }
  emit(p, line, len, true);
  p->painted = false;
}

void tg_progress_interrupt(tg_progress* p) {
  if (p->out && p->tty && p->painted) {
    fputc('\n', p->out);
    p->last_len = 0;
    p->painted = false;
  }
}
