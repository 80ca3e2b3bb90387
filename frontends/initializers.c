/* frontends/initializers.c — Keras' initializers over tg_rng (see initializers.h). */
#include "frontends/initializers.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Standard deviation of a unit normal truncated to [-2, 2]; Keras divides by it so
 * that truncation does not shrink the variance the scaling rule asked for. */
static const double kTruncatedStddev = 0.87962566103423978;

static const char* const kNames[TG_INIT_KIND_COUNT] = {
    "default",          "zeros",          "ones",
    "constant",         "random_uniform", "random_normal",
    "truncated_normal", "glorot_uniform", "glorot_normal",
    "he_uniform",       "he_normal",      "lecun_uniform",
    "lecun_normal",
};

const char* tg_init_kind_name(tg_init_kind kind) {
  return kind >= 0 && kind < TG_INIT_KIND_COUNT ? kNames[kind] : "unknown";
}

tg_initializer tg_init_of_kind(tg_init_kind kind) { return (tg_initializer){.kind = kind}; }
tg_initializer tg_init_zeros(void) { return tg_init_of_kind(TG_INIT_ZEROS); }
tg_initializer tg_init_ones(void) { return tg_init_of_kind(TG_INIT_ONES); }
tg_initializer tg_init_glorot_uniform(void) { return tg_init_of_kind(TG_INIT_GLOROT_UNIFORM); }
tg_initializer tg_init_constant(float value) {
  return (tg_initializer){.kind = TG_INIT_CONSTANT, .value = value};
}

static void fill_uniform(float* data, int64_t n, double lo, double hi, tg_rng* rng) {
  for (int64_t i = 0; i < n; ++i) data[i] = (float)(lo + (hi - lo) * tg_rng_uniform_double(rng));
}

/* Normal(mean, stddev); truncated: redraw anything beyond 2 stddev, as TensorFlow. */
static void fill_normal(float* data, int64_t n, double mean, double stddev, bool truncated,
                        tg_rng* rng) {
  for (int64_t i = 0; i < n; ++i) {
    double z = tg_rng_normal(rng);
    while (truncated && fabs(z) > 2.0) z = tg_rng_normal(rng);
    data[i] = (float)(mean + stddev * z);
  }
}

/* Keras' VarianceScaling: variance scale/fan, fan = fan_in or (fan_in + fan_out)/2. */
static void fill_scaled(float* data, int64_t n, double scale, double fan, bool uniform,
                        tg_rng* rng) {
  if (uniform) {
    double limit = sqrt(3.0 * scale / fan);
    fill_uniform(data, n, -limit, limit, rng);
  } else {
    fill_normal(data, n, 0.0, sqrt(scale / fan) / kTruncatedStddev, true, rng);
  }
}

static bool needs_fans(tg_init_kind k) {
  return k == TG_INIT_DEFAULT || k >= TG_INIT_GLOROT_UNIFORM;
}

static tg_status check(const tg_initializer* init, const float* data, int64_t n, int64_t fan_in,
                       int64_t fan_out, const tg_rng* rng, tg_error* err) {
  const char* fn = "tg_initializer_fill";
  if (init == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: init is NULL", fn);
  if (init->kind < 0 || init->kind >= TG_INIT_KIND_COUNT)
    return tg_error_set(err, TG_ERR_ARG, "%s: unknown initializer kind %d", fn, (int)init->kind);
  if (n < 0) return tg_error_set(err, TG_ERR_ARG, "%s: n must be >= 0, got %lld", fn, (long long)n);
  if (data == NULL && n > 0) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: data is NULL", fn);
  if (rng == NULL && init->kind >= TG_INIT_RANDOM_UNIFORM)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: rng is NULL for %s", fn,
                        tg_init_kind_name(init->kind));
  if (needs_fans(init->kind) && (fan_in < 1 || fan_out < 1))
    return tg_error_set(err, TG_ERR_ARG, "%s: %s needs fan_in and fan_out >= 1, got %lld and %lld",
                        fn, tg_init_kind_name(init->kind), (long long)fan_in, (long long)fan_out);
  if (!isfinite(init->value) || !isfinite(init->minval) || !isfinite(init->maxval) ||
      !isfinite(init->mean) || !isfinite(init->stddev))
    return tg_error_set(err, TG_ERR_ARG, "%s: %s parameters must be finite", fn,
                        tg_init_kind_name(init->kind));
  if (init->kind == TG_INIT_RANDOM_UNIFORM && init->minval > init->maxval)
    return tg_error_set(err, TG_ERR_ARG, "%s: random_uniform minval %g > maxval %g", fn,
                        (double)init->minval, (double)init->maxval);
  if ((init->kind == TG_INIT_RANDOM_NORMAL || init->kind == TG_INIT_TRUNCATED_NORMAL) &&
      init->stddev < 0)
    return tg_error_set(err, TG_ERR_ARG, "%s: %s stddev must be >= 0, got %g", fn,
                        tg_init_kind_name(init->kind), (double)init->stddev);
  return TG_OK;
}

tg_status tg_initializer_fill(const tg_initializer* init, float* data, int64_t n, int64_t fan_in,
                              int64_t fan_out, tg_rng* rng, tg_error* err) {
  tg_status s = check(init, data, n, fan_in, fan_out, rng, err);
  if (s != TG_OK) return s;
  const double in = (double)fan_in;
  const double avg = ((double)fan_in + (double)fan_out) / 2.0;
  const double stddev = init->stddev == 0.0f ? 0.05 : init->stddev;
  switch (init->kind) {
    case TG_INIT_ZEROS:
      for (int64_t i = 0; i < n; ++i) data[i] = 0.0f;
      break;
    case TG_INIT_ONES:
      for (int64_t i = 0; i < n; ++i) data[i] = 1.0f;
      break;
    case TG_INIT_CONSTANT:
      for (int64_t i = 0; i < n; ++i) data[i] = init->value;
      break;
    case TG_INIT_RANDOM_UNIFORM:
      if (init->minval == 0.0f && init->maxval == 0.0f)
        fill_uniform(data, n, -0.05, 0.05, rng);
      else
        fill_uniform(data, n, init->minval, init->maxval, rng);
      break;
    case TG_INIT_RANDOM_NORMAL:
      fill_normal(data, n, init->mean, stddev, false, rng);
      break;
    case TG_INIT_TRUNCATED_NORMAL:
      fill_normal(data, n, init->mean, stddev, true, rng);
      break;
    case TG_INIT_DEFAULT:
    case TG_INIT_GLOROT_UNIFORM:
      fill_scaled(data, n, 1.0, avg, true, rng);
      break;
    case TG_INIT_GLOROT_NORMAL:
      fill_scaled(data, n, 1.0, avg, false, rng);
      break;
    case TG_INIT_HE_UNIFORM:
      fill_scaled(data, n, 2.0, in, true, rng);
      break;
    case TG_INIT_HE_NORMAL:
      fill_scaled(data, n, 2.0, in, false, rng);
      break;
    case TG_INIT_LECUN_UNIFORM:
      fill_scaled(data, n, 1.0, in, true, rng);
      break;
    case TG_INIT_LECUN_NORMAL:
      fill_scaled(data, n, 1.0, in, false, rng);
      break;
    case TG_INIT_KIND_COUNT:
      break;
  }
  return TG_OK;
}

tg_status tg_initializer_parse(const char* text, tg_initializer* out, tg_error* err) {
  const char* fn = "tg_initializer_parse";
  if (text == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, text == NULL ? "text" : "out");
  static const char kPrefix[] = "constant:";
  if (strncmp(text, kPrefix, sizeof kPrefix - 1) == 0) {
    const char* v = text + sizeof kPrefix - 1;
    char* end = NULL;
    errno = 0;
    float value = strtof(v, &end);
    if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(value))
      return tg_error_set(err, TG_ERR_PARSE,
                          "%s: \"%s\": constant needs a finite number, e.g. constant:0.5", fn,
                          text);
    *out = tg_init_constant(value);
    return TG_OK;
  }
  for (int k = TG_INIT_ZEROS; k < TG_INIT_KIND_COUNT; ++k) {
    if (k != TG_INIT_CONSTANT && strcmp(text, kNames[k]) == 0) {
      *out = tg_init_of_kind((tg_init_kind)k);
      return TG_OK;
    }
  }
  return tg_error_set(err, TG_ERR_PARSE,
                      "%s: unknown initializer \"%s\"; expected zeros, ones, constant:V, "
                      "random_uniform, random_normal, truncated_normal, glorot_uniform, "
                      "glorot_normal, he_uniform, he_normal, lecun_uniform or lecun_normal",
                      fn, text);
}
