/* frontends/layers/batch_normalization.c — Keras' BatchNormalization(axis=-1,
 * momentum=0.99, epsilon=1e-3, center=True, scale=True), channels-last:
 *   y = gamma * (x - mean) / sqrt(var + eps) + beta      per channel (the last axis)
 *   training:  mean, var = the batch's (biased) statistics, and afterwards
 *              moving_mean = momentum * moving_mean + (1 - momentum) * mean (same for var)
 *   inference: mean, var = moving_mean, moving_variance
 * gamma (ones) and beta (zeros) are trainable; moving_mean (zeros) and
 * moving_variance (ones) are non-trainable parameters: the optimizer never moves
 * them, summary counts them as non-trainable, and files save them with the rest.
 *
 * The moving averages are updated by a small op of this file recorded right after
 * batch_norm, so every training forward -- the recording and each replay -- updates
 * them, in order, without the model knowing anything about it. */
#include <math.h>
#include <stdio.h>

#include "frontends/model.h"
#include "ops/ops.h"

enum { kGamma = 0, kBeta = 1, kMovingMean = 2, kMovingVariance = 3 };

/* ---- the moving-average update: in[0] orders it after batch_norm, in[1] and in[2]
 * are the moving statistics (written in place), the batch statistics come from the
 * buffers batch_norm fills. Output: a scalar nobody reads. */
typedef struct moving_update_params {
  const float* batch_mean;
  const float* batch_variance;
  float momentum;
} moving_update_params;

static tg_status moving_update_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                     size_t cap) {
  (void)n;
  (void)msg;
  (void)cap;
  (void)shape;
  *rank = 0;
  return TG_OK;
}

static void moving_update_forward(tg_node* n) {
  moving_update_params p;
  tg_node_params(n, &p, sizeof p);
  float* mean = n->in[1]->data;
  float* var = n->in[2]->data;
  for (int64_t c = 0; c < n->in[1]->size; ++c) {
    mean[c] = p.momentum * mean[c] + (1.0f - p.momentum) * p.batch_mean[c];
    var[c] = p.momentum * var[c] + (1.0f - p.momentum) * p.batch_variance[c];
  }
  n->out->data[0] = 0.0f;
}

static const tg_op_def kMovingUpdate = {.name = "moving_average_update",
                                        .arity = 3,
                                        .shape = moving_update_shape,
                                        .forward = moving_update_forward,
                                        .params_size = sizeof(moving_update_params),
                                        .flags = TG_OP_NO_GRAD};

static float momentum_of(const tg_batch_norm_layer_options* o) {
  return o->momentum > 0.0f ? o->momentum : 0.99f;
}
static float epsilon_of(const tg_batch_norm_layer_options* o) {
  return o->epsilon > 0.0f ? o->epsilon : 1e-3f;
}

static tg_status bn_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                          tg_error* err) {
  (void)n_in;
  const tg_batch_norm_layer_options* o = (const tg_batch_norm_layer_options*)tg_layer_config(l);
  if (!(o->momentum >= 0.0f && o->momentum < 1.0f))
    return tg_error_set(err, TG_ERR_ARG, "momentum must be in [0, 1), got %g", (double)o->momentum);
  if (!(o->epsilon >= 0.0f) || o->epsilon == INFINITY)
    return tg_error_set(err, TG_ERR_ARG, "epsilon must be finite and >= 0, got %g",
                        (double)o->epsilon);
  if (in[0].rank < 1)
    return tg_error_set(err, TG_ERR_SHAPE, "BatchNormalization needs inputs of rank >= 1");
  const int64_t c = in[0].dim[in[0].rank - 1];
  const tg_param_decl decls[4] = {
      {.name = "gamma", .rank = 1, .shape = {c}, .init = tg_init_ones(), .unit_axis = 0},
      {.name = "beta", .rank = 1, .shape = {c}, .init = tg_init_zeros(), .unit_axis = 0},
      {.name = "moving_mean",
       .rank = 1,
       .shape = {c},
       .init = tg_init_zeros(),
       .non_trainable = true,
       .unit_axis = 0},
      {.name = "moving_variance",
       .rank = 1,
       .shape = {c},
       .init = tg_init_ones(),
       .non_trainable = true,
       .unit_axis = 0}};
  for (int i = 0; i < 4; ++i)
    if (tg_layer_declare(l, &decls[i], err) < 0) return err ? err->code : TG_ERR_ARG;
  *out = in[0];
  return TG_OK;
}

static tg_tensor* bn_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                            const tg_layer_ctx* ctx) {
  (void)n_in;
  const tg_batch_norm_layer_options* o = (const tg_batch_norm_layer_options*)tg_layer_config(l);
  tg_tensor* mean = tg_layer_param(l, kMovingMean, ctx);
  tg_tensor* var = tg_layer_param(l, kMovingVariance, ctx);
  tg_batch_norm_options bo = {.training = ctx->training, .epsilon = epsilon_of(o)};
  if (!ctx->training) {
    bo.moving_mean = mean;
    bo.moving_variance = var;
    return tg_batch_norm(t, in[0], tg_layer_param(l, kGamma, ctx), tg_layer_param(l, kBeta, ctx),
                         &bo);
  }
  /* The batch statistics live in the tape's arena: stable across replays. */
  bo.batch_mean = tg_tape_alloc_floats(t, mean->size);
  bo.batch_variance = tg_tape_alloc_floats(t, mean->size);
  if (bo.batch_mean == NULL || bo.batch_variance == NULL) return NULL;
  tg_tensor* y =
      tg_batch_norm(t, in[0], tg_layer_param(l, kGamma, ctx), tg_layer_param(l, kBeta, ctx), &bo);
  const moving_update_params p = {bo.batch_mean, bo.batch_variance, momentum_of(o)};
  tg_tensor* upd[3] = {y, mean, var};
  if (tg_tape_apply(t, &kMovingUpdate, upd, 3, &p) == NULL) return NULL;
  return y;
}

static void bn_config_io(void* config, tg_config_io* io) {
  tg_batch_norm_layer_options* o = (tg_batch_norm_layer_options*)config;
  tg_config_f32(io, "momentum", &o->momentum);
  tg_config_f32(io, "epsilon", &o->epsilon);
}

static size_t bn_describe(const tg_layer* l, char* buf, size_t cap) {
  const tg_batch_norm_layer_options* o = (const tg_batch_norm_layer_options*)tg_layer_config(l);
  const int n =
      snprintf(buf, cap, "momentum %g eps %g", (double)momentum_of(o), (double)epsilon_of(o));
  return n < 0 ? 0 : (size_t)n;
}

const tg_layer_type tg_layer_batch_normalization = {
    .name = "BatchNormalization",
    .prefix = "batch_normalization",
    .config_size = sizeof(tg_batch_norm_layer_options),
    .min_inputs = 1,
    .max_inputs = 1,
    .build = bn_build,
    .record = bn_record,
    .config_io = bn_config_io,
    .describe = bn_describe};
