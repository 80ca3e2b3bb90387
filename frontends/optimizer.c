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
  if (r.kind == TG_OPT_ADAM) {
    r.beta_1 = or_default(r.beta_1, 0.9f);
    r.beta_2 = or_default(r.beta_2, 0.999f);
  }
  if (r.kind == TG_OPT_ADAM || r.kind == TG_OPT_RMSPROP)
    r.epsilon = or_default(r.epsilon, keras_epsilon);
  if (r.kind == TG_OPT_RMSPROP) r.rho = or_default(r.rho, 0.9f);
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
      {"lr", o.lr, INFINITY},       {"epsilon", o.epsilon, INFINITY},
      {"decay", o.decay, INFINITY}, {"momentum", o.momentum, INFINITY},
      {"beta_1", o.beta_1, 1.0f},   {"beta_2", o.beta_2, 1.0f},
      {"rho", o.rho, 1.0f},
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
      return amsgrad ? 3 : 2; /* m, v (, v_hat) */
    case TG_OPT_SGD:
      return 1; /* velocity */
    case TG_OPT_RMSPROP:
      return 1; /* mean square */
    default:
      return 0;
  }
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
  int64_t k = slots(o->opt.kind, o->opt.amsgrad);
  if (n_params > (int64_t)(SIZE_MAX / sizeof(float) / 4)) {
    tg_error_set(err, TG_ERR_OVERFLOW, "tg_optimizer_new: %lld parameters is too many",
                 (long long)n_params);
    alloc->free(alloc->ctx, o);
    return NULL;
  }
  size_t bytes = (size_t)(k * n_params) * sizeof(float);
  o->state = (float*)tg_aligned_alloc(alloc, bytes == 0 ? 1 : bytes);
  if (o->state == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "tg_optimizer_new: out of memory for %lld state floats",
                 (long long)(k * n_params));
    alloc->free(alloc->ctx, o);
    return NULL;
  }
  memset(o->state, 0, bytes);
  return o;
}

void tg_optimizer_free(tg_optimizer* o) {
  if (o == NULL) return;
  tg_aligned_free(o->alloc, o->state);
  o->alloc->free(o->alloc->ctx, o);
}

void tg_optimizer_reset(tg_optimizer* o) {
  if (o == NULL) return;
  o->iterations = 0;
  memset(o->state, 0, (size_t)(slots(o->opt.kind, o->opt.amsgrad) * o->n) * sizeof(float));
}

int64_t tg_optimizer_state_size(const tg_optimizer* o) {
  return slots(o->opt.kind, o->opt.amsgrad) * o->n;
}

int64_t tg_optimizer_iterations(const tg_optimizer* o) { return o ? o->iterations : 0; }

tg_optimizer_options tg_optimizer_options_of(const tg_optimizer* o) {
  return o ? o->opt : tg_optimizer_resolve(NULL);
}

double tg_opt_decayed_lr(const tg_optimizer* o) {
  return (double)o->opt.lr / (1.0 + (double)o->opt.decay * (double)o->iterations);
}

/* Adam split over a pool's workers: whole cache lines per worker. */
typedef struct adam_split {
  tg_optimizer* o;
  float* w;
  const float* g;
  float lr_t;
} adam_split;

static void adam_part(void* ctx, int worker, int workers) {
  const adam_split* s = (const adam_split*)ctx;
  int64_t i0, i1;
  tg_threadpool_split(s->o->n, worker, workers, &i0, &i1);
  tg_adam_range(s->o, s->w, s->g, s->lr_t, i0, i1);
}

enum {
  /* Below this many parameters per worker, handing work to another thread costs
   * more than it saves (a few µs against ~1 ns per parameter). */
  kMinParamsPerWorker = 1 << 15
};

tg_status tg_optimizer_step_pool(tg_optimizer* o, float* params, const float* grads, int64_t n,
                                 tg_threadpool* pool, int workers, tg_error* err) {
  if (workers > tg_threadpool_threads(pool)) workers = tg_threadpool_threads(pool);
  while (workers > 1 && n / workers < kMinParamsPerWorker) --workers;
  if (o == NULL || workers <= 1 || o->opt.kind != TG_OPT_ADAM || n != o->n || params == NULL ||
      grads == NULL)
    return tg_optimizer_step(o, params, grads, n, err);
  adam_split s = {o, params, grads, tg_adam_lr_t(o)};
  tg_threadpool_run(pool, workers, adam_part, &s);
  o->iterations++;
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
  switch (o->opt.kind) {
    case TG_OPT_ADAM:
      tg_adam_step(o, params, grads);
      break;
    case TG_OPT_SGD:
      tg_sgd_step(o, params, grads);
      break;
    case TG_OPT_RMSPROP:
      tg_rmsprop_step(o, params, grads);
      break;
    default:
      return tg_error_set(err, TG_ERR_STATE, "%s: unknown optimizer kind", fn);
  }
  o->iterations++;
  return TG_OK;
}
