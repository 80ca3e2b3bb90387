/* frontends/fused_step.c — the optimizer update of each parameter during backward, as
 * soon as its gradient is final, while the gradient is still in cache: one pass over
 * the gradient block fewer than backward followed by a whole-block update.
 *
 * A parameter's gradient is final once backward has run every node that reads it
 * (core/tape.h, the backward hook); backward runs nodes last to first, so that is once
 * it is through the first node, in recording order, with an input whose gradient lies
 * in the parameter's range of the block (a view of a parameter shares its gradient, so
 * pointers tell; a parameter read by several nodes, or shared between layers, waits for
 * the first of them). Every element's update reads and writes only its own value, state
 * and gradient, and the step's constants (Adam's bias correction) are computed once
 * before backward from the same step count, so the bits are those of the whole-block
 * update whatever the order and the threads. */
#include <limits.h>
#include <stdint.h>

#include "frontends/internal/model_impl.h"

void tg_model_fuse_release(tg_model* m) {
  tg_fused_update* f = &m->fuse;
  m->alloc->free(m->alloc->ctx, f->ready);
  m->alloc->free(m->alloc->ctx, f->order);
  f->ready = f->order = NULL;
  f->n = f->cap = 0;
  f->mapped = false;
}

static bool grow(tg_model* m, int n) {
  tg_fused_update* f = &m->fuse;
  if (n <= f->cap) return true;
  const tg_allocator* a = m->alloc;
  int* ready = (int*)a->alloc(a->ctx, (size_t)n * sizeof(int));
  int* order = (int*)a->alloc(a->ctx, (size_t)n * sizeof(int));
  if (ready == NULL || order == NULL) {
    a->free(a->ctx, ready);
    a->free(a->ctx, order);
    return false;
  }
  a->free(a->ctx, f->ready);
  a->free(a->ctx, f->order);
  f->ready = ready;
  f->order = order;
  f->cap = n;
  return true;
}

/* The first position in order[0..n) (sorted by offset) whose gradient range ends
 * after byte address a. */
static int first_ending_after(const tg_model* m, uintptr_t a) {
  const tg_fused_update* f = &m->fuse;
  int lo = 0, hi = f->n;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    const tg_param_entry* e = m->params.e[f->order[mid]];
    if ((uintptr_t)(m->params.grads + e->offset + e->size) <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* ready[] from the tape's nodes, and order[] the trainable entries by ready, latest
 * first (the order backward finishes them in). */
static bool map_params(tg_model* m, const tg_tape* t) {
  tg_fused_update* f = &m->fuse;
  if (!grow(m, m->params.n > 0 ? m->params.n : 1)) return false;
  f->n = 0;
  for (int p = 0; p < m->params.n; ++p) {
    const tg_param_entry* e = m->params.e[p];
    f->ready[p] = INT_MAX;
    if (!e->trainable || e->size == 0) continue;
    int k = f->n++; /* insertion by offset */
    while (k > 0 && m->params.e[f->order[k - 1]]->offset > e->offset) {
      f->order[k] = f->order[k - 1];
      --k;
    }
    f->order[k] = p;
  }
  const int nodes = tg_tape_node_count(t);
  for (int i = 0; i < nodes; ++i) {
    const tg_node* nd = tg_tape_node(t, i);
    for (int k = 0; k < nd->n_in; ++k) {
      const tg_tensor* in = nd->in[k];
      if (in == NULL || in->grad == NULL || in->size <= 0) continue;
      /* every entry the input's gradient overlaps */
      const uintptr_t a = (uintptr_t)in->grad;
      const uintptr_t z = (uintptr_t)(in->grad + in->size);
      for (int j = first_ending_after(m, a); j < f->n; ++j) {
        const int p = f->order[j];
        if ((uintptr_t)(m->params.grads + m->params.e[p]->offset) >= z) break;
        if (f->ready[p] == INT_MAX) f->ready[p] = i;
      }
    }
  }
  for (int j = 1; j < f->n; ++j) { /* stable insertion: ready descending */
    const int p = f->order[j];
    int k = j;
    while (k > 0 && f->ready[f->order[k - 1]] < f->ready[p]) {
      f->order[k] = f->order[k - 1];
      --k;
    }
    f->order[k] = p;
  }
  f->mapped = true;
  return true;
}

static void update_entry(tg_model* m, tg_tape* t, int p) {
  const tg_param_entry* e = m->params.e[p];
  /* Small parameters on the calling thread: tg_opt_range_pool hands a range to the
   * pool only when each worker gets enough of it to pay for the hand-off. */
  const int threads = tg_tape_threads(t);
  tg_opt_range_pool(m->optimizer, &m->fuse.c, m->params.values, m->params.grads, e->offset,
                    e->offset + e->size, threads > 1 ? tg_tape_pool(t) : NULL, threads);
}

static void on_backward(void* ctx, const tg_tape* ct, int done) {
  tg_model* m = (tg_model*)ctx;
  tg_fused_update* f = &m->fuse;
  if (f->chain) f->chain(f->chain_ctx, ct, done);
  tg_tape* t = m->train.tape; /* the same tape; its pool for large parameters */
  while (f->next < f->n && f->ready[f->order[f->next]] >= done)
    update_entry(m, t, f->order[f->next++]);
}

tg_status tg_model_backward_update(tg_model* m, const char* fn, tg_tape* t, bool* updated) {
  tg_fused_update* f = &m->fuse;
  tg_optimizer* o = m->optimizer;
  *updated = false;
  tg_status st = TG_OK;
  const bool fuse = tg_model_fuses_optimizer(m) && tg_opt_rangeable(o) &&
                    o->n == m->params.trainable && !tg_tape_checks_finite(t);
  if (fuse && !f->mapped && !map_params(m, t)) /* before backward: nothing has moved */
    return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory for the map of %d parameters", fn,
                         m->params.n);
  if (!fuse) {
    st = tg_tape_backward(t, m->train.loss);
    return st == TG_OK ? TG_OK : tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(t));
  }
  f->c = tg_opt_begin(o);
  f->next = 0;
  f->chain = tg_tape_backward_hook(t, &f->chain_ctx);
  tg_tape_set_backward_hook(t, on_backward, m);
  st = tg_tape_backward(t, m->train.loss);
  tg_tape_set_backward_hook(t, f->chain, f->chain_ctx);
  if (st != TG_OK && f->next == 0) /* nothing moved: the step is as before */
    return tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(t));
  /* A backward that stopped part-way after some updates (no such failure is known
   * with the NaN sentinel off) still completes the step, so that the parameters and
   * the state stay one step's; the error is reported. */
  while (f->next < f->n) update_entry(m, t, f->order[f->next++]);
  tg_opt_end(o, &f->c);
  f->fused_steps++;
  *updated = true;
  return st == TG_OK ? TG_OK : tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(t));
}

enum {
  /* Below this many trainable floats the whole block stays in cache between backward
   * and the update, so updating during backward saves nothing and the per-node hook
   * costs more (about 5% of the seed model's step). */
  kFuseMinParams = 1 << 16
};

void tg_model_set_fuse_optimizer(tg_model* m, bool on) {
  if (m) m->fuse.mode = on ? 1 : -1;
}

bool tg_model_fuses_optimizer(const tg_model* m) {
  if (m == NULL) return false;
  return m->fuse.mode == 1 || (m->fuse.mode == 0 && m->params.trainable >= kFuseMinParams);
}

int64_t tg_model_fused_steps(const tg_model* m) { return m ? m->fuse.fused_steps : 0; }
