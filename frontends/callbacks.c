/* frontends/callbacks.c — the built-in callbacks, with Keras' rules (tf.keras 2.x):
 *   EarlyStopping   wait += 1 each epoch; an improvement (monitor - min_delta beats
 *                   the best, for "min": current < best - |min_delta|) resets it;
 *                   stops once wait >= patience (never at epoch 0); restores the best
 *                   epoch's weights when asked.
 *   ReduceLROnPlateau  after `patience` epochs without an improvement of min_delta,
 *                   lr = max(lr * factor, min_lr), then `cooldown` epochs of rest.
 *   ModelCheckpoint save every epoch, or only when the monitor improves.
 *   CSVLogger       one row per epoch. */
#include "frontends/callbacks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "frontends/internal/fit_impl.h"
#include "frontends/internal/model_impl.h"
#include "frontends/persist.h"

bool tg_logs_get(const tg_logs* logs, const char* name, double* value) {
  for (int i = 0; logs && name && i < logs->n; ++i)
    if (strcmp(logs->names[i], name) == 0) {
      if (value) *value = logs->values[i];
      return true;
    }
  return false;
}

void tg_logs_put(tg_logs* logs, const char* name, double value) {
  if (logs->n >= TG_LOGS_CAP) return;
  logs->names[logs->n] = name;
  logs->values[logs->n++] = value;
}

void tg_callback_free(tg_callback* cb) {
  if (cb == NULL) return;
  if (cb->destroy)
    cb->destroy(cb);
  else
    free(cb);
}

static void plain_destroy(tg_callback* cb) { free(cb); }

/* A zeroed callback object of `size` bytes (its tg_callback first). */
static void* new_callback(size_t size, const char* fn, tg_error* err) {
  tg_callback* cb = (tg_callback*)calloc(1, size);
  if (cb == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
    return NULL;
  }
  cb->destroy = plain_destroy;
  return cb;
}

tg_callback* tg_callback_new(const tg_callback* hooks, tg_error* err) {
  if (hooks == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "tg_callback_new: hooks is NULL");
    return NULL;
  }
  tg_callback* cb = (tg_callback*)new_callback(sizeof *cb, "tg_callback_new", err);
  if (cb) {
    *cb = *hooks;
    cb->destroy = plain_destroy;
  }
  return cb;
}

/* ---- monitors ---- */

typedef struct monitor {
  char name[64];
  bool maximize;
  double min_delta; /* >= 0 */
} monitor;

static bool monitor_init(monitor* mo, const char* fn, const char* name, tg_monitor_mode mode,
                         double min_delta, tg_error* err) {
  if (name == NULL) name = "val_loss";
  if (strlen(name) >= sizeof mo->name) {
    tg_error_set(err, TG_ERR_ARG, "%s: monitor name '%.40s...' is too long", fn, name);
    return false;
  }
  if (mode < TG_MODE_AUTO || mode > TG_MODE_MAX) {
    tg_error_set(err, TG_ERR_ARG, "%s: unknown mode %d", fn, (int)mode);
    return false;
  }
  if (!isfinite(min_delta)) {
    tg_error_set(err, TG_ERR_ARG, "%s: min_delta must be finite", fn);
    return false;
  }
  snprintf(mo->name, sizeof mo->name, "%s", name);
  mo->maximize = mode == TG_MODE_MAX || (mode == TG_MODE_AUTO && strstr(name, "acc") != NULL);
  mo->min_delta = fabs(min_delta);
  return true;
}

static bool improves(const monitor* mo, double current, double best) {
  return mo->maximize ? current - mo->min_delta > best : current + mo->min_delta < best;
}

static double worst(const monitor* mo) { return mo->maximize ? -INFINITY : INFINITY; }

/* The monitored value, or an error naming what the logs hold (Keras warns and skips;
 * a typo in a monitor name should not train silently without its callback). */
static tg_status get_monitor(tg_model* m, const char* who, const monitor* mo, const tg_logs* logs,
                             double* v) {
  if (tg_logs_get(logs, mo->name, v)) return TG_OK;
  char have[256] = "";
  size_t len = 0;
  for (int i = 0; i < logs->n && len < sizeof have; ++i) {
    const int k = snprintf(have + len, sizeof have - len, "%s%s", i ? ", " : "", logs->names[i]);
    if (k > 0) len += (size_t)k;
  }
  return tg_model_fail(m, TG_ERR_ARG, "%s: monitor '%s' is not logged (the logs hold: %s)", who,
                       mo->name, have);
}

/* ---- EarlyStopping ---- */

typedef struct early_stopping {
  tg_callback base;
  monitor mo;
  int patience;
  bool has_baseline;
  double baseline;
  bool restore;
  int wait, stopped_epoch, best_epoch;
  double best;
  float* best_weights;
  int64_t n_weights;
  bool have_best;
} early_stopping;

static tg_status es_begin(tg_callback* self, tg_model* m, const tg_logs* logs) {
  (void)logs;
  early_stopping* s = (early_stopping*)self;
  s->wait = 0;
  s->stopped_epoch = 0;
  s->best_epoch = 0;
  s->best = s->has_baseline ? s->baseline : worst(&s->mo);
  s->have_best = false;
  if (s->restore) {
    const int64_t n = tg_model_param_size(m);
    if (n != s->n_weights) {
      free(s->best_weights);
      s->best_weights = n ? (float*)malloc((size_t)n * sizeof(float)) : NULL;
      s->n_weights = s->best_weights ? n : 0;
      if (n && s->best_weights == NULL)
        return tg_model_fail(m, TG_ERR_NOMEM, "EarlyStopping: out of memory for the best weights");
    }
  }
  return TG_OK;
}

static tg_status es_epoch_end(tg_callback* self, tg_model* m, int epoch, const tg_logs* logs) {
  early_stopping* s = (early_stopping*)self;
  double current;
  tg_status st = get_monitor(m, "EarlyStopping", &s->mo, logs, &current);
  if (st != TG_OK) return st;
  if (s->restore && !s->have_best && s->best_weights) { /* Keras keeps the first epoch's */
    memcpy(s->best_weights, tg_model_param_values(m), (size_t)s->n_weights * sizeof(float));
    s->have_best = true;
  }
  s->wait += 1;
  if (improves(&s->mo, current, s->best)) {
    s->best = current;
    s->best_epoch = epoch;
    if (s->restore && s->best_weights)
      memcpy(s->best_weights, tg_model_param_values(m), (size_t)s->n_weights * sizeof(float));
    s->wait = 0;
    return TG_OK;
  }
  if (s->wait >= s->patience && epoch > 0) {
    s->stopped_epoch = epoch;
    tg_model_stop_training(m);
    if (s->restore && s->have_best) {
      memcpy(tg_model_param_values(m), s->best_weights, (size_t)s->n_weights * sizeof(float));
      if (self->out)
        fprintf(self->out, "Restoring model weights from the end of the best epoch: %d.\n",
                s->best_epoch + 1);
    }
  }
  return TG_OK;
}

static tg_status es_end(tg_callback* self, tg_model* m, const tg_logs* logs) {
  (void)m;
  (void)logs;
  early_stopping* s = (early_stopping*)self;
  if (s->stopped_epoch > 0 && self->out)
    fprintf(self->out, "Epoch %d: early stopping\n", s->stopped_epoch + 1);
  return TG_OK;
}

static void es_destroy(tg_callback* self) {
  free(((early_stopping*)self)->best_weights);
  free(self);
}

tg_callback* tg_early_stopping_new(const tg_early_stopping_options* o, tg_error* err) {
  const char* fn = "tg_early_stopping_new";
  tg_early_stopping_options d;
  memset(&d, 0, sizeof d);
  if (o) d = *o;
  if (d.patience < 0) {
    tg_error_set(err, TG_ERR_ARG, "%s: patience must be >= 0, got %d", fn, d.patience);
    return NULL;
  }
  monitor mo;
  if (!monitor_init(&mo, fn, d.monitor, d.mode, d.min_delta, err)) return NULL;
  early_stopping* s = (early_stopping*)new_callback(sizeof *s, fn, err);
  if (s == NULL) return NULL;
  s->mo = mo;
  s->patience = d.patience;
  s->has_baseline = d.has_baseline;
  s->baseline = d.baseline;
  s->restore = d.restore_best_weights;
  s->base.on_train_begin = es_begin;
  s->base.on_epoch_end = es_epoch_end;
  s->base.on_train_end = es_end;
  s->base.destroy = es_destroy;
  s->base.out = d.out;
  return &s->base;
}

void tg_early_stopping_result(const tg_callback* cb, int* stopped_epoch, double* best,
                              int* best_epoch) {
  const early_stopping* s = (const early_stopping*)cb;
  if (s == NULL || s->base.on_epoch_end != es_epoch_end) return;
  if (stopped_epoch) *stopped_epoch = s->stopped_epoch;
  if (best) *best = s->best;
  if (best_epoch) *best_epoch = s->best_epoch;
}

/* ---- ModelCheckpoint ---- */

typedef struct checkpoint {
  tg_callback base;
  char path[512];
  monitor mo;
  bool best_only;
  double best;
  int saves;
} checkpoint;

/* path with "{epoch}" / "{epoch:0Nd}" replaced by the 1-based epoch. */
static void format_path(const char* pattern, int epoch, char* out, size_t cap) {
  size_t len = 0;
  for (const char* p = pattern; *p && len + 1 < cap;) {
    if (strncmp(p, "{epoch", 6) == 0 && strchr(p, '}')) {
      const char* close = strchr(p, '}');
      int width = 0;
      if (p[6] == ':' && p[7] == '0') width = atoi(p + 8);
      const int k = snprintf(out + len, cap - len, "%0*d", width, epoch);
      if (k > 0) len += (size_t)k;
      p = close + 1;
    } else {
      out[len++] = *p++;
    }
  }
  out[len < cap ? len : cap - 1] = '\0';
}

static tg_status ck_begin(tg_callback* self, tg_model* m, const tg_logs* logs) {
  (void)m;
  (void)logs;
  checkpoint* c = (checkpoint*)self;
  if (c->saves == 0) c->best = worst(&c->mo); /* Keras: best survives across fits */
  return TG_OK;
}

static tg_status ck_epoch_end(tg_callback* self, tg_model* m, int epoch, const tg_logs* logs) {
  checkpoint* c = (checkpoint*)self;
  char path[600];
  format_path(c->path, epoch + 1, path, sizeof path);
  if (c->best_only) {
    double current;
    tg_status st = get_monitor(m, "ModelCheckpoint", &c->mo, logs, &current);
    if (st != TG_OK) return st;
    if (!improves(&c->mo, current, c->best)) {
      if (self->out)
        fprintf(self->out, "Epoch %d: %s did not improve from %.5f\n", epoch + 1, c->mo.name,
                c->best);
      return TG_OK;
    }
    if (self->out)
      fprintf(self->out, "Epoch %d: %s improved from %.5f to %.5f, saving model to %s\n", epoch + 1,
              c->mo.name, c->best, current, path);
    c->best = current;
  } else if (self->out) {
    fprintf(self->out, "Epoch %d: saving model to %s\n", epoch + 1, path);
  }
  tg_error err = {0};
  if (tg_model_save(m, path, &err) != TG_OK)
    return tg_model_fail(m, err.code, "ModelCheckpoint: %s", err.message);
  c->saves++;
  return TG_OK;
}

tg_callback* tg_model_checkpoint_new(const tg_model_checkpoint_options* o, tg_error* err) {
  const char* fn = "tg_model_checkpoint_new";
  if (o == NULL || o->path == NULL || o->path[0] == '\0') {
    tg_error_set(err, TG_ERR_ARG, "%s: needs a path", fn);
    return NULL;
  }
  if (strlen(o->path) >= 512) {
    tg_error_set(err, TG_ERR_ARG, "%s: the path is longer than 511 bytes", fn);
    return NULL;
  }
  monitor mo;
  if (!monitor_init(&mo, fn, o->monitor, o->mode, 0.0, err)) return NULL;
  checkpoint* c = (checkpoint*)new_callback(sizeof *c, fn, err);
  if (c == NULL) return NULL;
  snprintf(c->path, sizeof c->path, "%s", o->path);
  c->mo = mo;
  c->best_only = o->save_best_only;
  c->best = worst(&mo);
  c->base.on_train_begin = ck_begin;
  c->base.on_epoch_end = ck_epoch_end;
  c->base.out = o->out;
  return &c->base;
}

int tg_model_checkpoint_saves(const tg_callback* cb) {
  const checkpoint* c = (const checkpoint*)cb;
  return c && c->base.on_epoch_end == ck_epoch_end ? c->saves : 0;
}

/* ---- TerminateOnNaN ---- */

static tg_status nan_batch_end(tg_callback* self, tg_model* m, int64_t batch, const tg_logs* logs) {
  double loss;
  if (tg_logs_get(logs, "loss", &loss) && !isfinite(loss)) {
    if (self->out)
      fprintf(self->out, "Batch %lld: Invalid loss, terminating training\n", (long long)batch);
    tg_model_stop_training(m);
  }
  return TG_OK;
}

tg_callback* tg_terminate_on_nan_new(FILE* out, tg_error* err) {
  tg_callback* cb = (tg_callback*)new_callback(sizeof *cb, "tg_terminate_on_nan_new", err);
  if (cb) {
    cb->on_batch_end = nan_batch_end;
    cb->out = out;
  }
  return cb;
}

/* ---- schedules ---- */

tg_status tg_schedule_check(const tg_schedule* s, tg_error* err) {
  const char* fn = "tg_schedule";
  if (s == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: schedule is NULL", fn);
  switch (s->kind) {
    case TG_SCHEDULE_EXPONENTIAL:
      if (s->decay_steps < 1)
        return tg_error_set(err, TG_ERR_ARG, "%s: exponential decay_steps must be >= 1, got %lld",
                            fn, (long long)s->decay_steps);
      if (!(s->decay_rate > 0.0) || !isfinite(s->initial))
        return tg_error_set(err, TG_ERR_ARG,
                            "%s: exponential needs a finite initial and decay_rate > 0", fn);
      return TG_OK;
    case TG_SCHEDULE_COSINE:
      if (s->decay_steps < 1 || s->warmup_steps < 0)
        return tg_error_set(err, TG_ERR_ARG,
                            "%s: cosine needs decay_steps >= 1 and warmup_steps >= 0, got %lld "
                            "and %lld",
                            fn, (long long)s->decay_steps, (long long)s->warmup_steps);
      if (!(s->alpha >= 0.0 && s->alpha <= 1.0))
        return tg_error_set(err, TG_ERR_ARG, "%s: cosine alpha must be in [0, 1], got %g", fn,
                            s->alpha);
      return TG_OK;
    case TG_SCHEDULE_PIECEWISE:
      if (s->n_boundaries < 0 || s->n_boundaries > TG_SCHEDULE_MAX_PIECES)
        return tg_error_set(err, TG_ERR_ARG, "%s: piecewise takes 0..%d boundaries, got %d", fn,
                            TG_SCHEDULE_MAX_PIECES, s->n_boundaries);
      for (int i = 1; i < s->n_boundaries; ++i)
        if (s->boundaries[i] <= s->boundaries[i - 1])
          return tg_error_set(err, TG_ERR_ARG,
                              "%s: piecewise boundaries must increase: boundaries[%d] = %lld "
                              "after %lld",
                              fn, i, (long long)s->boundaries[i], (long long)s->boundaries[i - 1]);
      return TG_OK;
    default:
      return tg_error_set(err, TG_ERR_ARG, "%s: unknown schedule kind %d", fn, (int)s->kind);
  }
}

double tg_schedule_value(const tg_schedule* s, int64_t step) {
  const double t = (double)(step < 0 ? 0 : step);
  switch (s->kind) {
    case TG_SCHEDULE_EXPONENTIAL: {
      double p = t / (double)s->decay_steps;
      if (s->staircase) p = floor(p);
      return s->initial * pow(s->decay_rate, p);
    }
    case TG_SCHEDULE_COSINE: {
      const double w = (double)s->warmup_steps;
      if (s->warmup_steps > 0 && t < w)
        return s->initial + (s->warmup_target - s->initial) * (t / w);
      const double peak = s->warmup_steps > 0 ? s->warmup_target : s->initial;
      double d = t - w;
      if (d > (double)s->decay_steps) d = (double)s->decay_steps;
      const double c = 0.5 * (1.0 + cos(3.14159265358979323846 * d / (double)s->decay_steps));
      return peak * ((1.0 - s->alpha) * c + s->alpha);
    }
    case TG_SCHEDULE_PIECEWISE: {
      for (int i = 0; i < s->n_boundaries; ++i)
        if (step <= s->boundaries[i]) return s->values[i];
      return s->values[s->n_boundaries];
    }
    default:
      return NAN;
  }
}

/* ---- LearningRateScheduler ---- */

typedef struct lr_scheduler {
  tg_callback base;
  tg_schedule schedule;
  bool has_schedule, per_step;
  double (*fn)(int, double, void*);
  void* user;
} lr_scheduler;

static tg_status set_lr(tg_model* m, double lr, const char* who) {
  if (!(lr >= 0.0) || !isfinite(lr))
    return tg_model_fail(m, TG_ERR_ARG, "%s: the schedule gave the learning rate %g", who, lr);
  return tg_model_set_learning_rate(m, (float)lr);
}

static int64_t optimizer_step(const tg_model* m) {
  return m->optimizer ? tg_optimizer_iterations(m->optimizer) : 0;
}

static tg_status lrs_train_begin(tg_callback* self, tg_model* m, const tg_logs* logs) {
  (void)logs;
  lr_scheduler* s = (lr_scheduler*)self;
  if (!s->per_step) return TG_OK;
  return set_lr(m, tg_schedule_value(&s->schedule, optimizer_step(m)), "LearningRateScheduler");
}

static tg_status lrs_batch_end(tg_callback* self, tg_model* m, int64_t batch, const tg_logs* logs) {
  (void)batch;
  (void)logs;
  lr_scheduler* s = (lr_scheduler*)self;
  if (!s->per_step) return TG_OK;
  return set_lr(m, tg_schedule_value(&s->schedule, optimizer_step(m)), "LearningRateScheduler");
}

static tg_status lrs_epoch_begin(tg_callback* self, tg_model* m, int epoch, const tg_logs* logs) {
  (void)logs;
  lr_scheduler* s = (lr_scheduler*)self;
  if (s->per_step) return TG_OK;
  const double lr = s->has_schedule ? tg_schedule_value(&s->schedule, epoch)
                                    : s->fn(epoch, (double)tg_model_learning_rate(m), s->user);
  tg_status st = set_lr(m, lr, "LearningRateScheduler");
  if (st == TG_OK && self->out)
    fprintf(self->out, "\nEpoch %d: LearningRateScheduler setting learning rate to %g.\n",
            epoch + 1, (double)(float)lr);
  return st;
}

tg_callback* tg_lr_scheduler_new(const tg_lr_scheduler_options* o, tg_error* err) {
  const char* fn = "tg_lr_scheduler_new";
  if (o == NULL || (o->schedule == NULL) == (o->fn == NULL)) {
    tg_error_set(err, TG_ERR_ARG, "%s: give exactly one of a schedule and a function", fn);
    return NULL;
  }
  if (o->per_step && o->schedule == NULL) {
    tg_error_set(err, TG_ERR_ARG, "%s: per_step needs a schedule", fn);
    return NULL;
  }
  if (o->schedule && tg_schedule_check(o->schedule, err) != TG_OK) return NULL;
  lr_scheduler* s = (lr_scheduler*)new_callback(sizeof *s, fn, err);
  if (s == NULL) return NULL;
  if (o->schedule) {
    s->schedule = *o->schedule;
    s->has_schedule = true;
  }
  s->per_step = o->per_step;
  s->fn = o->fn;
  s->user = o->user;
  s->base.on_train_begin = lrs_train_begin;
  s->base.on_batch_end = lrs_batch_end;
  s->base.on_epoch_begin = lrs_epoch_begin;
  s->base.out = o->out;
  return &s->base;
}

/* ---- ReduceLROnPlateau ---- */

typedef struct reduce_lr {
  tg_callback base;
  monitor mo;
  double factor, min_lr;
  int patience, cooldown;
  int wait, cooldown_counter;
  double best;
} reduce_lr;

static tg_status rl_begin(tg_callback* self, tg_model* m, const tg_logs* logs) {
  (void)m;
  (void)logs;
  reduce_lr* r = (reduce_lr*)self;
  r->wait = 0;
  r->cooldown_counter = 0;
  r->best = worst(&r->mo);
  return TG_OK;
}

static tg_status rl_epoch_end(tg_callback* self, tg_model* m, int epoch, const tg_logs* logs) {
  reduce_lr* r = (reduce_lr*)self;
  double current;
  tg_status st = get_monitor(m, "ReduceLROnPlateau", &r->mo, logs, &current);
  if (st != TG_OK) return st;
  const bool in_cooldown = r->cooldown_counter > 0;
  if (in_cooldown) {
    r->cooldown_counter--;
    r->wait = 0;
  }
  if (improves(&r->mo, current, r->best)) {
    r->best = current;
    r->wait = 0;
  } else if (!(r->cooldown_counter > 0)) {
    r->wait++;
    if (r->wait >= r->patience) {
      const double old_lr = (double)tg_model_learning_rate(m);
      if (old_lr > r->min_lr) {
        double new_lr = old_lr * r->factor;
        if (new_lr < r->min_lr) new_lr = r->min_lr;
        if ((st = tg_model_set_learning_rate(m, (float)new_lr)) != TG_OK) return st;
        if (self->out)
          fprintf(self->out, "\nEpoch %d: ReduceLROnPlateau reducing learning rate to %g.\n",
                  epoch + 1, (double)(float)new_lr);
        r->cooldown_counter = r->cooldown;
        r->wait = 0;
      }
    }
  }
  return TG_OK;
}

tg_callback* tg_reduce_lr_on_plateau_new(const tg_reduce_lr_options* o, tg_error* err) {
  const char* fn = "tg_reduce_lr_on_plateau_new";
  tg_reduce_lr_options d;
  memset(&d, 0, sizeof d);
  if (o) d = *o;
  const double factor = d.factor == 0.0 ? 0.1 : d.factor;
  if (!(factor > 0.0 && factor < 1.0)) {
    tg_error_set(err, TG_ERR_ARG, "%s: factor must be in (0, 1), got %g", fn, factor);
    return NULL;
  }
  if (d.patience < 0 || d.cooldown < 0 || !(d.min_lr >= 0.0)) {
    tg_error_set(err, TG_ERR_ARG, "%s: patience, cooldown and min_lr must be >= 0", fn);
    return NULL;
  }
  monitor mo;
  if (!monitor_init(&mo, fn, d.monitor, d.mode, d.min_delta == 0.0 ? 1e-4 : d.min_delta, err))
    return NULL;
  reduce_lr* r = (reduce_lr*)new_callback(sizeof *r, fn, err);
  if (r == NULL) return NULL;
  r->mo = mo;
  r->factor = factor;
  r->min_lr = d.min_lr;
  r->patience = d.patience == 0 ? 10 : d.patience;
  r->cooldown = d.cooldown;
  r->base.on_train_begin = rl_begin;
  r->base.on_epoch_end = rl_epoch_end;
  r->base.out = d.out;
  return &r->base;
}

/* ---- CSVLogger ---- */

typedef struct csv_logger {
  tg_callback base;
  char path[512];
  bool append;
  FILE* f;
  bool header_done;
  int n_cols;
  char cols[TG_LOGS_CAP][64];
} csv_logger;

static tg_status csv_begin(tg_callback* self, tg_model* m, const tg_logs* logs) {
  (void)logs;
  csv_logger* c = (csv_logger*)self;
  if (c->f) fclose(c->f);
  c->header_done = false;
  if (c->append) { /* a file that has rows already keeps its header */
    FILE* probe = fopen(c->path, "rb");
    if (probe) {
      c->header_done = fgetc(probe) != EOF;
      fclose(probe);
    }
  }
  c->f = fopen(c->path, c->append ? "ab" : "wb");
  if (c->f == NULL) return tg_model_fail(m, TG_ERR_IO, "CSVLogger: cannot open '%s'", c->path);
  return TG_OK;
}

static tg_status csv_epoch_end(tg_callback* self, tg_model* m, int epoch, const tg_logs* logs) {
  csv_logger* c = (csv_logger*)self;
  if (c->f == NULL) return TG_OK;
  if (!c->header_done) {
    c->n_cols = 0;
    fputs("epoch", c->f);
    for (int i = 0; i < logs->n && c->n_cols < TG_LOGS_CAP; ++i) {
      if (strcmp(logs->names[i], "batch_loss") == 0) continue;
      snprintf(c->cols[c->n_cols++], 64, "%s", logs->names[i]);
      fprintf(c->f, ",%s", logs->names[i]);
    }
    fputc('\n', c->f);
    c->header_done = true;
  } else if (c->n_cols == 0) { /* appending to a file from another run: same columns */
    for (int i = 0; i < logs->n && c->n_cols < TG_LOGS_CAP; ++i)
      if (strcmp(logs->names[i], "batch_loss") != 0)
        snprintf(c->cols[c->n_cols++], 64, "%s", logs->names[i]);
  }
  fprintf(c->f, "%d", epoch + 1);
  for (int i = 0; i < c->n_cols; ++i) {
    double v;
    if (tg_logs_get(logs, c->cols[i], &v))
      fprintf(c->f, ",%.9g", v);
    else
      fputc(',', c->f); /* not logged this epoch: an empty field (NaN for tgplot) */
  }
  fputc('\n', c->f);
  if (fflush(c->f) != 0)
    return tg_model_fail(m, TG_ERR_IO, "CSVLogger: cannot write '%s'", c->path);
  return TG_OK;
}

static tg_status csv_end(tg_callback* self, tg_model* m, const tg_logs* logs) {
  (void)logs;
  csv_logger* c = (csv_logger*)self;
  if (c->f == NULL) return TG_OK;
  const int bad = fclose(c->f);
  c->f = NULL;
  return bad ? tg_model_fail(m, TG_ERR_IO, "CSVLogger: cannot write '%s'", c->path) : TG_OK;
}

static void csv_destroy(tg_callback* self) {
  csv_logger* c = (csv_logger*)self;
  if (c->f) fclose(c->f);
  free(c);
}

tg_callback* tg_csv_logger_new(const tg_csv_logger_options* o, tg_error* err) {
  const char* fn = "tg_csv_logger_new";
  if (o == NULL || o->path == NULL || o->path[0] == '\0' || strlen(o->path) >= 512) {
    tg_error_set(err, TG_ERR_ARG, "%s: needs a path (shorter than 512 bytes)", fn);
    return NULL;
  }
  csv_logger* c = (csv_logger*)new_callback(sizeof *c, fn, err);
  if (c == NULL) return NULL;
  snprintf(c->path, sizeof c->path, "%s", o->path);
  c->append = o->append;
  c->base.on_train_begin = csv_begin;
  c->base.on_epoch_end = csv_epoch_end;
  c->base.on_train_end = csv_end;
  c->base.destroy = csv_destroy;
  c->base.wants_grad_norms = o->grad_norms;
  return &c->base;
}
