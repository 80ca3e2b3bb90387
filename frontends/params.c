/* frontends/params.c — the parameter table and its two blocks (see params.h). */
#include "frontends/params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "frontends/internal/params_impl.h"

tg_param_set* tg_param_set_new(const tg_allocator* alloc, uint64_t seed, tg_error* err) {
  alloc = tg_allocator_or_default(alloc);
  tg_param_set* ps = (tg_param_set*)alloc->alloc(alloc->ctx, sizeof *ps);
  if (ps == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "tg_param_set_new: out of memory");
    return NULL;
  }
  tg_param_set_init(ps, alloc, seed);
  return ps;
}

void tg_param_set_init(tg_param_set* ps, const tg_allocator* alloc, uint64_t seed) {
  memset(ps, 0, sizeof *ps);
  ps->alloc = alloc;
  tg_rng_seed(&ps->rng, seed);
  ps->note.magic = TG_ANNOTATION_MAGIC;
  ps->note.params = ps;
}

void tg_param_set_release(tg_param_set* ps) {
  const tg_allocator* a = ps->alloc;
  for (int i = 0; i < ps->n; ++i) a->free(a->ctx, ps->e[i]);
  a->free(a->ctx, ps->e);
  tg_aligned_free(a, ps->values);
  tg_aligned_free(a, ps->grads);
  ps->e = NULL;
  ps->values = ps->grads = NULL;
  ps->n = ps->cap = 0;
  ps->size = ps->trainable = 0;
}

void tg_param_set_free(tg_param_set* ps) {
  if (ps == NULL) return;
  tg_param_set_release(ps);
  ps->alloc->free(ps->alloc->ctx, ps);
}

/* Points both views of every entry at its place in the current blocks. */
static void bind(tg_param_set* ps) {
  for (int i = 0; i < ps->n; ++i) {
    tg_param_entry* e = ps->e[i];
    float* v = ps->values + e->offset;
    float* g = e->trainable ? ps->grads + e->offset : NULL;
    /* Shapes were checked at declaration, so these cannot fail. */
    tg_tensor_init_view(&e->tensor, e->rank, e->shape, v, g, TG_ROLE_PARAM, NULL);
    tg_tensor_init_view(&e->frozen, e->rank, e->shape, v, NULL, TG_ROLE_PARAM, NULL);
    tg_tensor_set_name(&e->tensor, e->name);
    tg_tensor_set_name(&e->frozen, e->name);
  }
}

/* New blocks with room for `extra` more floats of the given kind; every entry's values
 * move to their new offsets (trainable ones first), gradients start at zero. */
static bool relayout(tg_param_set* ps, tg_param_entry* added) {
  int64_t trainable = 0, total = 0;
  for (int i = 0; i < ps->n; ++i) total += ps->e[i]->size;
  total += added->size;
  for (int i = 0; i < ps->n; ++i) trainable += ps->e[i]->trainable ? ps->e[i]->size : 0;
  trainable += added->trainable ? added->size : 0;
  const size_t bytes = (size_t)(total > 0 ? total : 1) * sizeof(float);
  float* v = (float*)tg_aligned_alloc(ps->alloc, bytes);
  float* g = v ? (float*)tg_aligned_alloc(ps->alloc, bytes) : NULL;
  if (g == NULL) {
    tg_aligned_free(ps->alloc, v);
    return false;
  }
  memset(g, 0, bytes);
  int64_t at_t = 0, at_n = trainable;
  for (int i = 0; i <= ps->n; ++i) {
    tg_param_entry* e = i < ps->n ? ps->e[i] : added;
    const int64_t to = e->trainable ? at_t : at_n;
    if (e != added && e->size > 0)
      memcpy(v + to, ps->values + e->offset, (size_t)e->size * sizeof(float));
    e->offset = to;
    if (e->trainable)
      at_t += e->size;
    else
      at_n += e->size;
  }
  tg_aligned_free(ps->alloc, ps->values);
  tg_aligned_free(ps->alloc, ps->grads);
  ps->values = v;
  ps->grads = g;
  ps->size = total;
  ps->trainable = trainable;
  return true;
}

/* Whether d's initializer gave finite values (a constant of inf, or a normal whose
 * stddev overflows float, would make every step NaN), checked where they were drawn:
 * a scratch copy the size of the parameter, freed again, would be a large block
 * released while a model is still being built, which leaves touched heap pages behind
 * for the rest of the process (and raises glibc's mmap threshold). */
static bool initial_values_finite(const tg_param_entry* e, const float* v, const char* fn,
                                  const tg_param_decl* d, tg_error* err) {
  int64_t bad = 0;
  for (int64_t i = 0; i < e->size; ++i) bad += !isfinite(v[i]);
  if (bad == 0) return true;
  tg_error_set(err, TG_ERR_ARG,
               "%s: the %s initializer (%s) produced %lld non-finite values of %lld", fn, d->name,
               tg_init_kind_name(d->init.kind), (long long)bad, (long long)e->size);
  return false;
}

int tg_param_set_declare(tg_param_set* ps, const tg_param_decl* d, const char* owner,
                         const char* fn, tg_error* err) {
  if (d == NULL || d->name == NULL || d->name[0] == '\0') {
    tg_error_set(err, TG_ERR_NULL_ARG, "%s: the parameter has no name", fn);
    return -1;
  }
  if (strlen(d->name) >= TG_NAME_CAP) {
    tg_error_set(err, TG_ERR_ARG, "%s: parameter name '%s' is longer than %d bytes", fn, d->name,
                 TG_NAME_CAP - 1);
    return -1;
  }
  if (tg_param_set_find(ps, d->name) >= 0) {
    tg_error_set(err, TG_ERR_ARG, "%s: a parameter named '%s' already exists", fn, d->name);
    return -1;
  }
  if (d->rank < 0 || d->rank > TG_MAX_RANK) {
    tg_error_set(err, TG_ERR_ARG, "%s: '%s': rank must be 0..%d, got %d", fn, d->name, TG_MAX_RANK,
                 d->rank);
    return -1;
  }
  int64_t size = 0;
  for (int i = 0; i < d->rank; ++i)
    if (d->shape[i] < 1) {
      tg_error_set(err, TG_ERR_ARG, "%s: '%s': dimension %d must be >= 1, got %lld", fn, d->name, i,
                   (long long)d->shape[i]);
      return -1;
    }
  const int64_t limit = (INT64_MAX / 8) / (int64_t)sizeof(float);
  if (!tg_shape_numel(d->rank, d->shape, &size) || size > limit - ps->size) {
    char shape[TG_SHAPE_STR_CAP];
    tg_error_set(err, TG_ERR_OVERFLOW, "%s: '%s': a %s parameter is too large", fn, d->name,
                 tg_shape_format(shape, sizeof shape, d->rank, d->shape));
    return -1;
  }
  /* A file being loaded cannot make us allocate more than it could hold. */
  if (ps->limit > 0 && size > ps->limit - ps->size) {
    char shape[TG_SHAPE_STR_CAP];
    tg_error_set(err, TG_ERR_OVERFLOW, "%s: '%s': a %s parameter does not fit in the file", fn,
                 d->name, tg_shape_format(shape, sizeof shape, d->rank, d->shape));
    return -1;
  }
  if (d->unit_axis != TG_NO_UNIT_AXIS && (d->unit_axis < 0 || d->unit_axis >= d->rank)) {
    tg_error_set(err, TG_ERR_ARG, "%s: '%s': unit_axis %d is not an axis of a rank-%d parameter",
                 fn, d->name, d->unit_axis, d->rank);
    return -1;
  }
  const int64_t fan_in = d->fan_in > 0 ? d->fan_in : 1, fan_out = d->fan_out > 0 ? d->fan_out : 1;
  tg_error e = {0};
  if (tg_initializer_fill(&d->init, NULL, 0, fan_in, fan_out, &ps->rng, &e) != TG_OK) {
    tg_error_set(err, e.code, "%s: %s", fn, e.message);
    return -1;
  }
  tg_param_entry* entry = (tg_param_entry*)ps->alloc->alloc(ps->alloc->ctx, sizeof *entry);
  if (entry != NULL && ps->n == ps->cap) {
    const int cap = ps->cap ? 2 * ps->cap : 8;
    tg_param_entry** p =
        (tg_param_entry**)ps->alloc->alloc(ps->alloc->ctx, (size_t)cap * sizeof *p);
    if (p != NULL) {
      if (ps->n) memcpy(p, ps->e, (size_t)ps->n * sizeof *p);
      ps->alloc->free(ps->alloc->ctx, ps->e);
      ps->e = p;
      ps->cap = cap;
    }
  }
  if (entry == NULL || ps->n == ps->cap) {
    ps->alloc->free(ps->alloc->ctx, entry);
    tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
    return -1;
  }
  memset(entry, 0, sizeof *entry);
  snprintf(entry->name, sizeof entry->name, "%s", d->name);
  snprintf(entry->owner, sizeof entry->owner, "%s", owner ? owner : "");
  entry->rank = d->rank;
  for (int i = 0; i < TG_MAX_RANK; ++i) entry->shape[i] = i < d->rank ? d->shape[i] : 1;
  entry->size = size;
  entry->trainable = !d->non_trainable;
  entry->unit_axis = d->unit_axis;
  if (!relayout(ps, entry)) {
    ps->alloc->free(ps->alloc->ctx, entry);
    tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
    return -1;
  }
  ps->e[ps->n++] = entry;
  bind(ps);
  /* A rejected initializer leaves the stream where it was, as if never declared. */
  const tg_rng before = ps->rng;
  float* v = ps->values + entry->offset;
  tg_initializer_fill(&d->init, v, size, fan_in, fan_out, &ps->rng, NULL);
  if (!initial_values_finite(entry, v, fn, d, err)) {
    ps->rng = before;
    tg_param_set_truncate(ps, ps->n - 1);
    return -1;
  }
  return ps->n - 1;
}

tg_tensor* tg_param_set_add(tg_param_set* ps, const tg_param_decl* decl, tg_error* err) {
  if (ps == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "tg_param_set_add: set is NULL");
    return NULL;
  }
  const int i = tg_param_set_declare(ps, decl, "", "tg_param_set_add", err);
  return i < 0 ? NULL : &ps->e[i]->tensor;
}

int tg_param_set_count(const tg_param_set* ps) { return ps ? ps->n : 0; }

tg_status tg_param_set_info(const tg_param_set* ps, int index, tg_param_info* out) {
  if (ps == NULL || out == NULL) return TG_ERR_NULL_ARG;
  if (index < 0 || index >= ps->n) return TG_ERR_ARG;
  tg_param_entry* e = ps->e[index];
  out->name = e->name;
  out->rank = e->rank;
  out->shape = e->shape;
  out->size = e->size;
  out->offset = e->offset;
  out->trainable = e->trainable;
  out->unit_axis = e->unit_axis;
  out->tensor = &e->tensor;
  out->frozen = &e->frozen;
  out->owner = e->owner;
  return TG_OK;
}

int tg_param_set_find(const tg_param_set* ps, const char* name) {
  for (int i = 0; ps && name && i < ps->n; ++i)
    if (strcmp(ps->e[i]->name, name) == 0) return i;
  return -1;
}

int tg_param_set_find_tensor(const tg_param_set* ps, const tg_tensor* t) {
  for (int i = 0; ps && t && i < ps->n; ++i)
    if (&ps->e[i]->tensor == t || &ps->e[i]->frozen == t) return i;
  return -1;
}

tg_tensor* tg_param_set_tensor(tg_param_set* ps, int index) {
  return ps && index >= 0 && index < ps->n ? &ps->e[index]->tensor : NULL;
}

int64_t tg_param_set_size(const tg_param_set* ps) { return ps ? ps->size : 0; }
int64_t tg_param_set_trainable_size(const tg_param_set* ps) { return ps ? ps->trainable : 0; }
float* tg_param_set_values(tg_param_set* ps) { return ps ? ps->values : NULL; }
float* tg_param_set_grads(tg_param_set* ps) { return ps ? ps->grads : NULL; }

void tg_param_set_zero_grads(tg_param_set* ps) {
  if (ps && ps->size > 0) memset(ps->grads, 0, (size_t)ps->size * sizeof(float));
}

tg_status tg_param_set_partition(const tg_param_set* ps, tg_optimizer* o, tg_error* err) {
  if (ps == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "tg_param_set_partition: set is NULL");
  int64_t sizes[256];
  int n = 0;
  for (int i = 0; i < ps->n; ++i) {
    if (!ps->e[i]->trainable) continue;
    if (n == 256)
      return tg_error_set(err, TG_ERR_ARG, "tg_param_set_partition: more than 256 parameters");
    sizes[n++] = ps->e[i]->size;
  }
  return tg_optimizer_set_partition(o, sizes, n, err);
}

tg_status tg_param_set_step(tg_param_set* ps, tg_optimizer* o, tg_error* err) {
  if (ps == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "tg_param_set_step: set is NULL");
  return tg_optimizer_step(o, ps->values, ps->grads, ps->trainable, err);
}

void tg_param_set_attach(const tg_param_set* ps, tg_tape* t) {
  if (ps != NULL) tg_tape_set_annotation(t, &ps->note);
}

const tg_annotation* tg_annotation_of(const tg_tape* t) {
  const tg_annotation* a = (const tg_annotation*)tg_tape_annotation(t);
  return a != NULL && a->magic == TG_ANNOTATION_MAGIC ? a : NULL;
}

void tg_param_set_truncate(tg_param_set* ps, int n) {
  if (n >= ps->n) return;
  for (int i = n; i < ps->n; ++i) ps->alloc->free(ps->alloc->ctx, ps->e[i]);
  ps->n = n;
  /* The dropped entries were declared last, so they sat at the end of the trainable
   * region and of the other one: the remaining trainable ones keep their offsets and
   * the others move down (in order, so the moves never overlap wrongly). */
  int64_t trainable = 0, size = 0;
  for (int i = 0; i < ps->n; ++i) trainable += ps->e[i]->trainable ? ps->e[i]->size : 0;
  int64_t at = trainable;
  for (int i = 0; i < ps->n; ++i) {
    tg_param_entry* e = ps->e[i];
    if (!e->trainable) {
      if (e->offset != at)
        memmove(ps->values + at, ps->values + e->offset, (size_t)e->size * sizeof(float));
      e->offset = at;
      at += e->size;
    }
    size += e->size;
  }
  ps->trainable = trainable;
  ps->size = size;
  bind(ps);
}

const tg_param_set* tg_param_set_of_tape(const tg_tape* t) {
  const tg_annotation* a = tg_annotation_of(t);
  return a ? a->params : NULL;
}
