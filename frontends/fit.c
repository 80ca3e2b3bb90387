/* frontends/fit.c — Keras' fit: epochs of shuffled minibatches, an optional held-out
 * validation tail, and Keras-like progress lines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontends/internal/model_impl.h"

static double now_seconds(void) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0.0;
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Keras' Progbar number format: 4 decimals, or scientific once the value is small. */
static void print_value(FILE* out, const char* name, double v) {
  fprintf(out, fabs(v) > 1e-3 ? " - %s: %.4f" : " - %s: %.4e", name, v);
}

static void print_epoch_end(FILE* out, int verbose, int64_t rows, double seconds, double loss,
                            bool has_val, double val_loss) {
  if (verbose == 1) {
    /* The finished bar only: a file or pipe gets one clean line per epoch. */
    fprintf(out, "%lld/%lld [==============================]", (long long)rows, (long long)rows);
  }
  fprintf(out, " - %.0fs", seconds);
  print_value(out, "loss", loss);
  if (has_val) print_value(out, "val_loss", val_loss);
  fputc('\n', out);
}

static tg_status check_options(tg_model* m, const tg_fit_options* o, int64_t n, int64_t* n_train) {
  const char* fn = "tg_model_fit";
  if (o->epochs < 0)
    return tg_model_fail(m, TG_ERR_ARG, "%s: epochs must be >= 0, got %d", fn, o->epochs);
  if (o->batch_size < 0)
    return tg_model_fail(m, TG_ERR_ARG, "%s: batch_size must be >= 0, got %lld", fn,
                         (long long)o->batch_size);
  if (!(o->validation_split >= 0.0f && o->validation_split < 1.0f))
    return tg_model_fail(m, TG_ERR_ARG, "%s: validation_split must be in [0, 1), got %g", fn,
                         (double)o->validation_split);
  if (o->verbose < 0 || o->verbose > 2)
    return tg_model_fail(m, TG_ERR_ARG, "%s: verbose must be 0, 1 or 2, got %d", fn, o->verbose);
  /* Keras: split_at = int(n * (1 - validation_split)); training rows come first.
   * The float 0.2f is 0.2000000030, which would make that 7.99... -> 7 of 10 rows:
   * use the decimal the caller wrote (float holds 7 significant digits) instead. */
  char text[32];
  snprintf(text, sizeof text, "%.7g", (double)o->validation_split);
  *n_train = (int64_t)((double)n * (1.0 - strtod(text, NULL)));
  if (*n_train < 1)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: validation_split %g leaves no training rows out of %lld", fn,
                         (double)o->validation_split, (long long)n);
  return TG_OK;
}

/* Copies rows order[0..count) of src (width w) to dst. */
static void gather(float* dst, const float* src, int64_t w, const int64_t* order, int64_t count) {
  for (int64_t r = 0; r < count; ++r)
    memcpy(dst + r * w, src + order[r] * w, (size_t)w * sizeof(float));
}

tg_status tg_model_fit(tg_model* m, const float* x, int64_t n, const float* y,
                       const tg_fit_options* options) {
  const char* fn = "tg_model_fit";
  tg_status st = tg_model_check_batch(m, fn, &x, 1, n, y, true, true);
  if (st != TG_OK) return st;
  tg_fit_options o;
  memset(&o, 0, sizeof o);
  if (options) o = *options;
  int64_t n_train = 0;
  if ((st = check_options(m, &o, n, &n_train)) != TG_OK) return st;
  const int epochs = o.epochs == 0 ? 1 : o.epochs;
  const int64_t asked = o.batch_size == 0 ? 32 : o.batch_size; /* Keras' default 32 */
  const int64_t batch = asked < n_train ? asked : n_train;
  const int64_t in = tg_model_input_dim(m), out_w = tg_model_output_dim(m), n_val = n - n_train;
  FILE* out = o.verbose ? o.out : NULL;

  /* Row order, then one batch of x and y: allocated once, reused by every step. */
  size_t order_bytes = (size_t)n_train * sizeof(int64_t);
  size_t bytes = order_bytes + (size_t)(batch * (in + out_w)) * sizeof(float);
  char* scratch = (char*)tg_model_scratch(m, bytes);
  if (scratch == NULL) return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory", fn);
  int64_t* order = (int64_t*)scratch;
  float* bx = (float*)(scratch + order_bytes);
  float* by = bx + batch * in;
  for (int64_t i = 0; i < n_train; ++i) order[i] = i;

  for (int e = 0; e < epochs; ++e) {
    const double start = now_seconds();
    if (out) fprintf(out, "Epoch %d/%d\n", e + 1, epochs);
    if (!o.no_shuffle) { /* Fisher-Yates with the model's own stream */
      for (int64_t i = n_train - 1; i > 0; --i) {
        int64_t j = (int64_t)tg_rng_below(&m->shuffle_rng, (uint64_t)i + 1);
        int64_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
    }
    double loss_sum = 0.0; /* Keras reports the row-weighted mean of batch losses */
    for (int64_t b0 = 0; b0 < n_train; b0 += batch) {
      const int64_t rows = n_train - b0 < batch ? n_train - b0 : batch;
      gather(bx, x, in, order + b0, rows);
      gather(by, y, out_w, order + b0, rows);
      float loss = 0.0f;
      const float* bxs = bx;
      if ((st = tg_model_step(m, fn, &bxs, rows, by, true, &loss)) != TG_OK) return st;
      loss_sum += (double)loss * (double)rows;
    }
    const double epoch_loss = loss_sum / (double)n_train;
    float val_loss = NAN;
    const float* vx = x + n_train * in;
    if (n_val > 0 &&
        (st = tg_model_eval_rows(m, fn, &vx, n_val, y + n_train * out_w, &val_loss)) != TG_OK)
      return st;
    if (o.history_loss) o.history_loss[e] = (float)epoch_loss;
    if (o.history_val_loss) o.history_val_loss[e] = val_loss;
    if (out)
      print_epoch_end(out, o.verbose, n_train, now_seconds() - start, epoch_loss, n_val > 0,
                      val_loss);
  }
  return TG_OK;
}
