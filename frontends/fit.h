/* frontends/fit.h — training as Keras users know it: compile with metrics, fit with
 * validation, weights, callbacks (frontends/callbacks.h) and a History, evaluate with
 * metrics, data sets (data/dataset.h) straight into fit, and the training doctor.
 *
 * Metrics are named as in Keras: "accuracy" (or "acc": the accuracy the loss and the
 * shapes call for, Keras' rule, data/metrics.h), "binary_accuracy",
 * "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy"
 * (k = 5), "sparse_top_k_categorical_accuracy", "mae" / "mean_absolute_error", "mse" /
 * "mean_squared_error". fit and evaluate report each under the name it was given.
 * A metric that does not fit the loss (a sparse accuracy with one-hot targets, mae
 * against class labels) is an error at compile, naming both.
 *
 * Targets: float rows of the output's width; for sparse_categorical_crossentropy one
 * class label per row, stored as a float holding an integer (tg_model_fit_dataset
 * takes a data set's int32 labels directly). A label outside the model's classes is
 * TG_ERR_ARG naming the row before any training:
 *   "tg_model_fit: y[3] = 12 is not a class of the model's output (10 classes)"
 *
 * Shuffling: each epoch's row order is a Fisher-Yates shuffle of the identity drawn
 * from the model's shuffle stream, so the order depends on the stream alone:
 * fit(50 epochs) then fit(1 epoch) trains exactly as fit(51) does, bit for bit. A
 * saved model (frontends/persist.h) holds this stream, the layers' stream (dropout's
 * masks) and the optimizer's state and step count, so fit(50), save, load and fit(1)
 * does too. tg_model_rng_state_get / tg_model_rng_state_set read and restore both
 * streams without a file. fit keeps no epoch counter of its own: epochs are counted
 * from initial_epoch, which callbacks and schedules see (Keras' rule).
 *
 * The doctor (on unless tg_fit_options.no_doctor) watches every step and prints one
 * warning per cause, each line starting "doctor: ", to doctor_out (else out, else
 * stderr), and keeps them in the History:
 *   - a NaN or Inf in the loss: training stops (TG_ERR_STATE) naming the step, the
 *     first op whose output is not finite and its layer (or the parameter);
 *   - parameters whose gradient is exactly zero for N steps (or a whole first epoch);
 *   - the loss at the constant-predictor floor with every row predicted the same;
 *   - layers whose units are identical (symmetry), layers whose ReLUs are dead;
 *   - updates far from ~1e-3 of the weights (exploding or vanishing).
 *
 * Ownership: histories are the caller's (tg_history_new / tg_history_free).
 * Thread-safety: as the model.
 *
 *   const char* metrics[] = {"accuracy"};
 *   tg_model_compile_metrics(m, (tg_loss){TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY}, NULL,
 *                            metrics, 1);
 *   tg_history* h = tg_history_new(NULL);
 *   tg_model_fit(m, x, n, labels, &(tg_fit_options){.epochs = 10, .batch_size = 128,
 *                .validation_split = 0.1f, .verbose = 1, .out = stdout, .history = h});
 *   const double* val_acc = tg_history_values(h, "val_accuracy");   // 10 values
 *   tg_history_free(h);
 */
#ifndef TAPEGRAD_FRONTENDS_FIT_H_
#define TAPEGRAD_FRONTENDS_FIT_H_

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "core/status.h"
#include "data/dataset.h"
#include "frontends/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TG_MAX_METRICS = 8 };

/* tg_model_compile, then the metrics metrics[0..n_metrics) (n_metrics <= 8). */
tg_status tg_model_compile_metrics(tg_model* m, tg_loss loss, const tg_optimizer_options* optimizer,
                                   const char* const* metrics, int n_metrics);
/* Replaces the metrics of a compiled model, keeping its loss, optimizer and the
 * optimizer's state: for a model loaded from a file that holds no metrics (version
 * 2, frontends/persist.h), which compiling again would send back to step 0. The
 * names and errors are compile_metrics'; on error the metrics stay as they were.
 * TG_ERR_STATE before compile. */
tg_status tg_model_set_metrics(tg_model* m, const char* const* metrics, int n_metrics);
int tg_model_metric_count(const tg_model* m);
const char* tg_model_metric_name(const tg_model* m, int index); /* NULL out of range */

/* ---- History: per-epoch values of every logged quantity ---- */
typedef struct tg_history tg_history;
tg_history* tg_history_new(const tg_allocator* alloc); /* NULL on out of memory */
void tg_history_free(tg_history* h);
void tg_history_clear(tg_history* h);
/* Epochs recorded (fit appends; several fits continue it). */
int tg_history_epochs(const tg_history* h);
/* Keras' history.epoch: the 0-based epoch index of entry i. */
int tg_history_epoch(const tg_history* h, int i);
/* Keys in the order first logged: "loss", metrics, "val_loss", "val_<metric>". */
int tg_history_key_count(const tg_history* h);
const char* tg_history_key(const tg_history* h, int index);
/* tg_history_epochs values for `key` (NaN where an epoch did not log it), or NULL. */
const double* tg_history_values(const tg_history* h, const char* key);
/* Every doctor warning printed into this history's fits, one per line ("" if none). */
const char* tg_history_warnings(const tg_history* h);
/* Wall seconds of the fits that filled it, and the part spent in the doctor's checks. */
double tg_history_fit_seconds(const tg_history* h);
double tg_history_doctor_seconds(const tg_history* h);

/* ---- evaluate with metrics ---- */
typedef struct tg_evaluate_options {
  int64_t batch_size; /* 0: 32 */
  int verbose;        /* 0 silent, 1 progress bar, 2 one line */
  FILE* out;
} tg_evaluate_options;

typedef struct tg_evaluation {
  double loss;
  int n_metrics;
  double metrics[TG_MAX_METRICS]; /* in compile's order */
  const char* names[TG_MAX_METRICS];
} tg_evaluation;

/* Keras' evaluate: loss and every compiled metric over n rows in batches. */
tg_status tg_model_evaluate_metrics(tg_model* m, const float* x, int64_t n, const float* y,
                                    const tg_evaluate_options* options, tg_evaluation* out);
/* predict in batches of batch_size (0: 32) rows. */
tg_status tg_model_predict_batched(tg_model* m, const float* x, int64_t n, int64_t batch_size,
                                   float* out, int64_t out_cap);

/* ---- data sets (data/dataset.h) ---- */
/* fit on `train` (features [n, row_shape], int labels or float targets), validating on
 * `val` when it is not NULL (it then takes the place of validation_x/_y). */
tg_status tg_model_fit_dataset(tg_model* m, const tg_dataset* train, const tg_dataset* val,
                               const tg_fit_options* options);
tg_status tg_model_evaluate_dataset(tg_model* m, const tg_dataset* ds,
                                    const tg_evaluate_options* options, tg_evaluation* out);

/* ---- state for callbacks and resuming ---- */
/* Keras' model.stop_training = True: fit stops after the current batch. */
void tg_model_stop_training(tg_model* m);
/* The optimizer's learning rate (before Keras' time decay); TG_ERR_STATE before
 * compile, TG_ERR_ARG for a negative or non-finite rate. */
float tg_model_learning_rate(const tg_model* m);
tg_status tg_model_set_learning_rate(tg_model* m, float lr);

/* Everything random fit draws from: the shuffle stream and the layers' stream. */
typedef struct tg_model_rng_state {
  tg_rng shuffle;
  tg_rng layers;
} tg_model_rng_state;
tg_model_rng_state tg_model_rng_state_get(const tg_model* m);
void tg_model_rng_state_set(tg_model* m, const tg_model_rng_state* s);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_FIT_H_ */
