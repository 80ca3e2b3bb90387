/* frontends/stubs.c — temporary bodies while the frontends are written. */
#include <math.h>
#include <string.h>

#include "frontends/initializers.h"
#include "frontends/losses.h"
#include "frontends/model.h"
#include "frontends/optimizers.h"

tg_initializer tg_init_zeros(void) { return (tg_initializer){.kind = TG_INIT_ZEROS}; }
tg_initializer tg_init_ones(void) { return (tg_initializer){.kind = TG_INIT_ONES}; }
tg_initializer tg_init_constant(float v) { return (tg_initializer){.kind = TG_INIT_CONSTANT, .value = v}; }
tg_initializer tg_init_glorot_uniform(void) { return (tg_initializer){.kind = TG_INIT_GLOROT_UNIFORM}; }
tg_initializer tg_init_of_kind(tg_init_kind k) { return (tg_initializer){.kind = k}; }
tg_status tg_initializer_fill(const tg_initializer* i, float* d, int64_t n, int64_t fi, int64_t fo,
                              tg_rng* r, tg_error* e) {
  return tg_error_set(e, TG_ERR_STATE, "tg_initializer_fill: not implemented yet");
}
const char* tg_init_kind_name(tg_init_kind k) { return "unknown"; }
tg_status tg_initializer_parse(const char* t, tg_initializer* o, tg_error* e) {
  return tg_error_set(e, TG_ERR_STATE, "tg_initializer_parse: not implemented yet");
}
tg_optimizer_options tg_optimizer_resolve(const tg_optimizer_options* o) {
  tg_optimizer_options r = {0};
  if (o) r = *o;
  return r;
}
tg_status tg_optimizer_validate(const tg_optimizer_options* o, tg_error* e) { return TG_OK; }
tg_optimizer* tg_optimizer_new(const tg_optimizer_options* o, int64_t n, const tg_allocator* a,
                               tg_error* e) {
  tg_error_set(e, TG_ERR_STATE, "tg_optimizer_new: not implemented yet");
  return NULL;
}
void tg_optimizer_free(tg_optimizer* o) {}
tg_status tg_optimizer_step(tg_optimizer* o, float* p, const float* g, int64_t n, tg_error* e) {
  return TG_ERR_STATE;
}
int64_t tg_optimizer_iterations(const tg_optimizer* o) { return 0; }
void tg_optimizer_reset(tg_optimizer* o) {}
tg_optimizer_options tg_optimizer_options_of(const tg_optimizer* o) { return tg_optimizer_resolve(NULL); }
const char* tg_optimizer_kind_name(tg_optimizer_kind k) { return "unknown"; }
tg_tensor* tg_loss_apply(tg_tape* t, tg_loss l, tg_tensor* p, tg_tensor* y) {
  tg_tape_fail(t, TG_ERR_STATE, "tg_loss_apply: not implemented yet");
  return NULL;
}
const char* tg_loss_kind_name(tg_loss_kind k) { return "unknown"; }
const char* tg_activation_name(tg_activation a) { return "unknown"; }
tg_model* tg_sequential_new(const tg_model_options* o, tg_error* e) {
  tg_error_set(e, TG_ERR_STATE, "tg_sequential_new: not implemented yet");
  return NULL;
}
void tg_model_free(tg_model* m) {}
tg_status tg_model_status(const tg_model* m) { return TG_ERR_STATE; }
const char* tg_model_message(const tg_model* m) { return "not implemented yet"; }
tg_status tg_model_add_dense(tg_model* m, tg_dense_options o) { return TG_ERR_STATE; }
tg_status tg_model_compile(tg_model* m, tg_loss l, const tg_optimizer_options* o) { return TG_ERR_STATE; }
tg_status tg_model_train_on_batch(tg_model* m, const float* x, int64_t n, const float* y, float* l) {
  return TG_ERR_STATE;
}
tg_status tg_model_compute_gradients(tg_model* m, const float* x, int64_t n, const float* y, float* l) {
  return TG_ERR_STATE;
}
tg_status tg_model_predict(tg_model* m, const float* x, int64_t n, float* o, int64_t c) { return TG_ERR_STATE; }
tg_status tg_model_evaluate(tg_model* m, const float* x, int64_t n, const float* y, float* l) {
  return TG_ERR_STATE;
}
tg_status tg_model_fit(tg_model* m, const float* x, int64_t n, const float* y, const tg_fit_options* o) {
  return TG_ERR_STATE;
}
tg_status tg_model_summary(const tg_model* m, FILE* o) { return TG_ERR_STATE; }
size_t tg_model_summary_str(const tg_model* m, char* b, size_t c) { return 0; }
int64_t tg_model_input_dim(const tg_model* m) { return 0; }
int64_t tg_model_output_dim(const tg_model* m) { return 0; }
int tg_model_layer_count(const tg_model* m) { return 0; }
tg_status tg_model_layer(const tg_model* m, int i, tg_layer_info* o) { return TG_ERR_STATE; }
int tg_model_param_count(const tg_model* m) { return 0; }
tg_tensor* tg_model_param(tg_model* m, int i) { return NULL; }
tg_tensor* tg_model_find_param(tg_model* m, const char* n) { return NULL; }
int64_t tg_model_param_size(const tg_model* m) { return 0; }
float* tg_model_param_values(tg_model* m) { return NULL; }
float* tg_model_param_grads(tg_model* m) { return NULL; }
const tg_tape* tg_model_tape(const tg_model* m) { return NULL; }
const tg_optimizer* tg_model_optimizer(const tg_model* m) { return NULL; }
