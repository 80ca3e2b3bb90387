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
 *               n->out->grad (except inputs the tape handles, identity_grads). Never
 *               assigns: reuse (add(x, x)) is then correct.
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

/** What an op's backward reads (tg_op_def.backward_reads). 0, the default, means
 * "undeclared": the backward may read every input's and the output's values, so an
 * op that says nothing stays correct. A declaration sets TG_READS_DECLARED plus a
 * bit per value read: TG_READS_NOTHING (add, scale: only the output's gradient),
 * TG_READS_OUTPUT (sigmoid: dy * y(1 - y)), TG_READS_INPUT(i) (matmul: both
 * operands). Inputs past TG_READS_MAX_INPUTS are always taken as read. Why: with
 * gradients packed (core/tape.h, tg_tape_set_keep_all off) the tape lends the
 * buffer of a value that no backward reads to intermediate gradients for the
 * backward, so the memory a training step touches shrinks. */
enum {
  TG_READS_DECLARED = 1 << 30,                   /**< the op declares its reads */
  TG_READS_NOTHING = TG_READS_DECLARED,          /**< reads no value, only gradients */
  TG_READS_OUTPUT = TG_READS_DECLARED | 1 << 29, /**< reads the output's value */
  TG_READS_MAX_INPUTS = 29,                      /**< inputs a declaration can name */
};

/** The backward_reads bit for input i (0 <= i < TG_READS_MAX_INPUTS). */
#define TG_READS_INPUT(i) ((unsigned)TG_READS_DECLARED | (1u << (i)))

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
  /** Elementwise ops (optional, both or neither): forward and backward restricted
   * to the output elements [begin, end). They let the tape's plan (core/tape.h)
   * run a chain of consecutive elementwise nodes -- bias add, activation, scale,
   * dropout -- tile by tile, each tile staying in L1 across the chain's ops, one
   * pass over memory forward and one backward, instead of one pass per node. The
   * tape only calls them on a node whose every input is either
   *     - full: the output's element count (element i of the output reads element i), or
   *     - a row: a broadcast input whose shape, without leading 1s, is the output's
   *       trailing dimensions (a bias [K] over [N, K]): element i reads i % in->size;
   * any other broadcast runs the node's forward/backward. Contract:
   *     forward_range   writes out->data[begin, end) exactly as forward would (the
   *                     same operations per element, so the bits are the same); an op
   *                     that draws random numbers draws them in forward's order (e.g.
   *                     its whole mask when begin is 0);
   *     backward_range  adds into in[i]->grad what backward adds for those output
   *                     elements, a row input's sums in increasing element order (then
   *                     tiles in order give backward's exact sums).
   * forward or backward may be NULL when the range function is given: the tape then
   * runs it over the whole output. Why ranges and not a fused kernel per pair: the
   * tape composes any chain of any such ops, and each op keeps its own math. */
  void (*forward_range)(tg_node* n, int64_t begin, int64_t end);
  /** The backward of forward_range's elements (see above). */
  void (*backward_range)(tg_node* n, int64_t begin, int64_t end);
  /** Bit i set: when input i has the output's element count, its VJP is the
   * identity (d in_i += d out, element for element: add's a and b, sub's a). The
   * tape then applies it and the op's backward (and backward_range) must leave
   * that input alone; for an input of another size (a broadcast) the op handles
   * it as usual. Why the tape: where it is safe (the input is an intermediate whose
   * only consumer is this node), the tape makes the input's gradient the output's
   * very buffer, so nothing is copied and one buffer less is held -- and no op
   * needs to know that buffers can be shared. Inputs 0..31. */
  unsigned identity_grads;
  /** Which values the backward (and backward_range) reads: TG_READS_* bits, 0 =
   * undeclared = all of them. A value the declaration leaves out may hold anything
   * while the backward runs (its buffer may carry gradients); scratch (n->scratch)
   * is always kept. Declare it only for what the code really reads: an input read
   * through a broadcast or a view counts as read. */
  unsigned backward_reads;
} tg_op_def;

/** Whether op's backward reads its input k's value (k >= 0) or its output's
 * (k == -1), by its declaration (backward_reads; undeclared: true). */
static inline bool tg_op_backward_reads(const tg_op_def* op, int k) {
  const unsigned r = op->backward_reads;
  if (!(r & (unsigned)TG_READS_DECLARED)) return true;
  if (k < 0) return (r & (1u << 29)) != 0;
  return k >= (int)TG_READS_MAX_INPUTS || (r & (1u << k)) != 0;
}

/** Copies the node's parameter block into *out (size bytes: the op's params struct).
 * A copy, not a cast, so any struct type reads the bytes safely. */
static inline void tg_node_params(const tg_node* n, void* out, size_t size) {
  const size_t cap = TG_OP_PARAMS_CAP;
  memcpy(out, n->params.bytes, size < cap ? size : cap);
}

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_OP_H_ */
