/* frontends/layers/conv2d.c — Keras' Conv2D(filters, kernel_size, strides=1,
 * padding='valid', dilation_rate=1, groups=1, activation=None, use_bias=True),
 * channels-last:
 *   x (batch, H, W, C)   kernel [KH, KW, C/groups, filters] (unit axis 3)
 *   bias [filters] (unit axis 0)   y (batch, OH, OW, filters)
 * Recorded as conv2d -> add(bias) -> the activation's op. Keras' defaults:
 * glorot_uniform kernel (fan_in KH*KW*C/groups, fan_out KH*KW*filters), zeros bias. */
#include <stdio.h>

#include "frontends/model.h"
#include "ops/ops.h"

static int or1(int v) { return v == 0 ? 1 : v; }

/* Output length of one spatial axis (Keras' conv_output_length). */
static int64_t out_len(int64_t in, int k, int stride, int dilation, tg_padding padding) {
  const int64_t span = (int64_t)(k - 1) * dilation + 1;
  if (padding == TG_PADDING_SAME) return (in + stride - 1) / stride;
  return in < span ? 0 : (in - span) / stride + 1;
}

static tg_status conv2d_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                              tg_error* err) {
  (void)n_in;
  const tg_conv2d_layer_options* o = (const tg_conv2d_layer_options*)tg_layer_config(l);
  char s[64];
  if (in[0].rank != 3)
    return tg_error_set(err, TG_ERR_SHAPE, "Conv2D takes (None, H, W, C) inputs, got %s",
                        tg_layer_shape_str(&in[0], s, sizeof s));
  if (o->filters < 1)
    return tg_error_set(err, TG_ERR_ARG, "filters must be >= 1, got %lld", (long long)o->filters);
  if (o->kernel_size[0] < 1 || o->kernel_size[1] < 1)
    return tg_error_set(err, TG_ERR_ARG, "kernel_size must be >= 1, got %dx%d", o->kernel_size[0],
                        o->kernel_size[1]);
  if (o->activation < 0 || o->activation >= TG_ACT_COUNT)
    return tg_error_set(err, TG_ERR_ARG, "unknown activation %d", (int)o->activation);
  const int groups = or1(o->groups);
  const int64_t c = in[0].dim[2];
  if (c % groups != 0 || o->filters % groups != 0)
    return tg_error_set(err, TG_ERR_ARG, "groups %d must divide the %lld channels and %lld filters",
                        groups, (long long)c, (long long)o->filters);
  const int64_t oh = out_len(in[0].dim[0], o->kernel_size[0], or1(o->strides[0]),
                             or1(o->dilation_rate[0]), o->padding);
  const int64_t ow = out_len(in[0].dim[1], o->kernel_size[1], or1(o->strides[1]),
                             or1(o->dilation_rate[1]), o->padding);
  if (oh < 1 || ow < 1)
    return tg_error_set(err, TG_ERR_SHAPE, "a %dx%d kernel does not fit in %s with valid padding",
                        o->kernel_size[0], o->kernel_size[1],
                        tg_layer_shape_str(&in[0], s, sizeof s));
  const int64_t area = (int64_t)o->kernel_size[0] * o->kernel_size[1];
  const tg_param_decl kernel = {
      .name = "kernel",
      .rank = 4,
      .shape = {o->kernel_size[0], o->kernel_size[1], c / groups, o->filters},
      .init = o->kernel_init,
      .unit_axis = 3,
      .fan_in = area * (c / groups),
      .fan_out = area * o->filters};
  if (tg_layer_declare(l, &kernel, err) < 0) return err ? err->code : TG_ERR_ARG;
  if (!o->no_bias) {
    const tg_initializer zeros = tg_init_zeros();
    const tg_param_decl bias = {.name = "bias",
                                .rank = 1,
                                .shape = {o->filters},
                                .init = o->bias_init.kind == TG_INIT_DEFAULT ? zeros : o->bias_init,
                                .unit_axis = 0};
    if (tg_layer_declare(l, &bias, err) < 0) return err ? err->code : TG_ERR_ARG;
  }
  *out = (tg_layer_shape){.rank = 3, .dim = {oh, ow, o->filters}};
  return TG_OK;
}

static tg_tensor* conv2d_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                const tg_layer_ctx* ctx) {
  (void)n_in;
  const tg_conv2d_layer_options* o = (const tg_conv2d_layer_options*)tg_layer_config(l);
  const tg_conv2d_options co = {.stride = {o->strides[0], o->strides[1]},
                                .padding = o->padding,
                                .dilation = {o->dilation_rate[0], o->dilation_rate[1]},
                                .groups = o->groups};
  tg_tensor* h = tg_conv2d(t, in[0], tg_layer_param(l, 0, ctx), &co);
  if (!o->no_bias) h = tg_add(t, h, tg_layer_param(l, 1, ctx));
  return tg_activation_apply(t, o->activation, h);
}

static void conv2d_config_io(void* config, tg_config_io* io) {
  tg_conv2d_layer_options* o = (tg_conv2d_layer_options*)config;
  static const char* const kPadding[2] = {"valid", "same"};
  int padding = (int)o->padding, act = (int)o->activation;
  bool use_bias = !o->no_bias;
  tg_config_i64(io, "filters", &o->filters);
  tg_config_i32(io, "kernel_rows", &o->kernel_size[0]);
  tg_config_i32(io, "kernel_cols", &o->kernel_size[1]);
  tg_config_i32(io, "stride_rows", &o->strides[0]);
  tg_config_i32(io, "stride_cols", &o->strides[1]);
  tg_config_enum(io, "padding", &padding, kPadding, 2);
  tg_config_i32(io, "dilation_rows", &o->dilation_rate[0]);
  tg_config_i32(io, "dilation_cols", &o->dilation_rate[1]);
  tg_config_i32(io, "groups", &o->groups);
  tg_config_enum(io, "activation", &act, tg_activation_names(), TG_ACT_COUNT);
  tg_config_bool(io, "use_bias", &use_bias);
  o->padding = (tg_padding)padding;
  o->activation = (tg_activation)act;
  o->no_bias = !use_bias;
}

static size_t conv2d_describe(const tg_layer* l, char* buf, size_t cap) {
  const tg_conv2d_layer_options* o = (const tg_conv2d_layer_options*)tg_layer_config(l);
  const int n =
      snprintf(buf, cap, "%lld %dx%d %s%s%s", (long long)o->filters, o->kernel_size[0],
               o->kernel_size[1], o->padding == TG_PADDING_SAME ? "same" : "valid",
               o->activation ? " " : "", o->activation ? tg_activation_name(o->activation) : "");
  return n < 0 ? 0 : (size_t)n;
}

static tg_activation conv2d_activation(const tg_layer* l) {
  return ((const tg_conv2d_layer_options*)tg_layer_config(l))->activation;
}

const tg_layer_type tg_layer_conv2d = {.name = "Conv2D",
                                       .prefix = "conv2d",
                                       .config_size = sizeof(tg_conv2d_layer_options),
                                       .min_inputs = 1,
                                       .max_inputs = 1,
                                       .build = conv2d_build,
                                       .record = conv2d_record,
                                       .config_io = conv2d_config_io,
                                       .describe = conv2d_describe,
                                       .activation = conv2d_activation};
