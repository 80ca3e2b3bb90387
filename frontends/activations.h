/* frontends/activations.h — the activations layers apply (Dense's `activation`, the
 * Activation layer), by Keras name, recorded with the ops that compute them.
 * Thread-safety: no state. */
#ifndef TAPEGRAD_FRONTENDS_ACTIVATIONS_H_
#define TAPEGRAD_FRONTENDS_ACTIVATIONS_H_

#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tg_activation {
  TG_ACT_LINEAR = 0,
  TG_ACT_RELU,
  TG_ACT_SIGMOID,
  TG_ACT_TANH,
  TG_ACT_SOFTMAX, /* over the last axis */
  TG_ACT_COUNT
} tg_activation;

/* "linear", "relu", "sigmoid", "tanh", "softmax"; "unknown" out of range. */
const char* tg_activation_name(tg_activation a);
/* Every name, index = value (TG_ACT_COUNT entries), for configuration files. */
const char* const* tg_activation_names(void);
/* Records activation `a` on x (x itself for linear); NULL on a tape error or an
 * unknown activation (recorded on the tape). */
tg_tensor* tg_activation_apply(tg_tape* t, tg_activation a, tg_tensor* x);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_ACTIVATIONS_H_ */
