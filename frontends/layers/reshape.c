/* frontends/layers/reshape.c — Keras' Reshape(target_shape): each sample to
 * target_shape (per sample, no batch axis; one entry may be -1, inferred), a view. */
#include <stdio.h>

#include "frontends/internal/model_impl.h"
#include "frontends/model.h"
#include "ops/ops.h"

static tg_status reshape_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                               tg_error* err) {
  (void)n_in;
  const tg_reshape_options* o = (const tg_reshape_options*)tg_layer_config(l);
  if (o->rank < 1 || o->rank > TG_LAYER_MAX_RANK)
    return tg_error_set(err, TG_ERR_ARG, "target_shape must have 1..%d dimensions, got %d",
                        TG_LAYER_MAX_RANK, o->rank);
  const int64_t total = tg_layer_shape_numel(&in[0]);
  int64_t known = 1;
  int inferred = -1;
  for (int i = 0; i < o->rank; ++i) {
    if (o->shape[i] == -1 && inferred < 0) {
      inferred = i;
    } else if (o->shape[i] < 1) {
      return tg_error_set(err, TG_ERR_ARG,
                          "target_shape dimension %d must be >= 1 (or one -1), got %lld", i + 1,
                          (long long)o->shape[i]);
    } else {
      known *= o->shape[i];
    }
  }
  char a[64];
  if (inferred >= 0 ? total % known != 0 : known != total)
    return tg_error_set(err, TG_ERR_SHAPE, "cannot reshape %s (%lld elements) to the target shape",
                        tg_layer_shape_str(&in[0], a, sizeof a), (long long)total);
  out->rank = o->rank;
  for (int i = 0; i < o->rank; ++i) out->dim[i] = i == inferred ? total / known : o->shape[i];
  return TG_OK;
}

static tg_tensor* reshape_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                 const tg_layer_ctx* ctx) {
  (void)n_in;
  (void)ctx;
  const tg_layer_shape* s = tg_layer_output_shape(l);
  int64_t shape[TG_MAX_RANK] = {in[0]->shape[0]};
  for (int i = 0; i < s->rank; ++i) shape[i + 1] = s->dim[i];
  return tg_reshape(t, in[0], s->rank + 1, shape);
}

static void reshape_config_io(void* config, tg_config_io* io) {
  tg_reshape_options* o = (tg_reshape_options*)config;
  tg_config_i32(io, "rank", &o->rank);
  if (tg_config_reading(io) && (o->rank < 1 || o->rank > TG_LAYER_MAX_RANK)) {
    tg_config_fail(io, "rank must be 1..%d, got %d", TG_LAYER_MAX_RANK, o->rank);
    return;
  }
  static const char* const kDims[TG_LAYER_MAX_RANK] = {"dim_1", "dim_2", "dim_3"};
  for (int i = 0; i < o->rank && i < TG_LAYER_MAX_RANK; ++i)
    tg_config_i64(io, kDims[i], &o->shape[i]);
}

static size_t reshape_describe(const tg_layer* l, char* buf, size_t cap) {
  char s[64];
  const int n = snprintf(buf, cap, "%s", tg_layer_shape_str(tg_layer_output_shape(l), s, sizeof s));
  return n < 0 ? 0 : (size_t)n;
}

const tg_layer_type tg_layer_reshape = {.name = "Reshape",
                                        .prefix = "reshape",
                                        .config_size = sizeof(tg_reshape_options),
                                        .min_inputs = 1,
                                        .max_inputs = 1,
                                        .build = reshape_build,
                                        .record = reshape_record,
                                        .config_io = reshape_config_io,
                                        .describe = reshape_describe};

/* The model API's shorthand for this layer (frontends/model.h). */
tg_layer* tg_model_reshape(tg_model* m, int rank, const int64_t* target_shape) {
  if (m == NULL) return NULL;
  tg_reshape_options o = {.rank = rank};
  for (int i = 0; target_shape && i < rank && i < TG_LAYER_MAX_RANK; ++i)
    o.shape[i] = target_shape[i];
  return tg_model_make_layer(m, "tg_model_reshape", &tg_layer_reshape, &o, NULL);
}
