/* core/tape.c — recording, replay and reverse-mode differentiation. */
#include "core/tape.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal/tape_impl.h"
#include "core/threadpool.h"

tg_tape* tg_tape_new_ex(const tg_allocator* alloc) {
  alloc = tg_allocator_or_default(alloc);
  tg_tape* t = (tg_tape*)alloc->alloc(alloc->ctx, sizeof *t);
  if (t == NULL) return NULL;
  memset(t, 0, sizeof *t);
  t->alloc = alloc;
  tg_arena_init(&t->arena, alloc);
  t->scope = "";
  t->threads = 1;
  t->plan.packed_for = -1;
  return t;
}

tg_tape* tg_tape_new(void) { return tg_tape_new_ex(NULL); }

void tg_tape_free(tg_tape* t) {
  if (t == NULL) return;
  tg_arena_free(&t->arena);
  tg_threadpool_free(t->own_pool);
  tg_plan_free(t);
  t->alloc->free(t->alloc->ctx, t->nodes);
  t->alloc->free(t->alloc->ctx, t);
}

void tg_tape_clear(tg_tape* t) {
  if (t == NULL) return;
  tg_arena_reset(&t->arena);
  t->n_nodes = 0;
  t->epoch++; /* tensors of the old recording are refused from now on */
  t->error.code = TG_OK;
  t->error.message[0] = '\0';
  t->scope = "";
  t->loss = NULL;
  t->plan.valid = false;
  t->plan.n_alias = 0; /* their tensors are gone with the recording */
  t->plan.packed_for = -1;
  t->plan.n_moved = 0;
  t->plan.n_bufs = 0;
  t->plan.region = NULL; /* the arena's, reset above */
  t->plan.region_bytes = 0;
  for (int i = 0; i < t->plan.cap; ++i) t->plan.placed[i] = t->plan.kept[i] = 0;
  t->plan.n_placed = 0;
  t->plan.vregion = NULL;
  t->plan.vregion_bytes = 0;
  t->plan.placed_bytes = 0;
  t->n_unplaced = 0;
}

tg_status tg_tape_status(const tg_tape* t) { return t ? t->error.code : TG_ERR_NULL_ARG; }

const char* tg_tape_message(const tg_tape* t) { return t ? t->error.message : "tape is NULL"; }

tg_status tg_tape_fail(tg_tape* t, tg_status code, const char* fmt, ...) {
  if (t == NULL || t->error.code != TG_OK) return code;
  t->error.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->error.message, sizeof t->error.message, fmt, ap);
  va_end(ap);
  return code;
}

float* tg_tape_alloc_floats(tg_tape* t, int64_t n) {
  if (t == NULL) return NULL;
  int64_t checked = 0;
  int64_t shape[1] = {n};
  if (!tg_shape_numel(1, shape, &checked)) {
    tg_tape_fail(t, TG_ERR_OVERFLOW, "tape: cannot allocate %lld floats", (long long)n);
    return NULL;
  }
  float* p = (float*)tg_arena_alloc(&t->arena, (size_t)checked * sizeof(float));
  if (p == NULL)
    tg_tape_fail(t, TG_ERR_NOMEM, "tape: out of memory allocating %lld floats", (long long)n);
  return p;
}

static tg_tensor* new_arena_tensor(tg_tape* t, int rank, const int64_t* shape, bool with_data,
                                   bool with_grad, const char* who) {
  int64_t n = 0;
  char s[TG_SHAPE_STR_CAP];
  if (!tg_shape_numel(rank, shape, &n)) {
    tg_tape_fail(t, TG_ERR_OVERFLOW, "%s: output shape %s has too many elements", who,
                 tg_shape_format(s, sizeof s, rank, shape));
    return NULL;
  }
  tg_tensor* y = (tg_tensor*)tg_arena_alloc(&t->arena, sizeof *y);
  float* data = y && with_data ? tg_tape_alloc_floats(t, n) : NULL;
  float* grad = y && (data || !with_data) && with_grad ? tg_tape_alloc_floats(t, n) : NULL;
  if (y == NULL || (with_data && data == NULL) || (with_grad && grad == NULL)) {
    tg_tape_fail(t, TG_ERR_NOMEM, "%s: out of memory for a %s tensor", who,
                 tg_shape_format(s, sizeof s, rank, shape));
    return NULL;
  }
  memset(y, 0, sizeof *y);
  y->rank = rank;
  for (int i = 0; i < TG_MAX_RANK; ++i) y->shape[i] = i < rank ? shape[i] : 1;
  y->size = n;
  y->data = data;
  y->grad = grad;
  y->node = -1;
  y->tape_ = t;
  y->epoch_ = t->epoch;
  return y;
}

tg_tensor* tg_tape_leaf(tg_tape* t, int rank, const int64_t* shape, const float* data,
                        bool requires_grad) {
  if (t == NULL || t->error.code != TG_OK) return NULL;
  if (rank < 0 || rank > TG_MAX_RANK) {
    tg_tape_fail(t, TG_ERR_RANK, "tg_tape_leaf: rank %d is outside 0..%d", rank, TG_MAX_RANK);
    return NULL;
  }
  if (rank > 0 && shape == NULL) {
    tg_tape_fail(t, TG_ERR_NULL_ARG, "tg_tape_leaf: shape is NULL for rank %d", rank);
    return NULL;
  }
  for (int i = 0; i < rank; ++i) {
    if (shape[i] < 0) {
      char s[TG_SHAPE_STR_CAP];
      tg_tape_fail(t, TG_ERR_SHAPE, "tg_tape_leaf: shape %s has a negative dimension",
                   tg_shape_format(s, sizeof s, rank, shape));
      return NULL;
    }
  }
  tg_tensor* y = new_arena_tensor(t, rank, shape, true, requires_grad, "tg_tape_leaf");
  if (y == NULL) return NULL;
  if (data)
    memcpy(y->data, data, (size_t)y->size * sizeof(float));
  else
    memset(y->data, 0, (size_t)y->size * sizeof(float));
  if (y->grad) memset(y->grad, 0, (size_t)y->size * sizeof(float));
  y->role = requires_grad ? TG_ROLE_PARAM : TG_ROLE_INPUT;
  return y;
}

tg_tensor* tg_tape_index_leaf(tg_tape* t, int rank, const int64_t* shape, const int32_t* values) {
  if (t == NULL || t->error.code != TG_OK) return NULL;
  tg_tensor* y = tg_tape_leaf(t, rank, shape, NULL, false);
  if (y == NULL) return NULL;
  y->dtype = TG_INT32;
  y->idata = (int32_t*)(void*)y->data; /* the arena's floats, as 4-byte indices */
  y->data = NULL;
  if (values) memcpy(y->idata, values, (size_t)y->size * sizeof(int32_t));
  return y;
}

/* Room for one more node, and for its plan entries (so building the plan on the
 * first replay allocates nothing). */
static bool grow_nodes(tg_tape* t) {
  if (t->n_nodes < t->cap_nodes) return true;
  int cap = t->cap_nodes ? t->cap_nodes * 2 : 64;
  if (!tg_plan_reserve(t, cap)) return false;
  tg_node* nodes = (tg_node*)t->alloc->alloc(t->alloc->ctx, (size_t)cap * sizeof *nodes);
  if (nodes == NULL) return false;
  if (t->n_nodes) memcpy(nodes, t->nodes, (size_t)t->n_nodes * sizeof *nodes);
  t->alloc->free(t->alloc->ctx, t->nodes);
  t->nodes = nodes;
  t->cap_nodes = cap;
  return true;
}

/* The first non-finite value of n floats: its index, or -1. */
static int64_t first_non_finite(const float* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!isfinite(v[i])) return i;
  return -1;
}

static const char* non_finite_name(float v) { return isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf"; }

/* With check_finite on: fails the tape when node n's output (after its forward) or
 * the gradient of one of its inputs (after its backward) holds a non-finite value,
 * naming the op, the node and its scope. Returns whether all is finite. */
static bool check_node(tg_tape* t, const tg_node* n, bool backward) {
  char where[TG_NAME_CAP + 64], s[TG_SHAPE_STR_CAP];
  if (n->scope[0] != '\0')
    snprintf(where, sizeof where, "node %d, scope %s", n->index, n->scope);
  else
    snprintf(where, sizeof where, "node %d", n->index);
  if (!backward) {
    const tg_tensor* y = n->out;
    if (y->dtype != TG_FLOAT32 || (n->op->flags & TG_OP_VIEW)) return true;
    const int64_t i = first_non_finite(y->data, y->size);
    if (i < 0) return true;
    tg_tape_fail(t, TG_ERR_ARG, "%s (%s): produced %s at element %lld of %s", n->op->name, where,
                 non_finite_name(y->data[i]), (long long)i, tg_tensor_shape_str(y, s, sizeof s));
    return false;
  }
  for (int k = 0; k < n->n_in; ++k) {
    const tg_tensor* x = n->in[k];
    if (x->grad == NULL) continue;
    const int64_t i = first_non_finite(x->grad, x->size);
    if (i < 0) continue;
    tg_tape_fail(t, TG_ERR_ARG,
                 "%s backward (%s): produced %s in the gradient of input %d at element %lld of %s",
                 n->op->name, where, non_finite_name(x->grad[i]), k + 1, (long long)i,
                 tg_tensor_shape_str(x, s, sizeof s));
    return false;
  }
  return true;
}

void tg_tape_set_check_finite(tg_tape* t, bool on) {
  if (t) t->check_finite = on;
}

/* Checks the inputs' count, NULLs and element types; records the error if any. */
static bool check_inputs(tg_tape* t, const tg_op_def* op, tg_tensor* const* in, int n_in) {
  if (n_in > 0 && in == NULL) {
    tg_tape_fail(t, TG_ERR_NULL_ARG, "%s: the input array is NULL (n_in is %d)", op->name, n_in);
    return false;
  }
  if (op->arity == TG_OP_VARIADIC) {
    if (n_in < 1 || n_in > TG_MAX_INPUTS) {
      tg_tape_fail(t, TG_ERR_ARG, "%s: expects 1 to %d inputs, got %d", op->name, TG_MAX_INPUTS,
                   n_in);
      return false;
    }
  } else if (op->arity < 0 || op->arity > TG_MAX_INPUTS) {
    tg_tape_fail(t, TG_ERR_ARG, "%s: arity %d is outside 0..%d", op->name, op->arity,
                 TG_MAX_INPUTS);
    return false;
  } else if (n_in != op->arity) {
    tg_tape_fail(t, TG_ERR_ARG, "%s: expects %d input%s, got %d", op->name, op->arity,
                 op->arity == 1 ? "" : "s", n_in);
    return false;
  }
  for (int i = 0; i < n_in; ++i) {
    if (in[i] == NULL) {
      tg_tape_fail(t, TG_ERR_NULL_ARG, "%s: input %d is NULL", op->name, i + 1);
      return false;
    }
    /* Caller-owned tensors (no tape) are for any tape; a tape's own only for the
     * recording that made them. Checked once here, so replay costs nothing. */
    if (in[i]->tape_ != NULL && in[i]->tape_ != t) {
      tg_tape_fail(t, TG_ERR_ARG, "%s: input %d belongs to another tape", op->name, i + 1);
      return false;
    }
    if (in[i]->tape_ != NULL && in[i]->epoch_ != t->epoch) {
      tg_tape_fail(t, TG_ERR_ARG,
                   "%s: input %d was recorded before the last tg_tape_clear of this tape", op->name,
                   i + 1);
      return false;
    }
    const tg_dtype want = (i < 32 && (op->index_inputs >> i) & 1u) ? TG_INT32 : TG_FLOAT32;
    if (in[i]->dtype != want) {
      char s[TG_SHAPE_STR_CAP];
      tg_tape_fail(t, TG_ERR_ARG, "%s: input %d %s is %s, expected %s", op->name, i + 1,
                   tg_tensor_shape_str(in[i], s, sizeof s), tg_dtype_name(in[i]->dtype),
                   tg_dtype_name(want));
      return false;
    }
  }
  return true;
}

tg_tensor* tg_tape_apply(tg_tape* t, const tg_op_def* op, tg_tensor* const* in, int n_in,
                         const void* params) {
  if (t == NULL || t->error.code != TG_OK) return NULL;
  if (op == NULL) {
    tg_tape_fail(t, TG_ERR_NULL_ARG, "tg_tape_apply: op is NULL");
    return NULL;
  }
  if (op->params_size > TG_OP_PARAMS_CAP) {
    tg_tape_fail(t, TG_ERR_ARG, "%s: parameter block of %zu bytes exceeds %d", op->name,
                 op->params_size, TG_OP_PARAMS_CAP);
    return NULL;
  }
  if (!check_inputs(t, op, in, n_in)) return NULL;
  const bool view = (op->flags & TG_OP_VIEW) != 0;
  tg_node n;
  memset(&n, 0, sizeof n);
  n.op = op;
  n.n_in = n_in;
  n.in = (tg_tensor**)tg_arena_alloc(&t->arena, (size_t)(n_in > 0 ? n_in : 1) * sizeof(tg_tensor*));
  if (n.in == NULL) {
    tg_tape_fail(t, TG_ERR_NOMEM, "%s: out of memory recording %d inputs", op->name, n_in);
    return NULL;
  }
  for (int i = 0; i < n_in; ++i) n.in[i] = in[i];
  if (params != NULL && op->params_size > 0) memcpy(n.params.bytes, params, op->params_size);
  n.scope = t->scope;
  n.index = t->n_nodes;
  n.tape = t;

  int rank = 0;
  int64_t shape[TG_MAX_RANK] = {1, 1, 1, 1};
  char msg[TG_ERROR_MESSAGE_CAP];
  msg[0] = '\0';
  tg_status s = op->shape(&n, &rank, shape, msg, sizeof msg);
  if (s != TG_OK) {
    tg_tape_fail(t, s, "%s: %s", op->name, msg);
    return NULL;
  }
  bool needs_grad = false;
  for (int i = 0; i < n_in; ++i) needs_grad = needs_grad || in[i]->grad != NULL;

  tg_tensor* y;
  if (view) {
    int64_t numel = 0;
    char sx[TG_SHAPE_STR_CAP], sy[TG_SHAPE_STR_CAP];
    if (!tg_shape_numel(rank, shape, &numel) || numel != in[0]->size) {
      tg_tape_fail(t, TG_ERR_SHAPE, "%s: a view of %s cannot have shape %s", op->name,
                   tg_tensor_shape_str(in[0], sx, sizeof sx),
                   tg_shape_format(sy, sizeof sy, rank, shape));
      return NULL;
    }
    y = (tg_tensor*)tg_arena_alloc(&t->arena, sizeof *y);
    if (y == NULL) {
      tg_tape_fail(t, TG_ERR_NOMEM, "%s: out of memory for a view", op->name);
      return NULL;
    }
    memset(y, 0, sizeof *y);
    y->rank = rank;
    for (int i = 0; i < TG_MAX_RANK; ++i) y->shape[i] = i < rank ? shape[i] : 1;
    y->size = numel;
    y->data = in[0]->data;
    y->grad = in[0]->grad;
    y->dtype = in[0]->dtype;
    y->idata = in[0]->idata;
    y->tape_ = t;
    y->epoch_ = t->epoch;
  } else {
    const bool index_out = (op->flags & TG_OP_INDEX_OUTPUT) != 0;
    const bool grad_out = needs_grad && (op->backward != NULL || op->backward_range != NULL) &&
                          !index_out && !(op->flags & TG_OP_NO_GRAD);
    /* Deferred: the value gets its buffer when the plan places it (core/plan.c). */
    const bool deferred = t->deferred && !index_out;
    if (deferred && t->plan.n_placed > 0) tg_plan_unplace(t); /* liveness changes */
    y = new_arena_tensor(t, rank, shape, !deferred, grad_out, op->name);
    if (y == NULL) return NULL;
    if (deferred) t->n_unplaced++;
    if (index_out) {
      y->dtype = TG_INT32;
      y->idata = (int32_t*)(void*)y->data;
      y->data = NULL;
    }
  }
  if (n.scratch_size > 0) {
    n.scratch = tg_tape_alloc_floats(t, n.scratch_size);
    if (n.scratch == NULL) return NULL;
  }
  if (!grow_nodes(t)) {
    tg_tape_fail(t, TG_ERR_NOMEM, "%s: out of memory growing the tape", op->name);
    return NULL;
  }
  y->role = TG_ROLE_INTERMEDIATE;
  y->node = t->n_nodes;
  n.out = y;
  t->nodes[t->n_nodes] = n;
  t->n_nodes++;
  tg_node* rec = &t->nodes[t->n_nodes - 1];
  if (t->deferred) return y; /* the first tg_tape_forward runs it */
  if (op->forward)
    op->forward(rec);
  else if (op->forward_range)
    op->forward_range(rec, 0, y->size);
  if (t->error.code != TG_OK) return NULL; /* the forward found bad data */
  if (t->check_finite && !check_node(t, &t->nodes[t->n_nodes - 1], false)) return NULL;
  return y;
}

/* One node's forward or backward as recorded, for the node-by-node replay. */
static void run_forward(tg_node* n) {
  if (n->op->forward)
    n->op->forward(n);
  else if (n->op->forward_range)
    n->op->forward_range(n, 0, n->out->size);
}

static void run_backward(tg_node* n) {
  tg_apply_identity_grads(n, n->op->identity_grads, 0, n->out->size);
  if (n->op->backward)
    n->op->backward(n);
  else
    n->op->backward_range(n, 0, n->out->size);
}

/* Node by node, checking each output (the NaN sentinel names the node). Out of line,
 * so that the planned replay's entry saves no registers for it. */
static __attribute__((noinline)) tg_status forward_checked(tg_tape* t) {
  for (int i = 0; i < t->n_nodes; ++i) {
    tg_node* n = &t->nodes[i];
    run_forward(n);
    if (t->error.code != TG_OK) return t->error.code; /* bad data (an index out of range) */
    if (t->check_finite && !check_node(t, n, false)) return t->error.code;
  }
  return TG_OK;
}

tg_status tg_tape_forward_node(tg_tape* t, int index) {
  if (t == NULL) return TG_ERR_NULL_ARG;
  if (t->error.code != TG_OK) return t->error.code;
  if (index < 0 || index >= t->n_nodes)
    return tg_tape_fail(t, TG_ERR_ARG, "tg_tape_forward_node: node %d is outside 0..%d", index,
                        t->n_nodes - 1);
  if (t->n_unplaced > 0 && !tg_plan_place(t)) return t->error.code;
  run_forward(&t->nodes[index]);
  return t->error.code;
}

tg_status tg_tape_forward(tg_tape* t) {
  if (t == NULL) return TG_ERR_NULL_ARG;
  if (t->error.code != TG_OK) return t->error.code;
  if (t->n_unplaced > 0 && !tg_plan_place(t)) return t->error.code;
  if (t->check_finite || t->unplanned) return forward_checked(t);
  if (!tg_plan_current(t)) tg_plan_build(t);
  return tg_plan_forward(t);
}

/* Node by node: zeroes the gradients, seeds the loss's, runs every VJP in reverse
 * (checking the inputs' gradients after each with the NaN sentinel on). */
static tg_status backward_checked(tg_tape* t, tg_tensor* loss) {
  const int last = loss->node;
  for (int i = 0; i <= last; ++i) {
    tg_tensor* y = t->nodes[i].out;
    /* A view's gradient is its base's, zeroed (or, for a leaf, kept) with it. */
    if (y->grad && !(t->nodes[i].op->flags & TG_OP_VIEW))
      memset(y->grad, 0, (size_t)y->size * sizeof(float));
  }
  loss->grad[0] += 1.0f; /* += : a loss that is a view of a leaf adds to its gradient */
  for (int i = last; i >= 0; --i) {
    tg_node* n = &t->nodes[i];
    if (!tg_node_runs_backward(n)) continue;
    run_backward(n);
    if (t->check_finite && !check_node(t, n, true)) return t->error.code;
    if (t->hook) t->hook(t->hook_ctx, t, i);
  }
  return TG_OK;
}

/* The message for a loss that is not this tape's current output: formatted only on
 * this path, so a good backward pays for no text. */
static tg_status reject_loss(tg_tape* t, const tg_tensor* loss) {
  char s[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(loss, s, sizeof s);
  if (loss->tape_ != NULL && loss->tape_ != t)
    return tg_tape_fail(t, TG_ERR_ARG, "tg_tape_backward: loss %s belongs to another tape", s);
  if (loss->tape_ == t && loss->epoch_ != t->epoch)
    return tg_tape_fail(t, TG_ERR_ARG,
                        "tg_tape_backward: loss %s was recorded before the last tg_tape_clear", s);
  if (loss->node < 0)
    return tg_tape_fail(t, TG_ERR_ARG,
                        "tg_tape_backward: loss %s is a leaf, not the output of an op recorded on "
                        "this tape",
                        s);
  return tg_tape_fail(t, TG_ERR_ARG, "tg_tape_backward: loss %s was not recorded on this tape", s);
}

tg_status tg_tape_backward(tg_tape* t, tg_tensor* loss) {
  if (t == NULL) return TG_ERR_NULL_ARG;
  if (t->error.code != TG_OK) return t->error.code;
  if (loss == NULL) return tg_tape_fail(t, TG_ERR_NULL_ARG, "tg_tape_backward: loss is NULL");
  if ((loss->tape_ != NULL && loss->tape_ != t) || (loss->tape_ == t && loss->epoch_ != t->epoch) ||
      loss->node < 0 || loss->node >= t->n_nodes || t->nodes[loss->node].out != loss)
    return reject_loss(t, loss);
  char s[TG_SHAPE_STR_CAP];
  if (loss->size != 1)
    return tg_tape_fail(t, TG_ERR_SHAPE,
                        "tg_tape_backward: loss must have exactly one element, got %s",
                        tg_tensor_shape_str(loss, s, sizeof s));
  if (loss->grad == NULL)
    return tg_tape_fail(
        t, TG_ERR_ARG,
        "tg_tape_backward: loss does not depend on any tensor that requires a gradient");
  if (t->n_unplaced > 0)
    return tg_tape_fail(t, TG_ERR_STATE,
                        "tg_tape_backward: the tape was recorded deferred and its forward has not "
                        "run yet (call tg_tape_forward first)");
  tg_status st = TG_OK;
  if (t->check_finite || t->unplanned) {
    tg_plan_unpack(t); /* node by node needs every gradient in a buffer of its own */
    st = backward_checked(t, loss);
  } else {
    tg_plan_build(t);
    st = tg_plan_backward(t, loss);
  }
  if (st == TG_OK) t->loss = loss;
  return st;
}

void tg_tape_set_scope(tg_tape* t, const char* scope) {
  if (t == NULL) return;
  if (scope == NULL || scope[0] == '\0') {
    t->scope = "";
    return;
  }
  size_t len = strlen(scope);
  char* copy = (char*)tg_arena_alloc(&t->arena, len + 1);
  if (copy == NULL) {
    tg_tape_fail(t, TG_ERR_NOMEM, "tg_tape_set_scope: out of memory");
    return;
  }
  memcpy(copy, scope, len + 1);
  t->scope = copy;
}

tg_backward_hook tg_tape_backward_hook(const tg_tape* t, void** ctx) {
  if (ctx) *ctx = t ? t->hook_ctx : NULL;
  return t ? t->hook : NULL;
}

bool tg_tape_checks_finite(const tg_tape* t) { return t && t->check_finite; }

void tg_tape_set_backward_hook(tg_tape* t, tg_backward_hook fn, void* ctx) {
  if (t == NULL) return;
  t->hook = fn;
  t->hook_ctx = fn ? ctx : NULL;
}

tg_status tg_tape_set_threads(tg_tape* t, int threads) {
  if (t == NULL) return TG_ERR_NULL_ARG;
  if (threads < 1 || threads > TG_MAX_THREADS)
    return tg_tape_fail(t, TG_ERR_ARG, "tg_tape_set_threads: %d threads is outside 1..%d", threads,
                        TG_MAX_THREADS);
  if (t->own_pool != NULL && tg_threadpool_threads(t->own_pool) != threads) {
    const size_t scratch = tg_threadpool_scratch_bytes(t->own_pool);
    tg_threadpool* fresh = tg_threadpool_new(threads, t->alloc, NULL);
    if (fresh == NULL || (scratch > 0 && tg_threadpool_reserve(fresh, scratch) != TG_OK)) {
      tg_threadpool_free(fresh);
      return tg_tape_fail(t, TG_ERR_NOMEM,
                          "tg_tape_set_threads: out of memory for a pool of %d threads", threads);
    }
    tg_threadpool_free(t->own_pool);
    t->own_pool = fresh;
  }
  t->threads = threads;
  return TG_OK;
}

int tg_tape_threads(const tg_tape* t) { return t ? t->threads : 1; }

tg_threadpool* tg_tape_pool(tg_tape* t) {
  if (t == NULL) return NULL;
  if (t->shared_pool) return t->shared_pool;
  if (t->own_pool && tg_threadpool_threads(t->own_pool) != t->threads) {
    tg_threadpool_free(t->own_pool);
    t->own_pool = NULL;
  }
  if (t->own_pool == NULL) t->own_pool = tg_threadpool_new(t->threads, t->alloc, NULL);
  return t->own_pool;
}

void tg_tape_set_pool(tg_tape* t, tg_threadpool* pool) {
  if (t) t->shared_pool = pool;
}

void tg_tape_set_planning(tg_tape* t, bool on) {
  if (t == NULL) return;
  t->unplanned = !on;
  if (!on) tg_plan_unpack(t); /* node by node, every gradient in its own buffer */
}

void tg_tape_set_keep_all(tg_tape* t, bool on) {
  if (t == NULL) return;
  t->reuse_grads = !on;
  if (on) tg_plan_unpack(t);
}

void tg_tape_set_reuse_values(tg_tape* t, bool on) {
  if (t == NULL || t->reuse_values == on) return;
  t->reuse_values = on;
  t->plan.valid = false; /* the next plan moves the values, or gives them back */
}

void tg_tape_keep_value(tg_tape* t, const tg_tensor* x) {
  if (t == NULL || x == NULL || x->node < 0 || x->node >= t->n_nodes ||
      t->nodes[x->node].out != x || t->plan.kept[x->node])
    return;
  t->plan.kept[x->node] = 1;
  tg_plan_unplace(t); /* liveness changed: place and pack again */
  tg_plan_unpack(t);
  t->plan.valid = false;
}

void tg_tape_set_deferred(tg_tape* t, bool on) {
  if (t) t->deferred = on;
}

bool tg_tape_defers(const tg_tape* t) { return t && t->deferred; }

size_t tg_tape_value_region_bytes(const tg_tape* t) { return t ? t->plan.placed_bytes : 0; }

bool tg_tape_keeps_all(const tg_tape* t) { return t == NULL || !t->reuse_grads; }

size_t tg_tape_gradient_arena_bytes(const tg_tape* t) {
  return t && t->plan.packed_for >= 0 ? t->plan.packed_bytes : 0;
}

size_t tg_tape_gradient_bytes_in_values(const tg_tape* t) {
  return t && t->plan.packed_for >= 0 ? t->plan.lent_bytes : 0;
}

int tg_tape_node_count(const tg_tape* t) { return t ? t->n_nodes : 0; }

const tg_node* tg_tape_node(const tg_tape* t, int index) {
  if (t == NULL || index < 0 || index >= t->n_nodes) return NULL;
  return &t->nodes[index];
}

const tg_tensor* tg_tape_loss(const tg_tape* t) { return t ? t->loss : NULL; }

const tg_allocator* tg_tape_allocator(const tg_tape* t) { return t ? t->alloc : NULL; }

size_t tg_tape_reserved_bytes(const tg_tape* t) {
  return t ? t->arena.reserved + (size_t)t->cap_nodes * sizeof(tg_node) : 0;
}

void tg_tape_set_annotation(tg_tape* t, const void* annotation) {
  if (t != NULL) t->annotation = annotation;
}

const void* tg_tape_annotation(const tg_tape* t) { return t ? t->annotation : NULL; }
