/** @file frontends/activations.h — the activations layers apply (Dense's `activation`, the
 * Activation layer), by Keras name, recorded with the ops that compute them.
 * Thread-safety: no state. */
#ifndef TAPEGRAD_FRONTENDS_ACTIVATIONS_H_
#define TAPEGRAD_FRONTENDS_ACTIVATIONS_H_

#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The activations a layer applies, as Keras names them (tg_activation_name). */
typedef enum tg_activation {
  TG_ACT_LINEAR = 0,   /**< x */
  TG_ACT_RELU,         /**< max(x, 0) */
  TG_ACT_SIGMOID,      /**< 1 / (1 + exp(-x)) */
  TG_ACT_TANH,         /**< tanh(x) */
  TG_ACT_SOFTMAX,      /**< over the last axis */
  TG_ACT_ELU,          /**< alpha 1 */
  TG_ACT_SELU,         /**< scale 1.0507009873554805 * elu(x, alpha 1.6732632423543772) */
  TG_ACT_GELU,         /**< exact (Keras' approximate=False) */
  TG_ACT_SOFTPLUS,     /**< log(1 + exp(x)) */
  TG_ACT_SOFTSIGN,     /**< x / (1 + |x|) */
  TG_ACT_SWISH,        /**< x sigmoid(x), also "silu" */
  TG_ACT_HARD_SIGMOID, /**< max(0, min(1, x/6 + 1/2)), Keras 3's */
  TG_ACT_EXPONENTIAL,  /**< exp(x) */
  TG_ACT_LEAKY_RELU,   /**< negative slope 0.2 (keras.activations.leaky_relu) */
  TG_ACT_RELU6,        /**< min(max(x, 0), 6) */
  TG_ACT_LOG_SOFTMAX,  /**< over the last axis */
  TG_ACT_COUNT         /**< number of activations */
} tg_activation;

/** Keras' name ("linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu",
 * "softplus", "softsign", "swish", "hard_sigmoid", "exponential", "leaky_relu",
 * "relu6", "log_softmax"); "unknown" out of range. */
const char* tg_activation_name(tg_activation a);
/** Every name, index = value (TG_ACT_COUNT entries), for configuration files. */
const char* const* tg_activation_names(void);
/** Records activation `a` on x (x itself for linear); NULL on a tape error or an
 * unknown activation (recorded on the tape). */
tg_tensor* tg_activation_apply(tg_tape* t, tg_activation a, tg_tensor* x);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_ACTIVATIONS_H_ */
