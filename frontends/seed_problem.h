/* frontends/seed_problem.h — the seed story's data and model, shared by the seed
 * example, the tests and the tools.
 *
 * Data: 10 samples, x[i] = i/10, y[i] = [0.1, 0.01 i]. Model: Dense(16, relu) ->
 * Dense(16, relu) -> Dense(2), MSE, Adam(lr=0.001, beta_1=0.9, beta_2=0.999,
 * epsilon=1e-8, decay=0), compiled and ready to train.
 * Ownership: the returned model is the caller's (tg_model_free). Thread-safety: none
 * needed (no shared state).
 *
 *   float x[TG_SEED_ROWS], y[TG_SEED_ROWS * 2];
 *   tg_seed_data(x, y);
 *   tg_initializer zero = tg_init_zeros();
 *   tg_model* m = tg_seed_model_new(&zero, 0, NULL, &err);   // every weight 0
 *   tg_model_train_on_batch(m, x, TG_SEED_ROWS, y, &loss);
 */
#ifndef TAPEGRAD_FRONTENDS_SEED_PROBLEM_H_
#define TAPEGRAD_FRONTENDS_SEED_PROBLEM_H_

#include <stdint.h>

#include "frontends/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TG_SEED_ROWS = 10, TG_SEED_OUTPUTS = 2, TG_SEED_HIDDEN = 16 };

/* Fills x[TG_SEED_ROWS] and y[TG_SEED_ROWS * TG_SEED_OUTPUTS] (row-major). */
void tg_seed_data(float* x, float* y);

/* The seed model. `init` (may be NULL: Keras' defaults, glorot_uniform kernels and
 * zero biases) initialises every kernel AND every bias, as in the original question.
 * `seed` drives the random initializers. NULL with err filled on failure. */
tg_model* tg_seed_model_new(const tg_initializer* init, uint64_t seed, const tg_allocator* alloc,
                            tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_SEED_PROBLEM_H_ */
