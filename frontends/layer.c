/* frontends/layer.c — what a layer's own code may ask (frontends/layer.h): its
 * configuration, name and parameters; per-sample shapes; configuration I/O. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontends/internal/config_io.h"
#include "frontends/internal/model_impl.h"
#include "frontends/internal/persist_format.h"
#include "ops/ops.h"

char* tg_layer_shape_str(const tg_layer_shape* s, char* buf, size_t cap) {
  if (cap == 0) return buf;
  size_t used = (size_t)snprintf(buf, cap, "(None");
  for (int i = 0; s && i < s->rank && used < cap; ++i)
    used += (size_t)snprintf(buf + used, cap - used, ", %lld", (long long)s->dim[i]);
  if (used < cap) snprintf(buf + used, cap - used, ")");
  return buf;
}

int64_t tg_layer_shape_numel(const tg_layer_shape* s) {
  int64_t n = 1;
  for (int i = 0; s && i < s->rank; ++i) n *= s->dim[i];
  return n;
}

bool tg_layer_shape_equal(const tg_layer_shape* a, const tg_layer_shape* b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; ++i)
    if (a->dim[i] != b->dim[i]) return false;
  return true;
}

const void* tg_layer_config(const tg_layer* l) { return l ? l->config : NULL; }
void* tg_layer_config_mut(tg_layer* l) { return l ? l->config : NULL; }
const char* tg_layer_name(const tg_layer* l) { return l ? l->name : ""; }
const tg_layer_type* tg_layer_type_of(const tg_layer* l) { return l ? l->type : NULL; }
int tg_layer_param_count(const tg_layer* l) { return l ? l->n_params : 0; }
const tg_layer_shape* tg_layer_output_shape(const tg_layer* l) { return l ? &l->out : NULL; }
int tg_layer_input_count(const tg_layer* l) { return l ? l->n_in : 0; }
const tg_layer_shape* tg_layer_input_shape(const tg_layer* l, int k) {
  return l && k >= 0 && k < l->n_in ? &l->in[k] : NULL;
}

int tg_layer_declare(tg_layer* l, const tg_param_decl* decl, tg_error* err) {
  if (l == NULL || decl == NULL || decl->name == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "tg_layer_declare: layer or declaration is NULL");
    return -1;
  }
  if (l->n_params == TG_LAYER_MAX_PARAMS) {
    tg_error_set(err, TG_ERR_ARG, "%s: a layer declares at most %d parameters", l->name,
                 TG_LAYER_MAX_PARAMS);
    return -1;
  }
  char name[2 * TG_NAME_CAP + 2];
  snprintf(name, sizeof name, "%s/%s", l->name, decl->name);
  tg_param_decl d = *decl;
  d.name = name;
  tg_error e = {0};
  const int i = tg_param_set_declare(&l->model->params, &d, l->name, "tg_layer_declare", &e);
  if (i < 0) {
    /* The declaring function is the layer's build: name the parameter, not it. */
    const char* msg =
        strncmp(e.message, "tg_layer_declare: ", 18) == 0 ? e.message + 18 : e.message;
    tg_error_set(err, e.code, "%s", msg);
    return -1;
  }
  l->param[l->n_params] = i;
  return l->n_params++;
}

tg_tensor* tg_layer_param(const tg_layer* l, int i, const tg_layer_ctx* ctx) {
  if (l == NULL || i < 0 || i >= l->n_params) return NULL;
  tg_param_entry* e = l->model->params.e[l->param[i]];
  return ctx && ctx->grads && e->trainable ? &e->tensor : &e->frozen;
}

tg_status tg_layer_param_info(const tg_layer* l, int i, tg_param_info* out) {
  if (l == NULL || out == NULL) return TG_ERR_NULL_ARG;
  if (i < 0 || i >= l->n_params) return TG_ERR_ARG;
  return tg_param_set_info(&l->model->params, l->param[i], out);
}

void tg_layer_add_penalty(tg_tape* t, const tg_layer_ctx* ctx, tg_regularizer r, tg_tensor* w) {
  if (ctx == NULL || ctx->losses == NULL || (r.l1 == 0.0f && r.l2 == 0.0f)) return;
  tg_tensor* p = NULL;
  if (r.l1 != 0.0f) p = tg_scale(t, tg_sum(t, tg_abs(t, w)), r.l1);
  if (r.l2 != 0.0f) {
    tg_tensor* q = tg_scale(t, tg_sum(t, tg_square(t, w)), r.l2);
    p = p ? tg_add(t, p, q) : q;
  }
  tg_loss_terms* terms = ctx->losses;
  if (terms->n == (int)(sizeof terms->term / sizeof terms->term[0])) {
    tg_tape_fail(t, TG_ERR_ARG, "regularizers: more than %d penalty terms",
                 (int)(sizeof terms->term / sizeof terms->term[0]));
    return;
  }
  terms->term[terms->n++] = p;
}

/* ---- configuration I/O ---- */

bool tg_config_reading(const tg_config_io* io) { return io && io->reading; }

void tg_config_fail(tg_config_io* io, const char* fmt, ...) {
  if (io == NULL || io->failed) return;
  io->failed = true;
  if (io->fail_at == 0) io->fail_at = io->pos;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(io->reason, sizeof io->reason, fmt, ap);
  va_end(ap);
}

static void put(tg_config_io* io, const void* p, size_t n) {
  io->emit(io->ctx, (const uint8_t*)p, n);
}

static void put_head(tg_config_io* io, int kind, const char* key) {
  const size_t len = strlen(key);
  uint8_t head[2] = {(uint8_t)kind, (uint8_t)(len < 255 ? len : 255)};
  put(io, head, 2);
  put(io, key, head[1]);
}

/* Reads a field head; true when it is `key` of `kind` (else io fails). */
static bool get_head(tg_config_io* io, int kind, const char* key) {
  if (io->failed) return false;
  const size_t at = io->pos;
  if (io->end - io->pos < 2) {
    tg_config_fail(io, "the configuration is truncated before field '%s'", key);
    return false;
  }
  const int got_kind = io->data[io->pos];
  const size_t len = io->data[io->pos + 1];
  if (got_kind == TG_CFG_END) {
    io->fail_at = at;
    tg_config_fail(io, "the configuration ends before field '%s'", key);
    return false;
  }
  if (io->end - io->pos - 2 < len) {
    tg_config_fail(io, "the configuration is truncated in a field name");
    return false;
  }
  const char* name = (const char*)io->data + io->pos + 2;
  if (len != strlen(key) || memcmp(name, key, len) != 0) {
    io->fail_at = at;
    tg_config_fail(io, "expected field '%s' but found '%.*s'", key, (int)len, name);
    return false;
  }
  if (got_kind != kind) {
    io->fail_at = at;
    tg_config_fail(io, "field '%s' has kind %d, expected %d", key, got_kind, kind);
    return false;
  }
  io->pos += 2 + len;
  return true;
}

static const uint8_t* get_bytes(tg_config_io* io, size_t n, const char* key) {
  if (io->failed) return NULL;
  if (io->end - io->pos < n) {
    tg_config_fail(io, "the configuration is truncated in field '%s'", key);
    return NULL;
  }
  const uint8_t* p = io->data + io->pos;
  io->pos += n;
  return p;
}

void tg_config_i64(tg_config_io* io, const char* key, int64_t* v) {
  if (io == NULL || io->failed) return;
  if (!io->reading) {
    uint8_t b[8];
    tg_le_put64(b, (uint64_t)*v);
    put_head(io, TG_CFG_I64, key);
    put(io, b, 8);
    return;
  }
  const uint8_t* p = get_head(io, TG_CFG_I64, key) ? get_bytes(io, 8, key) : NULL;
  if (p) *v = (int64_t)tg_le_get64(p);
}

void tg_config_i32(tg_config_io* io, const char* key, int* v) {
  int64_t w = v ? *v : 0;
  tg_config_i64(io, key, &w);
  if (io && io->reading && !io->failed) {
    if (w < -2147483647 - 1 || w > 2147483647)
      tg_config_fail(io, "field '%s' is %lld, outside the range of an int", key, (long long)w);
    else
      *v = (int)w;
  }
}

void tg_config_bool(tg_config_io* io, const char* key, bool* v) {
  if (io == NULL || io->failed) return;
  if (!io->reading) {
    const uint8_t b = *v ? 1 : 0;
    put_head(io, TG_CFG_BOOL, key);
    put(io, &b, 1);
    return;
  }
  const size_t at = io->pos;
  const uint8_t* p = get_head(io, TG_CFG_BOOL, key) ? get_bytes(io, 1, key) : NULL;
  if (p && *p > 1) {
    io->fail_at = at;
    tg_config_fail(io, "field '%s' must be 0 or 1, got %d", key, *p);
  } else if (p) {
    *v = *p == 1;
  }
}

void tg_config_f32(tg_config_io* io, const char* key, float* v) {
  if (io == NULL || io->failed) return;
  if (!io->reading) {
    uint8_t b[4];
    tg_le_put32(b, tg_f32_bits(*v));
    put_head(io, TG_CFG_F32, key);
    put(io, b, 4);
    return;
  }
  const uint8_t* p = get_head(io, TG_CFG_F32, key) ? get_bytes(io, 4, key) : NULL;
  if (p) *v = tg_f32_from_bits(tg_le_get32(p));
}

void tg_config_enum(tg_config_io* io, const char* key, int* v, const char* const* names, int n) {
  if (io == NULL || io->failed) return;
  if (!io->reading) {
    const char* s = *v >= 0 && *v < n ? names[*v] : "";
    const size_t len = strlen(s);
    const uint8_t b = (uint8_t)(len < 255 ? len : 255);
    put_head(io, TG_CFG_ENUM, key);
    put(io, &b, 1);
    put(io, s, b);
    return;
  }
  const size_t at = io->pos;
  const uint8_t* lp = get_head(io, TG_CFG_ENUM, key) ? get_bytes(io, 1, key) : NULL;
  const uint8_t* s = lp ? get_bytes(io, *lp, key) : NULL;
  if (s == NULL) return;
  for (int i = 0; i < n; ++i)
    if (strlen(names[i]) == *lp && memcmp(names[i], s, *lp) == 0) {
      *v = i;
      return;
    }
  io->fail_at = at;
  tg_config_fail(io, "field '%s': unknown value '%.*s'", key, (int)*lp, (const char*)s);
}

void tg_config_finish(tg_config_io* io) {
  if (io->failed) return;
  if (!io->reading) {
    const uint8_t end = TG_CFG_END;
    put(io, &end, 1);
    return;
  }
  if (io->pos >= io->end) {
    tg_config_fail(io, "the configuration is truncated before its end marker");
  } else if (io->data[io->pos] != TG_CFG_END) {
    const size_t len = io->end - io->pos >= 2 ? io->data[io->pos + 1] : 0;
    const size_t avail = io->end - io->pos - (io->end - io->pos >= 2 ? 2 : 0);
    io->fail_at = io->pos;
    tg_config_fail(io, "unexpected field '%.*s' after the last one this layer type has",
                   (int)(len < avail ? len : avail), (const char*)io->data + io->pos + 2);
  } else {
    io->pos++;
  }
}
