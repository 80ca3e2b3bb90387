/* ops/internal/reduce_axes.h — what the axis reductions share: their parameter
 * block, the axes check (negative axes count from the end; duplicates and axes out
 * of range are errors), the output shape with or without keepdims, and the walks
 * over kept axes (outside) and reduced axes (inside).
 *
 * Output element o is reduction number o: the kept axes in row-major order, which
 * is the output's element order with or without keepdims.
 */
#ifndef TAPEGRAD_OPS_INTERNAL_REDUCE_AXES_H_
#define TAPEGRAD_OPS_INTERNAL_REDUCE_AXES_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/op.h"
#include "ops/internal/strided.h"

typedef struct tg_reduce_params {
  int32_t n_axes;    /* as given; 0 means every axis */
  int32_t axes_null; /* the caller passed axes == NULL with n_axes > 0 */
  int32_t keepdims;
  uint32_t mask;             /* bit d: axis d is reduced (set by the shape rule) */
  int32_t axes[TG_MAX_RANK]; /* the first TG_MAX_RANK axes as given */
} tg_reduce_params;

/* The parameter block for a builder (validated later by tg_reduce_shape). */
tg_reduce_params tg_reduce_params_make(const int* axes, int n_axes, bool keepdims);

/* Shape rule: checks the axes against x = n->in[0], stores the mask in the node's
 * parameters and writes the output shape. Reducing zero elements into a non-empty
 * output is an error saying what cannot be done (empty_verb, e.g. "average"), or
 * allowed when empty_verb is NULL (a sum of nothing is 0). */
tg_status tg_reduce_shape(tg_node* n, const char* empty_verb, int* rank, int64_t shape[TG_MAX_RANK],
                          char* msg, size_t cap);

/* "axes=0,2 keepdims" for tools. */
int tg_reduce_describe(const tg_node* n, char* buf, size_t cap);

/* The kept axes of n->in[0] (outer) and the reduced ones (inner), with x's strides. */
void tg_reduce_walks(const tg_node* n, tg_walk* outer, tg_walk* inner);

/* The element max (or min) picks among inner->size ones from base along `inner`:
 * the first NaN if there is one (NaN propagates, as numpy), else the first
 * occurrence of the extreme. Returns its position j; *off is its offset. */
int64_t tg_reduce_pick(const float* base, const tg_walk* inner, bool max, int64_t* off);

/* max_axes / min_axes: y = the picked element of each reduced group (max when `max`),
 * and dx += dy at that element. */
void tg_reduce_extreme_forward(tg_node* n, bool max);
void tg_reduce_extreme_backward(tg_node* n, bool max);

#endif /* TAPEGRAD_OPS_INTERNAL_REDUCE_AXES_H_ */
