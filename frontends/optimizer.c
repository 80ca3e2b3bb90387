/* frontends/optimizer.c — options, defaults, state and dispatch shared by every
 * optimizer; the update rules live in adam.c, sgd.c and rmsprop.c. */
#include <math.h>
#include <string.h>

#include "frontends/internal/optimizer_impl.h"

const char* tg_optimizer_kind_name(tg_optimizer_kind kind) {
  switch (kind) {
    case TG_OPT_ADAM:
      return "adam";
    case TG_OPT_SGD:
      return "sgd";
    case TG_OPT_RMSPROP:
      return "rmsprop";
    case TG_OPT_ADAMW:
      return "adamw";
    case TG_OPT_ADAGRAD:
      return "adagrad";
    case TG_OPT_NADAM:
      return "nadam";
    default:
      return "unknown";
  }
}

static float or_default(float v, float d) { return v == 0.0f ? d : v; }

tg_optimizer_options tg_optimizer_resolve(const tg_optimizer_options* opt) {
  tg_optimizer_options r;
  memset(&r, 0, sizeof r);
  if (opt) r = *opt;
  const float keras_epsilon = 1e-7f;
  r.lr = or_default(r.lr, r.kind == TG_OPT_SGD ? 0.01f : 0.001f);
  const bool adam_like = r.kind == TG_OPT_ADAM || r.kind == TG_OPT_ADAMW || r.kind == TG_OPT_NADAM;
  if (adam_like) {
    r.beta_1 = or_default(r.beta_1, 0.9f);
    r.beta_2 = or_default(r.beta_2, 0.999f);
  }
  if (adam_like || r.kind == TG_OPT_RMSPROP || r.kind == TG_OPT_ADAGRAD)
    r.epsilon = or_default(r.epsilon, keras_epsilon);
  if (r.kind == TG_OPT_RMSPROP) r.rho = or_default(r.rho, 0.9f);
  if (r.kind == TG_OPT_ADAMW) r.weight_decay = or_default(r.weight_decay, 0.004f);
  if (r.kind == TG_OPT_ADAGRAD)
    r.initial_accumulator_value = or_default(r.initial_accumulator_value, 0.1f);
  return r;
}

tg_status tg_optimizer_validate(const tg_optimizer_options* opt, tg_error* err) {
  const char* fn = "tg_optimizer_new";
  tg_optimizer_options o = tg_optimizer_resolve(opt);
  if (o.kind < 0 || o.kind >= TG_OPT_KIND_COUNT)
    return tg_error_set(err, TG_ERR_ARG, "%s: unknown optimizer kind %d", fn, (int)o.kind);
  const char* kind = tg_optimizer_kind_name(o.kind);
  struct {
    const char* name;
    float v;
    float hi;
  } f[] = {
      {"lr", o.lr, INFINITY},
      {"epsilon", o.epsilon, INFINITY},
      {"decay", o.decay, INFINITY},
      {"momentum", o.momentum, INFINITY},
      {"beta_1", o.beta_1, 1.0f},
      {"beta_2", o.beta_2, 1.0f},
      {"rho", o.rho, 1.0f},
      {"weight_decay", o.weight_decay, INFINITY},
      {"initial_accumulator_value", o.initial_accumulator_value, INFINITY},
      {"clipnorm", o.clipnorm, INFINITY},
      {"clipvalue", o.clipvalue, INFINITY},
      {"global_clipnorm", o.global_clipnorm, INFINITY},
  };
  for (size_t i = 0; i < sizeof f / sizeof f[0]; ++i) {
    if (!(f[i].v >= 0.0f) || !isfinite(f[i].v) || !(f[i].v < f[i].hi))
      return tg_error_set(err, TG_ERR_ARG, "%s: %s %s must be %s, got %g", fn, kind, f[i].name,
                          isinf(f[i].hi) ? "finite and >= 0" : "in [0, 1)", (double)f[i].v);
  }
  return TG_OK;
}

static int64_t slots(tg_optimizer_kind kind, bool amsgrad) {
  switch (kind) {
    case TG_OPT_ADAM:
    case TG_OPT_ADAMW:
      return amsgrad ? 3 : 2; /* m, v (, v_hat) */
    case TG_OPT_NADAM:
      return 2; /* m, v; the schedule's product follows the slots */
    case TG_OPT_SGD:
      return 1; /* velocity */
    case TG_OPT_RMSPROP:
    case TG_OPT_ADAGRAD:
      return 1; /* mean square / accumulated square */
    default:
      return 0;
  }
}

static int64_t state_floats(const tg_optimizer_options* o, int64_t n) {
  return slots(o->kind, o->amsgrad) * n + (o->kind == TG_OPT_NADAM ? 1 : 0);
}

/* The state a fresh optimizer starts from (Adagrad's accumulator, Nadam's product). */
static void initial_state(tg_optimizer* o) {
  const int64_t size = state_floats(&o->opt, o->n);
  memset(o->state, 0, (size_t)size * sizeof(float));
  if (o->opt.kind == TG_OPT_ADAGRAD)
    for (int64_t i = 0; i < o->n; ++i) o->state[i] = o->opt.initial_accumulator_value;
  if (o->opt.kind == TG_OPT_NADAM) o->state[size - 1] = 1.0f;
}

tg_optimizer* tg_optimizer_new(const tg_optimizer_options* opt, int64_t n_params,
                               const tg_allocator* alloc, tg_error* err) {
  if (tg_optimizer_validate(opt, err) != TG_OK) return NULL;
  if (n_params < 0) {
    tg_error_set(err, TG_ERR_ARG, "tg_optimizer_new: n_params must be >= 0, got %lld",
                 (long long)n_params);
    return NULL;
  }
  alloc = tg_allocator_or_default(alloc);
  tg_optimizer* o = (tg_optimizer*)alloc->alloc(alloc->ctx, sizeof *o);
  if (o == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "tg_optimizer_new: out of memory");
    return NULL;
  }
  memset(o, 0, sizeof *o);
  o->opt = tg_optimizer_resolve(opt);
  o->alloc = alloc;
  o->n = n_params;
  if (n_params > (int64_t)(SIZE_MAX / sizeof(float) / 4)) {
    tg_error_set(err, TG_ERR_OVERFLOW, "tg_optimizer_new: %lld parameters is too many",
                 (long long)n_params);
    alloc->free(alloc->ctx, o);
    return NULL;
  }
  const int64_t k = state_floats(&o->opt, n_params);
  size_t bytes = (size_t)k * sizeof(float);
  o->state = (float*)tg_aligned_alloc(alloc, bytes == 0 ? 1 : bytes);
  const bool clips = o->opt.clipnorm > 0 || o->opt.clipvalue > 0 || o->opt.global_clipnorm > 0;
  if (o->state != NULL && clips)
    o->clipped =
        (float*)tg_aligned_alloc(alloc, n_params > 0 ? (size_t)n_params * sizeof(float) : 1);
  if (o->state == NULL || (clips && o->clipped == NULL)) {
    tg_error_set(err, TG_ERR_NOMEM, "tg_optimizer_new: out of memory for %lld state floats",
                 (long long)k);
    tg_aligned_free(alloc, o->state);
    alloc->free(alloc->ctx, o);
    return NULL;
  }
  initial_state(o);
  return o;
}

void tg_optimizer_free(tg_optimizer* o) {
  if (o == NULL) return;
  tg_aligned_free(o->alloc, o->state);
  tg_aligned_free(o->alloc, o->clipped);
  o->alloc->free(o->alloc->ctx, o->segments);
  o->alloc->free(o->alloc->ctx, o);
}

void tg_optimizer_reset(tg_optimizer* o) {
  if (o == NULL) return;
  o->iterations = 0;
  initial_state(o);
}

int64_t tg_optimizer_state_size(const tg_optimizer* o) { return state_floats(&o->opt, o->n); }

tg_status tg_optimizer_set_partition(tg_optimizer* o, const int64_t* sizes, int n_segments,
                                     tg_error* err) {
  const char* fn = "tg_optimizer_set_partition";
  if (o == NULL || (sizes == NULL && n_segments > 0))
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, o ? "sizes" : "optimizer");
  int64_t total = 0;
  for (int i = 0; i < n_segments; ++i) {
    if (sizes[i] < 0 || sizes[i] > o->n - total)
      return tg_error_set(err, TG_ERR_ARG, "%s: segment %d of %lld floats overruns the %lld", fn, i,
                          (long long)sizes[i], (long long)o->n);
    total += sizes[i];
  }
  if (total != o->n)
    return tg_error_set(err, TG_ERR_ARG, "%s: the segments hold %lld floats, the block %lld", fn,
                        (long long)total, (long long)o->n);
  int64_t* copy = NULL;
  if (n_segments > 0) {
    copy = (int64_t*)o->alloc->alloc(o->alloc->ctx, (size_t)n_segments * sizeof *copy);
    if (copy == NULL) return tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
    memcpy(copy, sizes, (size_t)n_segments * sizeof *copy);
  }
  o->alloc->free(o->alloc->ctx, o->segments);
  o->segments = copy;
  o->n_segments = n_segments;
  return TG_OK;
}

/* Scales g[0..n) to L2 norm <= limit (sums in double). */
static void clip_norm(float* g, int64_t n, float limit) {
  double sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sq += (double)g[i] * g[i];
  const double norm = sqrt(sq);
  if (norm <= limit) return;
  const float scale = (float)(limit / norm);
  for (int64_t i = 0; i < n; ++i) g[i] *= scale;
}

const float* tg_optimizer_clip(tg_optimizer* o, const float* g) {
  const tg_optimizer_options* p = &o->opt;
  if (o->clipped == NULL) return g;
  float* c = o->clipped;
  memcpy(c, g, (size_t)o->n * sizeof(float));
  if (p->clipvalue > 0)
    for (int64_t i = 0; i < o->n; ++i)
      c[i] = c[i] > p->clipvalue ? p->clipvalue : c[i] < -p->clipvalue ? -p->clipvalue : c[i];
  if (p->clipnorm > 0) {
    if (o->n_segments == 0) {
      clip_norm(c, o->n, p->clipnorm);
    } else {
      int64_t at = 0;
      for (int s = 0; s < o->n_segments; at += o->segments[s], ++s)
        clip_norm(c + at, o->segments[s], p->clipnorm);
    }
  }
  if (p->global_clipnorm > 0) clip_norm(c, o->n, p->global_clipnorm);
  return c;
}

int64_t tg_optimizer_iterations(const tg_optimizer* o) { return o ? o->iterations : 0; }

tg_optimizer_options tg_optimizer_options_of(const tg_optimizer* o) {
  return o ? o->opt : tg_optimizer_resolve(NULL);
}

double tg_opt_decayed_lr(const tg_optimizer* o) {
  return (double)o->opt.lr / (1.0 + (double)o->opt.decay * (double)o->iterations);
}

tg_opt_consts tg_opt_begin(const tg_optimizer* o) {
  tg_opt_consts c;
  memset(&c, 0, sizeof c);
  c.lr = (float)tg_opt_decayed_lr(o);
  if (o->opt.kind == TG_OPT_ADAM || o->opt.kind == TG_OPT_ADAMW) c.lr_t = tg_adam_lr_t(o);
  if (o->opt.kind == TG_OPT_ADAMW)
    c.shrink = (float)(tg_opt_decayed_lr(o) * (double)o->opt.weight_decay);
  if (o->opt.kind == TG_OPT_NADAM) tg_nadam_consts(o, &c);
  return c;
}

void tg_opt_range(tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g, int64_t i0,
                  int64_t i1) {
  switch (o->opt.kind) {
    case TG_OPT_ADAM:
      tg_adam_range(o, w, g, c->lr_t, i0, i1);
      break;
    case TG_OPT_SGD:
      tg_sgd_range(o, c, w, g, i0, i1);
      break;
    case TG_OPT_RMSPROP:
      tg_rmsprop_range(o, c, w, g, i0, i1);
      break;
    case TG_OPT_ADAMW:
      tg_adamw_range(o, c, w, g, i0, i1);
      break;
    case TG_OPT_ADAGRAD:
      tg_adagrad_range(o, c, w, g, i0, i1);
      break;
    case TG_OPT_NADAM:
      tg_nadam_range(o, c, w, g, i0, i1);
      break;
    default:
      break;
  }
}

void tg_opt_end(tg_optimizer* o, const tg_opt_consts* c) {
  if (o->opt.kind == TG_OPT_NADAM) o->state[2 * o->n] = c->p_t;
  o->iterations++;
}

bool tg_opt_rangeable(const tg_optimizer* o) {
  return o != NULL && o->clipped == NULL && o->opt.kind >= 0 && o->opt.kind < TG_OPT_KIND_COUNT;
}

/* A range split over a pool's workers: whole cache lines per worker. */
typedef struct range_split {
  tg_optimizer* o;
  const tg_opt_consts* c;
  float* w;
  const float* g;
  int64_t i0, n;
} range_split;

static void range_part(void* ctx, int worker, int workers) {
  const range_split* s = (const range_split*)ctx;
  int64_t i0, i1;
  tg_threadpool_split(s->n, worker, workers, &i0, &i1);
  tg_opt_range(s->o, s->c, s->w, s->g, s->i0 + i0, s->i0 + i1);
}

enum {
  /* Below this many parameters per worker, handing work to another thread costs
   * more than it saves (a few µs against ~1 ns per parameter). */
  kMinParamsPerWorker = 1 << 15
};

void tg_opt_range_pool(tg_optimizer* o, const tg_opt_consts* c, float* w, const float* g,
                       int64_t i0, int64_t i1, tg_threadpool* pool, int workers) {
  if (pool == NULL) workers = 1;
  if (workers > 1 && workers > tg_threadpool_threads(pool)) workers = tg_threadpool_threads(pool);
  while (workers > 1 && (i1 - i0) / workers < kMinParamsPerWorker) --workers;
  if (workers <= 1) {
    tg_opt_range(o, c, w, g, i0, i1);
    return;
  }
  range_split s = {o, c, w, g, i0, i1 - i0};
  tg_threadpool_run(pool, workers, range_part, &s);
}

tg_status tg_optimizer_step_pool(tg_optimizer* o, float* params, const float* grads, int64_t n,
                                 tg_threadpool* pool, int workers, tg_error* err) {
  if (o == NULL || workers <= 1 || pool == NULL || !tg_opt_rangeable(o) || n != o->n ||
      params == NULL || grads == NULL)
    return tg_optimizer_step(o, params, grads, n, err);
  const tg_opt_consts c = tg_opt_begin(o);
  tg_opt_range_pool(o, &c, params, grads, 0, n, pool, workers);
  tg_opt_end(o, &c);
  return TG_OK;
}

tg_status tg_optimizer_step(tg_optimizer* o, float* params, const float* grads, int64_t n,
                            tg_error* err) {
  const char* fn = "tg_optimizer_step";
  if (o == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: optimizer is NULL", fn);
  if (n != o->n)
    return tg_error_set(err, TG_ERR_SHAPE,
                        "%s: %lld parameters given to an optimizer made for %lld", fn, (long long)n,
                        (long long)o->n);
  if (n > 0 && (params == NULL || grads == NULL))
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, params ? "grads" : "params");
  if (o->opt.kind < 0 || o->opt.kind >= TG_OPT_KIND_COUNT)
    return tg_error_set(err, TG_ERR_STATE, "%s: unknown optimizer kind", fn);
  const float* g = tg_optimizer_clip(o, grads);
  const tg_opt_consts c = tg_opt_begin(o);
  tg_opt_range(o, &c, params, g, 0, n);
  tg_opt_end(o, &c);
  return TG_OK;
}
