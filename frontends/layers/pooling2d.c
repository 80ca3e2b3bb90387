/* frontends/layers/pooling2d.c — Keras' MaxPooling2D and AveragePooling2D
 * (pool_size=(2, 2), strides=pool_size, padding='valid'), channels-last:
 * (batch, H, W, C) -> (batch, OH, OW, C). Two types over one configuration. */
#include <stdio.h>

#include "frontends/model.h"
#include "ops/ops.h"

static int or_(int v, int d) { return v == 0 ? d : v; }

static tg_status pool_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                            tg_error* err) {
  (void)n_in;
  const tg_pool2d_layer_options* o = (const tg_pool2d_layer_options*)tg_layer_config(l);
  char s[64];
  if (in[0].rank != 3)
    return tg_error_set(err, TG_ERR_SHAPE, "%s takes (None, H, W, C) inputs, got %s",
                        tg_layer_type_of(l)->name, tg_layer_shape_str(&in[0], s, sizeof s));
  int64_t dims[2];
  for (int a = 0; a < 2; ++a) {
    const int k = or_(o->pool_size[a], 2), st = or_(o->strides[a], k);
    if (k < 1 || st < 1) return tg_error_set(err, TG_ERR_ARG, "pool_size and strides must be >= 1");
    dims[a] = o->padding == TG_PADDING_SAME ? (in[0].dim[a] + st - 1) / st
              : in[0].dim[a] < k            ? 0
                                            : (in[0].dim[a] - k) / st + 1;
  }
  if (dims[0] < 1 || dims[1] < 1)
    return tg_error_set(err, TG_ERR_SHAPE, "a %dx%d pool does not fit in %s with valid padding",
                        or_(o->pool_size[0], 2), or_(o->pool_size[1], 2),
                        tg_layer_shape_str(&in[0], s, sizeof s));
  *out = (tg_layer_shape){.rank = 3, .dim = {dims[0], dims[1], in[0].dim[2]}};
  return TG_OK;
}

static tg_pool2d_options op_options(const tg_layer* l) {
  const tg_pool2d_layer_options* o = (const tg_pool2d_layer_options*)tg_layer_config(l);
  return (tg_pool2d_options){.pool_size = {o->pool_size[0], o->pool_size[1]},
                             .stride = {o->strides[0], o->strides[1]},
                             .padding = o->padding};
}

static tg_tensor* max_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                             const tg_layer_ctx* ctx) {
  (void)n_in;
  (void)ctx;
  const tg_pool2d_options p = op_options(l);
  return tg_max_pool2d(t, in[0], &p);
}

static tg_tensor* avg_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                             const tg_layer_ctx* ctx) {
  (void)n_in;
  (void)ctx;
  const tg_pool2d_options p = op_options(l);
  return tg_avg_pool2d(t, in[0], &p);
}

static void pool_config_io(void* config, tg_config_io* io) {
  tg_pool2d_layer_options* o = (tg_pool2d_layer_options*)config;
  static const char* const kPadding[2] = {"valid", "same"};
  int padding = (int)o->padding;
  tg_config_i32(io, "pool_rows", &o->pool_size[0]);
  tg_config_i32(io, "pool_cols", &o->pool_size[1]);
  tg_config_i32(io, "stride_rows", &o->strides[0]);
  tg_config_i32(io, "stride_cols", &o->strides[1]);
  tg_config_enum(io, "padding", &padding, kPadding, 2);
  o->padding = (tg_padding)padding;
}

static size_t pool_describe(const tg_layer* l, char* buf, size_t cap) {
  const tg_pool2d_layer_options* o = (const tg_pool2d_layer_options*)tg_layer_config(l);
  const int n = snprintf(buf, cap, "%dx%d %s", or_(o->pool_size[0], 2), or_(o->pool_size[1], 2),
                         o->padding == TG_PADDING_SAME ? "same" : "valid");
  return n < 0 ? 0 : (size_t)n;
}

const tg_layer_type tg_layer_max_pooling2d = {.name = "MaxPooling2D",
                                              .prefix = "max_pooling2d",
                                              .config_size = sizeof(tg_pool2d_layer_options),
                                              .min_inputs = 1,
                                              .max_inputs = 1,
                                              .build = pool_build,
                                              .record = max_record,
                                              .config_io = pool_config_io,
                                              .describe = pool_describe};

const tg_layer_type tg_layer_average_pooling2d = {.name = "AveragePooling2D",
                                                  .prefix = "average_pooling2d",
                                                  .config_size = sizeof(tg_pool2d_layer_options),
                                                  .min_inputs = 1,
                                                  .max_inputs = 1,
                                                  .build = pool_build,
                                                  .record = avg_record,
                                                  .config_io = pool_config_io,
                                                  .describe = pool_describe};
