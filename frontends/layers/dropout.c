/* frontends/layers/dropout.c — Keras' Dropout(rate): in training each element is kept
 * with probability 1 - rate and scaled by 1 / (1 - rate); in inference y = x. The
 * mask's key comes from the model's stream for the step (ctx->rng), a new one at
 * every training forward, so the same seed gives the same sequence of masks; the
 * mask of a row depends on its global row (ctx->row_offset), so data-parallel shards
 * draw what one process with the whole batch draws. */
#include <math.h>
#include <stdio.h>

#include "frontends/model.h"
#include "ops/ops.h"

static tg_status dropout_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                               tg_error* err) {
  (void)n_in;
  const tg_dropout_layer_options* o = (const tg_dropout_layer_options*)tg_layer_config(l);
  if (!(o->rate >= 0.0f && o->rate < 1.0f))
    return tg_error_set(err, TG_ERR_ARG, "rate must be in [0, 1), got %g", (double)o->rate);
  *out = in[0];
  return TG_OK;
}

static tg_tensor* dropout_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                 const tg_layer_ctx* ctx) {
  (void)n_in;
  const tg_dropout_layer_options* o = (const tg_dropout_layer_options*)tg_layer_config(l);
  if (!ctx->training || o->rate == 0.0f) return in[0]; /* Keras: identity in inference */
  const tg_dropout_options d = {
      .rate = o->rate, .training = true, .rng = ctx->rng, .row_offset = ctx->row_offset};
  return tg_dropout(t, in[0], &d);
}

static void dropout_config_io(void* config, tg_config_io* io) {
  tg_config_f32(io, "rate", &((tg_dropout_layer_options*)config)->rate);
}

static size_t dropout_describe(const tg_layer* l, char* buf, size_t cap) {
  const int n = snprintf(buf, cap, "rate %g",
                         (double)((const tg_dropout_layer_options*)tg_layer_config(l))->rate);
  return n < 0 ? 0 : (size_t)n;
}

const tg_layer_type tg_layer_dropout = {.name = "Dropout",
                                        .prefix = "dropout",
                                        .config_size = sizeof(tg_dropout_layer_options),
                                        .min_inputs = 1,
                                        .max_inputs = 1,
                                        .build = dropout_build,
                                        .record = dropout_record,
                                        .config_io = dropout_config_io,
                                        .describe = dropout_describe};
