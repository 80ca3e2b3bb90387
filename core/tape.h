/** @file core/tape.h — the tape: record ops as they run, replay them, differentiate.
 *
 * Core knows ops only through core/op.h: the tape records, replays and differentiates
 * any tg_op_def the same way, and nothing here depends on which ops or layers exist.
 * A tape is an append-only list of nodes {op, inputs, output, saved state}. Every
 * intermediate tensor lives in the tape's arena: tg_tape_clear forgets them all at
 * once and keeps the memory, tg_tape_free releases everything. Recording is eager
 * (define-by-run): an op computes its output as it is recorded -- unless the tape
 * records deferred (tg_tape_set_deferred: shapes first, values placed by liveness
 * and computed at the first tg_tape_forward), as a model's tapes do.
 *
 * Replay: tg_tape_forward reruns every recorded node over the same buffers with the
 * current contents of the leaves (new input data, updated parameters), and
 * tg_tape_backward differentiates again; neither records nor allocates.
 *
 * Errors are sticky: the first failing op (NULL input, bad shape, out of memory)
 * records a code and a message naming the op and the shapes, returns NULL, and every
 * later op on the tape returns NULL at once. Check once at the end:
 *
 *     tg_tape* t = tg_tape_new();
 *     tg_tensor* w = tg_tape_leaf(t, 2, shape, values, true);
 *     tg_tensor* loss = ...;  // ops recorded on t that read w (the builders in ops/ops.h)
 *     if (tg_tape_backward(t, loss) != TG_OK) fprintf(stderr, "%s\n", tg_tape_message(t));
 *     // w->grad now holds d(loss)/dw (accumulated: zero it per step)
 *     tg_tape_free(t);
 *
 * Thread-safety: a tape is used by one thread at a time; different tapes share nothing.
 */
#ifndef TAPEGRAD_CORE_TAPE_H_
#define TAPEGRAD_CORE_TAPE_H_

#include <stdbool.h>
#include <stddef.h>

#include "core/alloc.h"
#include "core/op.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_tape tg_tape; /**< a tape (opaque) */

/** New empty tape; NULL only when out of memory. Free with tg_tape_free. */
tg_tape* tg_tape_new(void);
/** Same with an allocator for every byte the tape uses (NULL: malloc). */
tg_tape* tg_tape_new_ex(const tg_allocator* alloc);
/** Releases the tape and everything it owns; NULL is ignored. */
void tg_tape_free(tg_tape* t);

/** Drops every node and intermediate and resets the error. The memory is kept, as
 * one block when the arena had grown in several (core/arena.h): recording other
 * shapes next then touches no more than it uses. */
void tg_tape_clear(tg_tape* t);

/** First error recorded on the tape (TG_OK if none) and its message ("" if none).
 * A NULL tape reports TG_ERR_NULL_ARG. @{ */
tg_status tg_tape_status(const tg_tape* t);
const char* tg_tape_message(const tg_tape* t);
/** @} */

/** Records an error if the tape has none yet (first error wins); returns `code`.
 * For ops and frontends that detect a problem outside a shape rule. */
tg_status tg_tape_fail(tg_tape* t, tg_status code, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** The single funnel every op goes through: NULL/sticky-error check, shape rule,
 * arena allocation of the output (and its grad when an input needs one), eager
 * forward, append. Returns the output (owned by the tape, valid until clear/free)
 * or NULL with the error recorded. `params` points to the op's parameter block
 * (op->params_size bytes, copied into the node) or is NULL (all zero). A view op's
 * output shares input 0's buffers. Any tg_op_def works; none needs registering. */
tg_tensor* tg_tape_apply(tg_tape* t, const tg_op_def* op, tg_tensor* const* in, int n_in,
                         const void* params);

/** A leaf tensor owned by the tape (inputs, targets, constants in tests): copies
 * `data` (may be NULL: zeros); with requires_grad it gets a zeroed grad that
 * backward accumulates into. NULL with the error recorded on bad shapes. */
tg_tensor* tg_tape_leaf(tg_tape* t, int rank, const int64_t* shape, const float* data,
                        bool requires_grad);

/** An int32 index leaf owned by the tape (labels, token ids: inputs of ops that take indices):
 * copies `values` (NULL: zeros). No gradient. NULL with the error recorded. */
tg_tensor* tg_tape_index_leaf(tg_tape* t, int rank, const int64_t* shape, const int32_t* values);

/** Replays the forward pass of every recorded node. No allocation. Stops with the
 * error when a node's forward rejects its data (e.g. an index out of range); the tape keeps that
 * error. */
tg_status tg_tape_forward(tg_tape* t);

/** Runs node `index`'s forward alone, over the same buffers (for tools that check
 * each output as soon as it is written, node by node). TG_ERR_ARG when index is
 * out of range; the node's own error when its forward rejects its data. */
tg_status tg_tape_forward_node(tg_tape* t, int index);

/** Backward from a one-element tensor recorded on this tape: zeroes intermediate
 * gradients, seeds d(loss)=1, runs every VJP in reverse and *accumulates* into the
 * grads of leaves (parameters are not zeroed here: zero them per step). */
tg_status tg_tape_backward(tg_tape* t, tg_tensor* loss);

/** Names the layer that following ops belong to (copied; NULL or "" ends it). Tools
 * group nodes by scope: every node a layer records under that layer's name. */
void tg_tape_set_scope(tg_tape* t, const char* scope);

/** An opaque pointer the tape carries for whoever recorded it (borrowed, never read by
 * core; kept by tg_tape_clear): a frontend points it at the declarations of the
 * parameters and layers it records, so tools that read the tape can ask that frontend
 * what a scope or a parameter is. NULL (the default) means none. @{ */
void tg_tape_set_annotation(tg_tape* t, const void* annotation);
const void* tg_tape_annotation(const tg_tape* t);
/** @} */

/** Worker threads kernels may use (1..TG_MAX_THREADS; default 1). A count outside
 * that range is refused: TG_ERR_ARG, recorded on the tape, the count unchanged.
 * When the tape's own pool exists it is re-created at once with the new count and
 * the scratch it held, so a replay after this call does not allocate (TG_ERR_NOMEM,
 * recorded, when that fails). TG_ERR_NULL_ARG for a NULL tape. @{ */
tg_status tg_tape_set_threads(tg_tape* t, int threads);
int tg_tape_threads(const tg_tape* t);
/** @} */

/** The worker pool kernels run on (core/threadpool.h), also holding their scratch:
 * the pool given to tg_tape_set_pool, else the tape's own, created on first call
 * with tg_tape_threads workers through the tape's allocator (and re-created if the
 * count changed). NULL only when it cannot be created; kernels then run on the
 * calling thread. Owned by the tape (or the caller, if set). */
tg_threadpool* tg_tape_pool(tg_tape* t);
/** Runs kernels on `pool` (borrowed; it must outlive its use by this tape), e.g. one
 * pool for a model's training and prediction tapes; NULL returns to the tape's own.
 * At most tg_tape_threads workers of it take part in any kernel. */
void tg_tape_set_pool(tg_tape* t, tg_threadpool* pool);

/** The replay plan. A recording is planned once, on its first tg_tape_forward or
 * tg_tape_backward (nothing is allocated then: the plan's arrays grow with the
 * node list), and every replay walks the plan instead of re-deciding per node:
 *   - chains of consecutive elementwise nodes (ops with forward_range and
 *     backward_range, core/op.h), each reading the previous one's output and all of
 *     the same element count, run tile by tile: one pass over memory forward and
 *     one backward instead of one per node. The tape, tools and every tensor still
 *     see every node and every value; results are bit-identical to running the
 *     nodes one by one.
 *   - identity VJPs (op->identity_grads): an intermediate read by that one input
 *     slot only gets the output's gradient buffer itself (equal
 *     by construction: nothing added, one buffer fewer); other such inputs get the
 *     gradient added by the tape. Gradients stay what they would be apart (an
 *     aliased gradient keeps a -0 that adding it to a zeroed buffer makes +0).
 * tg_tape_clear (or recording more nodes) makes the tape plan again. Planning is
 * on by default; tg_tape_set_planning(t, false) runs every replay node by node,
 * the reference the plan is tested against. */
void tg_tape_set_planning(tg_tape* t, bool on);
/** Gradient buffers by liveness. With keep_all off, the plan (built on the first
 * backward from a loss) gives the intermediates' gradients offsets in one arena:
 * a gradient is live only from the backward of its last consumer (the first to
 * write it) to its producer's (the last to read it), and buffers whose live spans
 * do not overlap share memory; each is zeroed just before its first writer. The
 * arena comes from the tape's own (once per recording and loss; replays allocate
 * nothing). Leaves' gradients (parameters, inputs) are never shared.
 * Dead values lend their buffers: a value that nodes read forward but no backward
 * reads (by the ops' declarations, core/op.h backward_reads; an op that declares
 * nothing is taken to read every value) is free once the forward is over, so the
 * packed gradients go into such buffers first and into the arena only when none
 * fits (memory the forward has touched already instead of memory of their own).
 * Never lent: leaves, views, the loss, values no node reads (the outputs) and every
 * value a backward reads. Such a dead value holds gradients after a backward, until
 * the next tg_tape_forward writes it again: record a node that reads it, or read it
 * yourself, only after a replay. After such a backward an
 * intermediate's grad holds whatever last used its memory: tools that show
 * intermediate gradients (the DOT exporter's gradient edges, tools/) need a tape
 * that keeps them, so keep_all is ON by default for a tape (every gradient its own
 * buffer, holding the last step's values) and a trainer turns it off for memory (a
 * model's training tape is off unless tg_model_options.keep_gradients). Turning it
 * on again gives every gradient its own buffer back from the next backward. */
void tg_tape_set_keep_all(tg_tape* t, bool on);
bool tg_tape_keeps_all(const tg_tape* t); /**< true for NULL */
/** Bytes of the gradient arena the current plan packs into (0: nothing packed). */
size_t tg_tape_gradient_arena_bytes(const tg_tape* t);
/** Bytes of packed gradients the current plan places in dead values' buffers
 * (tg_tape_set_keep_all off; 0: none, or nothing packed). */
size_t tg_tape_gradient_bytes_in_values(const tg_tape* t);

/** Value reuse, for a tape that records no gradient at all (a model's predict): when
 * on, the plan gives each intermediate's value the buffer of a value already dead
 * (read for the last time by an earlier step), so a replay touches less memory;
 * nothing is allocated (the recording's own buffers are reused). Values no node
 * reads -- the outputs -- and leaves keep their buffers; every other intermediate's
 * data is then scratch after a replay. Ignored on a tape with gradients (backward
 * reads values). Off by default. */
void tg_tape_set_reuse_values(tg_tape* t, bool on);

/** Deferred recording, for a tape that is replayed (a model's training and
 * prediction tapes): while on, tg_tape_apply checks shapes and records the node but
 * neither gives its value a buffer nor computes it -- the output's data is NULL
 * until the first tg_tape_forward, which plans every deferred value's buffer before
 * anything is written and then runs the forward. The plan places values by their
 * live forward steps (from the node that writes one to the last that reads it), so
 * values whose steps do not overlap share memory and a step touches only what is
 * live at once; kept whole are the values no node reads (the outputs: read them
 * after the forward) and, on a tape with gradients, every value a backward reads
 * (core/op.h backward_reads). Any other intermediate's data is scratch after a
 * forward, as with tg_tape_set_reuse_values. Errors a forward finds in the data (an
 * index out of range) come from that first tg_tape_forward instead of from
 * recording; tg_tape_backward before it fails with TG_ERR_STATE. Recording more
 * nodes after a forward places every value again at the next one. Leaves are
 * copied as always. Off by default (eager recording). @{ */
void tg_tape_set_deferred(tg_tape* t, bool on);
bool tg_tape_defers(const tg_tape* t); /**< false for NULL */
/** @} */
/** Says that the caller reads x's value after each forward (a model's output, which
 * its loss also reads): deferred placement (above) and the dead values that lend
 * their buffers to packed gradients (tg_tape_set_keep_all) then keep it whole, as
 * they keep values no node reads. For a view, its base is kept. Ignored for NULL, a
 * leaf, or a tensor not recorded on t. */
void tg_tape_keep_value(tg_tape* t, const tg_tensor* x);
/** Bytes of the region the current placement of deferred values uses (0: none). */
size_t tg_tape_value_region_bytes(const tg_tape* t);

/** How node `index` runs in the current plan: the number of nodes of the chain it
 * belongs to (1 when it runs alone), and *first (may be NULL) that chain's first
 * node. 0 when the tape has no plan yet (no replay or backward since recording),
 * planning is off, or index is out of range. For tests and tools. */
int tg_tape_plan_chain(const tg_tape* t, int index, int* first);

/** NaN sentinel (for tests and debugging a diverging model): when on, recording and
 * replay check every node's output after its forward, and backward checks the
 * gradients of a node's inputs after its VJP; the first non-finite value stops the
 * call with TG_ERR_ARG recorded, e.g.
 *     "<op> (node 3, scope <layer>): produced NaN at element 5 of [10x16]"
 *     "<op> backward (node 1): produced inf in the gradient of input 2 at element 0 of [3]"
 * Replay then runs node by node (no chains; same results). Off by default: one
 * branch per replay. */
void tg_tape_set_check_finite(tg_tape* t, bool on);

/** Backward progress: `fn(ctx, t, done)` runs on the calling thread after each node's
 * backward during tg_tape_backward, with `done` the lowest node index whose backward
 * has finished (every node >= done is through; a chain of the plan runs its nodes'
 * backward together and reports once, with the lowest of them).
 * A tensor's gradient is final once every node that takes it has run, so a caller
 * can ship finished gradients (a distributed reduction) while backward goes on.
 * fn NULL turns it off. Kept across tg_tape_clear. The hook must not record on t. @{ */
typedef void (*tg_backward_hook)(void* ctx, const tg_tape* t, int done);
void tg_tape_set_backward_hook(tg_tape* t, tg_backward_hook fn, void* ctx);
/** The hook installed (NULL for none or a NULL tape) and, when ctx is not NULL, its
 * context: what a caller that installs its own hook for one call saves, chains to,
 * and puts back. */
tg_backward_hook tg_tape_backward_hook(const tg_tape* t, void** ctx);
/** @} */

/** Whether the NaN sentinel (tg_tape_set_check_finite) is on; false for NULL. */
bool tg_tape_checks_finite(const tg_tape* t);

/** Read-only introspection for tools and tests. Nodes are in recording order. */
int tg_tape_node_count(const tg_tape* t);
const tg_node* tg_tape_node(const tg_tape* t, int index); /**< NULL if out of range */
/** The tensor last passed to a successful tg_tape_backward, or NULL. */
const tg_tensor* tg_tape_loss(const tg_tape* t);
/** The allocator the tape uses for everything (never NULL for a tape; NULL for NULL),
 * for kernels that need memory beyond the arena. */
const tg_allocator* tg_tape_allocator(const tg_tape* t);
/** Bytes the tape has obtained from its allocator (arena and node list). */
size_t tg_tape_reserved_bytes(const tg_tape* t);

/** For ops: floats from the tape's arena (uninitialised), NULL with TG_ERR_NOMEM
 * recorded on failure. */
float* tg_tape_alloc_floats(tg_tape* t, int64_t n);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_TAPE_H_ */
