/* frontends/layers/dense.c — Keras' Dense: y = activation(x·kernel + bias) over the
 * last axis.
 *   x: (batch, ..., in)   kernel: [in, units] (unit axis 1)   bias: [units] (axis 0)
 *   y: (batch, ..., units)
 * Recorded as matmul -> add (unless no_bias) -> the activation's op, so that a bias
 * add followed by ReLU is adjacent on the tape and the replay fuses them. */
#include <math.h>
#include <stdio.h>

#include "frontends/internal/model_impl.h"
#include "frontends/model.h"
#include "ops/ops.h"

enum { kKernel = 0, kBias = 1 };

static tg_status dense_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                             tg_error* err) {
  (void)n_in;
  const tg_dense_options* o = (const tg_dense_options*)tg_layer_config(l);
  if (o->units < 1)
    return tg_error_set(err, TG_ERR_ARG, "units must be >= 1, got %lld", (long long)o->units);
  if (o->activation < 0 || o->activation >= TG_ACT_COUNT)
    return tg_error_set(err, TG_ERR_ARG, "unknown activation %d", (int)o->activation);
  if (in[0].rank < 1)
    return tg_error_set(err, TG_ERR_SHAPE, "Dense needs inputs of rank >= 1 per sample, got ()");
  const float regs[4] = {o->kernel_regularizer.l1, o->kernel_regularizer.l2, o->bias_regularizer.l1,
                         o->bias_regularizer.l2};
  for (int i = 0; i < 4; ++i)
    if (!(regs[i] >= 0.0f) || regs[i] == INFINITY)
      return tg_error_set(err, TG_ERR_ARG, "%s regularizer %s must be finite and >= 0, got %g",
                          i < 2 ? "kernel" : "bias", i % 2 ? "l2" : "l1", (double)regs[i]);
  const int64_t fan_in = in[0].dim[in[0].rank - 1];
  const int64_t limit = (INT64_MAX / 8) / (int64_t)sizeof(float);
  if (o->units > limit / fan_in)
    return tg_error_set(err, TG_ERR_OVERFLOW, "a [%lldx%lld] kernel is too large",
                        (long long)fan_in, (long long)o->units);
  /* Keras' defaults: glorot_uniform kernel, zeros bias. */
  const tg_initializer bias_init =
      o->bias_init.kind == TG_INIT_DEFAULT ? tg_init_zeros() : o->bias_init;
  /* Both initializers are checked before either parameter is declared, so a bad
   * bias initializer draws nothing from the model's stream. */
  tg_error e = {0};
  tg_rng unused; /* n = 0 draws nothing, but random kinds want a stream */
  tg_rng_seed(&unused, 0);
  if (tg_initializer_fill(&o->kernel_init, NULL, 0, fan_in, o->units, &unused, &e) != TG_OK ||
      tg_initializer_fill(&bias_init, NULL, 0, fan_in, o->units, &unused, &e) != TG_OK)
    return tg_error_set(err, e.code, "%s", e.message);
  const tg_param_decl kernel = {.name = "kernel",
                                .rank = 2,
                                .shape = {fan_in, o->units},
                                .init = o->kernel_init,
                                .unit_axis = 1,
                                .fan_in = fan_in,
                                .fan_out = o->units};
  if (tg_layer_declare(l, &kernel, err) < 0) return err ? err->code : TG_ERR_ARG;
  if (!o->no_bias) {
    const tg_param_decl bias = {.name = "bias",
                                .rank = 1,
                                .shape = {o->units},
                                .init = bias_init,
                                .unit_axis = 0,
                                .fan_in = fan_in,
                                .fan_out = o->units};
    if (tg_layer_declare(l, &bias, err) < 0) return err ? err->code : TG_ERR_ARG;
  }
  *out = in[0];
  out->dim[out->rank - 1] = o->units;
  return TG_OK;
}

static tg_tensor* dense_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                               const tg_layer_ctx* ctx) {
  (void)n_in;
  const tg_dense_options* o = (const tg_dense_options*)tg_layer_config(l);
  tg_tensor* h = tg_matmul(t, in[0], tg_layer_param(l, kKernel, ctx));
  if (!o->no_bias) h = tg_add(t, h, tg_layer_param(l, kBias, ctx));
  h = tg_activation_apply(t, o->activation, h);
  /* After the activation, so bias add and ReLU stay adjacent (the replay fuses them). */
  tg_layer_add_penalty(t, ctx, o->kernel_regularizer, tg_layer_param(l, kKernel, ctx));
  if (!o->no_bias) tg_layer_add_penalty(t, ctx, o->bias_regularizer, tg_layer_param(l, kBias, ctx));
  return h;
}

static void dense_config_io(void* config, tg_config_io* io) {
  tg_dense_options* o = (tg_dense_options*)config;
  int act = (int)o->activation;
  bool use_bias = !o->no_bias;
  tg_config_i64(io, "units", &o->units);
  tg_config_enum(io, "activation", &act, tg_activation_names(), TG_ACT_COUNT);
  tg_config_bool(io, "use_bias", &use_bias);
  tg_config_f32(io, "kernel_l1", &o->kernel_regularizer.l1);
  tg_config_f32(io, "kernel_l2", &o->kernel_regularizer.l2);
  tg_config_f32(io, "bias_l1", &o->bias_regularizer.l1);
  tg_config_f32(io, "bias_l2", &o->bias_regularizer.l2);
  o->activation = (tg_activation)act;
  o->no_bias = !use_bias;
}

static size_t dense_describe(const tg_layer* l, char* buf, size_t cap) {
  const tg_dense_options* o = (const tg_dense_options*)tg_layer_config(l);
  const bool reg = o->kernel_regularizer.l1 != 0 || o->kernel_regularizer.l2 != 0 ||
                   o->bias_regularizer.l1 != 0 || o->bias_regularizer.l2 != 0;
  const int n =
      snprintf(buf, cap, "%lld %s%s%s", (long long)o->units, tg_activation_name(o->activation),
               o->no_bias ? " no-bias" : "", reg ? " regularized" : "");
  return n < 0 ? 0 : (size_t)n;
}

static tg_activation dense_activation(const tg_layer* l) {
  return ((const tg_dense_options*)tg_layer_config(l))->activation;
}

const tg_layer_type tg_layer_dense = {.name = "Dense",
                                      .prefix = "dense",
                                      .config_size = sizeof(tg_dense_options),
                                      .min_inputs = 1,
                                      .max_inputs = 1,
                                      .build = dense_build,
                                      .record = dense_record,
                                      .config_io = dense_config_io,
                                      .describe = dense_describe,
                                      .activation = dense_activation};

/* The model API's shorthands for this layer (frontends/model.h). */
tg_layer* tg_model_dense(tg_model* m, tg_dense_options o) {
  return m ? tg_model_make_layer(m, "tg_model_dense", &tg_layer_dense, &o, NULL) : NULL;
}

tg_status tg_model_add_dense(tg_model* m, tg_dense_options o) {
  return tg_model_sequential_add(m, "tg_model_add_dense", &tg_layer_dense, &o);
}
