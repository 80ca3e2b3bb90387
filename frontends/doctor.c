/* frontends/doctor.c — the training doctor: checks fit runs while it trains, one
 * warning per cause (frontends/fit.h lists them).
 *
 * Cost: per step it reads the loss, the first gradient element of each parameter
 * that is not zero (a healthy parameter stops at its first element) and the batch's
 * predictions; on each of the first kRatioFirst steps, then every kRatioEvery steps,
 * it copies up to kRatioSample elements of each kernel to measure the update; per
 * epoch it compares units and scans the ReLU outputs of one batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/internal/doctor_impl.h"
#include "frontends/internal/history_impl.h"
#include "frontends/internal/model_impl.h"
#include "ops/ops.h"

enum {
  kZeroSteps = 10,     /* a gradient exactly zero this many steps running is reported */
  kFloorSteps = 20,    /* losses averaged for the constant-predictor check */
  kRatioFirst = 10,    /* steps measured one by one at the start (a blow-up is fast) */
  kRatioEvery = 100,   /* steps between update-ratio measurements after that */
  kRatioChecks = 3,    /* measurements in a row beyond a bound before a warning */
  kRatioSample = 4096, /* elements per parameter whose update is measured */
  kLineCap = 1024
};
static const double kExploding = 1e-1, kVanishing = 1e-7, kDeadFraction = 0.9;

struct tg_doctor {
  tg_model* m;
  FILE* out;
  tg_history* history;
  tg_progress* progress;
  double floor;            /* loss of the best constant prediction; NaN: unknown */
  const char* floor_means; /* what that constant is */
  double losses[kFloorSteps];
  int n_losses;
  int* zero_streak;   /* per parameter */
  int* ratio_streak;  /* per parameter: + exploding, - vanishing */
  bool* layer_warned; /* per layer: symmetry or dead ReLUs reported */
  bool* layer_zero;   /* per layer: its gradients were reported zero */
  float* before;      /* sampled kernel elements before a measured update */
  bool measuring;
  int64_t steps; /* in this fit */
  double last_loss;
  bool warned_zero, warned_floor, warned_ratio;
};

static void say(tg_doctor* d, const char* line) {
  tg_progress_interrupt(d->progress);
  fprintf(d->out, "%s\n", line);
  fflush(d->out);
  if (d->history) tg_history_warn(d->history, line);
}

/* ---- the constant-predictor floor ---- */

static int cmp_float(const void* a, const void* b) {
  const float x = *(const float*)a, y = *(const float*)b;
  return (x > y) - (x < y);
}

static double xlogx(double p) { return p > 0.0 ? p * log(p) : 0.0; }

static void compute_floor(tg_doctor* d, const float* y, int64_t n, int64_t w) {
  const tg_model* m = d->m;
  d->floor = NAN;
  if (y == NULL || n < 2) return;
  double f = 0.0;
  switch (m->loss.kind) {
    case TG_LOSS_MSE:
      for (int64_t j = 0; j < w; ++j) {
        double mean = 0.0, var = 0.0;
        for (int64_t i = 0; i < n; ++i) mean += y[i * w + j];
        mean /= (double)n;
        for (int64_t i = 0; i < n; ++i) var += (y[i * w + j] - mean) * (y[i * w + j] - mean);
        f += var / (double)n;
      }
      d->floor = f / (double)w;
      d->floor_means = "the target means";
      return;
    case TG_LOSS_MAE: {
      float* col = (float*)malloc((size_t)n * sizeof(float));
      if (col == NULL) return;
      for (int64_t j = 0; j < w; ++j) {
        for (int64_t i = 0; i < n; ++i) col[i] = y[i * w + j];
        qsort(col, (size_t)n, sizeof(float), cmp_float);
        const double med = col[n / 2];
        for (int64_t i = 0; i < n; ++i) f += fabs(col[i] - med);
      }
      free(col);
      d->floor = f / (double)(n * w);
      d->floor_means = "the target medians";
      return;
    }
    case TG_LOSS_BINARY_CROSSENTROPY:
      for (int64_t j = 0; j < w; ++j) {
        double p = 0.0;
        for (int64_t i = 0; i < n; ++i) p += y[i * w + j];
        p /= (double)n;
        f -= xlogx(p) + xlogx(1.0 - p);
      }
      d->floor = f / (double)w;
      d->floor_means = "the class frequencies";
      return;
    case TG_LOSS_CATEGORICAL_CROSSENTROPY:
    case TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY: {
      const tg_layer_shape* s = tg_model_output_shape(m);
      const int64_t k = s->dim[s->rank - 1];
      double* q = (double*)calloc((size_t)k, sizeof(double));
      if (q == NULL) return;
      const bool sparse = m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
      const int64_t rows = sparse ? n * w : n * w / k;
      for (int64_t r = 0; r < rows; ++r) {
        if (sparse) {
          const int64_t c = (int64_t)y[r];
          if (c >= 0 && c < k) q[c] += 1.0;
        } else {
          for (int64_t c = 0; c < k; ++c) q[c] += y[r * k + c];
        }
      }
      for (int64_t c = 0; c < k; ++c) f -= xlogx(q[c] / (double)rows);
      free(q);
      d->floor = f;
      d->floor_means = "the class frequencies";
      return;
    }
    default:
      return;
  }
}

/* Elements of parameter e whose update is measured: every stride-th, at most
 * kRatioSample of them (an estimate of the norms is all the ratio needs). */
static int64_t sample_stride(const tg_param_entry* e) {
  return e->size > kRatioSample ? (e->size + kRatioSample - 1) / kRatioSample : 1;
}

tg_doctor* tg_doctor_new(tg_model* m, FILE* out, tg_history* h, tg_progress* progress,
                         const float* y, int64_t n, int64_t target_width) {
  tg_doctor* d = (tg_doctor*)calloc(1, sizeof *d);
  if (d == NULL) return NULL;
  d->m = m;
  d->out = out;
  d->history = h;
  d->progress = progress;
  const int np = m->params.n, nl = m->n_layers;
  d->zero_streak = (int*)calloc((size_t)(np ? np : 1), sizeof(int));
  d->ratio_streak = (int*)calloc((size_t)(np ? np : 1), sizeof(int));
  d->layer_warned = (bool*)calloc((size_t)(nl ? nl : 1), sizeof(bool));
  d->layer_zero = (bool*)calloc((size_t)(nl ? nl : 1), sizeof(bool));
  int64_t sampled = 1;
  for (int p = 0; p < np; ++p) {
    const tg_param_entry* e = m->params.e[p];
    if (e->trainable && e->rank >= 2)
      sampled += (e->size + sample_stride(e) - 1) / sample_stride(e);
  }
  d->before = (float*)malloc((size_t)sampled * sizeof(float));
  if (!d->zero_streak || !d->ratio_streak || !d->layer_warned || !d->layer_zero || !d->before) {
    tg_doctor_free(d);
    return NULL;
  }
  compute_floor(d, y, n, target_width);
  return d;
}

void tg_doctor_free(tg_doctor* d) {
  if (d == NULL) return;
  free(d->zero_streak);
  free(d->ratio_streak);
  free(d->layer_warned);
  free(d->layer_zero);
  free(d->before);
  free(d);
}

void tg_doctor_before_step(tg_doctor* d) {
  d->measuring =
      !d->warned_ratio && (d->steps < kRatioFirst || d->steps % kRatioEvery == kRatioEvery - 1);
  if (!d->measuring) return;
  const tg_model* m = d->m;
  int64_t k = 0;
  for (int p = 0; p < m->params.n; ++p) {
    const tg_param_entry* e = m->params.e[p];
    if (!e->trainable || e->rank < 2) continue;
    const float* w = m->params.values + e->offset;
    for (int64_t i = 0, st = sample_stride(e); i < e->size; i += st) d->before[k++] = w[i];
  }
}

/* ---- NaN / Inf ---- */

static bool all_finite(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!isfinite(p[i])) return false;
  return true;
}

/* Names where the first non-finite value comes from into buf. */
static void find_non_finite(tg_doctor* d, char* buf, size_t cap) {
  tg_model* m = d->m;
  for (int i = 0; i < m->params.n; ++i) {
    const tg_param_entry* e = m->params.e[i];
    if (!all_finite(m->params.values + e->offset, e->size)) {
      snprintf(buf, cap, "the parameter %s holds non-finite values (an earlier update)", e->name);
      return;
    }
  }
  for (int k = 0; k < m->n_inputs; ++k) {
    const tg_tensor* x = m->train.x[k];
    if (x && !all_finite(x->data, x->size)) {
      snprintf(buf, cap, "the input %s holds non-finite values", x->name[0] ? x->name : "x");
      return;
    }
  }
  /* Run the forward again one node at a time (same buffers, same order as the replay,
   * parameters not yet updated), checking each output as soon as it is written: a
   * later node cannot have overwritten it yet. */
  tg_tape* t = m->train.tape;
  const int nn = tg_tape_node_count(t);
  for (int i = 0; i < nn; ++i) {
    tg_node* n = (tg_node*)tg_tape_node(t, i);
    if (n->op->flags & TG_OP_VIEW) continue;
    if (tg_tape_forward_node(t, i) != TG_OK) break;
    if (n->out->dtype != TG_FLOAT32 || n->out->data == NULL) continue;
    if (!all_finite(n->out->data, n->out->size)) {
      if (n->scope && n->scope[0])
        snprintf(buf, cap,
                 "the first non-finite value is the output of op '%s' (node %d) in layer %s",
                 n->op->name, i, n->scope);
      else
        snprintf(buf, cap,
                 "the first non-finite value is the output of op '%s' (node %d), after the layers",
                 n->op->name, i);
      return;
    }
  }
  snprintf(buf, cap, "no op's output is non-finite when the step is run again");
}

/* ---- zero gradients ---- */

static bool exactly_zero(const float* g, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (g[i] != 0.0f) return false;
  return true;
}

static int output_layer(const tg_model* m) {
  const int node = m->output >= 0 ? m->syms[m->output].node : -1;
  return node >= 0 ? m->nodes[node].layer->index : -1;
}

static int layer_of_param(const tg_model* m, int p) {
  for (int i = 0; i < m->n_layers; ++i)
    if (strcmp(m->layers[i]->name, m->params.e[p]->owner) == 0) return i;
  return -1;
}

static size_t append(char* buf, size_t cap, size_t len, const char* fmt, const char* s) {
  if (len >= cap) return len;
  const int k = snprintf(buf + len, cap - len, fmt, s);
  return k > 0 ? len + (size_t)k : len;
}

/* Lists names[0..n) as "a", "a and b", "a, b and c". */
static size_t append_list(char* buf, size_t cap, size_t len, const char* const* names, int n) {
  for (int i = 0; i < n; ++i) {
    if (i > 0) len = append(buf, cap, len, "%s", i == n - 1 ? " and " : ", ");
    len = append(buf, cap, len, "%s", names[i]);
  }
  return len;
}

static void warn_zero(tg_doctor* d, int epoch, int64_t step, int streak) {
  tg_model* m = d->m;
  const int out_layer = output_layer(m);
  const char* hidden_zero[64];
  const char* other_zero[64];
  const char* learning[64];
  int n_hz = 0, n_ha = 0, n_oz = 0, n_learn = 0;
  bool only_output_bias = true;
  for (int l = 0; l < m->n_layers; ++l) {
    const tg_layer* L = m->layers[l];
    int trainable = 0, zero = 0;
    for (int p = 0; p < m->params.n; ++p)
      if (m->params.e[p]->trainable && layer_of_param(m, p) == l) {
        ++trainable;
        zero += d->zero_streak[p] >= streak;
      }
    if (trainable == 0) continue;
    if (l != out_layer) ++n_ha;
    if (zero == trainable && l != out_layer) {
      if (n_hz < 64) hidden_zero[n_hz++] = L->name;
      d->layer_zero[l] = true;
      continue;
    }
    for (int p = 0; p < m->params.n; ++p) {
      const tg_param_entry* e = m->params.e[p];
      if (!e->trainable || layer_of_param(m, p) != l) continue;
      if (d->zero_streak[p] >= streak) {
        if (n_oz < 64) other_zero[n_oz++] = e->name;
      } else {
        if (n_learn < 64) learning[n_learn++] = e->name;
        if (l != out_layer || e->rank != 1) only_output_bias = false;
      }
    }
  }
  char line[kLineCap];
  size_t len =
      (size_t)snprintf(line, sizeof line,
                       "doctor: epoch %d, step %lld: zero gradients: ", epoch + 1, (long long)step);
  if (n_hz > 0 && n_hz == n_ha) {
    len = append(line, sizeof line, len, "%s",
                 n_hz == 1 ? "the hidden layer's" : "the hidden layers'");
    len = append(line, sizeof line, len, "%s", " gradients are exactly zero (");
    len = append_list(line, sizeof line, len, hidden_zero, n_hz);
    len = append(line, sizeof line, len, "%s", ")");
  } else if (n_hz > 0) {
    len = append(line, sizeof line, len, "%s", "the gradients of ");
    len = append_list(line, sizeof line, len, hidden_zero, n_hz);
    len = append(line, sizeof line, len, "%s", " are exactly zero");
  }
  if (n_oz > 0) {
    len = append(line, sizeof line, len, "%s", n_hz > 0 ? ", and " : "the gradients of ");
    len = append_list(line, sizeof line, len, other_zero, n_oz);
    len = append(line, sizeof line, len, "%s",
                 n_hz > 0 ? (n_oz == 1 ? "'s too" : "'s too")
                          : (n_oz == 1 ? " is exactly zero" : " are exactly zero"));
  }
  char steps[48];
  snprintf(steps, sizeof steps, ", for %d step%s", streak, streak == 1 ? "" : "s");
  len = append(line, sizeof line, len, "%s", steps);
  if (n_learn == 0) {
    len = append(line, sizeof line, len, "%s", ": nothing learns");
  } else if (only_output_bias) {
    len = append(line, sizeof line, len, "%s", ": only ");
    len = append_list(line, sizeof line, len, learning, n_learn);
    len = append(line, sizeof line, len, "%s", n_learn == 1 ? " learns" : " learn");
    len = append(line, sizeof line, len, "%s",
                 ", so the model predicts the same output for every input (");
    len =
        append(line, sizeof line, len, "%s", d->floor_means ? d->floor_means : "the target means");
    len = append(line, sizeof line, len, "%s", ")");
    d->warned_floor = true; /* the same conclusion: not repeated by the floor check */
  }
  (void)len;
  say(d, line);
  d->warned_zero = true;
}

static void check_zero(tg_doctor* d, int epoch, int64_t step) {
  tg_model* m = d->m;
  bool any = false;
  for (int p = 0; p < m->params.n; ++p) {
    const tg_param_entry* e = m->params.e[p];
    if (!e->trainable) continue;
    if (e->size > 0 && exactly_zero(m->params.grads + e->offset, e->size)) {
      d->zero_streak[p]++;
      any |= d->zero_streak[p] >= kZeroSteps;
    } else {
      d->zero_streak[p] = 0;
    }
  }
  if (any && !d->warned_zero) warn_zero(d, epoch, step, kZeroSteps);
}

/* ---- the constant predictor ---- */

static bool same_rows(const float* p, int64_t rows, int64_t w) {
  for (int64_t j = 0; j < w; ++j) {
    float lo = p[j], hi = p[j];
    for (int64_t r = 1; r < rows; ++r) {
      const float v = p[r * w + j];
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    if ((double)hi - lo > 1e-3 * (fabs((double)hi) + 1e-6)) return false;
  }
  return true;
}

static void check_floor(tg_doctor* d, int epoch, int64_t step, float loss, int64_t rows) {
  if (d->warned_floor || !isfinite(d->floor)) return;
  d->losses[d->n_losses++ % kFloorSteps] = loss;
  if (d->n_losses < kFloorSteps || rows < 2) return;
  double mean = 0.0;
  for (int i = 0; i < kFloorSteps; ++i) mean += d->losses[i];
  mean /= kFloorSteps;
  if (fabs(mean - d->floor) > 0.01 * d->floor + 1e-7) return;
  const tg_tensor* out = d->m->train.out;
  if (!same_rows(out->data, rows, out->size / rows)) return;
  char line[kLineCap], a[32], b[32];
  tg_fit_format_value(a, sizeof a, mean);
  tg_fit_format_value(b, sizeof b, d->floor);
  snprintf(line, sizeof line,
           "doctor: epoch %d, step %lld: constant predictor: the loss (%s over the last %d steps) "
           "sits at the floor of a constant prediction (%s): the model predicts the same output "
           "for every input (%s)",
           epoch + 1, (long long)step, a, kFloorSteps, b, d->floor_means);
  say(d, line);
  d->warned_floor = true;
}

tg_status tg_doctor_after_backward(tg_doctor* d, const char* fn, int epoch, int64_t step,
                                   float loss, int64_t rows) {
  d->steps++;
  if (!isfinite(loss)) {
    char where[512], line[kLineCap];
    find_non_finite(d, where, sizeof where);
    snprintf(line, sizeof line, "doctor: epoch %d, step %lld: the loss is %s: %s; training stopped",
             epoch + 1, (long long)step, isnan(loss) ? "nan" : "inf", where);
    say(d, line);
    return tg_model_fail(d->m, TG_ERR_STATE, "%s: epoch %d, step %lld: the loss is %s: %s", fn,
                         epoch + 1, (long long)step, isnan(loss) ? "nan" : "inf", where);
  }
  d->last_loss = loss;
  check_zero(d, epoch, step);
  check_floor(d, epoch, step, loss, rows);
  return TG_OK;
}

/* ---- update-to-weight ratios ---- */

void tg_doctor_after_update(tg_doctor* d, int epoch, int64_t step) {
  if (!d->measuring) return;
  d->measuring = false;
  tg_model* m = d->m;
  int64_t k = 0;
  for (int p = 0; p < m->params.n; ++p) {
    const tg_param_entry* e = m->params.e[p];
    if (!e->trainable || e->rank < 2) continue;
    const int64_t st = sample_stride(e), k0 = k;
    k += (e->size + st - 1) / st;
    if (d->zero_streak[p] > 0) continue;
    double w2 = 0.0, u2 = 0.0;
    const float* w = d->before + k0;
    const float* now = m->params.values + e->offset;
    for (int64_t i = 0, j = 0; i < e->size; i += st, ++j) {
      w2 += (double)w[j] * w[j];
      u2 += ((double)now[i] - w[j]) * ((double)now[i] - w[j]);
    }
    if (w2 == 0.0) continue;
    const double r = sqrt(u2 / w2);
    int* s = &d->ratio_streak[p];
    if (r > kExploding)
      *s = *s > 0 ? *s + 1 : 1;
    else if (r < kVanishing && d->last_loss >= 0.5 * d->floor) /* converged is not vanishing */
      *s = *s < 0 ? *s - 1 : -1;
    else
      *s = 0;
    if (*s >= kRatioChecks || *s <= -kRatioChecks) {
      char line[kLineCap], v[32];
      tg_fit_format_value(v, sizeof v, r);
      snprintf(
          line, sizeof line,
          "doctor: epoch %d, step %lld: %s updates: an update of %s changes it by %s of its "
          "size (healthy training is near 1e-3): %s",
          epoch + 1, (long long)step, *s > 0 ? "exploding" : "vanishing", e->name, v,
          *s > 0 ? "lower the learning rate" : "raise the learning rate or check the gradients");
      say(d, line);
      d->warned_ratio = true;
      return;
    }
  }
}

/* ---- per epoch: symmetry, dead ReLUs, a first epoch with zero gradients ---- */

typedef struct unit_key {
  double sum, sq;
  int64_t unit;
} unit_key;

static int cmp_key(const void* a, const void* b) {
  const unit_key* x = (const unit_key*)a;
  const unit_key* y = (const unit_key*)b;
  if (x->sum != y->sum) return x->sum < y->sum ? -1 : 1;
  if (x->sq != y->sq) return x->sq < y->sq ? -1 : 1;
  return (x->unit > y->unit) - (x->unit < y->unit);
}

/* Floats after the unit axis of e (the stride of one unit). */
static int64_t unit_inner(const tg_param_entry* e) {
  int64_t inner = 1;
  for (int a = e->unit_axis + 1; a < e->rank; ++a) inner *= e->shape[a];
  return inner;
}

/* Element i of unit u of a parameter with `units` units along its unit axis. */
static inline float unit_elem(const float* v, int64_t units, int64_t inner, int64_t u, int64_t i) {
  return inner == 1 ? v[i * units + u] : v[((i / inner) * units + u) * inner + i % inner];
}

static bool units_equal(const tg_model* m, const int* ps, int n_ps, int64_t a, int64_t b) {
  for (int k = 0; k < n_ps; ++k) {
    const tg_param_entry* e = m->params.e[ps[k]];
    const float* v = m->params.values + e->offset;
    const int64_t units = e->shape[e->unit_axis], inner = unit_inner(e), per = e->size / units;
    for (int64_t i = 0; i < per; ++i) {
      const double x = unit_elem(v, units, inner, a, i), y = unit_elem(v, units, inner, b, i);
      if (fabs(x - y) > 1e-6 * (fabs(x) + fabs(y)) + 1e-12) return false;
    }
  }
  return true;
}

static void check_symmetry(tg_doctor* d, int epoch) {
  tg_model* m = d->m;
  const int out_layer = output_layer(m);
  for (int l = 0; l < m->n_layers; ++l) {
    if (l == out_layer || d->layer_warned[l] || d->layer_zero[l]) continue;
    int ps[TG_LAYER_MAX_PARAMS], n_ps = 0;
    int64_t units = 0;
    for (int p = 0; p < m->params.n && n_ps < TG_LAYER_MAX_PARAMS; ++p) {
      const tg_param_entry* e = m->params.e[p];
      if (layer_of_param(m, p) != l || e->unit_axis < 0 || e->unit_axis >= e->rank) continue;
      if (units == 0) units = e->shape[e->unit_axis];
      if (e->shape[e->unit_axis] == units) ps[n_ps++] = p;
    }
    if (units < 2) continue;
    unit_key* keys = (unit_key*)malloc((size_t)units * sizeof *keys);
    if (keys == NULL) return;
    for (int64_t u = 0; u < units; ++u) keys[u] = (unit_key){0.0, 0.0, u};
    for (int k = 0; k < n_ps; ++k) { /* units vary fastest: rows are read in order */
      const tg_param_entry* e = m->params.e[ps[k]];
      const float* v = m->params.values + e->offset;
      const int64_t per = e->size / units, inner = unit_inner(e);
      for (int64_t i = 0; i < per; ++i)
        for (int64_t u = 0; u < units; ++u) {
          const double x = unit_elem(v, units, inner, u, i);
          keys[u].sum += x;
          keys[u].sq += x * x;
        }
    }
    qsort(keys, (size_t)units, sizeof *keys, cmp_key);
    int64_t distinct = 1;
    for (int64_t u = 1; u < units; ++u)
      distinct += !units_equal(m, ps, n_ps, keys[u - 1].unit, keys[u].unit);
    free(keys);
    if (distinct * 2 > units) continue;
    char line[kLineCap];
    snprintf(line, sizeof line,
             "doctor: epoch %d: symmetric units: %lld of the %lld units of %s are copies of "
             "another (%lld distinct): the layer computes as if it had %lld unit%s; initialise "
             "its kernel randomly (e.g. glorot_uniform) to break the symmetry",
             epoch + 1, (long long)(units - distinct), (long long)units, m->layers[l]->name,
             (long long)distinct, (long long)distinct, distinct == 1 ? "" : "s");
    say(d, line);
    d->layer_warned[l] = true;
  }
}

static void check_dead_relus(tg_doctor* d, int epoch) {
  tg_model* m = d->m;
  const tg_tape* t = m->train.tape;
  const int nn = tg_tape_node_count(t);
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = tg_tape_node(t, i);
    if (n->op != &tg_op_relu || n->scope == NULL || n->scope[0] == '\0') continue;
    const tg_tensor* y = n->out;
    if (y->rank < 2) continue;
    int l = -1;
    for (int k = 0; k < m->n_layers; ++k)
      if (strcmp(m->layers[k]->name, n->scope) == 0) l = k;
    if (l < 0 || d->layer_warned[l]) continue;
    const int64_t units = y->shape[y->rank - 1], rows = y->size / units;
    int64_t dead = 0;
    for (int64_t u = 0; u < units; ++u) {
      bool alive = false;
      for (int64_t r = 0; r < rows && !alive; ++r) alive = y->data[r * units + u] != 0.0f;
      dead += !alive;
    }
    if ((double)dead < kDeadFraction * (double)units) continue;
    char line[kLineCap];
    snprintf(line, sizeof line,
             "doctor: epoch %d: dead ReLUs: %lld of the %lld units of %s (%.0f%%) output 0 for "
             "every row of the last batch: no gradient reaches their weights",
             epoch + 1, (long long)dead, (long long)units, n->scope,
             100.0 * (double)dead / (double)units);
    say(d, line);
    d->layer_warned[l] = true;
  }
}

void tg_doctor_epoch_end(tg_doctor* d, int epoch, bool first_epoch) {
  tg_model* m = d->m;
  if (first_epoch && !d->warned_zero && d->steps > 0 && d->steps < kZeroSteps) {
    bool any = false;
    for (int p = 0; p < m->params.n; ++p) any |= d->zero_streak[p] >= d->steps;
    if (any) warn_zero(d, epoch, d->steps, (int)d->steps);
  }
  if (m->train.tape == NULL) return;
  check_dead_relus(d, epoch);
  check_symmetry(d, epoch);
}
