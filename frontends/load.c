/* frontends/load.c — bytes -> model (format in frontends/persist.h). The header is
 * checked first (magic, version, size, CRC-32), so a damaged file is refused before
 * any of its fields is trusted; then every field is checked as it is read, and every
 * count is compared with the bytes that remain before anything is allocated for it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "frontends/internal/config_io.h"
#include "frontends/internal/model_impl.h"
#include "frontends/internal/optimizer_impl.h"
#include "frontends/internal/persist_format.h"

/* A cursor over the file's bytes; every failure goes to err with the prefix. */
typedef struct reader {
  const char* prefix; /* "tg_model_load: 'm.tgm'" */
  const uint8_t* data;
  size_t end; /* the payload's end (= the file's end once the header is checked) */
  size_t pos;
  tg_error* err;
} reader;

static void fail(const reader* r, tg_status code, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void fail(const reader* r, tg_status code, const char* fmt, ...) {
  char text[TG_ERROR_MESSAGE_CAP];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  tg_error_set(r->err, code, "%s: %s", r->prefix, text);
}

/* The next n bytes, or NULL after reporting what was expected there. */
static const uint8_t* take(reader* r, size_t n, const char* what) {
  if (n > r->end - r->pos) {
    fail(r, TG_ERR_PARSE,
         "truncated at byte %zu: expected %s (%zu bytes) but the payload ends at byte %zu", r->pos,
         what, n, r->end);
    return NULL;
  }
  const uint8_t* p = r->data + r->pos;
  r->pos += n;
  return p;
}

static bool get_u32(reader* r, const char* what, uint32_t* v) {
  const uint8_t* p = take(r, 4, what);
  if (p) *v = tg_le_get32(p);
  return p != NULL;
}

static bool get_u64(reader* r, const char* what, uint64_t* v) {
  const uint8_t* p = take(r, 8, what);
  if (p) *v = tg_le_get64(p);
  return p != NULL;
}

/* A 0/1 field. */
static bool get_flag(reader* r, const char* what, bool* v) {
  uint32_t u = 0;
  if (!get_u32(r, what, &u)) return false;
  if (u > 1) {
    fail(r, TG_ERR_PARSE, "byte %zu: %s must be 0 or 1, got %" PRIu32, r->pos - 4, what, u);
    return false;
  }
  *v = u == 1;
  return true;
}

static bool get_f32s(reader* r, const char* what, float* out, int64_t n) {
  const uint8_t* p = take(r, (size_t)n * 4, what);
  for (int64_t i = 0; p && i < n; ++i) out[i] = tg_f32_from_bits(tg_le_get32(p + 4 * i));
  return p != NULL;
}

/* Reads the layer descriptors and builds the layers (shapes only) in m; on success
 * *n_params holds the floats they need, checked to fit in the payload. */
static bool read_layers(reader* r, tg_model* m, int64_t* n_params) {
  uint32_t n_layers = 0;
  if (!get_u32(r, "the layer count", &n_layers)) return false;
  const size_t desc_bytes = 16; /* units, activation, use_bias */
  if (n_layers > (r->end - r->pos) / desc_bytes || n_layers > (uint32_t)INT32_MAX) {
    fail(r, TG_ERR_OVERFLOW,
         "byte %zu: %" PRIu32 " layers do not fit in the %zu payload bytes left", r->pos - 4,
         n_layers, r->end - r->pos);
    return false;
  }
  /* Parameters must fit in what is left after the descriptors and the count. */
  const size_t values_at = r->pos + n_layers * desc_bytes + 8;
  const int64_t budget = values_at <= r->end ? (int64_t)((r->end - values_at) / 4) : 0;
  int64_t total = 0, in = tg_model_input_dim(m);
  for (uint32_t i = 0; i < n_layers; ++i) {
    char what[64];
    uint64_t units = 0;
    uint32_t act = 0;
    bool use_bias = false;
    const size_t at = r->pos;
    snprintf(what, sizeof what, "layer %" PRIu32 "'s units", i + 1);
    if (!get_u64(r, what, &units)) return false;
    if (units == 0) {
      fail(r, TG_ERR_PARSE, "byte %zu: layer %" PRIu32 ": units must be >= 1, got 0", at, i + 1);
      return false;
    }
    const int64_t left = budget - total;
    if (units > (uint64_t)(left / in)) {
      fail(r, TG_ERR_OVERFLOW,
           "byte %zu: layer %" PRIu32 ": a [%" PRId64 "x%" PRIu64
           "] kernel does not fit in the payload",
           at, i + 1, in, units);
      return false;
    }
    snprintf(what, sizeof what, "layer %" PRIu32 "'s activation", i + 1);
    if (!get_u32(r, what, &act)) return false;
    if (act > TG_ACT_SOFTMAX) { /* the activations version 1 knew */
      fail(r, TG_ERR_PARSE, "byte %zu: layer %" PRIu32 ": unknown activation %" PRIu32, r->pos - 4,
           i + 1, act);
      return false;
    }
    snprintf(what, sizeof what, "layer %" PRIu32 "'s use_bias", i + 1);
    if (!get_flag(r, what, &use_bias)) return false;
    const int64_t need = in * (int64_t)units + (use_bias ? (int64_t)units : 0);
    if (need > left) {
      fail(r, TG_ERR_OVERFLOW,
           "byte %zu: layer %" PRIu32 ": a [%" PRId64 "x%" PRIu64
           "] kernel and its bias do not fit in the payload",
           at, i + 1, in, units);
      return false;
    }
    /* Version 1 holds Sequential Dense models only. Zeros draw nothing; the file's
     * values and streams replace what the layer starts with. */
    const tg_dense_options o = {.units = (int64_t)units,
                                .activation = (tg_activation)act,
                                .no_bias = !use_bias,
                                .kernel_init = tg_init_zeros(),
                                .bias_init = tg_init_zeros()};
    if (tg_model_add_dense(m, o) != TG_OK) {
      if (m->error.code == TG_ERR_NOMEM)
        fail(r, TG_ERR_NOMEM, "out of memory for layer %" PRIu32, i + 1);
      else
        fail(r, m->error.code, "byte %zu: layer %" PRIu32 ": %s", at, i + 1, m->error.message);
      return false;
    }
    total += need;
    in = (int64_t)units;
  }
  *n_params = total;
  return true;
}

/* The parameter count, then the block itself; views are bound to it. */
static bool read_values(reader* r, tg_model* m, int64_t n_params) {
  uint64_t count = 0;
  if (!get_u64(r, "the parameter count", &count)) return false;
  if (count != (uint64_t)n_params) {
    fail(r, TG_ERR_PARSE,
         "byte %zu: the parameter count is %" PRIu64 " but the layers need %" PRId64, r->pos - 8,
         count, n_params);
    return false;
  }
  if (n_params == 0) return true;
  char what[64];
  snprintf(what, sizeof what, "the %" PRId64 " parameter values", n_params);
  return get_f32s(r, what, m->params.values, n_params);
}

static bool read_stream_state(reader* r, const char* name, tg_rng* rng) {
  const size_t at = r->pos;
  char what[64];
  snprintf(what, sizeof what, "the %s stream", name);
  uint64_t any = 0;
  for (int i = 0; i < 4; ++i) {
    if (!get_u64(r, what, &rng->s[i])) return false;
    any |= rng->s[i];
  }
  /* xoshiro's all-zero state is a fixed point: it would only ever return 0. */
  if (any == 0) {
    fail(r, TG_ERR_PARSE, "byte %zu: the %s stream's state is all zero", at, name);
    return false;
  }
  return true;
}

/* The optimizer options, checked as compile checks them, and resolved already. */
static bool read_optimizer_options(reader* r, tg_optimizer_options* o, uint32_t version) {
  uint32_t kind = 0;
  if (!get_u32(r, "the optimizer kind", &kind)) return false;
  /* Version 1 knew Adam, SGD and RMSprop. */
  if (kind >= (version == 1 ? (uint32_t)TG_OPT_ADAMW : (uint32_t)TG_OPT_KIND_COUNT)) {
    fail(r, TG_ERR_PARSE, "byte %zu: unknown optimizer kind %" PRIu32, r->pos - 4, kind);
    return false;
  }
  memset(o, 0, sizeof *o);
  o->kind = (tg_optimizer_kind)kind;
  const size_t at = r->pos;
  static const char* const kNames[] = {"lr",    "beta_1",   "beta_2", "epsilon",
                                       "decay", "momentum", "rho"};
  float* fields[] = {&o->lr, &o->beta_1, &o->beta_2, &o->epsilon, &o->decay, &o->momentum, &o->rho};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; ++i) {
    uint32_t bits = 0;
    if (!get_u32(r, "the optimizer options", &bits)) return false;
    *fields[i] = tg_f32_from_bits(bits);
  }
  if (!get_flag(r, "amsgrad", &o->amsgrad) || !get_flag(r, "nesterov", &o->nesterov)) return false;
  const size_t more_at = r->pos;
  float* more[] = {&o->weight_decay, &o->initial_accumulator_value, &o->clipnorm, &o->clipvalue,
                   &o->global_clipnorm};
  for (size_t i = 0; version >= 2 && i < sizeof more / sizeof more[0]; ++i) {
    uint32_t bits = 0;
    if (!get_u32(r, "the optimizer options", &bits)) return false;
    *more[i] = tg_f32_from_bits(bits);
  }
  tg_error e = {0};
  if (tg_optimizer_validate(o, &e) != TG_OK) {
    fail(r, TG_ERR_PARSE, "byte %zu: %s", at, e.message);
    return false;
  }
  /* A zero that resolving would replace cannot come from a saved (resolved) model. */
  tg_optimizer_options resolved = tg_optimizer_resolve(o);
  const float* want[] = {&resolved.lr,    &resolved.beta_1,   &resolved.beta_2, &resolved.epsilon,
                         &resolved.decay, &resolved.momentum, &resolved.rho};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; ++i) {
    if (tg_f32_bits(*fields[i]) != tg_f32_bits(*want[i])) {
      fail(r, TG_ERR_PARSE,
           "byte %zu: %s %s is %g, which stands for a default; a saved model holds the value it "
           "used",
           at + 4 * i, tg_optimizer_kind_name(o->kind), kNames[i], (double)*fields[i]);
      return false;
    }
  }
  const float* want_more[] = {&resolved.weight_decay, &resolved.initial_accumulator_value};
  static const char* const kMore[] = {"weight_decay", "initial_accumulator_value"};
  for (size_t i = 0; version >= 2 && i < 2; ++i) {
    if (tg_f32_bits(*more[i]) != tg_f32_bits(*want_more[i])) {
      fail(r, TG_ERR_PARSE,
           "byte %zu: %s %s is %g, which stands for a default; a saved model holds the value it "
           "used",
           more_at + 4 * i, tg_optimizer_kind_name(o->kind), kMore[i], (double)*more[i]);
      return false;
    }
  }
  return true;
}

/* Loss, optimizer, step count and state; compiles m. */
static bool read_training(reader* r, tg_model* m, uint32_t version) {
  uint32_t kind = 0;
  tg_loss loss = {0};
  if (!get_u32(r, "the loss kind", &kind)) return false;
  if (kind >= TG_LOSS_KIND_COUNT) {
    fail(r, TG_ERR_PARSE, "byte %zu: unknown loss kind %" PRIu32, r->pos - 4, kind);
    return false;
  }
  loss.kind = (tg_loss_kind)kind;
  if (!get_flag(r, "from_logits", &loss.from_logits)) return false;
  const size_t opt_at = r->pos;
  tg_optimizer_options opt;
  if (!read_optimizer_options(r, &opt, version)) return false;
  if (tg_model_compile(m, loss, &opt) != TG_OK) {
    fail(r, m->error.code, "byte %zu: %s", opt_at - 8, m->error.message);
    return false;
  }
  uint64_t iterations = 0, n_state = 0;
  if (!get_u64(r, "the iteration count", &iterations)) return false;
  if (iterations > (uint64_t)INT64_MAX) {
    fail(r, TG_ERR_PARSE, "byte %zu: the iteration count %" PRIu64 " is above 2^63 - 1", r->pos - 8,
         iterations);
    return false;
  }
  tg_optimizer* o = m->optimizer;
  o->iterations = (int64_t)iterations;
  if (!get_u64(r, "the optimizer state count", &n_state)) return false;
  const int64_t need = tg_optimizer_state_size(o);
  if (n_state != (uint64_t)need) {
    fail(r, TG_ERR_PARSE,
         "byte %zu: the optimizer state holds %" PRIu64 " floats but %s needs %" PRId64
         " for %" PRId64 " parameters",
         r->pos - 8, n_state, tg_optimizer_kind_name(o->opt.kind), need, m->params.trainable);
    return false;
  }
  return get_f32s(r, "the optimizer state", o->state, need);
}

static tg_model* read_payload(reader* r, const tg_model_options* options) {
  uint64_t input_dim = 0;
  if (!get_u64(r, "input_dim", &input_dim)) return NULL;
  if (input_dim < 1 || input_dim > (uint64_t)INT64_MAX) {
    fail(r, TG_ERR_PARSE, "byte %zu: input_dim must be 1..2^63-1, got %" PRIu64, r->pos - 8,
         input_dim);
    return NULL;
  }
  if (options && options->input_dim != 0 && (uint64_t)options->input_dim != input_dim) {
    fail(r, TG_ERR_ARG,
         "the saved model takes %" PRIu64 " inputs but options->input_dim is %" PRId64, input_dim,
         options->input_dim);
    return NULL;
  }
  tg_model_options mo = {.input_dim = (int64_t)input_dim};
  if (options) {
    mo.threads = options->threads;
    mo.inference_rows = options->inference_rows;
    mo.allocator = options->allocator;
  }
  tg_error e = {0};
  tg_model* m = tg_sequential_new(&mo, &e);
  if (m == NULL) {
    fail(r, e.code, "%s", e.message);
    return NULL;
  }
  int64_t n_params = 0;
  bool compiled = false;
  bool ok = read_layers(r, m, &n_params) && read_values(r, m, n_params) &&
            read_stream_state(r, "initializer", &m->params.rng) &&
            read_stream_state(r, "shuffling", &m->shuffle_rng) &&
            get_flag(r, "the compiled flag", &compiled) && (!compiled || read_training(r, m, 1));
  if (ok && r->pos != r->end) {
    fail(r, TG_ERR_PARSE, "byte %zu: %zu unexpected bytes at the end of the payload", r->pos,
         r->end - r->pos);
    ok = false;
  }
  if (!ok) {
    tg_model_free(m);
    return NULL;
  }
  return m;
}

/* ---- version 2 ---- */

/* A u16-length string into buf (cap bytes, NUL-terminated); refuses longer ones. */
static bool get_str(reader* r, const char* what, char* buf, size_t cap) {
  const size_t at = r->pos;
  const uint8_t* p = take(r, 2, what);
  if (p == NULL) return false;
  const size_t n = (size_t)p[0] | ((size_t)p[1] << 8);
  if (n >= cap) {
    fail(r, TG_ERR_PARSE, "byte %zu: %s is %zu bytes long, more than %zu", at, what, n, cap - 1);
    return false;
  }
  const uint8_t* s = take(r, n, what);
  if (s == NULL) return false;
  /* A valid model has one encoding: no empty names, no NUL inside one. */
  if (n == 0 || memchr(s, '\0', n) != NULL) {
    fail(r, TG_ERR_PARSE, "byte %zu: %s %s", at, what, n == 0 ? "is empty" : "holds a NUL byte");
    return false;
  }
  memcpy(buf, s, n);
  buf[n] = '\0';
  return true;
}

/* A u32 count that must be at most `max` and, at `each` bytes per item, fit in what is
 * left of the payload (nothing is allocated for a forged count). */
static bool get_count(reader* r, const char* what, uint32_t max, size_t each, uint32_t* out) {
  if (!get_u32(r, what, out)) return false;
  const size_t left = r->end - r->pos;
  if (*out > max || (size_t)*out > left / (each ? each : 1)) {
    fail(r, *out > max ? TG_ERR_PARSE : TG_ERR_OVERFLOW,
         "byte %zu: %s is %" PRIu32 ", more than %s", r->pos - 4, what, *out,
         *out > max ? "this tapegrad supports" : "the payload can hold");
    return false;
  }
  return true;
}

/* Version 3: the compiled model's metrics by name, resolved as compile resolves them
 * (a name this tapegrad does not know, or one that does not fit the loss, is an
 * error naming it). */
static bool read_metrics(reader* r, tg_model* m) {
  uint32_t n = 0;
  if (!get_count(r, "the metric count", TG_FIT_MAX_METRICS, 3, &n)) return false;
  char names[TG_FIT_MAX_METRICS][TG_FIT_NAME_CAP];
  const char* list[TG_FIT_MAX_METRICS];
  const size_t at = r->pos;
  for (uint32_t i = 0; i < n; ++i) {
    if (!get_str(r, "a metric's name", names[i], sizeof names[i])) return false;
    list[i] = names[i];
  }
  if (tg_model_metrics_resolve(m, "the saved metrics", list, (int)n) != TG_OK) {
    fail(r, m->error.code, "byte %zu: %s", at, m->error.message);
    return false;
  }
  return true;
}

static const tg_layer_type* find_type(const char* name, const tg_model_options* options) {
  for (int i = 0; options && i < options->n_layer_types; ++i)
    if (options->layer_types[i] && strcmp(options->layer_types[i]->name, name) == 0)
      return options->layer_types[i];
  return tg_layer_type_find(name);
}

/* Each layer: its type (built in, or one of options->layer_types), name, config. */
static bool read_layers_v2(reader* r, tg_model* m, const tg_model_options* options) {
  uint32_t n = 0;
  if (!get_count(r, "the layer count", 1u << 20, 5, &n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r->pos;
    char type_name[TG_NAME_CAP], name[TG_NAME_CAP];
    if (!get_str(r, "a layer's type", type_name, sizeof type_name) ||
        !get_str(r, "a layer's name", name, sizeof name))
      return false;
    const tg_layer_type* type = find_type(type_name, options);
    if (type == NULL) {
      fail(r, TG_ERR_PARSE,
           "byte %zu: layer %" PRIu32
           " '%s' has type '%s', which this program does not know "
           "(pass it in options->layer_types)",
           at, i + 1, name, type_name);
      return false;
    }
    alignas(max_align_t) unsigned char config[TG_LAYER_CONFIG_CAP];
    memset(config, 0, sizeof config);
    tg_config_io io = {.reading = true, .data = r->data, .pos = r->pos, .end = r->end};
    if (type->config_io) type->config_io(config, &io);
    tg_config_finish(&io);
    if (io.failed) {
      fail(r, TG_ERR_PARSE, "byte %zu: layer %s (%s): %s", io.fail_at ? io.fail_at : io.pos, name,
           type_name, io.reason);
      return false;
    }
    r->pos = io.pos;
    if (tg_model_make_layer(m, "layer", type, config, name) == NULL) {
      fail(r, m->error.code == TG_ERR_NOMEM ? TG_ERR_NOMEM : TG_ERR_PARSE, "byte %zu: %s", at,
           m->error.message);
      return false;
    }
  }
  return true;
}

/* The symbols in creation order: inputs and layer applications, replayed. */
static bool read_graph_v2(reader* r, tg_model* m) {
  uint32_t n = 0;
  if (!get_count(r, "the tensor count", 1u << 24, 8, &n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r->pos;
    uint32_t kind = 0;
    if (!get_u32(r, "a tensor's kind", &kind)) return false;
    if (kind == 0) {
      uint32_t rank = 0;
      if (!get_u32(r, "an input's rank", &rank)) return false;
      if (rank < 1 || rank > TG_LAYER_MAX_RANK) {
        fail(r, TG_ERR_PARSE, "byte %zu: an input's rank must be 1..%d, got %" PRIu32, r->pos - 4,
             TG_LAYER_MAX_RANK, rank);
        return false;
      }
      tg_layer_shape s = {.rank = (int)rank};
      for (uint32_t d = 0; d < rank; ++d) {
        uint64_t v = 0;
        if (!get_u64(r, "an input's dimension", &v)) return false;
        s.dim[d] = v > (uint64_t)INT64_MAX ? -1 : (int64_t)v;
      }
      if (tg_model_add_input(m, "input", &s) < 0) {
        fail(r, m->error.code == TG_ERR_NOMEM ? TG_ERR_NOMEM : TG_ERR_PARSE, "byte %zu: %s", at,
             m->error.message);
        return false;
      }
      continue;
    }
    if (kind != 1) {
      fail(r, TG_ERR_PARSE,
           "byte %zu: tensor %" PRIu32 ": kind must be 0 (input) or 1 (layer), got %" PRIu32, at, i,
           kind);
      return false;
    }
    uint32_t layer = 0, n_in = 0;
    if (!get_u32(r, "a layer index", &layer)) return false;
    if (layer >= (uint32_t)m->n_layers) {
      fail(r, TG_ERR_PARSE, "byte %zu: tensor %" PRIu32 " applies layer %" PRIu32 " of %d",
           r->pos - 4, i, layer, m->n_layers);
      return false;
    }
    if (!get_u32(r, "an input count", &n_in)) return false;
    if (n_in < 1 || n_in > TG_LAYER_MAX_INPUTS) {
      fail(r, TG_ERR_PARSE, "byte %zu: a layer takes 1..%d inputs, got %" PRIu32, r->pos - 4,
           TG_LAYER_MAX_INPUTS, n_in);
      return false;
    }
    int in[TG_LAYER_MAX_INPUTS];
    for (uint32_t k = 0; k < n_in; ++k) {
      uint32_t v = 0;
      if (!get_u32(r, "an input reference", &v)) return false;
      if (v >= i) { /* only earlier tensors: the graph has no cycle */
        fail(r, TG_ERR_PARSE,
             "byte %zu: tensor %" PRIu32 " reads tensor %" PRIu32 ", which does not come before it",
             r->pos - 4, i, v);
        return false;
      }
      in[k] = (int)v;
    }
    char who[TG_NAME_CAP + 32];
    snprintf(who, sizeof who, "%s: ", m->layers[layer]->name);
    const int out = tg_model_apply(m, who, m->layers[layer], in, (int)n_in);
    if (out < 0) {
      const tg_status c = m->error.code;
      fail(r, c == TG_ERR_NOMEM || c == TG_ERR_OVERFLOW ? c : TG_ERR_PARSE, "byte %zu: %s", at,
           m->error.message);
      return false;
    }
    if (!m->functional) m->output = out;
  }
  return true;
}

/* The model's inputs in data order and its output. */
static bool read_io_v2(reader* r, tg_model* m) {
  const size_t at = r->pos;
  uint32_t n = 0, out = 0;
  if (!get_count(r, "the model input count", TG_MODEL_MAX_INPUTS, 4, &n)) return false;
  tg_sym ins[TG_MODEL_MAX_INPUTS];
  for (uint32_t k = 0; k < n; ++k) {
    uint32_t v = 0;
    if (!get_u32(r, "a model input", &v)) return false;
    ins[k].id = v < (uint32_t)m->n_syms ? (int)v : -1;
  }
  if (!get_u32(r, "the output", &out)) return false;
  if (!m->functional) {
    const bool same = n == 1 && ins[0].id == m->inputs[0] &&
                      (out == UINT32_MAX ? m->output < 0 : (int64_t)out == m->output);
    if (!same) {
      fail(r, TG_ERR_PARSE,
           "byte %zu: a Sequential model's input and output are not those of its chain", at);
      return false;
    }
    return true;
  }
  if (out == UINT32_MAX && n == 0) return true; /* never given its inputs and output */
  const tg_sym o = {out < (uint32_t)m->n_syms ? (int)out : -1};
  if (tg_model_set_io(m, ins, (int)n, o) != TG_OK) {
    fail(r, TG_ERR_PARSE, "byte %zu: %s", at, m->error.message);
    return false;
  }
  return true;
}

/* The parameter table must be what the layers declared, entry by entry. */
static bool read_params_v2(reader* r, tg_model* m) {
  uint32_t n = 0;
  if (!get_count(r, "the parameter count", 1u << 24, 14, &n)) return false;
  if (n != (uint32_t)m->params.n) {
    fail(r, TG_ERR_PARSE,
         "byte %zu: the file lists %" PRIu32 " parameters but the layers declare %d", r->pos - 4, n,
         m->params.n);
    return false;
  }
  for (uint32_t i = 0; i < n; ++i) {
    const size_t at = r->pos;
    const tg_param_entry* e = m->params.e[i];
    char name[TG_NAME_CAP];
    uint32_t rank = 0, trainable = 0, axis = 0;
    if (!get_str(r, "a parameter name", name, sizeof name) ||
        !get_u32(r, "a parameter's rank", &rank))
      return false;
    bool same = strcmp(name, e->name) == 0 && rank == (uint32_t)e->rank;
    for (uint32_t d = 0; d < rank && d < TG_MAX_RANK; ++d) {
      uint64_t v = 0;
      if (!get_u64(r, "a parameter's dimension", &v)) return false;
      same = same && v == (uint64_t)e->shape[d];
    }
    if (rank > TG_MAX_RANK) same = false;
    if (same && (!get_u32(r, "a trainable flag", &trainable) || !get_u32(r, "a unit axis", &axis)))
      return false;
    same = same && trainable == (e->trainable ? 1u : 0u) && (int32_t)axis == e->unit_axis;
    if (!same) {
      char shape[TG_SHAPE_STR_CAP];
      fail(r, TG_ERR_PARSE,
           "byte %zu: parameter %" PRIu32
           " is '%s' in the file but the layers declare '%s' %s "
           "(%s, unit axis %d)",
           at, i + 1, name, e->name, tg_shape_format(shape, sizeof shape, e->rank, e->shape),
           e->trainable ? "trainable" : "non-trainable", e->unit_axis);
      return false;
    }
  }
  uint64_t count = 0;
  if (!get_u64(r, "the parameter value count", &count)) return false;
  if (count != (uint64_t)m->params.size) {
    fail(r, TG_ERR_PARSE,
         "byte %zu: the parameter value count is %" PRIu64 " but the table needs %" PRId64,
         r->pos - 8, count, m->params.size);
    return false;
  }
  char what[64];
  snprintf(what, sizeof what, "the %" PRId64 " parameter values", m->params.size);
  return get_f32s(r, what, m->params.values, m->params.size);
}

/* Versions 2 and 3 (3 adds the metrics after the training state). */
static tg_model* read_payload_v2(reader* r, const tg_model_options* options, uint32_t version) {
  uint32_t kind = 0;
  if (!get_u32(r, "the model kind", &kind)) return NULL;
  if (kind > 1) {
    fail(r, TG_ERR_PARSE,
         "byte %zu: the model kind must be 0 (Sequential) or 1 (functional), got %" PRIu32,
         r->pos - 4, kind);
    return NULL;
  }
  tg_model_options mo = {0};
  if (options) {
    mo.threads = options->threads;
    mo.inference_rows = options->inference_rows;
    mo.allocator = options->allocator;
  }
  tg_error e = {0};
  tg_model* m =
      tg_model_new_empty(&mo, kind == 1, kind == 1 ? "tg_functional_new" : "tg_sequential_new", &e);
  if (m == NULL) {
    fail(r, e.code, "%s", e.message);
    return NULL;
  }
  bool compiled = false;
  const int64_t left = (int64_t)((r->end - r->pos) / 4);
  m->params.limit = left > 0 ? left : 1;
  bool ok = read_layers_v2(r, m, options) && read_graph_v2(r, m) && read_io_v2(r, m);
  m->params.limit = 0;
  if (ok && options && options->input_dim != 0 &&
      (m->n_inputs != 1 || tg_model_input_dim(m) != options->input_dim)) {
    fail(r, TG_ERR_ARG,
         "the saved model takes %" PRId64 " inputs but options->input_dim is %" PRId64,
         tg_model_input_dim(m), options->input_dim);
    ok = false;
  }
  ok = ok && read_params_v2(r, m) && read_stream_state(r, "initializer", &m->params.rng) &&
       read_stream_state(r, "shuffling", &m->shuffle_rng) &&
       read_stream_state(r, "layers'", &m->layer_rng) &&
       get_flag(r, "the compiled flag", &compiled) &&
       (!compiled || (read_training(r, m, 2) && (version < 3 || read_metrics(r, m))));
  if (ok && r->pos != r->end) {
    fail(r, TG_ERR_PARSE, "byte %zu: %zu unexpected bytes at the end of the payload", r->pos,
         r->end - r->pos);
    ok = false;
  }
  if (!ok) {
    tg_model_free(m);
    return NULL;
  }
  return m;
}

/* "7f 45 4c 46" for the first (up to 8) bytes. */
static const char* hex_bytes(const uint8_t* p, size_t n, char* buf, size_t cap) {
  buf[0] = '\0';
  for (size_t i = 0, len = 0; i < n && len < cap; ++i)
    len += (size_t)snprintf(buf + len, cap - len, i ? " %02x" : "%02x", p[i]);
  return buf;
}

tg_model* tg_model_parse(const char* prefix, const uint8_t* data, size_t size,
                         const tg_model_options* options, tg_error* err) {
  reader r = {.prefix = prefix, .data = data, .end = size, .pos = 0, .err = err};
  if (size == 0) {
    fail(&r, TG_ERR_PARSE, "the file is empty, not a tapegrad model");
    return NULL;
  }
  const size_t magic_n = size < TG_MODEL_MAGIC_BYTES ? size : TG_MODEL_MAGIC_BYTES;
  if (memcmp(data, TG_MODEL_MAGIC, magic_n) != 0) {
    char hex[32];
    fail(&r, TG_ERR_PARSE, "not a tapegrad model: it starts with bytes %s, not \"%s\"",
         hex_bytes(data, magic_n, hex, sizeof hex), TG_MODEL_MAGIC);
    return NULL;
  }
  struct {
    size_t at, bytes;
    const char* what;
  } const fields[] = {{0, TG_MODEL_MAGIC_BYTES, "the magic \"" TG_MODEL_MAGIC "\""},
                      {TG_MODEL_VERSION_AT, 4, "the format version"},
                      {TG_MODEL_CRC_AT, 4, "the payload's CRC-32"},
                      {TG_MODEL_PAYLOAD_SIZE_AT, 8, "the payload size"}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; ++i) {
    if (size < fields[i].at + fields[i].bytes) {
      fail(&r, TG_ERR_PARSE,
           "truncated at byte %zu: expected %s (%zu bytes) but the file ends at byte %zu",
           fields[i].at, fields[i].what, fields[i].bytes, size);
      return NULL;
    }
    const uint32_t version = i == 1 ? tg_le_get32(data + TG_MODEL_VERSION_AT) : 1;
    if (version < 1 || version > TG_MODEL_FORMAT_VERSION) {
      fail(&r, TG_ERR_PARSE,
           "unsupported format version %" PRIu32 " (this tapegrad reads versions 1 to %d)", version,
           TG_MODEL_FORMAT_VERSION);
      return NULL;
    }
  }
  const uint64_t payload = tg_le_get64(data + TG_MODEL_PAYLOAD_SIZE_AT);
  const size_t have = size - TG_MODEL_HEADER_BYTES;
  if (payload > have) {
    fail(&r, TG_ERR_PARSE,
         "truncated at byte %d: expected %" PRIu64
         " payload bytes (as the header says) but the file ends at byte %zu",
         TG_MODEL_HEADER_BYTES, payload, size);
    return NULL;
  }
  if (payload < have) {
    fail(&r, TG_ERR_PARSE,
         "%zu unexpected bytes after the payload, which ends at byte %" PRIu64
         " (as the header says)",
         have - (size_t)payload, TG_MODEL_HEADER_BYTES + payload);
    return NULL;
  }
  tg_crc32 crc;
  tg_crc32_begin(&crc);
  tg_crc32_update(&crc, data + TG_MODEL_HEADER_BYTES, have);
  const uint32_t want = tg_le_get32(data + TG_MODEL_CRC_AT), got = tg_crc32_end(&crc);
  if (got != want) {
    fail(&r, TG_ERR_PARSE,
         "checksum mismatch: the payload's CRC-32 is 0x%08" PRIx32
         " but the header says 0x%08" PRIx32 " (the file is corrupt)",
         got, want);
    return NULL;
  }
  r.pos = TG_MODEL_HEADER_BYTES;
  if (tg_le_get32(data + TG_MODEL_VERSION_AT) == 1) return read_payload(&r, options);
  return read_payload_v2(&r, options, tg_le_get32(data + TG_MODEL_VERSION_AT));
}

tg_model* tg_model_load_buffer(const void* data, size_t size, const tg_model_options* options,
                               tg_error* err) {
  const char* fn = "tg_model_load_buffer";
  if (data == NULL && size > 0) {
    tg_error_set(err, TG_ERR_NULL_ARG, "%s: data is NULL", fn);
    return NULL;
  }
  return tg_model_parse(fn, (const uint8_t*)data, size, options, err);
}
