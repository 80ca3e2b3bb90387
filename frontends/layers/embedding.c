/* frontends/layers/embedding.c — Keras' Embedding(input_dim, output_dim): each input
 * value, a whole number in [0, input_dim) held as a float, picks a row of the table.
 *   x: (batch, ...) of ids   embeddings: [input_dim, output_dim] (unit axis 1)
 *   y: (batch, ..., output_dim)
 * Recorded as to_index (an id that is not a whole number in range fails the step,
 * naming it) then gather, whose backward scatter-adds into the rows used. */
#include <stdio.h>

#include "frontends/internal/model_impl.h"
#include "frontends/model.h"
#include "ops/ops.h"

static tg_status embedding_build(tg_layer* l, const tg_layer_shape* in, int n_in,
                                 tg_layer_shape* out, tg_error* err) {
  (void)n_in;
  const tg_embedding_options* o = (const tg_embedding_options*)tg_layer_config(l);
  if (o->input_dim < 1 || o->output_dim < 1)
    return tg_error_set(err, TG_ERR_ARG, "input_dim and output_dim must be >= 1, got %lld and %lld",
                        (long long)o->input_dim, (long long)o->output_dim);
  if (o->input_dim > INT32_MAX)
    return tg_error_set(err, TG_ERR_ARG, "input_dim %lld exceeds the int32 ids gather takes",
                        (long long)o->input_dim);
  if (in[0].rank + 1 > TG_LAYER_MAX_RANK)
    return tg_error_set(err, TG_ERR_RANK, "inputs of rank %d per sample give rank %d (at most %d)",
                        in[0].rank, in[0].rank + 1, TG_LAYER_MAX_RANK);
  /* Keras' default: uniform in [-0.05, 0.05]. */
  const tg_initializer init = o->embeddings_init.kind == TG_INIT_DEFAULT
                                  ? (tg_initializer){.kind = TG_INIT_RANDOM_UNIFORM}
                                  : o->embeddings_init;
  const tg_param_decl table = {.name = "embeddings",
                               .rank = 2,
                               .shape = {o->input_dim, o->output_dim},
                               .init = init,
                               .unit_axis = 1,
                               .fan_in = o->input_dim,
                               .fan_out = o->output_dim};
  if (tg_layer_declare(l, &table, err) < 0) return err ? err->code : TG_ERR_ARG;
  *out = in[0];
  out->dim[out->rank++] = o->output_dim;
  return TG_OK;
}

static tg_tensor* embedding_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                   const tg_layer_ctx* ctx) {
  (void)n_in;
  return tg_gather(t, tg_layer_param(l, 0, ctx), tg_to_index(t, in[0]));
}

static void embedding_config_io(void* config, tg_config_io* io) {
  tg_embedding_options* o = (tg_embedding_options*)config;
  tg_config_i64(io, "input_dim", &o->input_dim);
  tg_config_i64(io, "output_dim", &o->output_dim);
}

static size_t embedding_describe(const tg_layer* l, char* buf, size_t cap) {
  const tg_embedding_options* o = (const tg_embedding_options*)tg_layer_config(l);
  const int n =
      snprintf(buf, cap, "%lld -> %lld", (long long)o->input_dim, (long long)o->output_dim);
  return n < 0 ? 0 : (size_t)n;
}

const tg_layer_type tg_layer_embedding = {.name = "Embedding",
                                          .prefix = "embedding",
                                          .config_size = sizeof(tg_embedding_options),
                                          .min_inputs = 1,
                                          .max_inputs = 1,
                                          .build = embedding_build,
                                          .record = embedding_record,
                                          .config_io = embedding_config_io,
                                          .describe = embedding_describe};

/* The model API's shorthand for this layer (frontends/model.h). */
tg_layer* tg_model_embedding(tg_model* m, tg_embedding_options o) {
  return m ? tg_model_make_layer(m, "tg_model_embedding", &tg_layer_embedding, &o, NULL) : NULL;
}
