/* frontends/layers/global_average_pooling2d.c — Keras' GlobalAveragePooling2D:
 * (batch, H, W, C) -> (batch, C), the mean over height and width. */
#include <stdio.h>

#include "frontends/model.h"
#include "ops/ops.h"

static tg_status gap_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                           tg_error* err) {
  (void)l;
  (void)n_in;
  char s[64];
  if (in[0].rank != 3)
    return tg_error_set(err, TG_ERR_SHAPE, "GlobalAveragePooling2D takes (None, H, W, C), got %s",
                        tg_layer_shape_str(&in[0], s, sizeof s));
  *out = (tg_layer_shape){.rank = 1, .dim = {in[0].dim[2]}};
  return TG_OK;
}

static tg_tensor* gap_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                             const tg_layer_ctx* ctx) {
  (void)l;
  (void)n_in;
  (void)ctx;
  return tg_global_avg_pool2d(t, in[0]);
}

const tg_layer_type tg_layer_global_average_pooling2d = {.name = "GlobalAveragePooling2D",
                                                         .prefix = "global_average_pooling2d",
                                                         .min_inputs = 1,
                                                         .max_inputs = 1,
                                                         .build = gap_build,
                                                         .record = gap_record};
