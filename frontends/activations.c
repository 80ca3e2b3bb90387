/* frontends/activations.c — activation names and the op each one records. */
#include "frontends/activations.h"

#include "ops/ops.h"

static const char* const kNames[TG_ACT_COUNT] = {
    "linear",      "relu",       "sigmoid",  "tanh",       "softmax", "elu",
    "selu",        "gelu",       "softplus", "softsign",   "swish",   "hard_sigmoid",
    "exponential", "leaky_relu", "relu6",    "log_softmax"};

const char* tg_activation_name(tg_activation a) {
  return a >= 0 && a < TG_ACT_COUNT ? kNames[a] : "unknown";
}

const char* const* tg_activation_names(void) { return kNames; }

tg_tensor* tg_activation_apply(tg_tape* t, tg_activation a, tg_tensor* x) {
  switch (a) {
    case TG_ACT_LINEAR:
      return x;
    case TG_ACT_RELU:
      return tg_relu(t, x);
    case TG_ACT_SIGMOID:
      return tg_sigmoid(t, x);
    case TG_ACT_TANH:
      return tg_tanh(t, x);
    case TG_ACT_SOFTMAX:
      return tg_softmax(t, x);
    case TG_ACT_ELU:
      return tg_elu(t, x, 1.0f);
    case TG_ACT_SELU: /* Keras' constants (Klambauer et al.) */
      return tg_scale(t, tg_elu(t, x, 1.6732632423543772f), 1.0507009873554805f);
    case TG_ACT_GELU:
      return tg_gelu(t, x, TG_GELU_NONE);
    case TG_ACT_SOFTPLUS:
      return tg_softplus(t, x);
    case TG_ACT_SOFTSIGN: { /* x / (1 + |x|); the 1 is a scalar leaf, broadcast */
      const float one = 1.0f;
      return tg_div(t, x, tg_add(t, tg_abs(t, x), tg_tape_leaf(t, 0, NULL, &one, false)));
    }
    case TG_ACT_SWISH:
      return tg_swish(t, x);
    case TG_ACT_HARD_SIGMOID:
      return tg_hard_sigmoid(t, x);
    case TG_ACT_EXPONENTIAL:
      return tg_exp(t, x);
    case TG_ACT_LEAKY_RELU:
      return tg_leaky_relu(t, x, 0.2f);
    case TG_ACT_RELU6:
      return tg_clip(t, x, 0.0f, 6.0f);
    case TG_ACT_LOG_SOFTMAX:
      return tg_log_softmax(t, x, -1);
    default:
      tg_tape_fail(t, TG_ERR_ARG, "activation: unknown activation %d", (int)a);
      return NULL;
  }
}
