/* frontends/layers/flatten.c — Keras' Flatten: (batch, d1, ..., dk) -> (batch,
 * d1*...*dk), a view (no copy; the gradient flows through unchanged). */
#include <stdio.h>

#include "frontends/internal/model_impl.h"
#include "frontends/model.h"
#include "ops/ops.h"

static tg_status flatten_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                               tg_error* err) {
  (void)l;
  (void)n_in;
  (void)err;
  *out = (tg_layer_shape){.rank = 1, .dim = {tg_layer_shape_numel(&in[0])}};
  return TG_OK;
}

static tg_tensor* flatten_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                 const tg_layer_ctx* ctx) {
  (void)l;
  (void)n_in;
  (void)ctx;
  return tg_flatten(t, in[0]);
}

const tg_layer_type tg_layer_flatten = {.name = "Flatten",
                                        .prefix = "flatten",
                                        .min_inputs = 1,
                                        .max_inputs = 1,
                                        .build = flatten_build,
                                        .record = flatten_record};

/* The model API's shorthand for this layer (frontends/model.h). */
tg_layer* tg_model_flatten(tg_model* m) {
  return m ? tg_model_make_layer(m, "tg_model_flatten", &tg_layer_flatten, NULL, NULL) : NULL;
}
