/* frontends/save.c — model -> bytes (format in frontends/persist.h), to a buffer, a
 * stream, or a file by name through core/atomic_file.h (replaced atomically; links
 * followed; FIFOs and devices written as streams).
 *
 * The header carries the payload's size and checksum, which are known only once the
 * payload is serialised. Rather than hold a copy of the model in memory, saving
 * serialises twice: a first pass only measures and checksums, the second writes. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic_file.h"
#include "frontends/internal/config_io.h"
#include "frontends/internal/model_impl.h"
#include "frontends/internal/optimizer_impl.h"
#include "frontends/internal/persist_format.h"

/* Where serialised bytes go: nowhere (measuring), a buffer, or a stream. */
typedef struct sink {
  tg_crc32* crc; /* checksum of everything emitted, or NULL */
  uint8_t* buf;  /* memory target, large enough (checked before writing) */
  FILE* file;    /* stream target: bytes pass through `stage` */
  size_t pos;    /* bytes emitted so far */
  uint8_t stage[4096];
  size_t staged;
  int write_errno; /* errno of the first failed fwrite; 0 while all is well */
} sink;

static void flush_stage(sink* s) {
  if (s->staged > 0 && s->write_errno == 0 && fwrite(s->stage, 1, s->staged, s->file) != s->staged)
    s->write_errno = errno != 0 ? errno : EIO;
  s->staged = 0;
}

static void emit(sink* s, const uint8_t* p, size_t n) {
  if (s->crc) tg_crc32_update(s->crc, p, n);
  if (s->buf) memcpy(s->buf + s->pos, p, n);
  if (s->file) {
    if (s->staged + n > sizeof s->stage) flush_stage(s);
    memcpy(s->stage + s->staged, p, n); /* n is at most one float chunk: fits */
    s->staged += n;
  }
  s->pos += n;
}

static void put_u32(sink* s, uint32_t v) {
  uint8_t b[4];
  tg_le_put32(b, v);
  emit(s, b, sizeof b);
}

static void put_u64(sink* s, uint64_t v) {
  uint8_t b[8];
  tg_le_put64(b, v);
  emit(s, b, sizeof b);
}

static void put_f32(sink* s, float f) { put_u32(s, tg_f32_bits(f)); }

static void put_f32s(sink* s, const float* v, int64_t n) {
  uint8_t chunk[1024];
  for (int64_t i = 0; i < n;) {
    size_t k = 0;
    for (; k + 4 <= sizeof chunk && i < n; k += 4, ++i) tg_le_put32(chunk + k, tg_f32_bits(v[i]));
    emit(s, chunk, k);
  }
}

static void put_str(sink* s, const char* str) {
  const size_t n = strlen(str);
  uint8_t b[2] = {(uint8_t)(n & 0xFF), (uint8_t)(n >> 8)};
  emit(s, b, 2);
  emit(s, (const uint8_t*)str, n);
}

/* The loss, the optimizer's resolved options, step count and state (both versions). */
static void put_training(sink* s, const tg_model* m, uint32_t version) {
  const bool compiled = m->compiled && m->optimizer != NULL;
  put_u32(s, compiled ? 1u : 0u);
  if (!compiled) return;
  put_u32(s, (uint32_t)m->loss.kind);
  put_u32(s, m->loss.from_logits ? 1u : 0u);
  const tg_optimizer* o = m->optimizer;
  const tg_optimizer_options* p = &o->opt;
  put_u32(s, (uint32_t)p->kind);
  const float hyper[] = {p->lr, p->beta_1, p->beta_2, p->epsilon, p->decay, p->momentum, p->rho};
  for (size_t i = 0; i < sizeof hyper / sizeof hyper[0]; ++i) put_f32(s, hyper[i]);
  put_u32(s, p->amsgrad ? 1u : 0u);
  put_u32(s, p->nesterov ? 1u : 0u);
  if (version >= 2) {
    const float more[] = {p->weight_decay, p->initial_accumulator_value, p->clipnorm, p->clipvalue,
                          p->global_clipnorm};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; ++i) put_f32(s, more[i]);
  }
  put_u64(s, (uint64_t)o->iterations);
  const int64_t n_state = tg_optimizer_state_size(o);
  put_u64(s, (uint64_t)n_state);
  put_f32s(s, o->state, n_state);
  if (version >= 3) {
    put_u32(s, (uint32_t)m->fx.n_metrics);
    for (int i = 0; i < m->fx.n_metrics; ++i) put_str(s, m->fx.metrics[i].name);
  }
}

static void put_rng(sink* s, const tg_rng* r) {
  for (int i = 0; i < 4; ++i) put_u64(s, r->s[i]);
}

/* Version 1, field by field, in the order persist.h documents. */
static void put_payload_v1(sink* s, const tg_model* m) {
  put_u64(s, (uint64_t)tg_model_input_dim(m));
  put_u32(s, (uint32_t)m->n_layers);
  for (int i = 0; i < m->n_layers; ++i) {
    tg_layer_info info;
    tg_model_layer(m, i, &info);
    put_u64(s, (uint64_t)info.units);
    put_u32(s, (uint32_t)info.activation);
    put_u32(s, info.bias != NULL ? 1u : 0u);
  }
  put_u64(s, (uint64_t)m->params.size);
  put_f32s(s, m->params.values, m->params.size);
  put_rng(s, &m->params.rng);
  put_rng(s, &m->shuffle_rng);
  put_training(s, m, 1);
}

static void emit_config(void* ctx, const uint8_t* p, size_t n) { emit((sink*)ctx, p, n); }

/* Version 2: the graph as the events that built it, each layer as its type's name and
 * configuration, the parameter table, the values, the streams, the training state. */
static void put_payload_v2(sink* s, const tg_model* m, uint32_t version) {
  put_u32(s, m->functional ? 1u : 0u);
  put_u32(s, (uint32_t)m->n_layers);
  for (int i = 0; i < m->n_layers; ++i) {
    const tg_layer* l = m->layers[i];
    put_str(s, l->type->name);
    put_str(s, l->name);
    /* config_io reads the fields it writes through pointers: give it a copy. */
    alignas(max_align_t) unsigned char copy[TG_LAYER_CONFIG_CAP];
    memcpy(copy, l->config, sizeof copy);
    tg_config_io io = {.reading = false, .emit = emit_config, .ctx = s};
    if (l->type->config_io) l->type->config_io(copy, &io);
    tg_config_finish(&io);
  }
  put_u32(s, (uint32_t)m->n_syms);
  for (int i = 0; i < m->n_syms; ++i) {
    const tg_symbol* y = &m->syms[i];
    if (y->node < 0) {
      put_u32(s, 0u); /* an input */
      put_u32(s, (uint32_t)y->shape.rank);
      for (int d = 0; d < y->shape.rank; ++d) put_u64(s, (uint64_t)y->shape.dim[d]);
      continue;
    }
    const tg_model_node* nd = &m->nodes[y->node];
    put_u32(s, 1u); /* a layer application */
    put_u32(s, (uint32_t)nd->layer->index);
    put_u32(s, (uint32_t)nd->n_in);
    for (int k = 0; k < nd->n_in; ++k) put_u32(s, (uint32_t)nd->in[k]);
  }
  put_u32(s, (uint32_t)m->n_inputs);
  for (int k = 0; k < m->n_inputs; ++k) put_u32(s, (uint32_t)m->inputs[k]);
  put_u32(s, m->output >= 0 ? (uint32_t)m->output : UINT32_MAX);
  put_u32(s, (uint32_t)m->params.n);
  for (int i = 0; i < m->params.n; ++i) {
    const tg_param_entry* e = m->params.e[i];
    put_str(s, e->name);
    put_u32(s, (uint32_t)e->rank);
    for (int d = 0; d < e->rank; ++d) put_u64(s, (uint64_t)e->shape[d]);
    put_u32(s, e->trainable ? 1u : 0u);
    put_u32(s, (uint32_t)e->unit_axis);
  }
  put_u64(s, (uint64_t)m->params.size);
  put_f32s(s, m->params.values, m->params.size);
  put_rng(s, &m->params.rng);
  put_rng(s, &m->shuffle_rng);
  put_rng(s, &m->layer_rng);
  put_training(s, m, version);
}

static void put_payload(sink* s, const tg_model* m, uint32_t version) {
  if (version == 1)
    put_payload_v1(s, m);
  else
    put_payload_v2(s, m, version);
}

/* Version 1 holds a Sequential chain of Dense layers only. */
static tg_status check_v1(const tg_model* m, const char* fn, tg_error* err) {
  if (m->compiled && m->optimizer != NULL) {
    const tg_optimizer_options* p = &m->optimizer->opt;
    if (p->kind > TG_OPT_RMSPROP || p->clipnorm > 0 || p->clipvalue > 0 || p->global_clipnorm > 0)
      return tg_error_set(err, TG_ERR_ARG,
                          "%s: version 1 holds Adam, SGD and RMSprop without clipping only", fn);
  }
  if (m->functional)
    return tg_error_set(err, TG_ERR_ARG, "%s: version 1 holds Sequential models only", fn);
  for (int i = 0; i < m->n_layers; ++i) {
    tg_layer_info info;
    tg_model_layer(m, i, &info);
    if (strcmp(info.type, "Dense") != 0 || info.activation > TG_ACT_SOFTMAX)
      return tg_error_set(err, TG_ERR_ARG,
                          "%s: version 1 holds Dense layers with linear, relu, sigmoid, tanh or "
                          "softmax only, not %s (%s)",
                          fn, info.name, info.type);
  }
  return TG_OK;
}

/* Size and CRC-32 of the payload, without storing it. */
static size_t measure(const tg_model* m, uint32_t version, uint32_t* crc) {
  tg_crc32 c;
  tg_crc32_begin(&c);
  sink s = {.crc = &c};
  put_payload(&s, m, version);
  *crc = tg_crc32_end(&c);
  return s.pos;
}

/* Header then payload into the sink's target. */
static void put_file(sink* s, const tg_model* m, uint32_t version, size_t payload_bytes,
                     uint32_t crc) {
  emit(s, (const uint8_t*)TG_MODEL_MAGIC, TG_MODEL_MAGIC_BYTES);
  put_u32(s, version);
  put_u32(s, crc);
  put_u64(s, (uint64_t)payload_bytes);
  put_payload(s, m, version);
  if (s->file) flush_stage(s);
}

static size_t save_buffer(const tg_model* m, uint32_t version, void* buf, size_t cap) {
  uint32_t crc = 0;
  const size_t payload = measure(m, version, &crc);
  const size_t total = TG_MODEL_HEADER_BYTES + payload;
  if (buf != NULL && cap >= total) {
    sink s = {.buf = (uint8_t*)buf};
    put_file(&s, m, version, payload, crc);
  }
  return total;
}

size_t tg_model_save_buffer_v1(const tg_model* m, void* buf, size_t cap, tg_error* err) {
  if (m == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "tg_model_save_buffer_v1: model is NULL");
    return 0;
  }
  if (check_v1(m, "tg_model_save_buffer_v1", err) != TG_OK) return 0;
  return save_buffer(m, 1, buf, cap);
}

size_t tg_model_save_buffer_v2(const tg_model* m, void* buf, size_t cap, tg_error* err) {
  const char* fn = "tg_model_save_buffer_v2";
  if (m == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "%s: model is NULL", fn);
    return 0;
  }
  if (m->compiled && m->fx.n_metrics > 0) {
    tg_error_set(err, TG_ERR_ARG,
                 "%s: version 2 holds no metrics, and the model is compiled with %d ('%s'%s)", fn,
                 m->fx.n_metrics, m->fx.metrics[0].name, m->fx.n_metrics > 1 ? ", ..." : "");
    return 0;
  }
  return save_buffer(m, 2, buf, cap);
}

size_t tg_model_save_buffer(const tg_model* m, void* buf, size_t cap, tg_error* err) {
  if (m == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "tg_model_save_buffer: model is NULL");
    return 0;
  }
  return save_buffer(m, TG_MODEL_FORMAT_VERSION, buf, cap);
}

/* Writes the file to f; returns 0 or the errno of the failed write. */
static int write_stream(const tg_model* m, FILE* f) {
  uint32_t crc = 0;
  const size_t payload = measure(m, TG_MODEL_FORMAT_VERSION, &crc);
  sink s = {.file = f};
  put_file(&s, m, TG_MODEL_FORMAT_VERSION, payload, crc);
  if (s.write_errno == 0 && ferror(f)) s.write_errno = EIO;
  return s.write_errno;
}

tg_status tg_model_write(const tg_model* m, FILE* f, tg_error* err) {
  const char* fn = "tg_model_write";
  if (m == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: model is NULL", fn);
  if (f == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: stream is NULL", fn);
  const int e = write_stream(m, f);
  return e == 0 ? TG_OK
                : tg_error_set(err, TG_ERR_IO, "%s: writing the model failed: %s", fn, strerror(e));
}

typedef struct save_job {
  const tg_model* m;
  const char* path;
} save_job;

static tg_status write_job(void* ctx, FILE* f, tg_error* err) {
  const save_job* job = (const save_job*)ctx;
  const int e = write_stream(job->m, f);
  return e == 0 ? TG_OK
                : tg_error_set(err, TG_ERR_IO, "tg_model_save: writing '%s' failed: %s", job->path,
                               strerror(e));
}

tg_status tg_model_save(const tg_model* m, const char* path, tg_error* err) {
  const char* fn = "tg_model_save";
  if (m == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: model is NULL", fn);
  save_job job = {m, path};
  return tg_atomic_write(fn, path, m->alloc, write_job, &job, err);
}
