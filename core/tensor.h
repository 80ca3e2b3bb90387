/** @file core/tensor.h — float32 tensors: row-major, contiguous, rank 0..4.
 *
 * A tensor has `data` and, when something needs its gradient, `grad` of the same
 * shape (NULL otherwise). Tensors come from three places:
 *     - tg_tensor_new: caller-owned, heap storage, freed with tg_tensor_free. Use these
 *       for parameters (requires_grad) and inputs that outlive tapes.
 *     - tg_tensor_init_view: a caller-owned struct over caller-owned storage, e.g. a
 *       parameter that lives inside one contiguous block so an optimizer is a flat loop.
 *     - a tape (core/tape.h): intermediates and tape-owned leaves, freed by the tape,
 *       usable only on that tape and only until its next tg_tape_clear (another tape,
 *       or the same one after a clear, refuses them when recording).
 * The struct fields are public for reading (tools, tests); change `data` and `grad`
 * contents freely, never the shape of a tensor a tape has recorded.
 *
 *     int64_t shape[2] = {10, 1};
 *     tg_error err = {0};
 *     tg_tensor* x = tg_tensor_new(2, shape, false, &err);   // 10x1 zeros, no grad
 *     if (x == NULL) fprintf(stderr, "%s\n", err.message);
 *     x->data[3] = 0.3f;
 *     tg_tensor_free(x);
 */
#ifndef TAPEGRAD_CORE_TENSOR_H_
#define TAPEGRAD_CORE_TENSOR_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TG_MAX_RANK = 4, TG_NAME_CAP = 48, TG_SHAPE_STR_CAP = 96 };

/** Where a tensor comes from; tools draw each role differently. */
typedef enum tg_role {
  TG_ROLE_INPUT = 0,   /**< leaf holding data (inputs, targets, constants) */
  TG_ROLE_PARAM,       /**< leaf that persists across steps and is trained */
  TG_ROLE_INTERMEDIATE /**< produced by an op on a tape */
} tg_role;

/** Element type. Index tensors (int32) carry integer indices for ops that take them
 * (gather, one_hot) and come out of argmax; they never have a gradient. */
typedef enum tg_dtype { TG_FLOAT32 = 0, TG_INT32 } tg_dtype;

/** An n-dimensional array of floats (or int32 indices), with its gradient. */
typedef struct tg_tensor {
  int rank;                   /**< 0..TG_MAX_RANK */
  int64_t shape[TG_MAX_RANK]; /**< shape[i] >= 0 for i < rank; 1 beyond */
  int64_t size;               /**< product of the shape (1 for a scalar) */
  float* data;                /**< size floats; NULL for an index tensor */
  float* grad;                /**< size floats, or NULL when no gradient is needed */
  tg_dtype dtype;             /**< TG_FLOAT32 unless made as an index tensor */
  int32_t* idata;             /**< size indices for TG_INT32; NULL otherwise */
  tg_role role;               /**< input, parameter or intermediate */
  int node;                   /**< index of the producing node on its tape; -1 for leaves */
  char name[TG_NAME_CAP];     /**< optional, e.g. "dense_1/kernel"; "" when unnamed */
  /** private: who frees the storage @{ */
  const tg_allocator* owner_;
  void* block_;
  /** @} */
  /** private: the tape that made it and that tape's recording (bumped by
   * tg_tape_clear), so a tape refuses another's tensors; NULL for caller-owned ones @{ */
  const void* tape_;
  uint32_t epoch_;
  /** @} */
} tg_tensor;

/** Element count of a shape with overflow checking: returns false (and leaves *out
 * untouched) if a dimension is negative, rank is out of range or the product or its
 * byte size overflows. */
bool tg_shape_numel(int rank, const int64_t* shape, int64_t* out);

/** Writes a shape as "[10x1]" ("[]" for a scalar) into buf; returns buf. */
char* tg_shape_format(char* buf, size_t cap, int rank, const int64_t* shape);

/** Shape of a tensor as text; "(null)" for NULL. Same as tg_shape_format. */
char* tg_tensor_shape_str(const tg_tensor* t, char* buf, size_t cap);

/** True when both tensors have the same rank and dimensions. */
bool tg_same_shape(const tg_tensor* a, const tg_tensor* b);

/** New zero-filled tensor (and zero-filled grad when requires_grad). Caller owns it:
 * free with tg_tensor_free. Returns NULL and fills err on a bad rank, negative or
 * overflowing shape, or allocation failure. `alloc` may be NULL (malloc). @{ */
tg_tensor* tg_tensor_new_ex(int rank, const int64_t* shape, bool requires_grad,
                            const tg_allocator* alloc, tg_error* err);
tg_tensor* tg_tensor_new(int rank, const int64_t* shape, bool requires_grad, tg_error* err);
/** @} */

/** Frees a tensor from tg_tensor_new; NULL is ignored. */
void tg_tensor_free(tg_tensor* t);

/** Initialises *t as a view over caller storage (`grad` may be NULL). Nothing is
 * allocated and tg_tensor_free must not be called on it. */
tg_status tg_tensor_init_view(tg_tensor* t, int rank, const int64_t* shape, float* data,
                              float* grad, tg_role role, tg_error* err);

/** Initialises *t as an int32 index tensor over caller storage (no gradient), e.g.
 * the class labels or token ids fed to gather/one_hot; same rules as above. */
tg_status tg_tensor_init_index_view(tg_tensor* t, int rank, const int64_t* shape, int32_t* data,
                                    tg_error* err);

/** "float32" or "int32". */
const char* tg_dtype_name(tg_dtype dtype);

/** Sets the tensor's name (truncated to TG_NAME_CAP-1 bytes). */
void tg_tensor_set_name(tg_tensor* t, const char* name);

/** Zeroes the gradient (no-op if there is none). */
void tg_tensor_zero_grad(tg_tensor* t);

/** Copies n floats into data; TG_ERR_SHAPE if n differs from the size. */
tg_status tg_tensor_set_data(tg_tensor* t, const float* values, int64_t n, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_TENSOR_H_ */
