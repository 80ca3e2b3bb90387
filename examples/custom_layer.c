/* examples/custom_layer.c — a layer type written in user code, with nothing but the
 * public layer interface (frontends/layer.h), used in a Sequential model like any
 * built-in one: trained, summarised, and drawn by the tools.
 *
 * The layer is "ScaleShift": y = x * gamma + beta, one gamma and one beta per feature
 * (a normalisation layer's affine part). Both parameters are [features] with the unit
 * axis 0, so the tools compare features as units.
 *
 *   bazel run //examples:custom_layer
 */
#include <stdio.h>
#include <stdlib.h>

#include "frontends/layer.h"
#include "frontends/model.h"
#include "ops/ops.h"
#include "tools/analysis.h"
#include "tools/report.h"

/* The configuration: what Keras would take as constructor arguments. */
typedef struct scale_shift_config {
  float gamma_init; /* starting value of every gamma; 0 means 1 */
} scale_shift_config;

enum { kGamma = 0, kBeta = 1 };

/* Checks the input, computes the output shape, declares the two parameters. */
static tg_status scale_shift_build(tg_layer* l, const tg_layer_shape* in, int n_in,
                                   tg_layer_shape* out, tg_error* err) {
  (void)n_in;
  const scale_shift_config* c = (const scale_shift_config*)tg_layer_config(l);
  if (in[0].rank != 1)
    return tg_error_set(err, TG_ERR_SHAPE, "ScaleShift takes (None, features) inputs");
  const int64_t features = in[0].dim[0];
  const tg_param_decl gamma = {
      .name = "gamma",
      .rank = 1,
      .shape = {features},
      .init = tg_init_constant(c->gamma_init != 0.0f ? c->gamma_init : 1.0f),
      .unit_axis = 0};
  const tg_param_decl beta = {
      .name = "beta", .rank = 1, .shape = {features}, .init = tg_init_zeros(), .unit_axis = 0};
  if (tg_layer_declare(l, &gamma, err) < 0 || tg_layer_declare(l, &beta, err) < 0)
    return err ? err->code : TG_ERR_ARG;
  *out = in[0];
  return TG_OK;
}

/* x: (batch, features); gamma, beta: [features] broadcast over the batch. */
static tg_tensor* scale_shift_record(tg_layer* l, tg_tape* t, tg_tensor* const* in, int n_in,
                                     const tg_layer_ctx* ctx) {
  (void)n_in;
  tg_tensor* y = tg_mul(t, in[0], tg_layer_param(l, kGamma, ctx));
  return tg_add(t, y, tg_layer_param(l, kBeta, ctx));
}

static void scale_shift_config_io(void* config, tg_config_io* io) {
  tg_config_f32(io, "gamma_init", &((scale_shift_config*)config)->gamma_init);
}

static size_t scale_shift_describe(const tg_layer* l, char* buf, size_t cap) {
  const scale_shift_config* c = (const scale_shift_config*)tg_layer_config(l);
  const int n = snprintf(buf, cap, "gamma0=%g", (double)c->gamma_init);
  return n < 0 ? 0 : (size_t)n;
}

static const tg_layer_type kScaleShift = {.name = "ScaleShift",
                                          .prefix = "scale_shift",
                                          .config_size = sizeof(scale_shift_config),
                                          .min_inputs = 1,
                                          .max_inputs = 1,
                                          .build = scale_shift_build,
                                          .record = scale_shift_record,
                                          .config_io = scale_shift_config_io,
                                          .describe = scale_shift_describe};

int main(void) {
  /* y = 3 x0 - 2 x1 + 0.5 on 32 points of a grid. */
  enum { kRows = 32 };
  float x[kRows * 2], y[kRows];
  for (int i = 0; i < kRows; ++i) {
    x[2 * i] = (float)(i % 8) / 8.0f - 0.5f;
    x[2 * i + 1] = (float)(i / 8) / 4.0f - 0.5f;
    y[i] = 3.0f * x[2 * i] - 2.0f * x[2 * i + 1] + 0.5f;
  }
  tg_error err = {0};
  tg_model* m = tg_sequential_new(&(tg_model_options){.input_dim = 2, .seed = 5}, &err);
  if (m == NULL) {
    fprintf(stderr, "custom_layer: %s\n", err.message);
    return EXIT_FAILURE;
  }
  const scale_shift_config cfg = {.gamma_init = 0.5f};
  tg_status st = tg_model_add_dense(m, (tg_dense_options){.units = 8, .activation = TG_ACT_TANH});
  if (st == TG_OK) st = tg_model_add(m, &kScaleShift, &cfg);
  if (st == TG_OK) st = tg_model_add_dense(m, (tg_dense_options){.units = 1});
  if (st == TG_OK)
    st = tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE},
                          &(tg_optimizer_options){.kind = TG_OPT_ADAM, .lr = 0.01f});
  float loss = 0.0f, first = 0.0f;
  for (int s = 0; s < 500 && st == TG_OK; ++s) {
    if (s == 499) tg_model_set_keep_gradients(m, true); /* the analysis reads the last step */
    st = tg_model_train_on_batch(m, x, kRows, y, &loss);
    if (s == 0) first = loss;
  }
  if (st != TG_OK) {
    fprintf(stderr, "custom_layer: %s\n", tg_model_message(m));
    tg_model_free(m);
    return EXIT_FAILURE;
  }
  tg_model_summary(m, stdout);
  printf("loss: %.4e after the first step, %.4e after 500\n", first, loss);
  const tg_tensor* gamma = tg_model_find_param(m, "scale_shift_1/gamma");
  printf("scale_shift_1/gamma[0..3] = %.4f %.4f %.4f %.4f (started at 0.5)\n", gamma->data[0],
         gamma->data[1], gamma->data[2], gamma->data[3]);
  /* The tools see the new layer's declarations like any other's. */
  tg_analysis* a = tg_analysis_new(tg_model_tape(m), 1e-6f, &err);
  const tg_analysis_layer* l = tg_analysis_find_layer(a, "scale_shift_1");
  if (l != NULL)
    printf("analysis: %s (%s %s): %d units -> %d distinct\n", l->name, l->type, l->config, l->units,
           l->groups);
  tg_analysis_free(a);
  tg_model_free(m);
  return loss < first ? EXIT_SUCCESS : EXIT_FAILURE;
}
