/* frontends/fit.c — Keras' fit: epochs of shuffled minibatches, validation (a held-out
 * tail or separate data), sample and class weights, metrics, callbacks, the History,
 * Keras-like progress lines and the training doctor (frontends/fit.h). */
#include "frontends/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/callbacks.h"
#include "frontends/internal/doctor_impl.h"
#include "frontends/internal/history_impl.h"
#include "frontends/internal/model_impl.h"

enum { kNameCap = TG_FIT_NAME_CAP + 16 };

typedef struct fit_run {
  tg_model* m;
  const char* fn;
  tg_fit_options o;
  int64_t in, tw; /* floats per row of x and of the targets */
  int64_t n_train, n_val, batch;
  const float *x, *y, *vx, *vy;
  float* weights; /* n_train row weights, or NULL */
  int64_t* order;
  float *bx, *by, *bw;
  FILE* out;
  tg_progress progress;
  tg_doctor* doctor;
  double doctor_seconds; /* wall time inside the doctor's hooks */
  bool grad_norms;
  int n_norm_layers;
  int norm_layer[TG_LOGS_CAP];
  double norm_sum[TG_LOGS_CAP];
  char val_names[TG_MAX_METRICS][kNameCap];
  char norm_names[TG_LOGS_CAP][kNameCap];
} fit_run;

static tg_status check_options(fit_run* r, int64_t n) {
  tg_model* m = r->m;
  const tg_fit_options* o = &r->o;
  const char* fn = r->fn;
  if (o->epochs < 0)
    return tg_model_fail(m, TG_ERR_ARG, "%s: epochs must be >= 0, got %d", fn, o->epochs);
  if (o->initial_epoch < 0)
    return tg_model_fail(m, TG_ERR_ARG, "%s: initial_epoch must be >= 0, got %d", fn,
                         o->initial_epoch);
  if (o->batch_size < 0)
    return tg_model_fail(m, TG_ERR_ARG, "%s: batch_size must be >= 0, got %lld", fn,
                         (long long)o->batch_size);
  if (!(o->validation_split >= 0.0f && o->validation_split < 1.0f))
    return tg_model_fail(m, TG_ERR_ARG, "%s: validation_split must be in [0, 1), got %g", fn,
                         (double)o->validation_split);
  if (o->verbose < 0 || o->verbose > 2)
    return tg_model_fail(m, TG_ERR_ARG, "%s: verbose must be 0, 1 or 2, got %d", fn, o->verbose);
  if (o->n_callbacks < 0 || (o->n_callbacks > 0 && o->callbacks == NULL))
    return tg_model_fail(m, TG_ERR_ARG, "%s: %d callbacks but the list is NULL", fn,
                         o->n_callbacks);
  for (int i = 0; i < o->n_callbacks; ++i)
    if (o->callbacks[i] == NULL)
      return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: callbacks[%d] is NULL", fn, i);
  if (o->validation_x || o->validation_y || o->validation_n) {
    if (o->validation_x == NULL || o->validation_y == NULL || o->validation_n < 1)
      return tg_model_fail(m, TG_ERR_ARG,
                           "%s: validation data needs validation_x, validation_y and "
                           "validation_n >= 1",
                           fn);
    if (o->validation_split > 0.0f)
      return tg_model_fail(m, TG_ERR_ARG, "%s: give validation_split or validation data, not both",
                           fn);
    r->n_train = n;
    r->n_val = o->validation_n;
    r->vx = o->validation_x;
    r->vy = o->validation_y;
  } else {
    /* Keras: split_at = int(n * (1 - validation_split)); training rows come first.
     * The float 0.2f is 0.2000000030, which would make that 7.99... -> 7 of 10 rows:
     * use the decimal the caller wrote (float holds 7 significant digits) instead. */
    char text[32];
    snprintf(text, sizeof text, "%.7g", (double)o->validation_split);
    r->n_train = (int64_t)((double)n * (1.0 - strtod(text, NULL)));
    if (r->n_train < 1)
      return tg_model_fail(m, TG_ERR_ARG,
                           "%s: validation_split %g leaves no training rows out of %lld", fn,
                           (double)o->validation_split, (long long)n);
    r->n_val = n - r->n_train;
    r->vx = r->x + r->n_train * r->in;
    r->vy = r->y + r->n_train * r->tw;
  }
  if (o->class_weight_count < 0 || (o->class_weight_count > 0 && o->class_weight == NULL))
    return tg_model_fail(m, TG_ERR_ARG, "%s: class_weight_count %d with a NULL class_weight", fn,
                         o->class_weight_count);
  return TG_OK;
}

/* The class of target row i, for class_weight. */
static int64_t row_class(const fit_run* r, const float* t) {
  if (r->m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) return (int64_t)t[0];
  if (r->tw == 1) return t[0] >= 0.5f ? 1 : 0;
  int64_t best = 0;
  for (int64_t j = 1; j < r->tw; ++j)
    if (t[j] > t[best]) best = j;
  return best;
}

static tg_status build_weights(fit_run* r) {
  const tg_fit_options* o = &r->o;
  for (int64_t i = 0; i < r->n_train; ++i) {
    double w = 1.0;
    if (o->sample_weight) {
      w = o->sample_weight[i];
      if (!(w >= 0.0) || !isfinite(w))
        return tg_model_fail(r->m, TG_ERR_ARG,
                             "%s: sample_weight[%lld] = %g must be finite and >= 0", r->fn,
                             (long long)i, w);
    }
    if (o->class_weight) {
      const int64_t c = row_class(r, r->y + i * r->tw);
      if (c < 0 || c >= o->class_weight_count)
        return tg_model_fail(r->m, TG_ERR_ARG,
                             "%s: row %lld is of class %lld but class_weight has %d entries", r->fn,
                             (long long)i, (long long)c, o->class_weight_count);
      const double cw = o->class_weight[c];
      if (!(cw >= 0.0) || !isfinite(cw))
        return tg_model_fail(r->m, TG_ERR_ARG,
                             "%s: class_weight[%lld] = %g must be finite and >= 0", r->fn,
                             (long long)c, cw);
      w *= cw;
    }
    r->weights[i] = (float)w;
  }
  return TG_OK;
}

/* Copies rows order[0..count) of src (width w) to dst. */
static void gather(float* dst, const float* src, int64_t w, const int64_t* order, int64_t count) {
  for (int64_t k = 0; k < count; ++k)
    memcpy(dst + k * w, src + order[k] * w, (size_t)w * sizeof(float));
}

tg_status tg_model_eval_batches(tg_model* m, const char* fn, const float* x, int64_t n,
                                const float* y, int64_t batch, double* loss, tg_metric_sums* sums,
                                tg_progress* progress) {
  const int64_t in = tg_model_input_dim(m), tw = tg_model_target_width(m);
  double total = 0.0;
  int64_t steps = 0;
  for (int64_t b0 = 0; b0 < n; b0 += batch, ++steps) {
    const int64_t rows = n - b0 < batch ? n - b0 : batch;
    const float* bx = x + b0 * in;
    float l = 0.0f;
    tg_status st = tg_model_eval_rows(m, fn, &bx, rows, y + b0 * tw, &l);
    if (st != TG_OK) return st;
    total += (double)l * (double)rows;
    if (sums &&
        (st = tg_model_metrics_add(m, fn, m->eval.out->data, y + b0 * tw, rows, sums)) != TG_OK)
      return st;
    if (progress && progress->out) {
      tg_logs logs = {0};
      tg_logs_put(&logs, "loss", total / (double)(b0 + rows));
      for (int i = 0; sums && i < m->fx.n_metrics; ++i)
        tg_logs_put(&logs, m->fx.metrics[i].name, sums->sum[i] / (double)sums->rows);
      tg_progress_update(progress, steps + 1, &logs);
    }
  }
  *loss = total / (double)n;
  return TG_OK;
}

static tg_status call_hooks(fit_run* r, int which, int epoch, int64_t batch, const tg_logs* logs) {
  for (int i = 0; i < r->o.n_callbacks; ++i) {
    tg_callback* cb = r->o.callbacks[i];
    tg_status st = TG_OK;
    switch (which) {
      case 0:
        if (cb->on_train_begin) st = cb->on_train_begin(cb, r->m, logs);
        break;
      case 1:
        if (cb->on_epoch_begin) st = cb->on_epoch_begin(cb, r->m, epoch, logs);
        break;
      case 2:
        if (cb->on_batch_end) st = cb->on_batch_end(cb, r->m, batch, logs);
        break;
      case 3:
        if (cb->on_epoch_end) st = cb->on_epoch_end(cb, r->m, epoch, logs);
        break;
      default:
        if (cb->on_train_end) st = cb->on_train_end(cb, r->m, logs);
    }
    if (st != TG_OK) {
      if (r->m->error.code == TG_OK || r->m->error.code != st)
        tg_model_fail(r->m, st, "%s: callback %d failed", r->fn, i);
      return st;
    }
  }
  return TG_OK;
}

static void setup_grad_norms(fit_run* r) {
  tg_model* m = r->m;
  for (int i = 0; i < r->o.n_callbacks; ++i) r->grad_norms |= r->o.callbacks[i]->wants_grad_norms;
  if (!r->grad_norms) return;
  for (int l = 0; l < m->n_layers && r->n_norm_layers < TG_LOGS_CAP / 2; ++l) {
    bool has = false;
    for (int p = 0; p < m->params.n; ++p)
      has |= m->params.e[p]->trainable && strcmp(m->params.e[p]->owner, m->layers[l]->name) == 0;
    if (!has) continue;
    snprintf(r->norm_names[r->n_norm_layers], kNameCap, "grad_norm/%s", m->layers[l]->name);
    r->norm_layer[r->n_norm_layers++] = l;
  }
}

static void add_grad_norms(fit_run* r) {
  tg_model* m = r->m;
  for (int k = 0; k < r->n_norm_layers; ++k) {
    const char* name = m->layers[r->norm_layer[k]]->name;
    double s = 0.0;
    for (int p = 0; p < m->params.n; ++p) {
      const tg_param_entry* e = m->params.e[p];
      if (!e->trainable || strcmp(e->owner, name) != 0) continue;
      const float* g = m->params.grads + e->offset;
      for (int64_t i = 0; i < e->size; ++i) s += (double)g[i] * g[i];
    }
    r->norm_sum[k] += sqrt(s);
  }
}

/* Every tape the epochs use, recorded before the first step (the last, smaller
 * batch, then the full one the first step replays, and the validation batches): out
 * of memory then fails here and leaves the model, its optimizer and the history as
 * they were, instead of after an epoch of updates. The training tape is recorded
 * weighted when the steps will be. */
static tg_status prepare_tapes(fit_run* r) {
  tg_model* m = r->m;
  const int64_t last = r->n_train % r->batch;
  if (r->weights) {
    for (int64_t k = 0; k < r->batch; ++k) r->bw[k] = r->weights[k];
    m->fx.batch_weights = r->bw;
  }
  tg_status st = TG_OK;
  if (last != 0) st = tg_model_prepare_rows(m, r->fn, true, &r->x, last, r->y);
  if (st == TG_OK) st = tg_model_prepare_rows(m, r->fn, true, &r->x, r->batch, r->y);
  m->fx.batch_weights = NULL;
  if (st != TG_OK || r->n_val == 0) return st;
  const int64_t val_batch = r->batch < r->n_val ? r->batch : r->n_val;
  const int64_t val_last = r->n_val % val_batch;
  if (val_last != 0) st = tg_model_prepare_rows(m, r->fn, false, &r->vx, val_last, r->vy);
  if (st == TG_OK) st = tg_model_prepare_rows(m, r->fn, false, &r->vx, val_batch, r->vy);
  return st;
}

static tg_status train_step(fit_run* r, int epoch, int64_t step, const int64_t* rows_idx,
                            int64_t rows, float* loss_out) {
  tg_model* m = r->m;
  gather(r->bx, r->x, r->in, rows_idx, rows);
  gather(r->by, r->y, r->tw, rows_idx, rows);
  if (r->weights) {
    for (int64_t k = 0; k < rows; ++k) r->bw[k] = r->weights[rows_idx[k]];
    m->fx.batch_weights = r->bw;
  }
  if (r->doctor) {
    const double t0 = tg_fit_now();
    tg_doctor_before_step(r->doctor);
    r->doctor_seconds += tg_fit_now() - t0;
  }
  const float* bxs = r->bx;
  float loss = 0.0f;
  /* The step updates the parameters itself (during backward when the model fuses the
   * optimizer); the doctor and the gradient norms read the gradients afterwards, which
   * the update leaves as they were. A non-finite loss stops the step before backward
   * when the doctor watches, so the parameters stay the ones it diagnoses. */
  m->fx.hold_nonfinite = r->doctor != NULL;
  tg_status st = tg_model_step(m, r->fn, &bxs, rows, r->by, true, &loss);
  m->fx.hold_nonfinite = false;
  m->fx.batch_weights = NULL;
  if (st != TG_OK) return st;
  if (r->weights) { /* Keras' weighted loss: sum of w * row loss over the batch size */
    const int64_t per = tg_model_output_dim(m);
    double s = 0.0;
    const float* p = m->train.out->data;
    for (int64_t k = 0; k < rows; ++k)
      s += (double)r->bw[k] * tg_model_row_loss(m, p + k * per, r->by + k * r->tw, per);
    loss = (float)(s / (double)rows);
  }
  if (r->doctor &&
      (st = tg_doctor_after_backward(r->doctor, r->fn, epoch, step, loss, rows)) != TG_OK)
    return st;
  if (r->grad_norms) add_grad_norms(r);
  if (r->doctor) {
    const double t0 = tg_fit_now();
    tg_doctor_after_update(r->doctor, epoch, step);
    r->doctor_seconds += tg_fit_now() - t0;
  }
  *loss_out = loss;
  return TG_OK;
}

static tg_status run_epochs(fit_run* r) {
  tg_model* m = r->m;
  const tg_fit_options* o = &r->o;
  const int epochs = o->epochs == 0 ? 1 : o->epochs;
  const int n_metrics = m->fx.n_metrics;
  const int64_t steps = (r->n_train + r->batch - 1) / r->batch;
  tg_logs logs = {0};
  tg_status st = call_hooks(r, 0, 0, 0, &logs);
  bool first = true;
  for (int e = o->initial_epoch; st == TG_OK && e < epochs && !m->fx.stop_training; ++e) {
    memset(&logs, 0, sizeof logs);
    if ((st = call_hooks(r, 1, e, 0, &logs)) != TG_OK) break;
    if (r->out) fprintf(r->out, "Epoch %d/%d\n", e + 1, epochs);
    tg_progress_begin(&r->progress, r->out, o->verbose, steps);
    for (int64_t i = 0; i < r->n_train; ++i) r->order[i] = i;
    if (!o->no_shuffle) { /* Fisher-Yates of the identity with the model's own stream */
      for (int64_t i = r->n_train - 1; i > 0; --i) {
        const int64_t j = (int64_t)tg_rng_below(&m->shuffle_rng, (uint64_t)i + 1);
        const int64_t tmp = r->order[i];
        r->order[i] = r->order[j];
        r->order[j] = tmp;
      }
    }
    for (int k = 0; k < r->n_norm_layers; ++k) r->norm_sum[k] = 0.0;
    double loss_sum = 0.0; /* Keras reports the row-weighted mean of batch losses */
    tg_metric_sums sums;
    memset(&sums, 0, sizeof sums);
    int64_t done = 0, step = 0;
    for (int64_t b0 = 0; b0 < r->n_train && !m->fx.stop_training; b0 += r->batch) {
      const int64_t rows = r->n_train - b0 < r->batch ? r->n_train - b0 : r->batch;
      float loss = 0.0f;
      if ((st = train_step(r, e, step + 1, r->order + b0, rows, &loss)) != TG_OK) break;
      ++step;
      loss_sum += (double)loss * (double)rows;
      done += rows;
      if (n_metrics > 0 &&
          (st = tg_model_metrics_add(m, r->fn, m->train.out->data, r->by, rows, &sums)) != TG_OK)
        break;
      memset(&logs, 0, sizeof logs);
      tg_logs_put(&logs, "loss", loss_sum / (double)done);
      for (int i = 0; i < n_metrics; ++i)
        tg_logs_put(&logs, m->fx.metrics[i].name, sums.sum[i] / (double)sums.rows);
      tg_progress_update(&r->progress, step, &logs);
      if ((st = call_hooks(r, 2, e, step - 1, &logs)) != TG_OK) break;
    }
    if (st != TG_OK) break;
    /* Epoch logs: loss, metrics, val_loss, val_ metrics, grad norms. */
    memset(&logs, 0, sizeof logs);
    const double epoch_loss = done ? loss_sum / (double)done : NAN;
    tg_logs_put(&logs, "loss", epoch_loss);
    for (int i = 0; i < n_metrics; ++i)
      tg_logs_put(&logs, m->fx.metrics[i].name, sums.rows ? sums.sum[i] / (double)sums.rows : NAN);
    double val_loss = NAN;
    if (r->n_val > 0) {
      tg_metric_sums vs;
      memset(&vs, 0, sizeof vs);
      if ((st = tg_model_eval_batches(m, r->fn, r->vx, r->n_val, r->vy, r->batch, &val_loss, &vs,
                                      NULL)) != TG_OK)
        break;
      tg_logs_put(&logs, "val_loss", val_loss);
      for (int i = 0; i < n_metrics; ++i) {
        snprintf(r->val_names[i], kNameCap, "val_%s", m->fx.metrics[i].name);
        tg_logs_put(&logs, r->val_names[i], vs.sum[i] / (double)vs.rows);
      }
    }
    for (int k = 0; k < r->n_norm_layers; ++k)
      tg_logs_put(&logs, r->norm_names[k], step ? r->norm_sum[k] / (double)step : NAN);
    const int slot = e - o->initial_epoch;
    if (o->history_loss) o->history_loss[slot] = (float)epoch_loss;
    if (o->history_val_loss) o->history_val_loss[slot] = (float)val_loss;
    if (o->history && !tg_history_append(o->history, e, logs.n, logs.names, logs.values)) {
      st = tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory for the history", r->fn);
      break;
    }
    tg_progress_end(&r->progress, step, &logs);
    if (r->doctor) {
      const double t0 = tg_fit_now();
      tg_doctor_epoch_end(r->doctor, e, first);
      r->doctor_seconds += tg_fit_now() - t0;
    }
    first = false;
    if ((st = call_hooks(r, 3, e, 0, &logs)) != TG_OK) break;
  }
  if (st == TG_OK) st = call_hooks(r, 4, 0, 0, &logs);
  return st;
}

tg_status tg_model_fit(tg_model* m, const float* x, int64_t n, const float* y,
                       const tg_fit_options* options) {
  fit_run r;
  memset(&r, 0, sizeof r);
  r.fn = "tg_model_fit";
  r.m = m;
  tg_status st = tg_model_check_batch(m, r.fn, &x, 1, n, y, true, true);
  if (st != TG_OK) return st;
  if (options) r.o = *options;
  r.x = x;
  r.y = y;
  r.in = tg_model_input_dim(m);
  r.tw = tg_model_target_width(m);
  if ((st = check_options(&r, n)) != TG_OK) return st;
  if (r.o.validation_x && (st = tg_model_check_batch(m, r.fn, &r.o.validation_x, 1, r.n_val, r.vy,
                                                     true, true)) != TG_OK)
    return st;
  if (m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
    if ((st = tg_model_labels_from_floats(m, r.fn, r.y, r.n_train, NULL)) != TG_OK) return st;
    if (r.n_val > 0 && (st = tg_model_labels_from_floats(m, "tg_model_fit: validation", r.vy,
                                                         r.n_val, NULL)) != TG_OK)
      return st;
  }
  const int64_t asked = r.o.batch_size == 0 ? 32 : r.o.batch_size; /* Keras' default 32 */
  r.batch = asked < r.n_train ? asked : r.n_train;
  r.out = r.o.verbose ? r.o.out : NULL;
  const bool weighted = r.o.sample_weight != NULL || r.o.class_weight != NULL;

  /* Row order, one batch of x, y and weights, the row weights: allocated once. */
  const size_t order_bytes = (size_t)r.n_train * sizeof(int64_t);
  const size_t floats = (size_t)(r.batch * (r.in + r.tw + 1)) + (weighted ? (size_t)r.n_train : 0);
  char* scratch = (char*)tg_model_scratch(m, order_bytes + floats * sizeof(float));
  if (scratch == NULL) return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory", r.fn);
  r.order = (int64_t*)scratch;
  r.bx = (float*)(scratch + order_bytes);
  r.by = r.bx + r.batch * r.in;
  r.bw = r.by + r.batch * r.tw;
  if (weighted) {
    r.weights = r.bw + r.batch;
    if ((st = build_weights(&r)) != TG_OK) return st;
  }
  if ((st = prepare_tapes(&r)) != TG_OK) return st;
  if (!r.o.no_doctor) {
    FILE* dout = r.o.doctor_out ? r.o.doctor_out : (r.o.out ? r.o.out : stderr);
    const double t0 = tg_fit_now();
    r.doctor = tg_doctor_new(m, dout, r.o.history, &r.progress, r.y, r.n_train, r.tw);
    r.doctor_seconds += tg_fit_now() - t0;
    if (r.doctor == NULL) return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory", r.fn);
  }
  setup_grad_norms(&r);
  m->fx.stop_training = false;
  m->fx.batch_weights = NULL;
  const double t0 = tg_fit_now();
  st = run_epochs(&r);
  m->fx.batch_weights = NULL;
  if (r.o.history) tg_history_add_time(r.o.history, tg_fit_now() - t0, r.doctor_seconds);
  tg_doctor_free(r.doctor);
  return st;
}
