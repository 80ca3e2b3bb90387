/* testing/gradcheck.c — central differences through tape replay. */
#include "testing/gradcheck.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "ops/ops.h"

enum { kMaxReportedFailures = 8 };

tg_gradcheck_options tg_gradcheck_defaults(void) {
  tg_gradcheck_options o = {.eps = 1e-2, .atol = 1e-3, .rtol = 5e-3, .seed = 1234};
  return o;
}

/* Appends a line to the report (silently truncated at the cap). */
static void report(tg_gradcheck_result* r, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void report(tg_gradcheck_result* r, const char* fmt, ...) {
  const size_t used = strlen(r->report);
  if (used + 1 >= sizeof r->report) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->report + used, sizeof r->report - used, fmt, ap);
  va_end(ap);
}

static tg_status check_options(const tg_gradcheck_options* o, tg_gradcheck_result* r) {
  if (!(o->eps > 0.0) || !isfinite(o->eps)) {
    report(r, "tg_gradcheck: eps %g must be positive and finite", o->eps);
    return TG_ERR_ARG;
  }
  if (!(o->atol >= 0.0) || !(o->rtol >= 0.0) || !isfinite(o->atol) || !isfinite(o->rtol)) {
    report(r, "tg_gradcheck: atol %g and rtol %g must be finite and >= 0", o->atol, o->rtol);
    return TG_ERR_ARG;
  }
  return TG_OK;
}

/* A leaf the checker owns: the values given, or uniform in ±[min_abs, max_abs]. */
static tg_tensor* make_leaf(const tg_gradcheck_leaf* spec, int index, tg_rng* rng,
                            tg_gradcheck_result* r, tg_status* status) {
  tg_error err = {0};
  tg_tensor* t = tg_tensor_new(spec->rank, spec->shape, spec->requires_grad, &err);
  if (t == NULL) {
    report(r, "tg_gradcheck: leaf %d: %s", index, err.message);
    *status = err.code;
    return NULL;
  }
  if (spec->values != NULL) {
    memcpy(t->data, spec->values, (size_t)t->size * sizeof(float));
    return t;
  }
  float lo = spec->min_abs, hi = spec->max_abs;
  if (lo == 0.0f && hi == 0.0f) lo = 0.1f, hi = 1.0f;
  for (int64_t i = 0; i < t->size; ++i) {
    const float mag = lo + (hi - lo) * tg_rng_uniform(rng);
    const bool negative = !spec->positive && tg_rng_uniform(rng) < 0.5f;
    t->data[i] = negative ? -mag : mag;
  }
  return t;
}

/* loss = y for a one-element y, else sum(y * w) with fixed weights in ±[0.5, 1.5),
 * alternating in sign. */
static tg_tensor* reduce_output(tg_tape* tape, tg_tensor* y, uint64_t seed) {
  if (y == NULL || y->size == 1) return y;
  tg_tensor* w = tg_tape_leaf(tape, y->rank, y->shape, NULL, false);
  if (w == NULL) return NULL;
  tg_rng rng;
  tg_rng_seed(&rng, seed ^ 0x5eedULL);
  for (int64_t i = 0; i < w->size; ++i)
    w->data[i] = (0.5f + tg_rng_uniform(&rng)) * ((i % 2) ? -1.0f : 1.0f);
  return tg_sum(tape, tg_mul(tape, y, w));
}

/* Compares every gradient element of `leaf` with central differences. */
static tg_status compare_leaf(tg_tape* tape, const tg_tensor* loss, tg_tensor* leaf, int li,
                              const tg_gradcheck_options* o, tg_gradcheck_result* r) {
  const float eps = (float)o->eps;
  for (int64_t i = 0; i < leaf->size; ++i) {
    const float saved = leaf->data[i];
    leaf->data[i] = saved + eps;
    tg_status s = tg_tape_forward(tape);
    const double up = loss->data[0];
    leaf->data[i] = saved - eps;
    if (s == TG_OK) s = tg_tape_forward(tape);
    const double down = loss->data[0];
    leaf->data[i] = saved;
    if (s != TG_OK) {
      report(r, "tape error: %s", tg_tape_message(tape));
      return s;
    }
    /* The step actually taken in float32. */
    const double h = (double)(saved + eps) - (double)(saved - eps);
    const double numeric = (up - down) / h;
    const double analytic = leaf->grad[i];
    const double err = fabs(numeric - analytic);
    const double bound = o->atol + o->rtol * fmax(fabs(numeric), fabs(analytic));
    r->checked++;
    if (err > r->max_abs_err) r->max_abs_err = err;
    if (!(err <= bound)) { /* also catches NaN */
      r->ok = false;
      if (r->failed++ < kMaxReportedFailures)
        report(r, "leaf %d element %lld: analytic %.6g numeric %.6g\n", li, (long long)i, analytic,
               numeric);
    }
  }
  return TG_OK;
}

static tg_status run(tg_tensor* const* leaves, int n_leaves, tg_gradcheck_graph graph, void* ctx,
                     const tg_gradcheck_options* o, tg_gradcheck_result* r) {
  tg_tape* tape = tg_tape_new();
  if (tape == NULL) {
    report(r, "tg_gradcheck: out of memory for a tape");
    return TG_ERR_NOMEM;
  }
  tg_tensor* loss = reduce_output(tape, graph(tape, leaves, ctx), o->seed);
  for (int i = 0; i < n_leaves; ++i) tg_tensor_zero_grad(leaves[i]);
  tg_status s = tg_tape_backward(tape, loss);
  if (s != TG_OK) {
    report(r, "tape error: %s", tg_tape_message(tape));
  } else {
    r->ok = true;
    for (int i = 0; i < n_leaves && s == TG_OK; ++i)
      if (leaves[i]->grad != NULL && leaves[i]->dtype == TG_FLOAT32)
        s = compare_leaf(tape, loss, leaves[i], i, o, r);
    if (s != TG_OK) r->ok = false;
  }
  tg_tape_free(tape);
  return s;
}

tg_status tg_gradcheck(const tg_gradcheck_leaf* leaves, int n_leaves, tg_gradcheck_graph graph,
                       void* ctx, const tg_gradcheck_options* opt, tg_gradcheck_result* result) {
  if (result == NULL) return TG_ERR_NULL_ARG;
  memset(result, 0, sizeof *result);
  if (graph == NULL || (n_leaves > 0 && leaves == NULL)) {
    report(result, "tg_gradcheck: %s is NULL", graph == NULL ? "graph" : "leaves");
    return TG_ERR_NULL_ARG;
  }
  if (n_leaves < 0) {
    report(result, "tg_gradcheck: n_leaves %d is negative", n_leaves);
    return TG_ERR_ARG;
  }
  const tg_gradcheck_options o = opt ? *opt : tg_gradcheck_defaults();
  tg_status s = check_options(&o, result);
  if (s != TG_OK) return s;

  tg_tensor** tensors = (tg_tensor**)calloc((size_t)(n_leaves > 0 ? n_leaves : 1), sizeof *tensors);
  bool* owned = (bool*)calloc((size_t)(n_leaves > 0 ? n_leaves : 1), sizeof *owned);
  if (tensors == NULL || owned == NULL) {
    free(tensors);
    free(owned);
    report(result, "tg_gradcheck: out of memory for %d leaves", n_leaves);
    return TG_ERR_NOMEM;
  }
  tg_rng rng;
  tg_rng_seed(&rng, o.seed);
  for (int i = 0; i < n_leaves && s == TG_OK; ++i) {
    if (leaves[i].tensor != NULL) {
      tensors[i] = leaves[i].tensor;
    } else if ((tensors[i] = make_leaf(&leaves[i], i, &rng, result, &s)) != NULL) {
      owned[i] = true;
    }
  }
  if (s == TG_OK) s = run(tensors, n_leaves, graph, ctx, &o, result);
  for (int i = 0; i < n_leaves; ++i)
    if (owned[i]) tg_tensor_free(tensors[i]);
  free(tensors);
  free(owned);
  return s;
}
