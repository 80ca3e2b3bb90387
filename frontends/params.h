/** @file frontends/params.h — a parameter set: named parameters in ONE contiguous value block
 * and ONE contiguous gradient block, declared in one table.
 *
 * Every parameter is declared once: {name, shape, initializer, trainable, unit axis}.
 * The set lays them out in its blocks (trainable ones first, in declaration order,
 * then the non-trainable ones), hands out tensor views into the blocks, and every
 * consumer (an optimizer step, counts, summaries, persistence, the tools) walks the
 * table and nothing else. A model keeps its parameters in one such set; a user who
 * records ops on a tape by hand gets the same: create the set, declare parameters,
 * record with the views, zero the gradients, step any optimizer over the trainable
 * block.
 *
 * The unit axis is the axis whose index names a unit (output channel) of the layer
 * the parameter belongs to: 1 for a Dense kernel [in, units], 0 for its bias [units].
 * Tools compare units along it (units whose slices are equal are symmetric);
 * TG_NO_UNIT_AXIS when the parameter has no units.
 *
 * Ownership: tg_param_set_new returns a set the caller frees with tg_param_set_free;
 * tensors it hands out belong to it and keep their addresses for its whole life
 * (their data move when a later declaration grows the blocks: values are kept,
 * gradients zeroed). Errors: NULL/TG_ERR_* with err filled, naming the function and
 * the parameter. Thread-safety: one thread per set.
 *
 *     tg_param_set* ps = tg_param_set_new(NULL, 7, &err);
 *     tg_tensor* w = tg_param_set_add(ps, &(tg_param_decl){.name = "w", .rank = 2,
 *         .shape = {4, 3}, .unit_axis = 1, .fan_in = 4, .fan_out = 3}, &err);
 *     tg_optimizer* adam = tg_optimizer_new(NULL, tg_param_set_trainable_size(ps), NULL, &err);
 *     for (...) {
 *       tg_tape_clear(t); loss = tg_mse(t, tg_matmul(t, x, w), y);
 *       tg_param_set_zero_grads(ps); tg_tape_backward(t, loss);
 *       tg_param_set_step(ps, adam, &err);
 *     }
 */
#ifndef TAPEGRAD_FRONTENDS_PARAMS_H_
#define TAPEGRAD_FRONTENDS_PARAMS_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/tape.h"
#include "core/tensor.h"
#include "frontends/initializers.h"
#include "frontends/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TG_NO_UNIT_AXIS = -1 };

/** One declaration. Zero fields: trainable, unit axis 0, initializer TG_INIT_DEFAULT
 * (glorot_uniform), fans 1. */
typedef struct tg_param_decl {
  const char* name;           /**< unique in the set, < TG_NAME_CAP bytes: "dense_1/kernel" */
  int rank;                   /**< 0..TG_MAX_RANK */
  int64_t shape[TG_MAX_RANK]; /**< rank dimensions */
  tg_initializer init;        /**< how its values start */
  bool non_trainable;         /**< kept by the optimizer (BatchNormalization's moving mean) */
  int unit_axis;              /**< 0..rank-1, or TG_NO_UNIT_AXIS */
  /** for the variance-scaling initializers; 0: 1 @{ */
  int64_t fan_in, fan_out;
  /** @} */
} tg_param_decl;

/** One row of the table, as the set holds it. Pointers belong to the set. */
typedef struct tg_param_info {
  const char* name;     /**< as declared */
  int rank;             /**< as declared */
  const int64_t* shape; /**< rank dimensions */
  int64_t size;         /**< floats */
  int64_t offset;       /**< of its first float in the value and gradient blocks */
  bool trainable;       /**< the optimizer updates it */
  int unit_axis;        /**< or TG_NO_UNIT_AXIS */
  tg_tensor* tensor;    /**< view with a gradient (none when not trainable) */
  tg_tensor* frozen;    /**< the same values without a gradient (inference tapes) */
  const char* owner;    /**< the layer that declared it, "" for a user's own */
} tg_param_info;

typedef struct tg_param_set tg_param_set; /**< a parameter table and its blocks (opaque) */

/** New empty set; `seed` drives the random initializers in declaration order. */
tg_param_set* tg_param_set_new(const tg_allocator* alloc, uint64_t seed, tg_error* err);
/** Releases the set, its blocks and its tensors; NULL is ignored. */
void tg_param_set_free(tg_param_set* ps);

/** Declares and initialises one parameter; returns its view with a gradient (the
 * parameter's tensor for a tape), or NULL with err filled (bad shape, duplicate
 * name, bad initializer, out of memory). */
tg_tensor* tg_param_set_add(tg_param_set* ps, const tg_param_decl* decl, tg_error* err);

/** The table. Counts are 0 for NULL; info returns TG_ERR_ARG for a bad index. @{ */
int tg_param_set_count(const tg_param_set* ps);
tg_status tg_param_set_info(const tg_param_set* ps, int index, tg_param_info* out);
/** @} */
/** Index of the parameter named `name`, or of the one whose tensor (either view) is
 * `t`; -1 when there is none. @{ */
int tg_param_set_find(const tg_param_set* ps, const char* name);
int tg_param_set_find_tensor(const tg_param_set* ps, const tg_tensor* t);
/** @} */
/** Parameter `index`'s view with a gradient, or NULL for a bad index. */
tg_tensor* tg_param_set_tensor(tg_param_set* ps, int index);

int64_t tg_param_set_size(const tg_param_set* ps);           /**< floats in the blocks */
int64_t tg_param_set_trainable_size(const tg_param_set* ps); /**< the first this many */
/** The value and the gradient block (size floats each, trainable ones first). @{ */
float* tg_param_set_values(tg_param_set* ps);
float* tg_param_set_grads(tg_param_set* ps);
/** @} */

/** Zeroes the whole gradient block (backward accumulates). */
void tg_param_set_zero_grads(tg_param_set* ps);

/** One optimizer step over the trainable block; `o` must have been made for
 * tg_param_set_trainable_size(ps) floats (TG_ERR_SHAPE otherwise). */
tg_status tg_param_set_step(tg_param_set* ps, tg_optimizer* o, tg_error* err);

/** Tells `o` where each trainable parameter lies in the block, for its clipnorm
 * (which clips each parameter's gradient on its own). Up to 256 parameters. */
tg_status tg_param_set_partition(const tg_param_set* ps, tg_optimizer* o, tg_error* err);

/** Lets tools that read tape `t` (the DOT exporter, the analysis) find these
 * declarations: names, unit axes, trainable flags. The set must outlive that use. */
void tg_param_set_attach(const tg_param_set* ps, tg_tape* t);
/** The declarations tape t carries: the set attached to it, or the parameter table of
 * the model that recorded it; NULL when none. For tools. */
const tg_param_set* tg_param_set_of_tape(const tg_tape* t);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_PARAMS_H_ */
