/** @file frontends/optimizers.h — Adam, SGD and RMSprop with Keras' arguments and update rules.
 *
 * An optimizer updates one flat block of parameters from the same-sized block of
 * gradients (a model keeps all its parameters contiguous, so a step is one loop).
 * Its state (Adam's m, v, v_hat; momenta) is one contiguous block too, allocated once
 * through the allocator given at creation; a step allocates nothing.
 *
 * Zero fields mean Keras' defaults: `(tg_optimizer_options){0}` is Adam(lr=0.001,
 * beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=0, amsgrad=false). A literal 0 for a
 * field whose default is not 0 (e.g. beta_1) cannot be asked for; use 1e-30.
 *
 * Rules, with t = iterations done before this step + 1 and lr' = lr / (1 + decay*(t-1)):
 *     Adam     lr_t = lr' * sqrt(1 - beta_2^t) / (1 - beta_1^t)
 *              m = beta_1 m + (1 - beta_1) g;  v = beta_2 v + (1 - beta_2) g²
 *              amsgrad: v_hat = max(v_hat, v), used in place of v below
 *              w -= lr_t * m / (sqrt(v) + epsilon)
 *              Keras adds epsilon *after* folding the bias corrections into lr_t.
 *              PyTorch (and the Adam paper) add it to the corrected moment:
 *              w -= lr * m_hat / (sqrt(v_hat) + eps), m_hat = m/(1-beta_1^t),
 *              v_hat = v/(1-beta_2^t). The two differ when sqrt(v) is near epsilon
 *              (tiny gradients): Keras' step is then larger by up to 1/sqrt(1-beta_2^t).
 *     SGD      vel = momentum vel - lr' g;  w += vel  (nesterov: w += momentum vel - lr' g)
 *              defaults lr 0.01, momentum 0
 *     RMSprop  a = rho a + (1 - rho) g²;  w -= lr' g / (sqrt(a) + epsilon)
 *              defaults lr 0.001, rho 0.9, epsilon 1e-7
 *     AdamW    w -= lr' * weight_decay * w (decoupled, before the step), then Adam;
 *              defaults as Adam, weight_decay 0.004
 *     Adagrad  a += g²;  w -= lr' g / sqrt(a + epsilon); a starts at
 *              initial_accumulator_value (0.1); lr 0.001, epsilon 1e-7
 *     Nadam    (Keras) u_t = beta_1 (1 - 0.5 * 0.96^(0.004 t)), u_t1 the same at t + 1,
 *              P_t = P_{t-1} u_t (P_0 = 1), P_t1 = P_t u_t1;
 *              m = beta_1 m + (1 - beta_1) g;  v = beta_2 v + (1 - beta_2) g²
 *              w -= lr' (u_t1 m / (1 - P_t1) + (1 - u_t) g / (1 - P_t))
 *                       / (sqrt(v / (1 - beta_2^t)) + epsilon)
 *              defaults lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7
 * Arithmetic is float32 like Keras; powers of beta are computed in double. Adam's
 * moments below FLT_MIN are flushed to 0 (as TensorFlow's flush-to-zero CPU kernels
 * do): a dead unit's moments would otherwise sit in the slow subnormal range forever.
 *
 * Thread-safety: one optimizer per thread; distinct optimizers share nothing.
 *
 *     tg_error err = {0};
 *     tg_optimizer_options o = {.kind = TG_OPT_ADAM, .lr = 0.001f, .epsilon = 1e-8f};
 *     tg_optimizer* opt = tg_optimizer_new(&o, n_params, NULL, &err);
 *     for (...) { ...backward...; tg_optimizer_step(opt, params, grads, n_params, &err); }
 *     tg_optimizer_free(opt);
 */
#ifndef TAPEGRAD_FRONTENDS_OPTIMIZERS_H_
#define TAPEGRAD_FRONTENDS_OPTIMIZERS_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The optimizers, as Keras has them (tg_optimizer_kind_name). */
typedef enum tg_optimizer_kind {
  TG_OPT_ADAM = 0,  /**< "adam" */
  TG_OPT_SGD,       /**< "sgd" */
  TG_OPT_RMSPROP,   /**< "rmsprop" */
  TG_OPT_ADAMW,     /**< "adamw" */
  TG_OPT_ADAGRAD,   /**< "adagrad" */
  TG_OPT_NADAM,     /**< "nadam" */
  TG_OPT_KIND_COUNT /**< number of kinds */
} tg_optimizer_kind;

/** An optimizer and its hyperparameters; zero fields take Keras' defaults. */
typedef struct tg_optimizer_options {
  tg_optimizer_kind kind;          /**< 0: Adam */
  float lr;                        /**< 0: 0.001 (Adam, RMSprop), 0.01 (SGD) */
  float beta_1;                    /**< Adam, 0: 0.9 */
  float beta_2;                    /**< Adam, 0: 0.999 */
  float epsilon;                   /**< Adam and RMSprop, 0: 1e-7 (Keras' K.epsilon()) */
  float decay;                     /**< every optimizer: lr / (1 + decay * iterations); 0: none */
  bool amsgrad;                    /**< Adam */
  float momentum;                  /**< SGD, 0: plain SGD */
  bool nesterov;                   /**< SGD */
  float rho;                       /**< RMSprop, 0: 0.9 */
  float weight_decay;              /**< AdamW, 0: 0.004 (Keras) */
  float initial_accumulator_value; /**< Adagrad, 0: 0.1 (Keras) */
  /** Gradient clipping before any update, as Keras' optimizer arguments; 0: off.
   * clipnorm scales each parameter's gradient to norm <= clipnorm (the parameters are
   * the segments given to tg_optimizer_set_partition; without one, the whole block),
   * global_clipnorm scales all of them together to a global norm <= global_clipnorm,
   * clipvalue clips every entry to [-clipvalue, clipvalue]. Applied in that order:
   * clipvalue, clipnorm, global_clipnorm. The caller's gradients are not changed. @{ */
  float clipnorm, clipvalue, global_clipnorm;
  /** @} */
} tg_optimizer_options;

typedef struct tg_optimizer tg_optimizer; /**< an optimizer and its state (opaque) */

/** The options with every zero replaced by its Keras default (what a step uses). */
tg_optimizer_options tg_optimizer_resolve(const tg_optimizer_options* opt);

/** Checks options (NULL means all defaults): lr, epsilon, decay >= 0 and finite,
 * beta_1, beta_2, rho in [0, 1), momentum >= 0. TG_ERR_ARG naming the field otherwise. */
tg_status tg_optimizer_validate(const tg_optimizer_options* opt, tg_error* err);

/** New optimizer for blocks of n_params floats (n_params >= 0), state zeroed and
 * allocated through `alloc` (NULL: malloc). NULL with err filled on bad options or
 * out of memory. Free with tg_optimizer_free. */
tg_optimizer* tg_optimizer_new(const tg_optimizer_options* opt, int64_t n_params,
                               const tg_allocator* alloc, tg_error* err);
/** Releases the optimizer and its state; NULL is ignored. */
void tg_optimizer_free(tg_optimizer* o);

/** One update of params[0..n) from grads[0..n); n must equal n_params at creation
 * (TG_ERR_SHAPE otherwise). Grads are read, not zeroed. Allocates nothing. */
tg_status tg_optimizer_step(tg_optimizer* o, float* params, const float* grads, int64_t n,
                            tg_error* err);

/** Steps taken so far (Keras' `iterations`). */
int64_t tg_optimizer_iterations(const tg_optimizer* o);
/** Zeroes the state and the iteration count. */
void tg_optimizer_reset(tg_optimizer* o);
/** The resolved options this optimizer uses. */
tg_optimizer_options tg_optimizer_options_of(const tg_optimizer* o);

/** For clipnorm: the block is n_segments parameters of sizes[0..n) floats, in order,
 * summing to the block's size (TG_ERR_ARG otherwise). Copied; allocates once (never
 * during a step). A model does this at compile with its parameter table. */
tg_status tg_optimizer_set_partition(tg_optimizer* o, const int64_t* sizes, int n_segments,
                                     tg_error* err);

/** "adam", "sgd", "rmsprop", "adamw", "adagrad", "nadam"; "unknown" out of range. */
const char* tg_optimizer_kind_name(tg_optimizer_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_OPTIMIZERS_H_ */
