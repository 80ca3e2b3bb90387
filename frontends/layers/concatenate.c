/* frontends/layers/concatenate.c — Keras' Concatenate(axis=-1): joins its inputs along
 * one axis of the sample (negative counts from the end); every other dimension must
 * agree. The gradient splits back to each input. */
#include <stdio.h>

#include "frontends/internal/model_impl.h"
#include "frontends/model.h"
#include "ops/ops.h"

/* The per-sample axis `axis` names for a rank-r sample; -1 when out of range. */
static int sample_axis(int axis, int rank) {
  const int a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : -1;
}

static tg_status concatenate_build(tg_layer* l, const tg_layer_shape* in, int n_in,
                                   tg_layer_shape* out, tg_error* err) {
  const tg_concatenate_options* o = (const tg_concatenate_options*)tg_layer_config(l);
  const int axis = sample_axis(o->axis, in[0].rank);
  char a[64], b[64];
  if (axis < 0)
    return tg_error_set(err, TG_ERR_ARG, "axis %d is out of range for inputs %s", o->axis,
                        tg_layer_shape_str(&in[0], a, sizeof a));
  *out = in[0];
  for (int k = 1; k < n_in; ++k) {
    bool ok = in[k].rank == in[0].rank;
    for (int d = 0; ok && d < in[0].rank; ++d) ok = d == axis || in[k].dim[d] == in[0].dim[d];
    if (!ok)
      return tg_error_set(err, TG_ERR_SHAPE,
                          "input %d is %s but input 1 is %s: they may differ on axis %d only",
                          k + 1, tg_layer_shape_str(&in[k], a, sizeof a),
                          tg_layer_shape_str(&in[0], b, sizeof b), o->axis);
    out->dim[axis] += in[k].dim[axis];
  }
  return TG_OK;
}

static tg_tensor* concatenate_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                     const tg_layer_ctx* ctx) {
  (void)ctx;
  const tg_concatenate_options* o = (const tg_concatenate_options*)tg_layer_config(l);
  /* The batch axis comes first on the tape. */
  return tg_concat(t, in, n_in, sample_axis(o->axis, tg_layer_input_shape(l, 0)->rank) + 1);
}

static void concatenate_config_io(void* config, tg_config_io* io) {
  tg_config_i32(io, "axis", &((tg_concatenate_options*)config)->axis);
}

static size_t concatenate_describe(const tg_layer* l, char* buf, size_t cap) {
  const tg_concatenate_options* o = (const tg_concatenate_options*)tg_layer_config(l);
  const int n = snprintf(buf, cap, "axis %d", o->axis);
  return n < 0 ? 0 : (size_t)n;
}

const tg_layer_type tg_layer_concatenate = {.name = "Concatenate",
                                            .prefix = "concatenate",
                                            .config_size = sizeof(tg_concatenate_options),
                                            .min_inputs = 2,
                                            .max_inputs = TG_LAYER_MAX_INPUTS,
                                            .build = concatenate_build,
                                            .record = concatenate_record,
                                            .config_io = concatenate_config_io,
                                            .describe = concatenate_describe};

/* The model API's shorthand for this layer (frontends/model.h). */
tg_layer* tg_model_concatenate(tg_model* m, int axis) {
  const tg_concatenate_options o = {.axis = axis};
  return m ? tg_model_make_layer(m, "tg_model_concatenate", &tg_layer_concatenate, &o, NULL) : NULL;
}
