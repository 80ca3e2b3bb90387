/* frontends/internal/fit_impl.h — what the training loop keeps on a model (metrics
 * chosen at compile, the stop flag callbacks set, the current batch's sample weights)
 * and what fit.c, metrics_glue.c, callbacks.c, progress.c and doctor.c share. */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_FIT_IMPL_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_FIT_IMPL_H_

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"
#include "core/tape.h"
#include "data/metrics.h"
#include "frontends/callbacks.h"
#include "frontends/losses.h"

struct tg_model;

enum {
  TG_FIT_MAX_METRICS = 8,
  TG_FIT_NAME_CAP = 48,
  /* loss + metrics, training and validation, plus lr */
  TG_FIT_MAX_LOGS = 2 * (TG_FIT_MAX_METRICS + 1) + 1
};

typedef struct tg_metric_slot {
  tg_metric_kind kind;
  int k;                      /* top-k */
  char name[TG_FIT_NAME_CAP]; /* as the user wrote it ("accuracy") */
} tg_metric_slot;

typedef struct tg_fit_state {
  int n_metrics;
  tg_metric_slot metrics[TG_FIT_MAX_METRICS];
  bool stop_training;         /* a callback asked fit to stop after this batch/epoch */
  const float* batch_weights; /* non-NULL: the training tape scales each row's gradient */
  /* fit's doctor is on: a training step whose loss comes out non-finite stops after
   * the forward, before backward and the update, so the parameters stay those that
   * gave it (the doctor then names the cause and stops the fit). */
  bool hold_nonfinite;
} tg_fit_state;

/* compile's checks of the loss against the output (a softmax output with a from_logits
 * loss, a sparse loss without a class axis). */
tg_status tg_model_check_loss(struct tg_model* m, const char* fn, tg_loss loss);

/* Labels given as floats (exact integers) -> int32 into dst (NULL: only check);
 * TG_ERR_ARG naming the row when one is not an integer in [0, classes). */
tg_status tg_model_labels_from_floats(struct tg_model* m, const char* fn, const float* y, int64_t n,
                                      int32_t* dst);

/* Records y = x on the forward whose backward scales row r of the gradient by w[r]
 * (x: [rows, ...], w: [rows]): the loss's gradient becomes that of the weighted mean. */
tg_tensor* tg_model_weight_rows(tg_tape* t, tg_tensor* x, tg_tensor* w);

/* Resolves metric names against m's loss and output (Keras' rule for "accuracy")
 * and, when all fit, makes them m's metrics; errors start with fn and leave m's
 * metrics as they were. What compile_metrics, set_metrics and loading share. */
tg_status tg_model_metrics_resolve(struct tg_model* m, const char* fn, const char* const* metrics,
                                   int n_metrics);

/* Keras' loss of one row, as the loss op computes it (for weighted means). */
double tg_model_row_loss(const struct tg_model* m, const float* pred, const float* target,
                         int64_t width);

/* Accumulated metric values over batches (sums of row-weighted values). */
typedef struct tg_metric_sums {
  double sum[TG_FIT_MAX_METRICS];
  int64_t rows;
} tg_metric_sums;

/* Adds the metrics of `rows` predictions (rows x width) against targets (as fit
 * holds them: floats, labels as floats for a sparse loss) to *s. */
tg_status tg_model_metrics_add(struct tg_model* m, const char* fn, const float* pred,
                               const float* target, int64_t rows, tg_metric_sums* s);

/* Keras' Progbar number: %.4f, or %.4e when small or huge. */
void tg_fit_format_value(char* buf, size_t cap, double v);

/* Wall-clock seconds. */
double tg_fit_now(void);

/* Keras' Progbar (progress.c). */
typedef struct tg_progress {
  FILE* out; /* NULL: silent */
  int verbose;
  bool tty;     /* redraw in place */
  bool painted; /* a partial bar is on the line */
  int64_t target;
  double start, last_update;
  size_t last_len;
} tg_progress;
void tg_progress_begin(tg_progress* p, FILE* out, int verbose, int64_t target);
void tg_progress_update(tg_progress* p, int64_t current, const tg_logs* logs);
void tg_progress_end(tg_progress* p, int64_t steps, const tg_logs* logs);
/* Ends a partial bar's line so a warning can be printed below it. */
void tg_progress_interrupt(tg_progress* p);

/* Loss (row-weighted mean) and metric sums over n rows in batches of `batch` on the
 * evaluation tape; progress (may be NULL) is updated per batch. */
tg_status tg_model_eval_batches(struct tg_model* m, const char* fn, const float* x, int64_t n,
                                const float* y, int64_t batch, double* loss, tg_metric_sums* sums,
                                tg_progress* progress);

/* Appends name = value to logs (names borrowed; ignored when full). */
void tg_logs_put(tg_logs* logs, const char* name, double value);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_FIT_IMPL_H_ */
