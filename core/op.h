/** @file core/op.h — what an op is: name, arity, parameters, shape rule, forward, backward.
 *
 * Ops live in ops/, one per file; core/ only knows this interface, so the tape can
 * record, replay and differentiate any op without knowing it. The contract:
 *     shape     computes the output shape from n->in and the attributes, or writes
 *               the reason into msg (without the op name; the tape adds it) and
 *               returns an error. It may ask for n->scratch_size floats of scratch.
 *     forward   writes every element of n->out->data (replay reuses the buffers). If
 *               the inputs are invalid in a way only the data shows (an index out of
 *               range), it records the error with tg_tape_fail(n->tape, ...): replay
 *               stops there and returns the error.
 *     backward  *adds* into in[i]->grad for every input whose grad is non-NULL, given
 *               n->out->grad. Never assigns: reuse (add(x, x)) is then correct.
 */
#ifndef TAPEGRAD_CORE_OP_H_
#define TAPEGRAD_CORE_OP_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/status.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** TG_MAX_INPUTS bounds a variadic op's inputs (concat); TG_OP_PARAMS_CAP is the
 * size of the parameter block every node carries. */
enum { TG_MAX_INPUTS = 64, TG_OP_PARAMS_CAP = 128, TG_OP_VARIADIC = -1 };

struct tg_tape;

/** Op flags (tg_op_def.flags). */
enum {
  /** The output is input 0 under another shape: it shares input 0's data and grad
   * (no buffer of its own, nothing to compute; forward and backward may be NULL).
   * Only for ops whose output is input 0's elements in the same order (reshape). */
  TG_OP_VIEW = 1u << 0,
  /** The output never carries a gradient (argmax, one_hot): backward is not needed. */
  TG_OP_NO_GRAD = 1u << 1,
  /** The output is an int32 index tensor (argmax); implies TG_OP_NO_GRAD. */
  TG_OP_INDEX_OUTPUT = 1u << 2,
};

/** One recorded operation. Fields are read-only outside core/ and the op's own file. */
typedef struct tg_node {
  const struct tg_op_def* op; /**< what it runs */
  tg_tensor** in;             /**< n_in inputs (in the tape's arena) */
  int n_in;                   /**< number of inputs */
  tg_tensor* out;             /**< its output (owned by the tape) */
  float* scratch;             /**< op-private saved state, scratch_size floats (arena) */
  int64_t scratch_size;       /**< set by the shape rule; 0: none */
  const char* scope;          /**< layer name active when recorded ("" if none) */
  int index;                  /**< position on the tape */
  struct tg_tape* tape;       /**< the tape that recorded it */
  /** The op's parameter block (op->params_size bytes, copied at record time; zeros
   * beyond): read it with tg_node_params. */
  union {
    unsigned char bytes[TG_OP_PARAMS_CAP];
    int64_t align_i64_;
    double align_f64_;
    void* align_ptr_;
  } params;
} tg_node;

/** What an op is. Ops live in ops/ or in a user's program: core needs no table of
 * them, so an op defined anywhere records, replays and differentiates the same. */
typedef struct tg_op_def {
  const char* name; /**< as messages and tools show it, e.g. "matmul" */
  int arity;        /**< inputs taken; TG_OP_VARIADIC: 1..TG_MAX_INPUTS */
  /** Checks the inputs and sets the output's rank and shape (and n->scratch_size);
   * on a mismatch writes a message into msg (cap bytes) and returns the error. */
  tg_status (*shape)(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg, size_t cap);
  void (*forward)(tg_node* n);  /**< computes n->out from n->in */
  void (*backward)(tg_node* n); /**< accumulates out->grad's VJP into the inputs' grads */
  /** Bytes of the op's parameter block (a plain struct of the op's own: strides,
   * axes, a constant), <= TG_OP_PARAMS_CAP. Builders pass a pointer to it. */
  size_t params_size;
  /** Writes the parameters as short text for tools ("3x3 s1 same", "axis=1"), or
   * NULL when there is nothing to say. Returns what snprintf returns. */
  int (*describe)(const tg_node* n, char* buf, size_t cap);
  unsigned flags;        /**< TG_OP_VIEW, TG_OP_NO_GRAD, TG_OP_INDEX_OUTPUT */
  unsigned index_inputs; /**< bit i set: input i is an int32 index tensor */
} tg_op_def;

/** Copies the node's parameter block into *out (size bytes: the op's params struct).
 * A copy, not a cast, so any struct type reads the bytes safely. */
static inline void tg_node_params(const tg_node* n, void* out, size_t size) {
  const size_t cap = TG_OP_PARAMS_CAP;
  memcpy(out, n->params.bytes, size < cap ? size : cap);
}

/** A replay shortcut for two consecutive nodes, installed per tape with
 * tg_tape_set_fusions (core/tape.h). When node n runs `first` and the node right
 * after it runs `second`:
 *     forward   (replay only) may compute both nodes' outputs in one pass -- exactly
 *               the values the two forwards give -- and return true; false declines
 *               and the two forwards run one by one.
 *     backward  may run next's backward and then n's in one pass, with exactly the
 *               results of the two, and return true; false declines. NULL: never.
 * What is recorded, the nodes tools see and every value stay the same; only the
 * number of passes over memory changes. */
typedef struct tg_op_fusion {
  const struct tg_op_def* first;               /**< the op of node n */
  const struct tg_op_def* second;              /**< the op of the node right after it */
  bool (*forward)(tg_node* n, tg_node* next);  /**< both forwards in one pass */
  bool (*backward)(tg_node* n, tg_node* next); /**< both backwards in one pass */
} tg_op_fusion;

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_OP_H_ */
