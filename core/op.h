/* core/op.h — what an op is: name, arity, shape rule, forward, backward (VJP).
 *
 * Ops live in ops/, one per file; core/ only knows this interface, so the tape can
 * record, replay and differentiate any op without knowing it. The contract:
 *   shape     computes the output shape from n->in and the attributes, or writes
 *             the reason into msg (without the op name; the tape adds it) and
 *             returns an error. It may ask for n->scratch_size floats of scratch.
 *   forward   writes every element of n->out->data (replay reuses the buffers).
 *   backward  *adds* into in[i]->grad for every input whose grad is non-NULL, given
 *             n->out->grad. Never assigns: reuse (add(x, x)) is then correct.
 */
#ifndef TAPEGRAD_CORE_OP_H_
#define TAPEGRAD_CORE_OP_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TG_MAX_INPUTS = 3 };

struct tg_tape;

/* Op attributes: a float (scale factor, epsilon) and two integers (axis, flags). */
typedef struct tg_op_attr {
  float f;
  int64_t i[2];
} tg_op_attr;

/* One recorded operation. Fields are read-only outside core/ and the op's own file. */
typedef struct tg_node {
  const struct tg_op_def* op;
  tg_tensor* in[TG_MAX_INPUTS];
  int n_in;
  tg_tensor* out;
  tg_op_attr attr;
  float* scratch;          /* op-private saved state, scratch_size floats (arena) */
  int64_t scratch_size;
  const char* scope;       /* layer name active when recorded ("" if none) */
  int index;               /* position on the tape */
  struct tg_tape* tape;
} tg_node;

typedef struct tg_op_def {
  const char* name;
  int arity;
  tg_status (*shape)(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg, size_t cap);
  void (*forward)(tg_node* n);
  void (*backward)(tg_node* n);
} tg_op_def;

/* A replay shortcut for two consecutive nodes, installed per tape with
 * tg_tape_set_fusions (core/tape.h). When node n runs `first` and the node right
 * after it runs `second`:
 *   forward   (replay only) may compute both nodes' outputs in one pass -- exactly
 *             the values the two forwards give -- and return true; false declines
 *             and the two forwards run one by one.
 *   backward  may run next's backward and then n's in one pass, with exactly the
 *             results of the two, and return true; false declines. NULL: never.
 * What is recorded, the nodes tools see and every value stay the same; only the
 * number of passes over memory changes. */
typedef struct tg_op_fusion {
  const struct tg_op_def* first;
  const struct tg_op_def* second;
  bool (*forward)(tg_node* n, tg_node* next);
  bool (*backward)(tg_node* n, tg_node* next);
} tg_op_fusion;

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_OP_H_ */
