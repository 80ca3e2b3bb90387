/* frontends/layers/add.c — Keras' Add: y = x_1 + x_2 + ... + x_n (n >= 2), every
 * input of the same shape; dx_k += dy for each input. No parameters. */
#include <stdio.h>

#include "frontends/internal/model_impl.h"
#include "frontends/model.h"
#include "ops/ops.h"

static tg_status add_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                           tg_error* err) {
  (void)l;
  for (int k = 1; k < n_in; ++k) {
    if (tg_layer_shape_equal(&in[k], &in[0])) continue;
    char a[64], b[64];
    return tg_error_set(err, TG_ERR_SHAPE, "input %d is %s but input 1 is %s", k + 1,
                        tg_layer_shape_str(&in[k], a, sizeof a),
                        tg_layer_shape_str(&in[0], b, sizeof b));
  }
  *out = in[0];
  return TG_OK;
}

static tg_tensor* add_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                             const tg_layer_ctx* ctx) {
  (void)l;
  (void)ctx;
  tg_tensor* y = in[0];
  for (int k = 1; k < n_in; ++k) y = tg_add(t, y, in[k]);
  return y;
}

const tg_layer_type tg_layer_add = {.name = "Add",
                                    .prefix = "add",
                                    .min_inputs = 2,
                                    .max_inputs = TG_LAYER_MAX_INPUTS,
                                    .build = add_build,
                                    .record = add_record};

/* The model API's shorthand for this layer (frontends/model.h). */
tg_layer* tg_model_merge_add(tg_model* m) {
  return m ? tg_model_make_layer(m, "tg_model_merge_add", &tg_layer_add, NULL, NULL) : NULL;
}
