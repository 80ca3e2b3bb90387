/* core/plan.c — the replay plan: what tg_tape_forward and tg_tape_backward run.
 *
 * A recorded tape is replayed many times with the same shapes, so every decision
 * that depends only on the graph is taken once, when the plan is built (the first
 * replay or backward after recording), and the replay loops walk flat arrays:
 *   - which nodes run at all (views and ops without a forward have nothing to do);
 *   - chains of consecutive elementwise nodes (core/op.h, forward_range), run tile
 *     by tile so each tile stays in L1 across the chain: one pass over memory
 *     instead of one per node;
 *   - identity VJPs (core/op.h, identity_grads): an intermediate
 *     whose only consumer hands it the output's gradient unchanged gets the output's
 *     gradient buffer itself (nothing to add, one buffer fewer); other such inputs
 *     get the gradient added by the tape, so no op knows buffers can be shared;
 *   - which gradient buffers backward zeroes.
 * Results are the node-by-node ones bit for bit: within a chain every element sees
 * the same operations in the same order, and a broadcast row's gradient sums its
 * rows in order (tiles run in order; a row written by two nodes of one chain, whose
 * sums would interleave, keeps that chain's backward node by node).
 */
#include <string.h>

#include "core/internal/tape_impl.h"
#include "core/vector_clones.h"

/* Longest chain: past a few nodes the tile's working set outgrows L1 anyway. */
enum { kMaxChain = 8 };

/* Floats of all the streams a chain touches per tile, in total (a few KiB each:
 * they must all stay in a 32 KiB L1 at once), and the tile's bounds in floats. */
enum { kTileBudget = 6144, kTileMin = 256, kTileMax = 2048, kTileStep = 64 };

static void* grow(const tg_allocator* a, void* old, size_t used, size_t bytes) {
  void* p = a->alloc(a->ctx, bytes);
  if (p == NULL) return NULL;
  if (old && used) memcpy(p, old, used);
  a->free(a->ctx, old);
  return p;
}

bool tg_plan_reserve(tg_tape* t, int nodes) {
  tg_plan* p = &t->plan;
  if (nodes <= p->cap) return true;
  tg_plan_unpack(t); /* reads the arrays replaced below */
  p->valid = false;
  int cap = p->cap ? p->cap : 64;
  while (cap < nodes) cap *= 2;
  tg_plan_step* f = (tg_plan_step*)grow(t->alloc, p->fsteps, 0, (size_t)cap * sizeof *f);
  if (f == NULL) return false;
  p->fsteps = f;
  tg_plan_step* b = (tg_plan_step*)grow(t->alloc, p->bsteps, 0, (size_t)cap * sizeof *b);
  if (b == NULL) return false;
  p->bsteps = b;
  tg_plan_zero* z = (tg_plan_zero*)grow(t->alloc, p->zero, 0, (size_t)cap * sizeof *z);
  if (z == NULL) return false;
  p->zero = z;
  /* The aliases in force are kept: planning again gives their buffers back. */
  tg_plan_alias* al = (tg_plan_alias*)grow(t->alloc, p->alias, (size_t)p->n_alias * sizeof *al,
                                           (size_t)cap * sizeof *al);
  if (al == NULL) return false;
  p->alias = al;
  unsigned* m = (unsigned*)grow(t->alloc, p->idmask, 0, (size_t)cap * sizeof *m);
  if (m == NULL) return false;
  p->idmask = m;
  float** home = (float**)grow(t->alloc, p->home, 0, (size_t)cap * sizeof *home);
  if (home == NULL) return false;
  p->home = home;
  tg_plan_buf* bufs = (tg_plan_buf*)grow(t->alloc, p->bufs, 0, (size_t)cap * sizeof *bufs);
  if (bufs == NULL) return false;
  p->bufs = bufs;
  float** hd =
      (float**)grow(t->alloc, p->home_data, (size_t)p->cap * sizeof *hd, (size_t)cap * sizeof *hd);
  if (hd == NULL) return false;
  p->home_data = hd;
  tg_plan_zero* pool = (tg_plan_zero*)grow(t->alloc, p->pool, 0, (size_t)cap * sizeof *pool);
  if (pool == NULL) return false;
  p->pool = pool;
  int* mv =
      (int*)grow(t->alloc, p->moved, (size_t)p->n_moved * sizeof *mv, (size_t)cap * sizeof *mv);
  if (mv == NULL) return false;
  p->moved = mv;
  int* placed = (int*)grow(t->alloc, p->placed, (size_t)p->cap * sizeof *placed,
                           (size_t)cap * sizeof *placed);
  if (placed == NULL) return false;
  for (int i = p->cap; i < cap; ++i) placed[i] = 0;
  p->placed = placed;
  int* kept =
      (int*)grow(t->alloc, p->kept, (size_t)p->cap * sizeof *kept, (size_t)cap * sizeof *kept);
  if (kept == NULL) return false;
  for (int i = p->cap; i < cap; ++i) kept[i] = 0;
  p->kept = kept;
  int** ints[6] = {&p->owner, &p->uses, &p->zero_at, &p->root, &p->pos, &p->reads};
  for (int k = 0; k < 6; ++k) {
    int* v = (int*)grow(t->alloc, *ints[k], 0, (size_t)cap * sizeof *v);
    if (v == NULL) return false;
    *ints[k] = v;
  }
  p->cap = cap;
  return true;
}

void tg_plan_free(tg_tape* t) {
  t->alloc->free(t->alloc->ctx, t->plan.fsteps);
  t->alloc->free(t->alloc->ctx, t->plan.bsteps);
  t->alloc->free(t->alloc->ctx, t->plan.zero);
  t->alloc->free(t->alloc->ctx, t->plan.alias);
  t->alloc->free(t->alloc->ctx, t->plan.idmask);
  t->alloc->free(t->alloc->ctx, t->plan.owner);
  t->alloc->free(t->alloc->ctx, t->plan.uses);
  t->alloc->free(t->alloc->ctx, t->plan.zero_at);
  t->alloc->free(t->alloc->ctx, t->plan.root);
  t->alloc->free(t->alloc->ctx, t->plan.pos);
  t->alloc->free(t->alloc->ctx, t->plan.reads);
  t->alloc->free(t->alloc->ctx, t->plan.home);
  t->alloc->free(t->alloc->ctx, t->plan.bufs);
  t->alloc->free(t->alloc->ctx, t->plan.home_data);
  t->alloc->free(t->alloc->ctx, t->plan.moved);
  t->alloc->free(t->alloc->ctx, t->plan.pool);
  t->alloc->free(t->alloc->ctx, t->plan.placed);
  t->alloc->free(t->alloc->ctx, t->plan.kept);
  memset(&t->plan, 0, sizeof t->plan);
}

/* x repeats along y as a row: x without its leading 1s is y's trailing dimensions,
 * so output element i reads x's element i % x->size. */
static bool is_row(const tg_tensor* x, const tg_tensor* y) {
  if (x->size <= 0 || x->size >= y->size) return false;
  int lead = 0;
  while (lead < x->rank && x->shape[lead] == 1) ++lead;
  const int r = x->rank - lead;
  if (r > y->rank) return false;
  for (int d = 0; d < r; ++d)
    if (x->shape[lead + d] != y->shape[y->rank - r + d]) return false;
  return true;
}

/* Node n can be part of a chain: its op has range functions and each input is
 * full or a row of its output. */
static bool chainable(const tg_node* n) {
  const tg_op_def* op = n->op;
  if (op->forward_range == NULL || op->backward_range == NULL || op->index_inputs != 0)
    return false;
  if (op->flags & (TG_OP_VIEW | TG_OP_NO_GRAD | TG_OP_INDEX_OUTPUT)) return false;
  const tg_tensor* y = n->out;
  if (y->dtype != TG_FLOAT32 || y->size <= 0) return false;
  for (int k = 0; k < n->n_in; ++k) {
    const tg_tensor* x = n->in[k];
    if (x->dtype != TG_FLOAT32) return false;
    if (x->size != y->size && !is_row(x, y)) return false;
  }
  return true;
}

/* n continues the chain that ends with prev: same element count, and it reads
 * prev's output (so the chain is one dataflow, not unrelated neighbours). */
static bool continues(const tg_node* prev, const tg_node* n) {
  if (n->out->size != prev->out->size) return false;
  for (int k = 0; k < n->n_in; ++k)
    if (n->in[k] == prev->out) return true;
  return false;
}

static bool overlap(const float* p, int64_t n, const float* q, int64_t m) {
  return p < q + m && q < p + n;
}

/* Whether the chain's backward may run tile by tile: every gradient it writes or
 * reads is either the very buffer of another full one (each element then sees the
 * same updates in the same order) or disjoint from all the others; a row's
 * gradient must be written by one input of one node only. */
static bool backward_fusable(const tg_node* first, int count) {
  struct {
    const float* p;
    int64_t n;
    bool row;
  } g[kMaxChain * (TG_MAX_INPUTS + 1)];
  int m = 0;
  for (int c = 0; c < count; ++c) {
    const tg_node* n = first + c;
    for (int k = 0; k < n->n_in; ++k) {
      const tg_tensor* x = n->in[k];
      if (x->grad == NULL) continue;
      g[m].p = x->grad;
      g[m].n = x->size;
      g[m].row = x->size != n->out->size;
      ++m;
    }
  }
  const tg_tensor* y = first[count - 1].out;
  g[m].p = y->grad;
  g[m].n = y->size;
  g[m].row = false;
  ++m;
  for (int a = 0; a < m; ++a)
    for (int b = a + 1; b < m; ++b) {
      if (!overlap(g[a].p, g[a].n, g[b].p, g[b].n)) continue;
      if (g[a].row || g[b].row || g[a].p != g[b].p || g[a].n != g[b].n) return false;
    }
  return true;
}

/* Elements per tile for a chain: its streams together within L1, and a whole
 * number of its widest row so the ops' row loops do not split mid-row. */
static int64_t tile_of(const tg_node* first, int count) {
  int streams = 0;
  int64_t width = 0;
  for (int c = 0; c < count; ++c) {
    const tg_node* n = first + c;
    streams += 2 * (n->n_in + 1); /* values and gradients */
    for (int k = 0; k < n->n_in; ++k)
      if (n->in[k]->size != n->out->size && n->in[k]->size > width) width = n->in[k]->size;
  }
  int64_t tile = kTileBudget / streams;
  if (tile < kTileMin) tile = kTileMin;
  if (tile > kTileMax) tile = kTileMax;
  tile = tile / kTileStep * kTileStep;
  if (width > 0 && width <= tile)
    tile = tile / width * width;
  else if (width > tile && width <= 2 * kTileMax)
    tile = width;
  return tile;
}

/* gx[i] += gy[i] (restrict parameters: no overlap checks). */
static inline __attribute__((always_inline)) void add_run(float* restrict gx,
                                                          const float* restrict gy, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gx[i] += gy[i];
}

TG_VECTOR_CLONES static void identity_run(float* gx, const float* gy, int64_t n) {
  add_run(gx, gy, n);
}

void tg_apply_identity_grads(tg_node* n, unsigned mask, int64_t begin, int64_t end) {
  const tg_tensor* y = n->out;
  for (int k = 0; mask != 0 && k < n->n_in && k < 32; ++k, mask >>= 1) {
    const tg_tensor* x = n->in[k];
    if (!(mask & 1u) || x->grad == NULL || x->size != y->size || x->grad == y->grad) continue;
    identity_run(x->grad + begin, y->grad + begin, end - begin);
  }
}

/* The tape's own output for this input, or -1 (a leaf, a caller's tensor). */
static int producer(const tg_tape* t, const tg_tensor* x) {
  return x->node >= 0 && x->node < t->n_nodes && t->nodes[x->node].out == x ? x->node : -1;
}

/* Gives back the buffers of the previous plan's aliases (the graph may have grown:
 * a new consumer can make an alias unsafe), and the views their bases' again. */
static void restore_aliases(tg_tape* t) {
  tg_plan* p = &t->plan;
  if (p->n_alias == 0) return;
  for (int a = p->n_alias - 1; a >= 0; --a) p->alias[a].x->grad = p->alias[a].own;
  p->n_alias = 0;
  for (int i = 0; i < t->n_nodes; ++i) {
    tg_node* n = &t->nodes[i];
    if (n->op->flags & TG_OP_VIEW) n->out->grad = n->in[0]->grad;
  }
}

/* Decides, for every input with an identity VJP, whether its gradient becomes the
 * output's buffer (an intermediate, not a view, read by this one input slot of
 * this node only: its gradient is then exactly the output's, final before its
 * producer's backward reads it) or is added by the tape (idmask). */
static void plan_identities(tg_tape* t) {
  tg_plan* p = &t->plan;
  const int nn = t->n_nodes;
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    if (n->op->flags & TG_OP_VIEW) {
      const int q = producer(t, n->in[0]);
      p->owner[i] = q >= 0 ? p->owner[q] : -1;
    } else {
      p->owner[i] = i;
    }
    p->uses[i] = 0;
    p->zero_at[i] = i;
    p->root[i] = i;
  }
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    for (int k = 0; k < n->n_in; ++k) {
      const int q = producer(t, n->in[k]);
      if (q >= 0 && p->owner[q] >= 0) p->uses[p->owner[q]]++;
    }
  }
  for (int i = nn - 1; i >= 0; --i) {
    tg_node* n = &t->nodes[i];
    p->idmask[i] = 0;
    const unsigned ids = n->op->identity_grads;
    if (ids == 0 || !tg_node_runs_backward(n)) continue;
    tg_tensor* y = n->out;
    for (int k = 0; k < n->n_in && k < 32; ++k) {
      tg_tensor* x = n->in[k];
      if (!((ids >> k) & 1u) || x->grad == NULL || x->size != y->size || x->grad == y->grad)
        continue;
      const int q = producer(t, x);
      if (q >= 0 && q < i && p->owner[q] == q && p->uses[q] == 1 && x->dtype == TG_FLOAT32) {
        p->alias[p->n_alias].x = x;
        p->alias[p->n_alias].own = x->grad;
        p->n_alias++;
        x->grad = y->grad;
        /* The buffer is y's (or the one y's is): backward zeroes it when it runs
         * from any node that uses it, the lowest now being q. */
        p->root[q] = p->root[i];
        p->zero_at[p->root[i]] = q;
        continue;
      }
      p->idmask[i] |= 1u << k;
    }
  }
}

/* Orders the zero list by node (insertion sort: it is nearly sorted already, only
 * buffers shared with earlier nodes move). */
static void sort_zero(tg_plan* p) {
  for (int a = 1; a < p->n_zero; ++a) {
    const tg_plan_zero z = p->zero[a];
    int b = a;
    while (b > 0 && p->zero[b - 1].node > z.node) {
      p->zero[b] = p->zero[b - 1];
      --b;
    }
    p->zero[b] = z;
  }
}

/* ---- value reuse (tapes without gradients: predict) ------------------------------
 * A value is dead after the forward of its last consumer. In forward order, each
 * node's output takes the best-fitting buffer of a dead value (the record-time
 * buffers are the only memory: nothing is allocated; its own buffer is then never
 * touched again, so a replay walks few buffers); values no node reads (the
 * outputs) and leaves stay where they are. */

static void restore_values(tg_tape* t) {
  tg_plan* p = &t->plan;
  if (p->n_moved == 0) return;
  for (int a = 0; a < p->n_moved; ++a) {
    const int i = p->moved[a];
    t->nodes[i].out->data = p->home_data[i];
  }
  p->n_moved = 0;
  for (int i = 0; i < t->n_nodes; ++i) {
    tg_node* n = &t->nodes[i];
    if ((n->op->flags & TG_OP_VIEW) && n->out->dtype == TG_FLOAT32) n->out->data = n->in[0]->data;
  }
}

/* Whether node i's output is a value of its own that may move. */
static bool movable(const tg_tape* t, int i) {
  const tg_node* n = &t->nodes[i];
  return !(n->op->flags & TG_OP_VIEW) && n->out->dtype == TG_FLOAT32 && n->out->data != NULL &&
         n->out->grad == NULL && n->scratch_size == 0;
}

static void reuse_values(tg_tape* t) {
  tg_plan* p = &t->plan;
  const int nn = t->n_nodes;
  for (int i = 0; i < nn; ++i)
    if (t->nodes[i].out->grad != NULL) return; /* a backward may read any value */
  /* pos: each node's forward step (-1: none); uses: the last step that reads a
   * node's buffer, through views too (-1: nothing reads it). */
  for (int i = 0; i < nn; ++i) p->pos[i] = -1;
  for (int k = 0; k < p->n_fsteps; ++k)
    for (int c = 0; c < p->fsteps[k].count; ++c) p->pos[p->fsteps[k].node->index + c] = k;
  for (int i = 0; i < nn; ++i) p->uses[i] = -1;
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    if (p->pos[i] < 0) continue;
    for (int j = 0; j < n->n_in; ++j) {
      const int q = producer(t, n->in[j]);
      if (q >= 0 && p->owner[q] >= 0 && p->pos[i] > p->uses[p->owner[q]])
        p->uses[p->owner[q]] = p->pos[i];
    }
  }
  int free_n = 0;
  for (int k = 0; k < p->n_fsteps; ++k) {
    const tg_plan_step* s = &p->fsteps[k];
    for (int c = 0; c < s->count; ++c) { /* this step's outputs take free buffers */
      const int i = s->node->index + c;
      if (!movable(t, i) || p->uses[i] < 0) continue; /* outputs nobody reads stay */
      tg_tensor* y = t->nodes[i].out;
      int best = -1;
      for (int f = 0; f < free_n; ++f)
        if (p->pool[f].n >= y->size && (best < 0 || p->pool[f].n < p->pool[best].n)) best = f;
      if (best < 0) continue;
      float* own = y->data;
      p->home_data[i] = own;
      p->moved[p->n_moved++] = i;
      y->data = p->pool[best].p;
      p->pool[best] = p->pool[--free_n]; /* taken; its own buffer stays untouched */
    }
    for (int i = 0; i < nn; ++i) { /* values read for the last time here die */
      if (p->uses[i] != k || !movable(t, i) || p->pos[i] < 0) continue;
      p->pool[free_n].p = t->nodes[i].out->data;
      p->pool[free_n].n = t->nodes[i].out->size;
      free_n++;
    }
  }
  for (int i = 0; i < nn; ++i) { /* views follow their bases */
    tg_node* n = &t->nodes[i];
    if ((n->op->flags & TG_OP_VIEW) && n->out->dtype == TG_FLOAT32) n->out->data = n->in[0]->data;
  }
}

/* ---- deferred values: buffers by liveness before the first forward ------------
 * A tape recorded deferred (tg_tape_set_deferred) has run no forward yet, so no
 * value has touched memory: the plan gives every intermediate's value an offset in
 * one region, by its live forward steps -- from the step that writes it to the last
 * step that reads it (through views too) -- and values whose steps do not overlap
 * share memory (the same interval packing as the gradients below). Kept to the end
 * (never shared with a later value): values no node reads (the outputs), and on a
 * tape with gradients every value a backward may read (core/op.h backward_reads; an
 * op that declares nothing reads all its values). A value nothing reads after the
 * forward is then dead and, with gradients packed, lends its memory to them. */

static size_t pack(tg_plan_buf* bufs, int m, const tg_plan_zero* bins, int n_bins, size_t* lent);

enum { kLiveToEnd = INT32_MAX };

/* Whether node i's output is a deferred value the plan places. */
static bool placeable(const tg_tape* t, int i) {
  const tg_node* n = &t->nodes[i];
  return !(n->op->flags & TG_OP_VIEW) && n->out->dtype == TG_FLOAT32 && n->out->data == NULL;
}

/* Per node, the last forward step that reads its buffer (p->uses), kLiveToEnd for
 * values kept through the backward or read by the caller. Needs p->pos and p->owner. */
static void last_reads(tg_tape* t, bool grads) {
  tg_plan* p = &t->plan;
  const int nn = t->n_nodes;
  int* last = p->uses;
  int* direct = p->reads; /* readers of each node's own output, views included */
  for (int i = 0; i < nn; ++i) last[i] = -1, direct[i] = 0;
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    const bool view = (n->op->flags & TG_OP_VIEW) != 0;
    if (grads && !view && tg_op_backward_reads(n->op, -1)) last[i] = kLiveToEnd;
    for (int k = 0; k < n->n_in; ++k) {
      const int q = producer(t, n->in[k]);
      if (q < 0) continue;
      direct[q]++;
      const int o = p->owner[q];
      if (o < 0 || view) continue; /* a view reads nothing: its readers speak for it */
      if (grads && tg_op_backward_reads(n->op, k)) last[o] = kLiveToEnd;
      const int step = p->pos[i] >= 0 ? p->pos[i] : 0;
      if (last[o] != kLiveToEnd && step > last[o]) last[o] = step;
    }
  }
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    if ((n->op->flags & TG_OP_VIEW) && direct[i] == 0 && p->owner[i] >= 0)
      last[p->owner[i]] = kLiveToEnd; /* the caller reads the view, so its base */
    if (!(n->op->flags & TG_OP_VIEW) && direct[i] == 0) last[i] = kLiveToEnd;
    if (p->kept[i] && p->owner[i] >= 0) last[p->owner[i]] = kLiveToEnd;
  }
}

static bool place_values(tg_tape* t) {
  tg_plan* p = &t->plan;
  const int nn = t->n_nodes;
  bool grads = false;
  for (int i = 0; i < nn && !grads; ++i) grads = t->nodes[i].out->grad != NULL;
  for (int i = 0; i < nn; ++i) p->pos[i] = -1;
  for (int k = 0; k < p->n_fsteps; ++k)
    for (int c = 0; c < p->fsteps[k].count; ++c) p->pos[p->fsteps[k].node->index + c] = k;
  last_reads(t, grads);
  int m = 0;
  for (int i = 0; i < nn; ++i) {
    if (!placeable(t, i)) continue;
    tg_plan_buf* b = &p->bufs[m++];
    b->root = i;
    b->start = p->pos[i] >= 0 ? p->pos[i] : 0;
    b->end = p->uses[i] < b->start ? b->start : p->uses[i];
    b->bytes = ((size_t)t->nodes[i].out->size * sizeof(float) + 63) / 64 * 64;
    b->offset = 0;
    b->bin = -1;
  }
  size_t unused = 0;
  const size_t total = m > 0 ? pack(p->bufs, m, NULL, 0, &unused) : 0;
  if (total > p->vregion_bytes) {
    float* r = (float*)tg_arena_alloc(&t->arena, total);
    if (r == NULL) {
      tg_tape_fail(t, TG_ERR_NOMEM, "tg_tape_forward: out of memory for %zu bytes of values",
                   total);
      return false;
    }
    p->vregion = r;
    p->vregion_bytes = total;
  }
  for (int b = 0; b < m; ++b) {
    const int i = p->bufs[b].root;
    t->nodes[i].out->data = (float*)(void*)((char*)p->vregion + p->bufs[b].offset);
    p->placed[i] = 1;
  }
  p->n_placed += m;
  p->placed_bytes = total;
  for (int i = 0; i < nn; ++i) { /* views follow their bases */
    tg_node* n = &t->nodes[i];
    if ((n->op->flags & TG_OP_VIEW) && n->out->dtype == TG_FLOAT32) n->out->data = n->in[0]->data;
  }
  t->n_unplaced = 0;
  return true;
}

bool tg_plan_place(tg_tape* t) {
  if (t->n_unplaced == 0) return true;
  tg_plan_build(t);
  return t->n_unplaced == 0 && t->error.code == TG_OK;
}

void tg_plan_unplace(tg_tape* t) {
  tg_plan* p = &t->plan;
  if (p->n_placed == 0) return;
  tg_plan_unpack(t); /* packed gradients may lie in dead values */
  for (int i = 0; i < t->n_nodes; ++i) {
    if (!p->placed[i]) continue;
    t->nodes[i].out->data = NULL;
    p->placed[i] = 0;
    t->n_unplaced++;
  }
  p->n_placed = 0;
  p->placed_bytes = 0;
  for (int i = 0; i < t->n_nodes; ++i) {
    tg_node* n = &t->nodes[i];
    if ((n->op->flags & TG_OP_VIEW) && n->out->dtype == TG_FLOAT32) n->out->data = n->in[0]->data;
  }
  p->valid = false;
}

static void whole_forward(tg_node* n) { n->op->forward_range(n, 0, n->out->size); }
static void whole_backward(tg_node* n) { n->op->backward_range(n, 0, n->out->size); }

static tg_plan_step single(const tg_plan* p, tg_node* n) {
  tg_plan_step s;
  memset(&s, 0, sizeof s);
  s.node = n;
  s.idmask = p->idmask[n->index];
  s.count = 1;
  /* A node whose inputs suit its range functions runs them even alone: they know
   * at plan time what the general forward re-derives per call (which input is a
   * row, of what width), for the same bits. */
  const bool ranged = chainable(n);
  s.forward =
      ranged || !n->op->forward ? (n->op->forward_range ? whole_forward : NULL) : n->op->forward;
  s.backward = ranged || !n->op->backward ? (n->op->backward_range ? whole_backward : NULL)
                                          : n->op->backward;
  return s;
}

void tg_plan_build(tg_tape* t) {
  tg_plan* p = &t->plan;
  if (tg_plan_current(t)) return;
  /* The arrays hold one entry per node (tg_plan_reserve at record time). */
  p->n_fsteps = p->n_bsteps = p->n_zero = 0;
  tg_plan_unpack(t);
  restore_values(t);
  restore_aliases(t);
  plan_identities(t);
  tg_plan_step* back = p->bsteps; /* filled in recording order, reversed below */
  for (int i = 0; i < t->n_nodes;) {
    tg_node* n = &t->nodes[i];
    int count = 1;
    if (chainable(n))
      while (count < kMaxChain && i + count < t->n_nodes && chainable(n + count) &&
             continues(n + count - 1, n + count))
        ++count;
    if (count == 1) {
      const tg_plan_step s = single(p, n);
      if (s.forward) p->fsteps[p->n_fsteps++] = s;
      if (tg_node_runs_backward(n)) back[p->n_bsteps++] = s;
      ++i;
      continue;
    }
    tg_plan_step s;
    memset(&s, 0, sizeof s);
    s.node = n;
    s.count = count;
    s.size = n->out->size;
    s.tile = tile_of(n, count);
    p->fsteps[p->n_fsteps++] = s;
    int bfirst = 0;
    while (bfirst < count && !tg_node_runs_backward(n + bfirst)) ++bfirst;
    if (bfirst + 1 < count && backward_fusable(n + bfirst, count - bfirst)) {
      s.bfirst = bfirst;
      back[p->n_bsteps++] = s;
    } else { /* node by node (a lone node with a gradient, or a row written twice) */
      for (int c = bfirst; c < count; ++c) back[p->n_bsteps++] = single(p, n + c);
    }
    i += count;
  }
  for (int a = 0, b = p->n_bsteps - 1; a < b; ++a, --b) {
    const tg_plan_step s = back[a];
    back[a] = back[b];
    back[b] = s;
  }
  /* Gradients backward zeroes: each non-view output's own buffer, once, when the
   * backward starts at or after the lowest node that uses it; by increasing node. */
  for (int i = 0; i < t->n_nodes; ++i) {
    const tg_node* n = &t->nodes[i];
    const tg_tensor* y = n->out;
    if (y->grad == NULL || (n->op->flags & TG_OP_VIEW) || p->root[i] != i) continue;
    p->zero[p->n_zero].p = y->grad;
    p->zero[p->n_zero].n = y->size;
    p->zero[p->n_zero].node = p->zero_at[i];
    p->n_zero++;
  }
  sort_zero(p);
  if (t->n_unplaced > 0 && !place_values(t)) return; /* the plan stays invalid */
  if (t->reuse_values && p->n_placed == 0) reuse_values(t);
  p->n_nodes = t->n_nodes;
  p->epoch = t->epoch;
  p->valid = true;
}

static void plan_packing(tg_tape* t, int last);

static void chain_forward(const tg_plan_step* s) {
  tg_node* first = s->node;
  const int count = s->count;
  const int64_t size = s->size, tile = s->tile;
  if (size <= tile) { /* one tile (a small model's chains): no tile loop to keep */
    for (int c = 0; c < count; ++c) first[c].op->forward_range(&first[c], 0, size);
    return;
  }
  for (int64_t b = 0; b < size; b += tile) {
    const int64_t e = b + tile < size ? b + tile : size;
    for (int c = 0; c < count; ++c) first[c].op->forward_range(&first[c], b, e);
  }
}

static void chain_backward(const tg_plan* p, const tg_plan_step* s) {
  tg_node* first = s->node;
  const int lo = s->bfirst;
  const int64_t size = s->size, tile = s->tile;
  for (int64_t b = 0; b < size; b += tile) {
    const int64_t e = b + tile < size ? b + tile : size;
    for (int c = s->count - 1; c >= lo; --c) {
      const unsigned ids = p->idmask[first[c].index];
      if (ids) tg_apply_identity_grads(&first[c], ids, b, e);
      first[c].op->backward_range(&first[c], b, e);
    }
  }
}

tg_status tg_plan_forward(tg_tape* t) {
  const tg_plan_step* s = t->plan.fsteps;
  const tg_plan_step* end = s + t->plan.n_fsteps;
  for (; s < end; ++s) {
    if (s->count == 1)
      s->forward(s->node);
    else
      chain_forward(s);
    if (t->error.code != TG_OK) return t->error.code; /* bad data (an index out of range) */
  }
  return TG_OK;
}

tg_status tg_plan_backward(tg_tape* t, tg_tensor* loss) {
  const int last = loss->node;
  if (t->reuse_grads) plan_packing(t, last);
  const tg_plan* p = &t->plan;
  const bool packed = p->packed_for == last;
  const tg_plan_step* s = p->bsteps;
  const tg_plan_step* end = s + p->n_bsteps;
  while (s < end && s->node->index > last) ++s; /* nodes after the loss do not run */
  const tg_plan_zero* z = p->zero;
  const tg_plan_zero* zend = z + p->n_zero;
  /* Unpacked: every buffer up front; packed: each before its first writer's step. */
  const int upfront = packed ? (int)(s - p->bsteps) - 1 : last;
  for (; z < zend && z->node <= upfront; ++z) memset(z->p, 0, (size_t)z->n * sizeof(float));
  loss->grad[0] += 1.0f; /* += : a loss that is a view of a leaf adds to its gradient */
  for (; s < end; ++s) {
    tg_node* n = s->node;
    if (packed)
      for (const int k = (int)(s - p->bsteps); z < zend && z->node <= k; ++z)
        memset(z->p, 0, (size_t)z->n * sizeof(float));
    int done = n->index;
    if (s->count == 1) {
      if (s->idmask) tg_apply_identity_grads(n, s->idmask, 0, n->out->size);
      s->backward(n);
    } else if (n->index + s->count - 1 <= last) {
      chain_backward(p, s);
      done += s->bfirst;
    } else { /* the loss inside a chain: its nodes up to the loss, one by one */
      for (int i = last; i >= n->index + s->bfirst; --i) {
        tg_node* m = &t->nodes[i];
        if (!tg_node_runs_backward(m)) continue;
        const tg_plan_step one = single(p, m);
        if (one.idmask) tg_apply_identity_grads(m, one.idmask, 0, m->out->size);
        one.backward(m);
        if (t->hook && i > n->index + s->bfirst) t->hook(t->hook_ctx, t, i);
      }
      done += s->bfirst;
    }
    if (t->hook) t->hook(t->hook_ctx, t, done);
  }
  return TG_OK;
}

/* ---- gradient packing ------------------------------------------------------------
 * An intermediate's gradient is live only from the backward of the first node that
 * writes it (its last consumer in recording order) to the backward of its producer,
 * which reads it last. Buffers whose live steps do not overlap share memory in one
 * arena (interval packing: the largest first, each at the lowest offset free over
 * its interval, as ggml's graph allocator and XLA's buffer assignment do); each is
 * zeroed right before its first writer runs. Leaves' gradients (parameters) are
 * never packed. Planned once per recording and loss; the region comes from the
 * tape's arena and is kept for the recording, so replays allocate nothing. */

/* Re-points aliased outputs (of the first `planned` nodes, whose roots are known) at
 * their root's buffer, and every view at its base's. */
static void repoint(tg_tape* t, int planned) {
  const tg_plan* p = &t->plan;
  for (int i = 0; i < t->n_nodes; ++i) {
    tg_node* n = &t->nodes[i];
    if (n->op->flags & TG_OP_VIEW)
      n->out->grad = n->in[0]->grad;
    else if (i < planned && p->root[i] != i && n->out->grad != NULL)
      n->out->grad = t->nodes[p->root[i]].out->grad;
  }
}

void tg_plan_unpack(tg_tape* t) {
  tg_plan* p = &t->plan;
  if (p->packed_for < 0) return;
  for (int b = 0; b < p->n_bufs; ++b)
    t->nodes[p->bufs[b].root].out->grad = p->home[p->bufs[b].root];
  repoint(t, p->n_nodes);
  p->packed_for = -1;
  p->n_bufs = 0;
  p->lent_bytes = 0;
  p->valid = false; /* the zero list named the packed buffers */
}

/* Live intervals of the gradient buffers a backward from node `last` uses, in
 * backward steps (bsteps positions; a chain is one step). Returns the count. */
static int live_intervals(tg_tape* t, int last) {
  tg_plan* p = &t->plan;
  const int nn = t->n_nodes;
  for (int i = 0; i < nn; ++i) p->pos[i] = -1;
  int k0 = -1;
  for (int k = 0; k < p->n_bsteps; ++k) {
    const tg_plan_step* s = &p->bsteps[k];
    if (k0 < 0 && s->node->index <= last) k0 = k;
    for (int c = 0; c < s->count; ++c) p->pos[s->node->index + c] = k;
  }
  if (k0 < 0) return 0;
  int m = 0;
  for (int i = 0; i < nn; ++i) p->uses[i] = -1; /* from here: node -> its buffer */
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    if ((n->op->flags & TG_OP_VIEW) || n->out->grad == NULL || p->root[i] != i) continue;
    if (p->zero_at[i] > last || p->pos[p->zero_at[i]] < 0) continue;
    p->bufs[m].root = i;
    p->bufs[m].end = p->pos[p->zero_at[i]]; /* the lowest user's producer reads it last */
    p->bufs[m].start = INT32_MAX;
    p->bufs[m].bytes = ((size_t)n->out->size * sizeof(float) + 63) / 64 * 64;
    p->uses[i] = m;
    ++m;
  }
  for (int i = 0; i < nn; ++i) {
    const int q = p->root[i] == i ? -1 : p->root[i];
    if (q >= 0) p->uses[i] = p->uses[q]; /* aliases share their root's buffer */
  }
  /* Writers: every backward that runs adds into its inputs' gradients. */
  for (int k = k0; k < p->n_bsteps; ++k) {
    const tg_plan_step* s = &p->bsteps[k];
    for (int c = 0; c < s->count; ++c) {
      const tg_node* n = s->node + c;
      if (n->index > last) continue;
      for (int j = 0; j < n->n_in; ++j) {
        const int q = producer(t, n->in[j]);
        if (q < 0 || n->in[j]->grad == NULL || p->owner[q] < 0) continue;
        const int b = p->uses[p->owner[q]];
        if (b >= 0 && k < p->bufs[b].start) p->bufs[b].start = k;
      }
    }
  }
  const int lq = p->owner[last];
  if (lq >= 0 && p->uses[lq] >= 0) p->bufs[p->uses[lq]].start = k0 - 1; /* the seed */
  for (int b = 0; b < m; ++b)
    if (p->bufs[b].start > p->bufs[b].end) p->bufs[b].start = p->bufs[b].end; /* never written */
  return m;
}

/* The lowest offset at or after 0 where buffer a fits among the buffers before it
 * placed in the same bin and live at the same time. */
static size_t lowest_free(const tg_plan_buf* bufs, int a, int bin) {
  size_t off = 0;
  for (bool moved = true; moved;) {
    moved = false;
    for (int b = 0; b < a; ++b) {
      if (bufs[b].bin != bin) continue;
      const bool live = bufs[b].start <= bufs[a].end && bufs[a].start <= bufs[b].end;
      if (live && off < bufs[b].offset + bufs[b].bytes && bufs[b].offset < off + bufs[a].bytes) {
        off = bufs[b].offset + bufs[b].bytes;
        moved = true;
      }
    }
  }
  return off;
}

/* Largest first, each in the first dead value's buffer (bins: p = buffer, n = its
 * bytes; smallest first) where it fits at the lowest offset free over its live
 * steps, else at the lowest such offset of the arena. Returns the arena's size. */
static size_t pack(tg_plan_buf* bufs, int m, const tg_plan_zero* bins, int n_bins, size_t* lent) {
  for (int a = 1; a < m; ++a) { /* by size, decreasing (insertion: a few hundred) */
    const tg_plan_buf x = bufs[a];
    int b = a;
    while (b > 0 && bufs[b - 1].bytes < x.bytes) {
      bufs[b] = bufs[b - 1];
      --b;
    }
    bufs[b] = x;
  }
  size_t total = 0;
  *lent = 0;
  for (int a = 0; a < m; ++a) {
    bufs[a].bin = -1;
    for (int k = 0; k < n_bins; ++k) {
      if ((size_t)bins[k].n < bufs[a].bytes) continue;
      bufs[a].bin = k; /* lowest_free looks at this bin's buffers only */
      const size_t off = lowest_free(bufs, a, k);
      if (off + bufs[a].bytes <= (size_t)bins[k].n) {
        bufs[a].offset = off;
        *lent += bufs[a].bytes;
        break;
      }
      bufs[a].bin = -1;
    }
    if (bufs[a].bin >= 0) continue;
    bufs[a].offset = lowest_free(bufs, a, -1);
    if (bufs[a].offset + bufs[a].bytes > total) total = bufs[a].offset + bufs[a].bytes;
  }
  return total;
}

/* ---- dead values lend their buffers --------------------------------------------
 * A value that some node reads forward but no backward reads (by the ops'
 * declarations, core/op.h backward_reads) is dead once the forward is over: its
 * buffer is free through the whole backward, and the next replay's producer writes
 * it again before any node reads it. Packed gradients go there first, so they
 * touch memory the forward has touched already instead of an arena of their own.
 * Kept: leaves, views (they are their base's buffer), values nothing reads (the
 * tape's outputs, which the caller reads), a view nothing reads (its base), the
 * loss, and every value a backward may read (an op that declares nothing reads all
 * its values). Returns the bins (p->pool: p = buffer, n = bytes), smallest first. */
enum { kReadDirect = 1, kReadFwd = 2, kKeep = 4 };

static bool is_dead(int reads) { return (reads & (kReadFwd | kKeep)) == kReadFwd; }

/* Placed values share memory (deferred recording): placed value i lends its buffer
 * only if no value kept through the backward lies in it and no bin taken so far
 * (p->pool[0..nb)) overlaps it -- two dead values in one place lend it once. */
static bool alone_in_region(const tg_tape* t, int i, int nb) {
  const tg_plan* p = &t->plan;
  const tg_tensor* y = t->nodes[i].out;
  for (int j = 0; j < t->n_nodes; ++j) {
    if (j == i || !p->placed[j] || is_dead(p->reads[j])) continue;
    if (overlap(y->data, y->size, t->nodes[j].out->data, t->nodes[j].out->size)) return false;
  }
  for (int b = 0; b < nb; ++b)
    if (overlap(y->data, y->size, p->pool[b].p, p->pool[b].n / (int64_t)sizeof(float)))
      return false;
  return true;
}

static int dead_values(tg_tape* t, int last) {
  tg_plan* p = &t->plan;
  const int nn = t->n_nodes;
  int* r = p->reads;
  for (int i = 0; i < nn; ++i) r[i] = 0;
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    const bool view = (n->op->flags & TG_OP_VIEW) != 0;
    if (!view && tg_op_backward_reads(n->op, -1)) r[i] |= kKeep;
    for (int k = 0; k < n->n_in; ++k) {
      const int q = producer(t, n->in[k]);
      if (q < 0) continue;
      r[q] |= kReadDirect;
      if (view || p->owner[q] < 0) continue; /* a view's readers speak for it */
      r[p->owner[q]] |= kReadFwd;
      if (tg_op_backward_reads(n->op, k)) r[p->owner[q]] |= kKeep;
    }
  }
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    if ((n->op->flags & TG_OP_VIEW) && !(r[i] & kReadDirect) && p->owner[i] >= 0)
      r[p->owner[i]] |= kKeep;
  }
  if (p->owner[last] >= 0) r[p->owner[last]] |= kKeep;
  for (int i = 0; i < nn; ++i)
    if (p->kept[i] && p->owner[i] >= 0) r[p->owner[i]] |= kKeep; /* the caller reads it */
  int nb = 0;
  for (int i = 0; i < nn; ++i) {
    const tg_node* n = &t->nodes[i];
    const tg_tensor* y = n->out;
    if ((n->op->flags & TG_OP_VIEW) || y->dtype != TG_FLOAT32 || y->data == NULL ||
        (r[i] & (kReadFwd | kKeep)) != kReadFwd)
      continue;
    const size_t bytes = (size_t)y->size * sizeof(float) / 64 * 64;
    if (bytes == 0) continue;
    if (p->placed[i] && !alone_in_region(t, i, nb)) continue;
    int b = nb++; /* insertion by capacity, increasing: the tightest bin first */
    while (b > 0 && (size_t)p->pool[b - 1].n > bytes) {
      p->pool[b] = p->pool[b - 1];
      --b;
    }
    p->pool[b].p = y->data;
    p->pool[b].n = (int64_t)bytes;
    p->pool[b].node = i;
  }
  return nb;
}

/* Plans the gradient arena for a backward from `last` (once per recording and
 * loss); keeps every buffer its own when the arena cannot be had. */
static void plan_packing(tg_tape* t, int last) {
  tg_plan* p = &t->plan;
  if (p->packed_for == last) return;
  tg_plan_unpack(t);
  tg_plan_build(t); /* the zero list of the unpacked tape, if unpack cleared it */
  const int m = live_intervals(t, last);
  if (m == 0) return;
  const int n_bins = dead_values(t, last);
  const size_t total = pack(p->bufs, m, p->pool, n_bins, &p->lent_bytes);
  if (total > p->region_bytes) {
    float* r = (float*)tg_arena_alloc(&t->arena, total);
    if (r == NULL) { /* no room: every gradient keeps its own buffer */
      p->lent_bytes = 0;
      return;
    }
    p->region = r;
    p->region_bytes = total;
  }
  for (int b = 0; b < m; ++b) {
    const int r = p->bufs[b].root;
    p->home[r] = t->nodes[r].out->grad;
    char* base = p->bufs[b].bin >= 0 ? (char*)p->pool[p->bufs[b].bin].p : (char*)p->region;
    t->nodes[r].out->grad = (float*)(void*)(base + p->bufs[b].offset);
  }
  p->n_bufs = m;
  p->packed_bytes = total;
  repoint(t, t->n_nodes);
  /* The zero list: each buffer before its first writer, by step. */
  p->n_zero = 0;
  for (int b = 0; b < m; ++b) {
    const tg_node* n = &t->nodes[p->bufs[b].root];
    p->zero[p->n_zero].p = n->out->grad;
    p->zero[p->n_zero].n = n->out->size;
    p->zero[p->n_zero].node = p->bufs[b].start;
    p->n_zero++;
  }
  sort_zero(p);
  p->packed_for = last;
}

int tg_tape_plan_chain(const tg_tape* t, int index, int* first) {
  if (t == NULL || t->unplanned || !t->plan.valid || t->plan.n_nodes != t->n_nodes ||
      t->plan.epoch != t->epoch || index < 0 || index >= t->n_nodes)
    return 0;
  const tg_plan* p = &t->plan;
  for (int k = 0; k < p->n_fsteps; ++k) {
    const tg_plan_step* s = &p->fsteps[k];
    if (index >= s->node->index && index < s->node->index + s->count) {
      if (first) *first = s->node->index;
      return s->count;
    }
  }
  if (first) *first = index; /* a node with nothing to run forward (a view) */
  return 1;
}
