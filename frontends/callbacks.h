/** @file frontends/callbacks.h — Keras' callbacks for tg_model_fit: a small interface (hooks
 * at the start and end of training, of each epoch, and after each batch, given the
 * logs so far) and the usual ones: EarlyStopping, ModelCheckpoint, TerminateOnNaN,
 * LearningRateScheduler (with exponential, cosine-with-warm-up and piecewise constant
 * schedules), ReduceLROnPlateau, CSVLogger, and a user callback with a void*.
 *
 * Epochs are 0-based in the hooks as in Keras (the progress line shows epoch + 1).
 * A hook stops training with tg_model_stop_training(m); a hook that returns an error
 * stops fit with it (e.g. a checkpoint that cannot be written).
 *
 * Ownership: tg_*_new return callbacks the caller frees with tg_callback_free after
 * the fits that use them. A callback keeps state across fits (Keras: one instance per
 * fit); tg_callback_free(NULL) does nothing. Errors: NULL with err filled on bad
 * options, naming the callback and the field. Thread-safety: one fit at a time.
 *
 *     tg_callback* stop = tg_early_stopping_new(&(tg_early_stopping_options){
 *         .monitor = "val_loss", .patience = 3, .restore_best_weights = true}, &err);
 *     tg_callback* log = tg_csv_logger_new(&(tg_csv_logger_options){.path = "h.csv"}, &err);
 *     tg_callback* cbs[] = {stop, log};
 *     tg_model_fit(m, x, n, y, &(tg_fit_options){.epochs = 100, .validation_split = 0.2f,
 *                  .callbacks = cbs, .n_callbacks = 2});
 *     tg_callback_free(stop); tg_callback_free(log);
 */
#ifndef TAPEGRAD_FRONTENDS_CALLBACKS_H_
#define TAPEGRAD_FRONTENDS_CALLBACKS_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "frontends/fit.h"
#include "frontends/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TG_LOGS_CAP = 64 };

/** What the hooks see: named values (Keras' logs dict). Batch logs hold "loss" and the
 * metrics averaged over the epoch's batches so far; epoch logs add "val_loss" and the
 * val_ metrics (and `grad_norm/<layer>` when a CSV logger asked for them). */
typedef struct tg_logs {
  int n;                          /**< entries */
  const char* names[TG_LOGS_CAP]; /**< n names */
  double values[TG_LOGS_CAP];     /**< their values */
} tg_logs;

/** The value named `name`, true if present. */
bool tg_logs_get(const tg_logs* logs, const char* name, double* value);

typedef struct tg_callback tg_callback; /**< see struct tg_callback */
/** Keras' Callback: hooks fit calls; an error status from one stops fit with it. */
struct tg_callback {
  /** Any hook may be NULL. logs is never NULL (empty at train and epoch begin). @{ */
  tg_status (*on_train_begin)(tg_callback* self, tg_model* m, const tg_logs* logs);
  tg_status (*on_train_end)(tg_callback* self, tg_model* m, const tg_logs* logs);
  tg_status (*on_epoch_begin)(tg_callback* self, tg_model* m, int epoch, const tg_logs* logs);
  tg_status (*on_epoch_end)(tg_callback* self, tg_model* m, int epoch, const tg_logs* logs);
  tg_status (*on_batch_end)(tg_callback* self, tg_model* m, int64_t batch, const tg_logs* logs);
  /** @} */
  void (*destroy)(tg_callback* self); /**< tg_callback_free: releases the callback */
  void* user;                         /**< the user's pointer (user callbacks) */
  bool wants_grad_norms;              /**< fit adds `grad_norm/<layer>` to epoch logs */
  FILE* out;                          /**< messages ("Epoch 5: early stopping"); NULL: none */
};

/** Releases a callback (through its destroy hook); NULL is ignored. */
void tg_callback_free(tg_callback* cb);

/** A user callback: a copy of `hooks` (its function pointers and user pointer). */
tg_callback* tg_callback_new(const tg_callback* hooks, tg_error* err);

/** "min": lower is better; "max"; "auto" (or NULL): max when the name holds "acc". */
typedef enum tg_monitor_mode { TG_MODE_AUTO = 0, TG_MODE_MIN, TG_MODE_MAX } tg_monitor_mode;

/** Keras' EarlyStopping arguments. */
typedef struct tg_early_stopping_options {
  const char* monitor;       /**< NULL: "val_loss" */
  double min_delta;          /**< an improvement must exceed it (its sign is ignored) */
  int patience;              /**< epochs without improvement before stopping */
  tg_monitor_mode mode;      /**< whether lower or higher is better */
  bool has_baseline;         /**< baseline is set */
  double baseline;           /**< with has_baseline: stop unless the monitor beats it */
  bool restore_best_weights; /**< on stopping, put back the best epoch's weights */
  FILE* out;                 /**< "Epoch 7: early stopping" at the end; NULL: silent */
} tg_early_stopping_options;
/** Stops fit when the monitor has not improved for `patience` epochs; NULL with err
 * on bad options. o may be NULL (the defaults). */
tg_callback* tg_early_stopping_new(const tg_early_stopping_options* o, tg_error* err);
/** After fit: the 0-based epoch it stopped at (0 if it did not stop), the best value
 * and its epoch. */
void tg_early_stopping_result(const tg_callback* cb, int* stopped_epoch, double* best,
                              int* best_epoch);

/** Keras' ModelCheckpoint arguments. */
typedef struct tg_model_checkpoint_options {
  const char* path;     /**< "{epoch}" or "{epoch:02d}" in it become the 1-based epoch */
  const char* monitor;  /**< NULL: "val_loss" */
  bool save_best_only;  /**< save only when the monitor improved */
  tg_monitor_mode mode; /**< whether lower or higher is better */
  FILE* out;            /**< "Epoch 3: val_loss improved from 0.5 to 0.4, saving model to m.tgm" */
} tg_model_checkpoint_options;
/** Saves the model (tg_model_save) at the end of epochs; NULL with err without a path. */
tg_callback* tg_model_checkpoint_new(const tg_model_checkpoint_options* o, tg_error* err);
int tg_model_checkpoint_saves(const tg_callback* cb); /**< files written so far */

/** Stops at the first batch whose loss is NaN or infinite ("Batch 3: Invalid loss,
 * terminating training" on out). */
tg_callback* tg_terminate_on_nan_new(FILE* out, tg_error* err);

/** Learning-rate schedules (Keras' LearningRateSchedule), evaluated at a step. */
typedef enum tg_schedule_kind {
  TG_SCHEDULE_EXPONENTIAL = 0, /**< lr0 * rate^(step / decay_steps) (floor: staircase) */
  TG_SCHEDULE_COSINE,          /**< warm-up, then cosine decay to alpha * peak */
  TG_SCHEDULE_PIECEWISE        /**< values[i] while step <= boundaries[i] */
} tg_schedule_kind;

enum { TG_SCHEDULE_MAX_PIECES = 16 };

/** A learning-rate schedule: its kind and the fields that kind reads. */
typedef struct tg_schedule {
  tg_schedule_kind kind; /**< which formula */
  double initial;        /**< lr at step 0 (exponential, cosine) */
  int64_t decay_steps;   /**< exponential, cosine */
  double decay_rate;     /**< exponential */
  bool staircase;        /**< exponential */
  double alpha;          /**< cosine: final lr as a fraction of the peak */
  int64_t warmup_steps;  /**< cosine: linear from initial to warmup_target first */
  double warmup_target;  /**< cosine: the peak after warm-up (used when warmup_steps > 0) */
  int n_boundaries;      /**< piecewise: n_boundaries + 1 values */
  int64_t boundaries[TG_SCHEDULE_MAX_PIECES]; /**< piecewise: increasing steps */
  double values[TG_SCHEDULE_MAX_PIECES + 1];  /**< piecewise: the lr of each piece */
} tg_schedule;

/** The schedule's value at `step` (Keras' formulas, in double); TG_ERR_ARG on bad
 * fields (decay_steps < 1, boundaries not increasing, ...). @{ */
tg_status tg_schedule_check(const tg_schedule* s, tg_error* err);
double tg_schedule_value(const tg_schedule* s, int64_t step);
/** @} */

/** Keras' LearningRateScheduler arguments. */
typedef struct tg_lr_scheduler_options {
  /** One of: a schedule (per optimizer step when per_step, else per epoch), or Keras'
   * schedule(epoch, lr) function with a user pointer. @{ */
  const tg_schedule* schedule;
  bool per_step;
  double (*fn)(int epoch, double lr, void* user);
  void* user;
  /** @} */
  FILE* out; /**< "Epoch 3: LearningRateScheduler setting learning rate to 0.0005." */
} tg_lr_scheduler_options;
/** Sets the learning rate from a schedule or a function; NULL with err unless exactly
 * one of them is given. */
tg_callback* tg_lr_scheduler_new(const tg_lr_scheduler_options* o, tg_error* err);

/** Keras' ReduceLROnPlateau arguments. */
typedef struct tg_reduce_lr_options {
  const char* monitor;  /**< NULL: "val_loss" */
  double factor;        /**< 0: 0.1; new lr = lr * factor, must be < 1 */
  int patience;         /**< 0: 10 */
  tg_monitor_mode mode; /**< whether lower or higher is better */
  double min_delta;     /**< 0: 1e-4 */
  int cooldown;         /**< epochs to wait after a reduction */
  double min_lr;        /**< lower bound */
  FILE* out;            /**< "Epoch 12: ReduceLROnPlateau reducing learning rate to 0.0001." */
} tg_reduce_lr_options;
/** Multiplies the learning rate by factor when the monitor stops improving; NULL with
 * err on bad options. o may be NULL (the defaults). */
tg_callback* tg_reduce_lr_on_plateau_new(const tg_reduce_lr_options* o, tg_error* err);

/** One row per epoch: header `epoch,loss,<metric>...,val_loss,val_<metric>...[,grad_norm/
 * <layer>...]`, epoch 1-based, numbers as %.9g (tools/plot.h's tgplot reads it). */
typedef struct tg_csv_logger_options {
  const char* path; /**< the CSV file (< 512 bytes) */
  bool append;      /**< add rows to an existing file (no second header) */
  bool grad_norms;  /**< a `grad_norm/<layer>` column per layer: the epoch's mean L2 norm */
} tg_csv_logger_options;
/** Keras' CSVLogger; NULL with err without a path. */
tg_callback* tg_csv_logger_new(const tg_csv_logger_options* o, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_CALLBACKS_H_ */
