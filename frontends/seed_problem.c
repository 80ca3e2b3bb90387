/* frontends/seed_problem.c — the seed story's data and model (see seed_problem.h). */
#include "frontends/seed_problem.h"

#include <stdio.h>

void tg_seed_data(float* x, float* y) {
  for (int i = 0; i < TG_SEED_ROWS; ++i) {
    x[i] = (float)i / 10.0f;
    y[2 * i] = 0.1f;
    y[2 * i + 1] = 0.01f * (float)i;
  }
}

tg_model* tg_seed_model_new(const tg_initializer* init, uint64_t seed, const tg_allocator* alloc,
                            tg_error* err) {
  tg_model* m =
      tg_sequential_new(&(tg_model_options){.input_dim = 1, .seed = seed, .allocator = alloc}, err);
  if (m == NULL) return NULL;
  const tg_initializer def = {.kind = TG_INIT_DEFAULT};
  const tg_initializer k = init ? *init : def;
  const tg_initializer b = init ? *init : def;
  const tg_activation acts[3] = {TG_ACT_RELU, TG_ACT_RELU, TG_ACT_LINEAR};
  const int64_t units[3] = {TG_SEED_HIDDEN, TG_SEED_HIDDEN, TG_SEED_OUTPUTS};
  tg_status st = TG_OK;
  for (int i = 0; i < 3 && st == TG_OK; ++i)
    st = tg_model_add_dense(
        m, (tg_dense_options){
               .units = units[i], .activation = acts[i], .kernel_init = k, .bias_init = b});
  const tg_optimizer_options adam = {.kind = TG_OPT_ADAM,
                                     .lr = 0.001f,
                                     .beta_1 = 0.9f,
                                     .beta_2 = 0.999f,
                                     .epsilon = 1e-8f,
                                     .decay = 0.0f};
  if (st == TG_OK) st = tg_model_compile(m, (tg_loss){.kind = TG_LOSS_MSE}, &adam);
  if (st != TG_OK) {
    tg_error_set(err, st, "tg_seed_model_new: %s", tg_model_message(m));
    tg_model_free(m);
    return NULL;
  }
  return m;
}
