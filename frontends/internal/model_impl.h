/* frontends/internal/model_impl.h — the model's insides, shared by the files that
 * implement model.h (sequential.c, dense.c, training.c, fit.c, summary.c) and
 * persist.h (save.c, load.c). */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_MODEL_IMPL_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_MODEL_IMPL_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/rng.h"
#include "core/tape.h"
#include "frontends/model.h"

/* One Dense layer. Allocated on its own so tensor addresses never move: tapes and
 * callers keep pointers to them. */
typedef struct tg_dense_layer {
  char name[TG_NAME_CAP]; /* "dense_3" */
  int64_t in, units;
  tg_activation activation;
  bool use_bias;
  int64_t offset;                     /* of the kernel in the parameter block; bias follows */
  tg_tensor kernel, bias;             /* views with gradients, for the training tape */
  tg_tensor kernel_const, bias_const; /* same values, no gradient: inference tapes */
} tg_dense_layer;

/* A tape recorded for one batch size, replayed while the size stays the same. */
typedef struct tg_tape_slot {
  tg_tape* tape;
  int64_t rows;    /* batch size recorded; 0: nothing usable */
  tg_tensor* x;    /* [rows, input_dim] input leaf */
  tg_tensor* y;    /* [rows, output_dim] target leaf (NULL for predict) */
  tg_tensor* out;  /* model output */
  tg_tensor* loss; /* NULL for predict */
} tg_tape_slot;

struct tg_model {
  const tg_allocator* alloc;
  int64_t input_dim;
  int threads;
  tg_rng init_rng;    /* every initializer, in layer order */
  tg_rng shuffle_rng; /* fit's shuffling, independent of the layers */
  tg_dense_layer** layers;
  int n_layers, cap_layers;
  float* values; /* n_params floats: every parameter */
  float* grads;  /* n_params floats: every gradient */
  int64_t n_params;
  bool compiled;
  tg_loss loss;
  tg_optimizer* optimizer;
  tg_tape_slot train, predict, eval;
  const tg_tape* last_train; /* what tg_model_tape returns */
  float* scratch;            /* fit's batch buffers and row order, grow-only */
  size_t scratch_bytes;
  tg_error error; /* last failing call */
};

/* Records `code` and a message as the model's last error; returns code. */
tg_status tg_model_fail(tg_model* m, tg_status code, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records the model's forward pass on t from x (scopes "dense_i", reset to "" after).
 * `trainable` picks the parameter views with gradients. NULL on a tape error. */
tg_tensor* tg_model_record_forward(tg_model* m, tg_tape* t, tg_tensor* x, bool trainable);

/* Points every view of every layer (kernel, bias and their _const twins) at the
 * current blocks, with the layer's shapes and names. Layers must have valid shapes. */
void tg_model_bind_views(tg_model* m);

/* Forgets every recorded tape (parameters moved or the loss changed). */
void tg_model_invalidate_tapes(tg_model* m);

/* Grow-only scratch of at least `bytes` through the model's allocator; NULL on OOM. */
void* tg_model_scratch(tg_model* m, size_t bytes);

/* Checks a batch against the model for function `fn`: m compiled (if needs_loss),
 * at least one layer, n >= 1, x (and y when needed) non-NULL. */
tg_status tg_model_check_batch(tg_model* m, const char* fn, const float* x, int64_t n,
                               const float* y, bool needs_y, bool needs_loss);

/* One training step on rows x, y (n rows): forward, loss, backward, and the
 * optimizer update when `update`. Checks nothing (callers do). */
tg_status tg_model_step(tg_model* m, const char* fn, const float* x, int64_t n, const float* y,
                        bool update, float* loss);

/* Loss on rows without gradients (the evaluation tape). Checks nothing. */
/* Records (or replays) the training slot (train) or the evaluation slot for n rows
 * without any step: what fit calls first for every batch size it will use, so the
 * memory is there before the model changes. */
tg_status tg_model_prepare_rows(tg_model* m, const char* fn, bool train, const float* x, int64_t n,
                                const float* y);
tg_status tg_model_eval_rows(tg_model* m, const char* fn, const float* x, int64_t n, const float* y,
                             float* loss);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_MODEL_IMPL_H_ */
