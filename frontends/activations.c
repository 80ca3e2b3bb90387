/* frontends/activations.c — activation names and the op each one records. */
#include "frontends/activations.h"

#include "ops/ops.h"

static const char* const kNames[TG_ACT_COUNT] = {"linear", "relu", "sigmoid", "tanh", "softmax"};

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
    default:
      tg_tape_fail(t, TG_ERR_ARG, "activation: unknown activation %d", (int)a);
      return NULL;
  }
}
