/** @file tools/model_spec.h — the model spec tgdot accepts, such as "1-16r-16r-2", and the
 * model it builds (initializer names are parsed by tg_initializer_parse in
 * frontends/initializers.h).
 *
 * Model spec: the input width, then one token per Dense layer, joined by '-'. A layer
 * token is its unit count followed by an optional activation letter:
 *     r = relu, s = sigmoid, t = tanh, l or nothing = linear.
 * "1-16r-16r-2" is the seed model: 1 input, Dense(16, relu), Dense(16, relu), Dense(2).
 *
 * Ownership: the parser fills a caller struct; tg_model_spec_build returns a model the
 * caller frees with tg_model_free. Errors name the function and quote the bad text.
 * Thread-safety: no shared state.
 *
 *     tg_model_spec spec;
 *     tg_initializer init;
 *     tg_error err = {0};
 *     if (tg_model_spec_parse("1-16r-16r-2", &spec, &err) != TG_OK ||
 *         tg_initializer_parse("zeros", &init, &err) != TG_OK) puts(err.message);
 *     tg_model* m = tg_model_spec_build(&spec, &init, &init, 1, &err);
 *     tg_model_free(m);
 */
#ifndef TAPEGRAD_TOOLS_MODEL_SPEC_H_
#define TAPEGRAD_TOOLS_MODEL_SPEC_H_

#include <stdint.h>

#include "core/status.h"
#include "frontends/initializers.h"
#include "frontends/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TG_SPEC_MAX_LAYERS = 64, TG_SPEC_MAX_UNITS = 1 << 20 };

/** A parsed spec: the input width and each Dense layer's units and activation. */
typedef struct tg_model_spec {
  int64_t input_dim;                            /**< the first number */
  int n_layers;                                 /**< layer tokens, 1..TG_SPEC_MAX_LAYERS */
  int64_t units[TG_SPEC_MAX_LAYERS];            /**< each layer's units */
  tg_activation activation[TG_SPEC_MAX_LAYERS]; /**< each layer's activation */
} tg_model_spec;

/** Parses a model spec. TG_ERR_PARSE with the token and the reason, e.g.
 * "tg_model_spec_parse: '1-16q-2': layer 1 '16q': unknown activation 'q' (r=relu,
 * s=sigmoid, t=tanh, l or nothing=linear)". */
tg_status tg_model_spec_parse(const char* text, tg_model_spec* out, tg_error* err);

/** Writes the canonical spec ("1-16r-16r-2") into buf (cap bytes); returns buf. */
char* tg_model_spec_format(const tg_model_spec* spec, char* buf, size_t cap);

/** Builds and compiles the model: Dense layers as the spec says, the given kernel and
 * bias initializers, MSE loss, Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
 * as in the seed story. NULL with err filled on failure. */
tg_model* tg_model_spec_build(const tg_model_spec* spec, const tg_initializer* kernel_init,
                              const tg_initializer* bias_init, uint64_t seed, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TOOLS_MODEL_SPEC_H_ */
