/** @file frontends/model.h — Keras-style models: Sequential chains and functional graphs of
 * layers, and training.
 *
 * A model is a graph of layers (frontends/layer.h: Dense, Activation, Add, and any
 * type a user writes) over ONE parameter table (frontends/params.h): every parameter
 * is a view into one contiguous block of values and one of gradients, so the
 * optimizer is a flat loop. Sequential is the chain special case: one input, each
 * layer applied to the previous one's output. A functional model starts from inputs
 * of given shapes, applies layers to one or more symbolic tensors (tg_sym) - a layer
 * applied twice shares its weights - and names its output.
 *
 * Names as Keras gives them, numbered from 1 per type: "dense_1", "activation_2";
 * parameters "dense_1/kernel" [in, units] and "dense_1/bias" [units]. Parameters are
 * created and initialised when a layer is first applied (the model's seed drives
 * every initializer, in declaration order: kernel, then bias).
 *
 * On a tape, each layer application records its ops with the tape's scope set to the
 * layer's name; Dense records matmul(x, kernel) -> add(., bias) (unless no_bias) ->
 * its activation (nothing for linear). The loss op is recorded with scope "".
 * Training records this graph once per batch size and *replays* it afterwards (new
 * data copied into the tape's input leaves, forward, backward, optimizer step): a
 * step with an already-seen batch size allocates nothing.
 *
 * Ownership: tg_sequential_new / tg_functional_new return a model the caller frees
 * with tg_model_free; layers, tensors and tapes returned by accessors belong to the
 * model. Every byte the model allocates goes through options.allocator. Errors:
 * functions return tg_status (builders of symbols return an invalid tg_sym, layer
 * constructors NULL); the message of the last failing call is kept on the model
 * (tg_model_message), e.g. "tg_model_add_dense: units must be >= 1, got 0".
 * Data are row-major float arrays: x is n*input_dim, y is n*output_dim.
 * Thread-safety: one thread per model at a time; models share nothing.
 *
 *     tg_error err = {0};
 *     tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = 1, .seed = 7}, &err);
 *     tg_model_add_dense(m, (tg_dense_options){.units = 16});
 *     tg_model_add_activation(m, TG_ACT_RELU);
 *     tg_model_add_dense(m, (tg_dense_options){.units = 2});
 *     tg_model_compile(m, (tg_loss){TG_LOSS_MSE}, &(tg_optimizer_options){.epsilon = 1e-8f});
 *     float loss;
 *     for (int s = 0; s < 1000; ++s) tg_model_train_on_batch(m, x, 10, y, &loss);
 *     if (tg_model_predict(m, x, 10, pred, 20) != TG_OK) puts(tg_model_message(m));
 *     tg_model_free(m);
 *
 * The same as a functional model with a skip connection:
 *     tg_model* f = tg_functional_new(&(tg_model_options){.seed = 7}, &err);
 *     tg_sym x = tg_model_input(f, 1, (int64_t[]){4});
 *     tg_sym h = tg_model_call1(f, tg_model_dense(f, (tg_dense_options){.units = 4,
 *                                                    .activation = TG_ACT_RELU}), x);
 *     tg_sym s = tg_model_call(f, tg_model_merge_add(f), (tg_sym[]){x, h}, 2);
 *     tg_model_set_io(f, &x, 1, tg_model_call1(f, tg_model_dense(f,
 *                     (tg_dense_options){.units = 1}), s));
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
#include "frontends/activations.h"
#include "frontends/initializers.h"
#include "frontends/layer.h"
#include "frontends/losses.h"
#include "frontends/optimizers.h"
#include "frontends/params.h"
#include "ops/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How a model is made; zero fields take the defaults. */
typedef struct tg_model_options {
  int64_t input_dim;          /**< Sequential: width of one input sample, >= 1 */
  tg_layer_shape input_shape; /**< Sequential: a per-sample shape instead (rank >= 1) */
  uint64_t seed;              /**< initializers and fit's shuffling (0 is a seed too) */
  int threads;                /**< kernel threads for the model's tapes; 0: 1 */
  /** Keep every intermediate gradient and value of the last training step in a
   * buffer of its own, for tools that show them (the DOT exporter's gradient flow;
   * tg_model_set_keep_gradients does the same later). Off, the default: the
   * training tape packs its gradients and places its values by liveness (core/tape.h,
   * tg_tape_set_keep_all off and tg_tape_set_deferred on): less memory, the same
   * results, and only the parameters' gradients, the output and the values a
   * backward reads hold the last step's numbers. */
  bool keep_gradients;
  const tg_allocator* allocator; /**< every allocation of the model; NULL: malloc */
  /** Loading: layer types a file may name besides the built-in ones (a user's own). */
  const tg_layer_type* const* layer_types;
  int n_layer_types; /**< entries of layer_types */
} tg_model_options;

/** Dense's configuration (Keras' arguments). */
typedef struct tg_dense_options {
  int64_t units;                     /**< >= 1 */
  tg_activation activation;          /**< default linear */
  bool no_bias;                      /**< Keras' use_bias=False */
  tg_initializer kernel_init;        /**< default glorot_uniform */
  tg_initializer bias_init;          /**< default zeros */
  tg_regularizer kernel_regularizer; /**< penalty on the kernel in the loss; zero: none */
  tg_regularizer bias_regularizer;   /**< penalty on the bias; zero: none */
} tg_dense_options;

/** Activation's configuration. */
typedef struct tg_activation_options {
  tg_activation activation; /**< the function applied */
} tg_activation_options;

/** Reshape's configuration: the per-sample target shape (one entry may be -1). */
typedef struct tg_reshape_options {
  int rank;                         /**< 1..3 */
  int64_t shape[TG_LAYER_MAX_RANK]; /**< rank dimensions */
} tg_reshape_options;

/** Concatenate's configuration: the sample axis to join on (Keras' default -1, the
 * last; a zero-initialised struct means axis 0, so say -1). */
typedef struct tg_concatenate_options {
  int axis; /**< negative counts from the last */
} tg_concatenate_options;

/** Conv2D's configuration (Keras' arguments; zeros are Keras' defaults: strides 1,
 * padding valid, dilation 1, groups 1, no activation, a bias, glorot_uniform / zeros). */
typedef struct tg_conv2d_layer_options {
  int64_t filters;          /**< >= 1 */
  int kernel_size[2];       /**< {rows, cols}, >= 1 */
  int strides[2];           /**< {rows, cols}; 0: 1 */
  tg_padding padding;       /**< TG_PADDING_VALID or TG_PADDING_SAME (ops/nn.h) */
  int dilation_rate[2];     /**< {rows, cols}; 0: 1 */
  int groups;               /**< filters and input channels divisible by it; 0: 1 */
  tg_activation activation; /**< applied after the bias */
  bool no_bias;             /**< Keras' use_bias=False */
  /** default glorot_uniform / zeros @{ */
  tg_initializer kernel_init, bias_init;
  /** @} */
} tg_conv2d_layer_options;

/** MaxPooling2D's and AveragePooling2D's: zeros mean pool 2x2, strides = pool, valid. */
typedef struct tg_pool2d_layer_options {
  int pool_size[2];   /**< {rows, cols}; 0: 2 */
  int strides[2];     /**< 0: the pool size */
  tg_padding padding; /**< 0: valid */
} tg_pool2d_layer_options;

/** Dropout's configuration. */
typedef struct tg_dropout_layer_options {
  float rate; /**< [0, 1) */
} tg_dropout_layer_options;

/** BatchNormalization's: zeros mean Keras' momentum 0.99 and epsilon 1e-3. */
typedef struct tg_batch_norm_layer_options {
  /** of the moving averages, and added to the variance @{ */
  float momentum, epsilon;
  /** @} */
} tg_batch_norm_layer_options;

/** Embedding's: ids in [0, input_dim) (whole numbers held as floats) pick rows of an
 * [input_dim, output_dim] table; a zero initializer means Keras' uniform(-0.05, 0.05). */
typedef struct tg_embedding_options {
  /** vocabulary size and row width @{ */
  int64_t input_dim, output_dim;
  /** @} */
  tg_initializer embeddings_init; /**< the table's initializer */
} tg_embedding_options;

/** LayerNormalization's: zero means epsilon 1e-3. */
typedef struct tg_layer_norm_layer_options {
  float epsilon; /**< added to the variance */
} tg_layer_norm_layer_options;

/** The layer types tapegrad ships (frontends/layers/, one file each). Configurations:
 * Dense tg_dense_options, Activation tg_activation_options, Add none (two or more
 * inputs of one shape, summed elementwise), Flatten none, Reshape
 * tg_reshape_options, Concatenate tg_concatenate_options. @{ */
extern const tg_layer_type tg_layer_dense, tg_layer_activation, tg_layer_add, tg_layer_flatten,
    tg_layer_reshape, tg_layer_concatenate, tg_layer_conv2d, tg_layer_max_pooling2d,
    tg_layer_average_pooling2d, tg_layer_global_average_pooling2d, tg_layer_dropout,
    tg_layer_batch_normalization, tg_layer_layer_normalization, tg_layer_embedding;
/** @} */
/** Every built-in type, for loaders and tools; tg_layer_type_find(name) or NULL. @{ */
int tg_layer_type_count(void);
const tg_layer_type* tg_layer_type_at(int index);
const tg_layer_type* tg_layer_type_find(const char* name);
/** @} */

/** What a layer is, for tools and tests. Pointers belong to the model. */
typedef struct tg_layer_info {
  const char* name; /**< "dense_1" */
  const char* type; /**< "Dense" */
  /** elements per sample of the (first) input and the output @{ */
  int64_t input_dim, units;
  /** @} */
  tg_activation activation; /**< the activation the layer ends with (its type says) */
  tg_tensor* kernel;        /**< the parameter named ".../kernel", or NULL */
  tg_tensor* bias;          /**< the parameter named ".../bias", or NULL */
  tg_layer* layer;          /**< the layer itself (frontends/layer.h accessors) */
  int uses;                 /**< times it is applied in the graph (shared layers: > 1) */
} tg_layer_info;

/** A symbolic tensor of a functional model: a model input or a layer's output. An
 * id < 0 is invalid (the call that gave it failed; every call taking it fails too,
 * so a chain needs one check at the end). */
typedef struct tg_sym {
  int id; /**< the model's number for it; < 0: invalid */
} tg_sym;

struct tg_callback;
struct tg_history;

/** Keras' fit arguments; zero fields take Keras' defaults. */
typedef struct tg_fit_options {
  int epochs;              /**< 0: 1 */
  int64_t batch_size;      /**< 0: 32 */
  bool no_shuffle;         /**< Keras shuffles the training rows every epoch */
  float validation_split;  /**< [0, 1): the LAST fraction of rows, as Keras */
  int verbose;             /**< 0 silent, 1 progress bar per epoch, 2 one line */
  FILE* out;               /**< where verbose output goes; NULL: nowhere */
  float* history_loss;     /**< optional, `epochs` floats: mean training loss */
  float* history_val_loss; /**< optional, `epochs` floats (NAN without validation) */
  /** Keras' validation_data (takes the place of validation_split): validation_n rows. @{ */
  const float* validation_x;
  const float* validation_y;
  int64_t validation_n;
  /** @} */
  int initial_epoch;          /**< Keras': epochs initial_epoch..epochs-1 run ("Epoch 6/10") */
  const float* sample_weight; /**< n weights, one per row (training rows only count) */
  const float* class_weight;  /**< class_weight_count weights, one per class */
  int class_weight_count;     /**< entries of class_weight */
  struct tg_callback* const* callbacks; /**< frontends/callbacks.h */
  int n_callbacks;                      /**< entries of callbacks */
  struct tg_history* history; /**< frontends/fit.h: per-epoch loss and metrics; NULL: none */
  bool no_doctor;             /**< the training doctor (frontends/fit.h) is on unless set */
  FILE* doctor_out;           /**< its warnings; NULL: `out`, or stderr without one */
} tg_fit_options;

typedef struct tg_model tg_model; /**< a model: layers, parameters, optimizer (opaque) */

/** New empty model; NULL with err filled when options is NULL, input_dim < 1,
 * threads < 0 or out of memory. Free with tg_model_free. */
tg_model* tg_sequential_new(const tg_model_options* options, tg_error* err);
/** New functional model with no inputs yet (input_dim and input_shape are ignored). */
tg_model* tg_functional_new(const tg_model_options* options, tg_error* err);
/** Releases the model, its layers, parameters and tapes; NULL is ignored. */
void tg_model_free(tg_model* m);

/** Code and message of the last failing call on m ("" before any failure). @{ */
tg_status tg_model_status(const tg_model* m);
const char* tg_model_message(const tg_model* m);
/** @} */

/** Sequential: appends a layer of `type` (configuration `config`, config_size bytes;
 * NULL: zeros) applied to the previous output, and initialises its parameters.
 * TG_ERR_ARG on a bad configuration, TG_ERR_SHAPE when it cannot take the previous
 * output, TG_ERR_STATE once compiled or on a functional model. */
tg_status tg_model_add(tg_model* m, const tg_layer_type* type, const void* config);
/** tg_model_add with Dense and Activation. @{ */
tg_status tg_model_add_dense(tg_model* m, tg_dense_options options);
tg_status tg_model_add_activation(tg_model* m, tg_activation activation);
/** @} */

/** Functional: a model input of per-sample shape shape[0..rank) (rank 1..3). */
tg_sym tg_model_input(tg_model* m, int rank, const int64_t* shape);
/** A new layer of `type` (not yet applied); `name` NULL gives "<prefix>_<k>". NULL with
 * the error on m (a bad type, a duplicate name, once compiled). */
tg_layer* tg_model_new_layer(tg_model* m, const tg_layer_type* type, const void* config,
                             const char* name);
/** tg_model_new_layer with a built-in type and its configuration, named automatically. @{ */
tg_layer* tg_model_dense(tg_model* m, tg_dense_options options);
tg_layer* tg_model_activation(tg_model* m, tg_activation activation);
tg_layer* tg_model_merge_add(tg_model* m);
tg_layer* tg_model_flatten(tg_model* m);
tg_layer* tg_model_embedding(tg_model* m, tg_embedding_options options);
tg_layer* tg_model_reshape(tg_model* m, int rank, const int64_t* target_shape);
tg_layer* tg_model_concatenate(tg_model* m, int axis);
/** @} */
/** Applies layer l to in[0..n) and returns its output. The first application builds
 * the layer (its parameters); later ones share them and must give the same shapes.
 * Errors name the layer and the shapes, e.g. "tg_model_call: add_1: input 2 is
 * (None, 3) but input 1 is (None, 4)". */
tg_sym tg_model_call(tg_model* m, tg_layer* l, const tg_sym* in, int n);
/** tg_model_call with one input. */
tg_sym tg_model_call1(tg_model* m, tg_layer* l, tg_sym x);
/** Keras' Model(inputs, outputs): the inputs in the order training data comes in and
 * the one output. Every input must be a model input and the output must depend on
 * them only. */
tg_status tg_model_set_io(tg_model* m, const tg_sym* inputs, int n_inputs, tg_sym output);

/** Chooses the loss and the optimizer (NULL: Adam with Keras defaults); needs at
 * least one layer. Compiling again replaces both and resets the optimizer state. */
tg_status tg_model_compile(tg_model* m, tg_loss loss, const tg_optimizer_options* optimizer);

/** One optimizer step on a batch of n >= 1 rows; *loss (may be NULL) receives the
 * loss before the step, as Keras returns it. Needs compile. */
tg_status tg_model_train_on_batch(tg_model* m, const float* x, int64_t n, const float* y,
                                  float* loss);

/** Forward + loss + backward on a batch WITHOUT updating parameters: parameter
 * gradients are zeroed first and hold d(loss)/d(param) afterwards. Needs compile. */
tg_status tg_model_compute_gradients(tg_model* m, const float* x, int64_t n, const float* y,
                                     float* loss);

/** One optimizer step from the gradient block as it stands (after compute_gradients
 * and any change the caller made to the gradients, e.g. averaging them across
 * processes). Needs compile. The same update train_on_batch makes. */
tg_status tg_model_apply_gradients(tg_model* m);
/** The training tape (NULL before the first training call), e.g. to install a
 * backward hook (core/tape.h) that the model's later training steps run (a step that
 * updates during backward, below, chains to it: the hook still sees every node). */
tg_tape* tg_model_training_tape(tg_model* m);

/** The optimizer during backward. When on, tg_model_train_on_batch updates
 * each trainable parameter as soon as backward has run every node that reads its
 * gradient (a parameter read by several nodes, or shared between layers, waits for
 * the first of them in recording order), while that gradient is still in cache,
 * instead of one pass over the whole block after backward. The step's constants
 * (learning-rate decay, Adam's bias correction) come from the step count before
 * backward, and each element's update is the whole-block update's arithmetic, so
 * parameters and optimizer state are bit-identical to updating after backward,
 * whatever the thread count (a parameter of at least 2^16 floats is split over the
 * tape's threads, a smaller one runs on the calling thread).
 *
 * The update stays after backward, as with `on` false, whenever something needs the
 * whole gradient first: clipping (clipnorm, clipvalue, global_clipnorm), the tape's
 * NaN sentinel (tg_tape_set_check_finite: a step it stops must not have moved any
 * parameter), and every call that hands the gradients to the caller before the
 * update: tg_model_compute_gradients with tg_model_apply_gradients (hence the
 * distributed module's reduction, dist/). tg_model_fit's steps update during backward
 * too: its doctor and gradient norms read the gradients after the step, which the
 * update leaves as backward made them, and with the doctor on a step whose loss is
 * not finite stops before backward, leaving the parameters. Regularization penalties are nodes on the tape and need nothing.
 * A backward hook already on the training tape is called first from the model's
 * own. By default (before any call) it is on for a model with at least 2^16 trainable
 * floats and off below, where the whole block stays in cache anyway; `on` true turns
 * it on for any size, false off. tg_model_fuses_optimizer says whether it is on for
 * m as it stands. NULL m is ignored. @{ */
void tg_model_set_fuse_optimizer(tg_model* m, bool on);
bool tg_model_fuses_optimizer(const tg_model* m); /**< false for NULL */
/** @} */
/** Training steps so far that updated during backward (for tests and benchmarks that
 * check which path ran); 0 for NULL. */
int64_t tg_model_fused_steps(const tg_model* m);

/** Whether the training tape keeps every intermediate gradient and value of the last
 * step (tg_model_options.keep_gradients): a tool that shows them turns it on before
 * the step it shows (the next step records the tape again), and off afterwards to
 * train in less memory. The same results either way. NULL m is ignored (false). @{ */
void tg_model_set_keep_gradients(tg_model* m, bool on);
bool tg_model_keeps_gradients(const tg_model* m);
/** @} */

/** Data parallelism (dist/): the rows the next training batches hold start at global
 * row first_row of a larger batch (default 0), so that random layers draw for each
 * row what a model given the whole batch would (dropout's mask of a row depends on
 * its global row and the step's key alone). Kept until changed. */
void tg_model_set_row_offset(tg_model* m, int64_t first_row);
/** What a training step draws from the layers' stream (one number, the step's key,
 * whatever the layers are) without running one: a data-parallel replica with no rows
 * in a step calls it to stay in step with the others. */
void tg_model_advance_layer_stream(tg_model* m);

/** Outputs for n >= 1 rows into out (out_cap >= n*output_dim floats); no gradients. */
tg_status tg_model_predict(tg_model* m, const float* x, int64_t n, float* out, int64_t out_cap);

/** Loss on a batch without training (no gradients). Needs compile. */
tg_status tg_model_evaluate(tg_model* m, const float* x, int64_t n, const float* y, float* loss);

/** Multi-input forms: x[k] holds n rows of input k (tg_model_set_io's order). The
 * single-input calls above are these with n_x = 1. @{ */
tg_status tg_model_train_on_batch_multi(tg_model* m, const float* const* x, int n_x, int64_t n,
                                        const float* y, float* loss);
tg_status tg_model_compute_gradients_multi(tg_model* m, const float* const* x, int n_x, int64_t n,
                                           const float* y, float* loss);
/** compute_gradients with the layers in the mode asked for: training (dropout drops,
 * batch norm normalises with the batch and updates its moving statistics) or
 * inference (Keras' training=False: dropout off, batch norm on its moving
 * statistics, nothing updated), e.g. to check an inference-mode gradient. */
tg_status tg_model_compute_gradients_mode(tg_model* m, const float* const* x, int n_x, int64_t n,
                                          const float* y, bool training, float* loss);
tg_status tg_model_predict_multi(tg_model* m, const float* const* x, int n_x, int64_t n, float* out,
                                 int64_t out_cap);
tg_status tg_model_evaluate_multi(tg_model* m, const float* const* x, int n_x, int64_t n,
                                  const float* y, float* loss);
/** @} */

/** Keras' fit: `epochs` passes over the first (1 - validation_split) of the rows in
 * minibatches (the last one may be smaller), shuffled with the model's seed unless
 * no_shuffle, with Keras-like progress lines on options->out:
 *     Epoch 3/1000
 *     10/10 [==============================] - 0s - loss: 5.2522e-08
 * options may be NULL (defaults). Errors before any training on shape problems. */
tg_status tg_model_fit(tg_model* m, const float* x, int64_t n, const float* y,
                       const tg_fit_options* options);

/** Tensor forms of the calls above, for data whose shape should be checked against
 * the model before any work: x is [n, input_dim] (or [n] when input_dim is 1), y and
 * out are [n, output_dim] (or [n] when output_dim is 1). Anything else is
 * TG_ERR_SHAPE naming both shapes, e.g.
 *     "tg_model_fit: x is [10x2] but the model takes [n x 1] inputs". @{ */
tg_status tg_model_train_on_batch_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                                          float* loss);
tg_status tg_model_evaluate_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                                    float* loss);
tg_status tg_model_predict_tensors(tg_model* m, const tg_tensor* x, tg_tensor* out);
tg_status tg_model_fit_tensors(tg_model* m, const tg_tensor* x, const tg_tensor* y,
                               const tg_fit_options* options);
/** @} */

/** Keras-like summary table (layers, output shapes, parameter counts, totals). The
 * _str form writes at most cap bytes (NUL-terminated) and returns the full length.
 * tg_model_summary flushes `out`: TG_ERR_IO when the stream reports a write error. @{ */
tg_status tg_model_summary(const tg_model* m, FILE* out);
size_t tg_model_summary_str(const tg_model* m, char* buf, size_t cap);
/** @} */

/** Introspection. Counts are 0 and pointers NULL for a NULL model or a bad index. @{ */
bool tg_model_is_functional(const tg_model* m);
int tg_model_input_count(const tg_model* m);
int64_t tg_model_input_dim(const tg_model* m);  /**< elements per sample of input 0 */
int64_t tg_model_output_dim(const tg_model* m); /**< 0 before the first layer */
/** Floats of target per row that train_on_batch, fit and evaluate read: 1 for
 * sparse_categorical_crossentropy (one class label per row, per output position),
 * else the output's width. */
int64_t tg_model_target_width(const tg_model* m);
int tg_model_layer_count(const tg_model* m);
tg_status tg_model_layer(const tg_model* m, int index, tg_layer_info* out);
/** @} */
/** The layer at `index` (creation order) or named `name`. @{ */
tg_layer* tg_model_layer_at(tg_model* m, int index);
tg_layer* tg_model_find_layer(const tg_model* m, const char* name);
/** @} */
/** The model that recorded tape t (its training, evaluation or prediction tape), or
 * NULL. For tools that draw a tape and want to know its layers. */
const tg_model* tg_model_of_tape(const tg_tape* t);
/** The model's parameter table (frontends/params.h). */
const tg_param_set* tg_model_params(const tg_model* m);
int tg_model_param_count(const tg_model* m);       /**< parameter tensors, declaration order */
tg_tensor* tg_model_param(tg_model* m, int index); /**< NULL for a bad index */
tg_tensor* tg_model_find_param(tg_model* m, const char* name); /**< "dense_1/kernel" */
int64_t tg_model_param_size(const tg_model* m);     /**< floats in the contiguous block */
int64_t tg_model_trainable_size(const tg_model* m); /**< the first this many train */
float* tg_model_param_values(tg_model* m);          /**< the block (all parameters) */
float* tg_model_param_grads(tg_model* m);           /**< the gradient block */
/** The training tape after the last train_on_batch / compute_gradients / fit step
 * (forward and backward done, gradients in place), or NULL before any. Valid until
 * the next training call or tg_model_free. */
const tg_tape* tg_model_tape(const tg_model* m);
/** The optimizer after compile, NULL before. */
const tg_optimizer* tg_model_optimizer(const tg_model* m);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_MODEL_H_ */
