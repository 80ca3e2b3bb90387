/** @file frontends/layer.h — the layer interface: what a layer type is, and what a layer's
 * own code may ask of the model it lives in. Every layer tapegrad ships (Dense,
 * Activation, Add, ...) is written against this header only, one file each in
 * frontends/layers/, and a user's own layer type is written the same way
 * (examples/custom_layer.c; docs/writing_a_layer.md walks through one).
 *
 * A layer type is a constant table of functions:
 *     build       checks the configuration against the input shapes (per sample, no
 *                 batch axis), computes the output shape and declares the parameters
 *                 (tg_layer_declare: name, shape, initializer, trainable, unit axis).
 *                 Runs once, when the layer is first applied; a shared layer applied
 *                 again must get the same input shapes (the model checks that).
 *     record      records the layer's ops on a tape from its input tensors ([batch,
 *                 ...] each) and a context (training or inference; whether parameters
 *                 want gradients; an RNG). The model sets the tape's scope to the
 *                 layer's name around it, so tools group its nodes.
 *     config_io   reads or writes each configuration field through a tg_config_io
 *                 (one function for both directions, so they cannot disagree).
 *     describe    a short text of the configuration ("16, relu"), for the DOT picture
 *                 and summaries.
 * The configuration is a plain struct (config_size bytes, at most
 * TG_LAYER_CONFIG_CAP) the model copies when the layer is created; the layer reads it
 * back with tg_layer_config.
 *
 *     typedef struct { float factor; } scale_config;
 *     static tg_status scale_build(tg_layer* l, const tg_layer_shape* in, int n_in,
 *                                  tg_layer_shape* out, tg_error* err) {
 *       *out = in[0]; return TG_OK;
 *     }
 *     static tg_tensor* scale_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
 *                                    const tg_layer_ctx* ctx) {
 *       return tg_scale(t, in[0], ((const scale_config*)tg_layer_config(l))->factor);
 *     }
 *     const tg_layer_type my_scale = {.name = "Scale", .prefix = "scale",
 *         .config_size = sizeof(scale_config), .min_inputs = 1, .max_inputs = 1,
 *         .build = scale_build, .record = scale_record};
 *
 * Ownership: layers belong to their model (tg_model_free frees them). Errors: build
 * fills err with a message that names what is wrong and the shapes (the model
 * prefixes the calling function and the layer). Thread-safety: as the model.
 */
#ifndef TAPEGRAD_FRONTENDS_LAYER_H_
#define TAPEGRAD_FRONTENDS_LAYER_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "core/status.h"
#include "core/tape.h"
#include "core/tensor.h"
#include "frontends/activations.h"
#include "frontends/params.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  TG_LAYER_CONFIG_CAP = 256,          /**< bytes of a layer's configuration struct */
  TG_LAYER_MAX_PARAMS = 8,            /**< parameters one layer may declare */
  TG_LAYER_MAX_INPUTS = 16,           /**< tensors one layer application may take */
  TG_LAYER_MAX_RANK = TG_MAX_RANK - 1 /**< per-sample rank: the batch axis comes first */
};

/** A per-sample shape: rank 0..3 dimensions, each >= 1 (the batch axis is not part). */
typedef struct tg_layer_shape {
  int rank;                       /**< 0..TG_LAYER_MAX_RANK */
  int64_t dim[TG_LAYER_MAX_RANK]; /**< rank dimensions */
} tg_layer_shape;

/** "(None, 16)" as Keras prints shapes (batch axis first). Returns buf. */
char* tg_layer_shape_str(const tg_layer_shape* s, char* buf, size_t cap);
/** Elements per sample (1 for rank 0). */
int64_t tg_layer_shape_numel(const tg_layer_shape* s);
/** True when both have the same rank and dimensions. */
bool tg_layer_shape_equal(const tg_layer_shape* a, const tg_layer_shape* b);

/** Extra loss terms layers add while recording (regularization penalties). */
typedef struct tg_loss_terms {
  tg_tensor* term[64]; /**< scalars on the recording tape */
  int n;               /**< terms so far */
} tg_loss_terms;

/** What a recording is for. */
typedef struct tg_layer_ctx {
  bool training;         /**< Keras' training=True: dropout drops, batch norm uses batch stats */
  bool grads;            /**< parameters get gradients (tg_layer_param gives the views with one) */
  tg_rng* rng;           /**< for layers that draw (dropout); the model's own stream */
  tg_loss_terms* losses; /**< where penalties go; NULL when there is no loss (predict) */
} tg_layer_ctx;

/** Keras' L1/L2 regularizer: penalty l1 * sum(|w|) + l2 * sum(w²). Zero: none. */
typedef struct tg_regularizer {
  /** the two factors @{ */
  float l1, l2;
  /** @} */
} tg_regularizer;

/** In record: adds regularizer r's penalty on w to the model's loss (nothing when r is
 * zero or the recording has no loss). The penalty's ops are recorded in the layer's
 * scope, so the DOT picture shows them with the layer. */
void tg_layer_add_penalty(tg_tape* t, const tg_layer_ctx* ctx, tg_regularizer r, tg_tensor* w);

typedef struct tg_layer tg_layer;         /**< a layer in a model (opaque) */
typedef struct tg_config_io tg_config_io; /**< a configuration being read or written */

/** What a kind of layer is: the plugin interface every layer implements. */
typedef struct tg_layer_type {
  const char* name;   /**< "Dense": summaries, files, DOT labels; unique per model */
  const char* prefix; /**< "dense": automatic names dense_1, dense_2, ... */
  size_t config_size; /**< bytes of the configuration struct (0: none) */
  /** inputs taken: 1, 1 for most; a merge layer 2, TG_LAYER_MAX_INPUTS @{ */
  int min_inputs, max_inputs;
  /** @} */
  /** Checks the configuration against the input shapes, sets the output shape and
   * declares the parameters (once, when the layer is first applied). */
  tg_status (*build)(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                     tg_error* err);
  /** Records the layer's ops on t from its inputs and returns the output. */
  tg_tensor* (*record)(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                       const tg_layer_ctx* ctx);
  void (*config_io)(void* config, tg_config_io* io);            /**< NULL: nothing to save */
  size_t (*describe)(const tg_layer* l, char* buf, size_t cap); /**< NULL: no text */
  /** The activation the layer applies last (tg_layer_info); NULL: linear. */
  tg_activation (*activation)(const tg_layer* l);
} tg_layer_type;

/* ---- for a layer's own code ---- */

/** The configuration copied at creation (config_size bytes, zero-padded). @{ */
const void* tg_layer_config(const tg_layer* l);
void* tg_layer_config_mut(tg_layer* l);
/** @} */
const char* tg_layer_name(const tg_layer* l);             /**< "dense_1" */
const tg_layer_type* tg_layer_type_of(const tg_layer* l); /**< its type */

/** In build: declares a parameter named "<layer>/<decl->name>" in the model's table
 * and initialises it from the model's seed. Returns its index in this layer (0, 1,
 * ... in declaration order) or -1 with err filled. */
int tg_layer_declare(tg_layer* l, const tg_param_decl* decl, tg_error* err);
/** In record: parameter i as a tape leaf: the view with a gradient when ctx->grads
 * (and the parameter is trainable), else the one without. NULL for a bad index. */
tg_tensor* tg_layer_param(const tg_layer* l, int i, const tg_layer_ctx* ctx);
int tg_layer_param_count(const tg_layer* l); /**< parameters it declared */
/** The table row of parameter i (TG_ERR_ARG for a bad index). */
tg_status tg_layer_param_info(const tg_layer* l, int i, tg_param_info* out);
/** Output shape after build (rank 0 before). */
const tg_layer_shape* tg_layer_output_shape(const tg_layer* l);
/** Input shapes after build: how many, and input k. @{ */
int tg_layer_input_count(const tg_layer* l);
const tg_layer_shape* tg_layer_input_shape(const tg_layer* l, int k);
/** @} */

/* ---- configuration I/O (config_io) ---- */
/** Each call names one field; writing stores the value, reading checks that the next
 * field in the file has this name and kind and stores it into *v. After the first
 * problem every later call does nothing (the model reports it with its byte). @{ */
void tg_config_i64(tg_config_io* io, const char* key, int64_t* v);
void tg_config_i32(tg_config_io* io, const char* key, int* v);
void tg_config_bool(tg_config_io* io, const char* key, bool* v);
void tg_config_f32(tg_config_io* io, const char* key, float* v);
/** @} */
/** An enum stored by name: names[0..n) are the spellings of values 0..n-1. */
void tg_config_enum(tg_config_io* io, const char* key, int* v, const char* const* names, int n);
/** Whether io reads (a file being loaded) or writes. */
bool tg_config_reading(const tg_config_io* io);
/** For a reading config_io that finds a bad value: stops the read with this reason. */
void tg_config_fail(tg_config_io* io, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_LAYER_H_ */
