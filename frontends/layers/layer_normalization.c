/* frontends/layers/layer_normalization.c — Keras' LayerNormalization(axis=-1,
 * epsilon=1e-3, center=True, scale=True): each sample normalised over its last axis,
 *   y = gamma * (x - mean) / sqrt(var + eps) + beta,   gamma, beta: [D] (unit axis 0)
 * gamma starts at ones, beta at zeros. */
#include <math.h>
#include <stdio.h>

#include "frontends/model.h"
#include "ops/ops.h"

static float eps_of(const tg_layer* l) {
  const float e = ((const tg_layer_norm_layer_options*)tg_layer_config(l))->epsilon;
  return e > 0.0f ? e : 1e-3f;
}

static tg_status ln_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                          tg_error* err) {
  (void)n_in;
  const float e = ((const tg_layer_norm_layer_options*)tg_layer_config(l))->epsilon;
  if (!(e >= 0.0f) || e == INFINITY)
    return tg_error_set(err, TG_ERR_ARG, "epsilon must be finite and >= 0, got %g", (double)e);
  if (in[0].rank < 1)
    return tg_error_set(err, TG_ERR_SHAPE, "LayerNormalization needs inputs of rank >= 1");
  const int64_t d = in[0].dim[in[0].rank - 1];
  const tg_param_decl gamma = {
      .name = "gamma", .rank = 1, .shape = {d}, .init = tg_init_ones(), .unit_axis = 0};
  const tg_param_decl beta = {
      .name = "beta", .rank = 1, .shape = {d}, .init = tg_init_zeros(), .unit_axis = 0};
  if (tg_layer_declare(l, &gamma, err) < 0 || tg_layer_declare(l, &beta, err) < 0)
    return err ? err->code : TG_ERR_ARG;
  *out = in[0];
  return TG_OK;
}

static tg_tensor* ln_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                            const tg_layer_ctx* ctx) {
  (void)n_in;
  return tg_layer_norm(t, in[0], tg_layer_param(l, 0, ctx), tg_layer_param(l, 1, ctx), eps_of(l));
}

static void ln_config_io(void* config, tg_config_io* io) {
  tg_config_f32(io, "epsilon", &((tg_layer_norm_layer_options*)config)->epsilon);
}

static size_t ln_describe(const tg_layer* l, char* buf, size_t cap) {
  const int n = snprintf(buf, cap, "eps %g", (double)eps_of(l));
  return n < 0 ? 0 : (size_t)n;
}

const tg_layer_type tg_layer_layer_normalization = {
    .name = "LayerNormalization",
    .prefix = "layer_normalization",
    .config_size = sizeof(tg_layer_norm_layer_options),
    .min_inputs = 1,
    .max_inputs = 1,
    .build = ln_build,
    .record = ln_record,
    .config_io = ln_config_io,
    .describe = ln_describe};
