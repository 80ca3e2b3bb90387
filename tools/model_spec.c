/* tools/model_spec.c — "1-16r-16r-2", "constant:0.5" and the model they describe. */
#include "tools/model_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kSpecFn[] = "tg_model_spec_parse";

/* Parses a whole decimal integer in [lo, hi]; false on anything else. */
static bool parse_int(const char* s, size_t len, int64_t lo, int64_t hi, int64_t* out) {
  if (len == 0 || len > 18) return false;
  int64_t v = 0;
  for (size_t i = 0; i < len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

static bool parse_activation(char c, tg_activation* out) {
  switch (c) {
    case 'r':
      *out = TG_ACT_RELU;
      return true;
    case 's':
      *out = TG_ACT_SIGMOID;
      return true;
    case 't':
      *out = TG_ACT_TANH;
      return true;
    case 'l':
      *out = TG_ACT_LINEAR;
      return true;
    default:
      return false;
  }
}

/* One layer token "16r" (len bytes at tok). */
static tg_status parse_layer(const char* text, int index, const char* tok, size_t len,
                             tg_model_spec* out, tg_error* err) {
  size_t digits = 0;
  while (digits < len && tok[digits] >= '0' && tok[digits] <= '9') ++digits;
  const int shown = (int)len;
  if (digits == 0)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: '%s': layer %d '%.*s' does not start with a unit count", kSpecFn, text,
                        index, shown, tok);
  int64_t units = 0;
  if (!parse_int(tok, digits, 1, TG_SPEC_MAX_UNITS, &units))
    return tg_error_set(err, TG_ERR_PARSE, "%s: '%s': layer %d '%.*s': units must be 1..%d",
                        kSpecFn, text, index, shown, tok, TG_SPEC_MAX_UNITS);
  tg_activation act = TG_ACT_LINEAR;
  if (len - digits > 1 || (len - digits == 1 && !parse_activation(tok[digits], &act)))
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: '%s': layer %d '%.*s': unknown activation '%.*s' (r=relu, "
                        "s=sigmoid, t=tanh, l or nothing=linear)",
                        kSpecFn, text, index, shown, tok, (int)(len - digits), tok + digits);
  out->units[out->n_layers] = units;
  out->activation[out->n_layers] = act;
  out->n_layers++;
  return TG_OK;
}

tg_status tg_model_spec_parse(const char* text, tg_model_spec* out, tg_error* err) {
  if (text == NULL || out == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", kSpecFn, text ? "out" : "text");
  memset(out, 0, sizeof *out);
  const char* dash = strchr(text, '-');
  const size_t first = dash ? (size_t)(dash - text) : strlen(text);
  if (!parse_int(text, first, 1, TG_SPEC_MAX_UNITS, &out->input_dim))
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: '%s': must start with the input width (1..%d), e.g. 1-16r-16r-2",
                        kSpecFn, text, TG_SPEC_MAX_UNITS);
  if (dash == NULL)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: '%s': needs at least one layer after the input "
                        "width, e.g. %s-16r-2",
                        kSpecFn, text, text);
  for (const char* tok = dash + 1;;) {
    const char* end = strchr(tok, '-');
    const size_t len = end ? (size_t)(end - tok) : strlen(tok);
    if (out->n_layers == TG_SPEC_MAX_LAYERS)
      return tg_error_set(err, TG_ERR_PARSE, "%s: '%s': more than %d layers", kSpecFn, text,
                          TG_SPEC_MAX_LAYERS);
    if (len == 0)
      return tg_error_set(err, TG_ERR_PARSE, "%s: '%s': layer %d is empty", kSpecFn, text,
                          out->n_layers + 1);
    tg_status s = parse_layer(text, out->n_layers + 1, tok, len, out, err);
    if (s != TG_OK) return s;
    if (end == NULL) break;
    tok = end + 1;
  }
  return TG_OK;
}

char* tg_model_spec_format(const tg_model_spec* spec, char* buf, size_t cap) {
  if (buf == NULL || cap == 0) return buf;
  if (spec == NULL || spec->n_layers < 0 || spec->n_layers > TG_SPEC_MAX_LAYERS) {
    snprintf(buf, cap, "(invalid spec)");
    return buf;
  }
  size_t used = (size_t)snprintf(buf, cap, "%lld", (long long)spec->input_dim);
  static const char kLetter[TG_ACT_COUNT] = {'\0', 'r', 's', 't', '\0'};
  for (int i = 0; i < spec->n_layers && used < cap; ++i) {
    const char letter = spec->activation[i] < TG_ACT_COUNT ? kLetter[spec->activation[i]] : '\0';
    used += (size_t)snprintf(buf + used, cap - used, letter ? "-%lld%c" : "-%lld",
                             (long long)spec->units[i], letter);
  }
  return buf;
}

tg_model* tg_model_spec_build(const tg_model_spec* spec, const tg_initializer* kernel_init,
                              const tg_initializer* bias_init, uint64_t seed, tg_error* err) {
  if (spec == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "tg_model_spec_build: spec is NULL");
    return NULL;
  }
  if (spec->n_layers < 0 || spec->n_layers > TG_SPEC_MAX_LAYERS) {
    tg_error_set(err, TG_ERR_ARG, "tg_model_spec_build: %d layers is outside 0..%d", spec->n_layers,
                 TG_SPEC_MAX_LAYERS);
    return NULL;
  }
  tg_model* m =
      tg_sequential_new(&(tg_model_options){.input_dim = spec->input_dim, .seed = seed}, err);
  if (m == NULL) return NULL;
  const tg_initializer def = {.kind = TG_INIT_DEFAULT};
  tg_status st = TG_OK;
  for (int i = 0; i < spec->n_layers && st == TG_OK; ++i)
    st = tg_model_add_dense(m, (tg_dense_options){.units = spec->units[i],
                                                  .activation = spec->activation[i],
                                                  .kernel_init = kernel_init ? *kernel_init : def,
                                                  .bias_init = bias_init ? *bias_init : def});
  const tg_optimizer_options adam = {
      .kind = TG_OPT_ADAM, .lr = 0.001f, .beta_1 = 0.9f, .beta_2 = 0.999f, .epsilon = 1e-8f};
  if (st == TG_OK) st = tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE}, &adam);
  if (st != TG_OK) {
    tg_error_set(err, st, "tg_model_spec_build: %s", tg_model_message(m));
    tg_model_free(m);
    return NULL;
  }
  return m;
}
