/* frontends/model.h — Keras-style Sequential models of Dense layers, and training.
 *
 * A model is an ordered list of Dense layers. Layer i (from 1) is named "dense_i"
 * and owns two parameters, "dense_i/kernel" [in, units] and "dense_i/bias" [units]
 * (role TG_ROLE_PARAM). Every parameter of a model is a view into ONE contiguous
 * block of values and ONE contiguous block of gradients, so the optimizer is a flat
 * loop. Parameters are created and initialised when the layer is added (the model's
 * seed drives every initializer, in layer order: kernel, then bias).
 *
 * On a tape, Dense layer "dense_i" records, with tg_tape_set_scope(tape, "dense_i"):
 *   matmul(x, kernel) -> add(., bias) (unless no_bias) -> relu|sigmoid|tanh|softmax
 * (nothing for linear), then resets the scope to "". The loss op is recorded with
 * scope "". Training records this graph once per batch size and *replays* it
 * afterwards (new data copied into the tape's input leaves, forward, backward,
 * optimizer step): a step with an already-seen batch size allocates nothing.
 *
 * Ownership: tg_sequential_new returns a model the caller frees with tg_model_free.
 * Tensors and tapes returned by accessors belong to the model. Every byte the model
 * allocates (itself, parameters, tapes, optimizer state) goes through
 * options.allocator. Errors: functions return tg_status; the message of the last
 * failing call is kept on the model (tg_model_message), e.g.
 *   "tg_model_add_dense: units must be >= 1, got 0".
 * Data are row-major float arrays: x is n*input_dim, y is n*output_dim.
 * Thread-safety: one thread per model at a time; models share nothing.
 *
 *   tg_error err = {0};
 *   tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = 1, .seed = 7}, &err);
 *   tg_model_add_dense(m, (tg_dense_options){.units = 16, .activation = TG_ACT_RELU});
 *   tg_model_add_dense(m, (tg_dense_options){.units = 2});
 *   tg_model_compile(m, (tg_loss){TG_LOSS_MSE}, &(tg_optimizer_options){.epsilon = 1e-8f});
 *   float loss;
 *   for (int s = 0; s < 1000; ++s) tg_model_train_on_batch(m, x, 10, y, &loss);
 *   if (tg_model_predict(m, x, 10, pred, 20) != TG_OK) puts(tg_model_message(m));
 *   tg_model_free(m);
 */
#ifndef TAPEGRAD_FRONTENDS_MODEL_H_
#define TAPEGRAD_FRONTENDS_MODEL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/status.h"
#include "core/tape.h"
#include "core/tensor.h"
#include "frontends/initializers.h"
#include "frontends/losses.h"
#include "frontends/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_activation {
  TG_ACT_LINEAR = 0,
  TG_ACT_RELU,
  TG_ACT_SIGMOID,
  TG_ACT_TANH,
  TG_ACT_SOFTMAX, /* over the last axis */
  TG_ACT_COUNT
} tg_activation;

/* "linear", "relu", "sigmoid", "tanh", "softmax"; "unknown" out of range. */
const char* tg_activation_name(tg_activation a);

typedef struct tg_model_options {
  int64_t input_dim;             /* width of one input sample, >= 1 */
  uint64_t seed;                 /* initializers and fit's shuffling (0 is a seed too) */
  int threads;                   /* kernel threads for the model's tapes; 0: 1 */
  const tg_allocator* allocator; /* every allocation of the model; NULL: malloc */
} tg_model_options;

typedef struct tg_dense_options {
  int64_t units;              /* >= 1 */
  tg_activation activation;   /* default linear */
  bool no_bias;               /* Keras' use_bias=False */
  tg_initializer kernel_init; /* default glorot_uniform */
  tg_initializer bias_init;   /* default zeros */
} tg_dense_options;

/* What a layer is, for tools and tests. Pointers belong to the model. */
typedef struct tg_layer_info {
  const char* name; /* "dense_1" */
  const char* type; /* "Dense" */
  int64_t input_dim, units;
  tg_activation activation;
  tg_tensor* kernel; /* [input_dim, units] */
  tg_tensor* bias;   /* [units], NULL with no_bias */
} tg_layer_info;

typedef struct tg_fit_options {
  int epochs;              /* 0: 1 */
  int64_t batch_size;      /* 0: 32 */
  bool no_shuffle;         /* Keras shuffles the training rows every epoch */
  float validation_split;  /* [0, 1): the LAST fraction of rows, as Keras */
  int verbose;             /* 0 silent, 1 progress bar per epoch, 2 one line */
  FILE* out;               /* where verbose output goes; NULL: nowhere */
  float* history_loss;     /* optional, `epochs` floats: mean training loss */
  float* history_val_loss; /* optional, `epochs` floats (NAN without validation) */
} tg_fit_options;

typedef struct tg_model tg_model;

/* New empty model; NULL with err filled when options is NULL, input_dim < 1,
 * threads < 0 or out of memory. Free with tg_model_free. */
tg_model* tg_sequential_new(const tg_model_options* options, tg_error* err);
void tg_model_free(tg_model* m);

/* Code and message of the last failing call on m ("" before any failure). */
tg_status tg_model_status(const tg_model* m);
const char* tg_model_message(const tg_model* m);

/* Appends a Dense layer (input width = previous layer's units) and initialises its
 * parameters. TG_ERR_ARG on bad options, TG_ERR_STATE once compiled. */
tg_status tg_model_add_dense(tg_model* m, tg_dense_options options);

/* Chooses the loss and the optimizer (NULL: Adam with Keras defaults); needs at
 * least one layer. Compiling again replaces both and resets the optimizer state. */
tg_status tg_model_compile(tg_model* m, tg_loss loss, const tg_optimizer_options* optimizer);

/* One optimizer step on a batch of n >= 1 rows; *loss (may be NULL) receives the
 * loss before the step, as Keras returns it. Needs compile. */
tg_status tg_model_train_on_batch(tg_model* m, const float* x, int64_t n, const float* y,
                                  float* loss);

/* Forward + loss + backward on a batch WITHOUT updating parameters: parameter
 * gradients are zeroed first and hold d(loss)/d(param) afterwards. Needs compile. */
tg_status tg_model_compute_gradients(tg_model* m, const float* x, int64_t n, const float* y,
                                     float* loss);

/* Outputs for n >= 1 rows into out (out_cap >= n*output_dim floats); no gradients. */
tg_status tg_model_predict(tg_model* m, const float* x, int64_t n, float* out, int64_t out_cap);

/* Loss on a batch without training (no gradients). Needs compile. */
tg_status tg_model_evaluate(tg_model* m, const float* x, int64_t n, const float* y, float* loss);

/* Keras' fit: `epochs` passes over the first (1 - validation_split) of the rows in
 * minibatches (the last one may be smaller), shuffled with the model's seed unless
 * no_shuffle, with Keras-like progress lines on options->out:
 *   Epoch 3/1000
 *   10/10 [==============================] - 0s - loss: 5.2522e-08
 * options may be NULL (defaults). Errors before any training on shape problems. */
tg_status tg_model_fit(tg_model* m, const float* x, int64_t n, const float* y,
                       const tg_fit_options* options);

/* Tensor forms of the calls above, for data whose shape should be checked against
 * the model before any work: x is [n, input_dim] (or [n] when input_dim is 1), y and
 * out are [n, output_dim] (or [n] when output_dim is 1). Anything else is
 * TG_ERR_SHAPE naming both shapes, e.g.
 *   "tg_model_fit: x is [10x2] but the model takes [n x 1] inputs". */
tg_status tg_model_train_on_batch_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                                          float* loss);
tg_status tg_model_evaluate_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                                    float* loss);
tg_status tg_model_predict_tensors(tg_model* m, const tg_tensor* x, tg_tensor* out);
tg_status tg_model_fit_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                               const tg_fit_options* options);

/* Keras-like summary table (layers, output shapes, parameter counts, totals). The
 * _str form writes at most cap bytes (NUL-terminated) and returns the full length.
 * tg_model_summary flushes `out`: TG_ERR_IO when the stream reports a write error. */
tg_status tg_model_summary(const tg_model* m, FILE* out);
size_t tg_model_summary_str(const tg_model* m, char* buf, size_t cap);

/* Introspection. Counts are 0 and pointers NULL for a NULL model or a bad index. */
int64_t tg_model_input_dim(const tg_model* m);
int64_t tg_model_output_dim(const tg_model* m); /* 0 before the first layer */
int tg_model_layer_count(const tg_model* m);
tg_status tg_model_layer(const tg_model* m, int index, tg_layer_info* out);
int tg_model_param_count(const tg_model* m); /* parameter tensors, layer order */
tg_tensor* tg_model_param(tg_model* m, int index);
tg_tensor* tg_model_find_param(tg_model* m, const char* name); /* "dense_1/kernel" */
int64_t tg_model_param_size(const tg_model* m);                /* floats in the contiguous block */
float* tg_model_param_values(tg_model* m);                     /* the block (all parameters) */
float* tg_model_param_grads(tg_model* m);                      /* the gradient block */
/* The training tape after the last train_on_batch / compute_gradients / fit step
 * (forward and backward done, gradients in place), or NULL before any. Valid until
 * the next training call or tg_model_free. */
const tg_tape* tg_model_tape(const tg_model* m);
/* The optimizer after compile, NULL before. */
const tg_optimizer* tg_model_optimizer(const tg_model* m);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_MODEL_H_ */
