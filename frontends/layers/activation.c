/* frontends/layers/activation.c — Keras' Activation: y = f(x), no parameters. A
 * Dense layer followed by Activation('relu') records exactly the ops of Dense with
 * activation='relu' (matmul, add, relu, adjacent), so both train bit-identically and
 * the replay fuses add + ReLU either way; only the scope of the relu differs. */
#include <stdio.h>

#include "frontends/internal/model_impl.h"
#include "frontends/model.h"

static tg_status activation_build(tg_layer* l, const tg_layer_shape* in, int n_in,
                                  tg_layer_shape* out, tg_error* err) {
  (void)n_in;
  const tg_activation_options* o = (const tg_activation_options*)tg_layer_config(l);
  if (o->activation < 0 || o->activation >= TG_ACT_COUNT)
    return tg_error_set(err, TG_ERR_ARG, "unknown activation %d", (int)o->activation);
  if (o->activation == TG_ACT_SOFTMAX && in[0].rank < 1)
    return tg_error_set(err, TG_ERR_SHAPE, "softmax needs inputs of rank >= 1 per sample");
  *out = in[0];
  return TG_OK;
}

static tg_tensor* activation_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                    const tg_layer_ctx* ctx) {
  (void)n_in;
  (void)ctx;
  const tg_activation_options* o = (const tg_activation_options*)tg_layer_config(l);
  return tg_activation_apply(t, o->activation, in[0]);
}

static void activation_config_io(void* config, tg_config_io* io) {
  tg_activation_options* o = (tg_activation_options*)config;
  int act = (int)o->activation;
  tg_config_enum(io, "activation", &act, tg_activation_names(), TG_ACT_COUNT);
  o->activation = (tg_activation)act;
}

static size_t activation_describe(const tg_layer* l, char* buf, size_t cap) {
  const tg_activation_options* o = (const tg_activation_options*)tg_layer_config(l);
  const int n = snprintf(buf, cap, "%s", tg_activation_name(o->activation));
  return n < 0 ? 0 : (size_t)n;
}

static tg_activation activation_of(const tg_layer* l) {
  return ((const tg_activation_options*)tg_layer_config(l))->activation;
}

const tg_layer_type tg_layer_activation = {.name = "Activation",
                                           .prefix = "activation",
                                           .config_size = sizeof(tg_activation_options),
                                           .min_inputs = 1,
                                           .max_inputs = 1,
                                           .build = activation_build,
                                           .record = activation_record,
                                           .config_io = activation_config_io,
                                           .describe = activation_describe,
                                           .activation = activation_of};

/* The model API's shorthands for this layer (frontends/model.h). */
tg_layer* tg_model_activation(tg_model* m, tg_activation a) {
  const tg_activation_options o = {.activation = a};
  return m ? tg_model_make_layer(m, "tg_model_activation", &tg_layer_activation, &o, NULL) : NULL;
}

tg_status tg_model_add_activation(tg_model* m, tg_activation a) {
  const tg_activation_options o = {.activation = a};
  return tg_model_sequential_add(m, "tg_model_add_activation", &tg_layer_activation, &o);
}
