/* core/internal/tape_impl.h — the tape's private state, shared by core/tape.c (recording)
 * and core/plan.c (the replay plan). Not installed; nothing outside core/ reads it. */
#ifndef TAPEGRAD_CORE_INTERNAL_TAPE_IMPL_H_
#define TAPEGRAD_CORE_INTERNAL_TAPE_IMPL_H_

#include "core/arena.h"
#include "core/tape.h"

/* One step of the plan: a node run alone, or a chain of `count` consecutive
 * elementwise nodes run tile by tile (core/op.h, forward_range). */
typedef struct tg_plan_step {
  tg_node* node;                /* the step's first node (lowest index) */
  int count;                    /* nodes in the step: 1, or the chain's length */
  int bfirst;                   /* backward: offset of the chain's first node that has a gradient */
  int64_t size;                 /* a chain's element count */
  int64_t tile;                 /* a chain's elements per tile */
  void (*forward)(tg_node* n);  /* a single node's forward (NULL: nothing to run) */
  void (*backward)(tg_node* n); /* a single node's backward */
  unsigned idmask;              /* a single node's inputs whose identity VJP the tape adds */
} tg_plan_step;

/* An intermediate whose gradient buffer the plan made its consumer's output's
 * (identity_grads), and its own buffer, given back when the tape plans again. */
typedef struct tg_plan_alias {
  tg_tensor* x;
  float* own;
} tg_plan_alias;

/* A gradient buffer the backward zeroes: the lowest node index that owns it, so a
 * backward from an earlier loss zeroes only what it uses. */
typedef struct tg_plan_zero {
  float* p;
  int64_t n;
  int node; /* packed gradients: the backward step before which it is zeroed */
} tg_plan_zero;

/* One gradient buffer of the packed arena: its live steps of the backward (from
 * its first writer to its last reader, both inclusive) and its place. */
typedef struct tg_plan_buf {
  int root; /* the node that owns the buffer */
  int start, end;
  size_t bytes, offset;
  int bin; /* the dead value (pool entry) it lies in, or -1: the gradient arena */
} tg_plan_buf;

/* The plan of one recording, built on the first replay or backward after it. Its
 * arrays grow with the node list (at record time) so building never allocates. */
typedef struct tg_plan {
  bool valid;
  int n_nodes; /* node count it was built for */
  uint32_t epoch;
  tg_plan_step* fsteps; /* in recording order */
  int n_fsteps;
  tg_plan_step* bsteps; /* in reverse order: backward walks it front to back */
  int n_bsteps;
  tg_plan_zero* zero; /* by increasing node */
  int n_zero;
  tg_plan_alias* alias;
  int n_alias;
  unsigned* idmask; /* per node: inputs whose identity VJP the tape adds */
  int* owner;       /* per node: the node whose buffers its output uses (views), or -1 */
  int* uses;        /* per node: how many input slots read its output (or a view of it) */
  int* zero_at;     /* per node: the lowest node whose gradient is this node's buffer */
  int* root;        /* per node: the node whose own buffer its gradient is */
  /* Gradient packing (tg_tape_set_keep_all off): the loss it is planned for (-1:
   * none), the roots' own buffers, the live intervals, the arena it packs into. */
  int packed_for;
  float** home; /* per node: its output's own gradient buffer while packed */
  tg_plan_buf* bufs;
  int n_bufs;
  int* pos; /* per node: its backward step, -1 if it has none */
  float* region;
  size_t region_bytes;
  size_t packed_bytes; /* what the current packing uses of the region */
  size_t lent_bytes;   /* gradient bytes placed in dead values' buffers */
  int* reads;          /* per node: who reads its value (plan.c, dead values) */
  /* Value reuse (tg_tape_set_reuse_values, tapes without gradients): the values
   * moved into dead values' buffers, and their own. */
  float** home_data; /* per node: its output's own buffer while moved */
  int* moved;        /* nodes whose output was moved */
  int n_moved;
  tg_plan_zero* pool; /* free buffers while assigning (p = buffer, n = capacity) */
  /* Deferred recording (tg_tape_set_deferred): per node, whether the plan placed its
   * value in the value region (1) or the value has a buffer of its own (0); how many
   * are placed; the region and what the placement uses of it. */
  int* placed;
  int* kept; /* per node: the caller reads its value after a forward (tg_tape_keep_value) */
  int n_placed;
  float* vregion;
  size_t vregion_bytes;
  size_t placed_bytes;
  int cap; /* capacity of each array, in entries (>= nodes) */
} tg_plan;

struct tg_tape {
  const tg_allocator* alloc;
  tg_arena arena;
  tg_node* nodes;
  int n_nodes;
  int cap_nodes;
  tg_error error;
  const char* scope; /* arena copy, "" when none */
  const tg_tensor* loss;
  int threads;
  tg_threadpool* own_pool;    /* created on first tg_tape_pool, through `alloc` */
  tg_threadpool* shared_pool; /* borrowed from tg_tape_set_pool, or NULL */
  const void* annotation;     /* borrowed from tg_tape_set_annotation, or NULL */
  uint32_t epoch;             /* recordings so far: bumped by tg_tape_clear, stamped on tensors */
  bool check_finite;          /* tg_tape_set_check_finite */
  bool unplanned;             /* tg_tape_set_planning(t, false) */
  bool reuse_grads;           /* tg_tape_set_keep_all(t, false) */
  bool reuse_values;          /* tg_tape_set_reuse_values(t, true) */
  bool deferred;              /* tg_tape_set_deferred(t, true) */
  int n_unplaced;             /* values recorded deferred that have no buffer yet */
  tg_backward_hook hook;      /* tg_tape_set_backward_hook, or NULL */
  void* hook_ctx;
  tg_plan plan;
};

/* Whether backward visits node n at all. */
static inline bool tg_node_runs_backward(const tg_node* n) {
  return n->out->grad != NULL && (n->op->backward != NULL || n->op->backward_range != NULL);
}

/* d in_i += d out for the inputs in `mask` (core/op.h, identity_grads) that have a
 * gradient of the output's size in a buffer of their own, over [begin, end). */
void tg_apply_identity_grads(tg_node* n, unsigned mask, int64_t begin, int64_t end);

/* Grows the plan's arrays to hold `nodes` entries (called as nodes are recorded). */
bool tg_plan_reserve(tg_tape* t, int nodes);
void tg_plan_free(tg_tape* t);
/* Builds the plan for the current recording unless it is up to date. */
void tg_plan_build(tg_tape* t);
/* Whether the plan is the current recording's (what tg_plan_build checks first):
 * inline, so that a replay of a small model does not pay a call to learn it. */
static inline bool tg_plan_current(const tg_tape* t) {
  return t->plan.valid && t->plan.n_nodes == t->n_nodes && t->plan.epoch == t->epoch;
}
/* Gives every intermediate gradient its own buffer again (packing undone). */
void tg_plan_unpack(tg_tape* t);
/* Gives the deferred values their buffers (core/plan.c); false with the error
 * recorded when the region cannot be had. */
bool tg_plan_place(tg_tape* t);
/* Takes the placed values out of the region again (recording more nodes on a
 * deferred tape: liveness changes), so the next forward places every value anew. */
void tg_plan_unplace(tg_tape* t);
/* Planned replay and backward (core/plan.c). */
tg_status tg_plan_forward(tg_tape* t);
tg_status tg_plan_backward(tg_tape* t, tg_tensor* loss);

#endif /* TAPEGRAD_CORE_INTERNAL_TAPE_IMPL_H_ */
