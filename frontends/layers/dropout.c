/* frontends/layers/dropout.c — Keras' Dropout (inverted dropout), no parameters.
 *
 * Training: y = x * mask, mask[i] = 0 with probability rate, else 1/(1-rate), drawn
 * afresh by every forward (recording and each replay) from the model's layer stream;
 * dx += dy * mask. Inference: the layer records nothing and passes its input on.
 * The op keeps its mask in the node's scratch, so a replay allocates nothing. */
#include <stdio.h>

#include "core/op.h"
#include "frontends/model.h"

typedef struct dropout_params {
  float rate;
  tg_rng* rng; /* the model's layer stream (tg_layer_ctx.rng), outlives the tape */
} dropout_params;

static tg_status dropout_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  (void)msg;
  (void)cap;
  *rank = n->in[0]->rank;
  for (int i = 0; i < *rank; ++i) shape[i] = n->in[0]->shape[i];
  n->scratch_size = n->in[0]->size;
  return TG_OK;
}

static void dropout_forward(tg_node* n) {
  dropout_params p;
  tg_node_params(n, &p, sizeof p);
  const float keep = 1.0f / (1.0f - p.rate);
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  float* mask = n->scratch;
  for (int64_t i = 0; i < n->out->size; ++i) {
    mask[i] = tg_rng_uniform(p.rng) < p.rate ? 0.0f : keep;
    y[i] = x[i] * mask[i];
  }
}

/* dx += dy * mask */
static void dropout_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += gy[i] * n->scratch[i];
}

static int dropout_op_describe(const tg_node* n, char* buf, size_t cap) {
  dropout_params p;
  tg_node_params(n, &p, sizeof p);
  return snprintf(buf, cap, "rate=%g", (double)p.rate);
}

static const tg_op_def kDropoutOp = {.name = "dropout",
                                     .arity = 1,
                                     .shape = dropout_shape,
                                     .forward = dropout_forward,
                                     .backward = dropout_backward,
                                     .params_size = sizeof(dropout_params),
                                     .describe = dropout_op_describe};

static tg_status dropout_build(tg_layer* l, const tg_layer_shape* in, int n_in, tg_layer_shape* out,
                               tg_error* err) {
  (void)n_in;
  const tg_dropout_options* o = (const tg_dropout_options*)tg_layer_config(l);
  if (!(o->rate >= 0.0f && o->rate < 1.0f))
    return tg_error_set(err, TG_ERR_ARG, "rate must be in [0, 1), got %g", (double)o->rate);
  *out = in[0];
  return TG_OK;
}

static tg_tensor* dropout_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                 const tg_layer_ctx* ctx) {
  (void)n_in;
  const tg_dropout_options* o = (const tg_dropout_options*)tg_layer_config(l);
  if (!ctx->training || o->rate == 0.0f || ctx->rng == NULL) return in[0];
  const dropout_params p = {.rate = o->rate, .rng = ctx->rng};
  return tg_tape_apply(t, &kDropoutOp, in, 1, &p);
}

static void dropout_config_io(void* config, tg_config_io* io) {
  tg_config_f32(io, "rate", &((tg_dropout_options*)config)->rate);
}

static size_t dropout_describe(const tg_layer* l, char* buf, size_t cap) {
  const int n =
      snprintf(buf, cap, "rate %g", (double)((const tg_dropout_options*)tg_layer_config(l))->rate);
  return n < 0 ? 0 : (size_t)n;
}

const tg_layer_type tg_layer_dropout = {.name = "Dropout",
                                        .prefix = "dropout",
                                        .config_size = sizeof(tg_dropout_options),
                                        .min_inputs = 1,
                                        .max_inputs = 1,
                                        .build = dropout_build,
                                        .record = dropout_record,
                                        .config_io = dropout_config_io,
                                        .describe = dropout_describe};
