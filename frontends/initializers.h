/** @file frontends/initializers.h — Keras' weight initializers, seeded and deterministic.
 *
 * An initializer is a small value type (kind + parameters) that fills a float array.
 * Zero fields mean Keras' defaults, so `(tg_initializer){.kind = TG_INIT_RANDOM_NORMAL}`
 * is Keras' RandomNormal(mean=0, stddev=0.05). Randomness comes only from the tg_rng
 * the caller passes: the same seed gives the same weights on every machine.
 * The variance-scaling family follows Keras 2.3+/tf.keras exactly:
 *     glorot_uniform  U(-l, l), l = sqrt(6 / (fan_in + fan_out))      (Dense default)
 *     glorot_normal   truncated N(0, s), s = sqrt(2 / (fan_in + fan_out)) / 0.8796...
 *     he_uniform      l = sqrt(6 / fan_in);   he_normal    s = sqrt(2 / fan_in) / 0.8796...
 *     lecun_uniform   l = sqrt(3 / fan_in);   lecun_normal s = sqrt(1 / fan_in) / 0.8796...
 * "truncated" redraws values more than 2 standard deviations from the mean; dividing by
 * 0.87962566103423978 (the stddev of a unit normal truncated at ±2) restores the
 * intended variance. For a Dense kernel [in, units]: fan_in = in, fan_out = units.
 *
 * Thread-safety: pure functions; concurrent calls need distinct tg_rng states.
 *
 *     tg_rng rng;
 *     tg_rng_seed(&rng, 42);
 *     float w[16 * 16];
 *     tg_error err = {0};
 *     tg_initializer init = tg_init_glorot_uniform();
 *     if (tg_initializer_fill(&init, w, 256, 16, 16, &rng, &err) != TG_OK)
 *       fprintf(stderr, "%s\n", err.message);
 */
#ifndef TAPEGRAD_FRONTENDS_INITIALIZERS_H_
#define TAPEGRAD_FRONTENDS_INITIALIZERS_H_

#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The initializers, as Keras names them. */
typedef enum tg_init_kind {
  TG_INIT_DEFAULT = 0,      /**< the owner's default: glorot_uniform kernels, zeros biases */
  TG_INIT_ZEROS,            /**< every value 0 */
  TG_INIT_ONES,             /**< every value 1 */
  TG_INIT_CONSTANT,         /**< every value = `value` */
  TG_INIT_RANDOM_UNIFORM,   /**< U(minval, maxval); both 0: U(-0.05, 0.05) */
  TG_INIT_RANDOM_NORMAL,    /**< N(mean, stddev); stddev 0: 0.05 */
  TG_INIT_TRUNCATED_NORMAL, /**< N(mean, stddev) redrawn beyond 2 stddev; stddev 0: 0.05 */
  TG_INIT_GLOROT_UNIFORM,   /**< U(-l, l), l = sqrt(6 / (fan_in + fan_out)) */
  TG_INIT_GLOROT_NORMAL,    /**< truncated normal, variance 2 / (fan_in + fan_out) */
  TG_INIT_HE_UNIFORM,       /**< U(-l, l), l = sqrt(6 / fan_in) */
  TG_INIT_HE_NORMAL,        /**< truncated normal, variance 2 / fan_in */
  TG_INIT_LECUN_UNIFORM,    /**< U(-l, l), l = sqrt(3 / fan_in) */
  TG_INIT_LECUN_NORMAL,     /**< truncated normal, variance 1 / fan_in */
  TG_INIT_KIND_COUNT        /**< number of kinds */
} tg_init_kind;

/** An initializer: its kind and the parameters that kind reads. */
typedef struct tg_initializer {
  tg_init_kind kind; /**< which one */
  float value;       /**< TG_INIT_CONSTANT */
  /** TG_INIT_RANDOM_UNIFORM @{ */
  float minval, maxval;
  /** @} */
  /** TG_INIT_RANDOM_NORMAL, TG_INIT_TRUNCATED_NORMAL @{ */
  float mean, stddev;
  /** @} */
} tg_initializer;

/** Shorthands for the common cases (pure value constructors). @{ */
tg_initializer tg_init_zeros(void);
tg_initializer tg_init_ones(void);
tg_initializer tg_init_constant(float value);
tg_initializer tg_init_glorot_uniform(void);
tg_initializer tg_init_of_kind(tg_init_kind kind);
/** @} */

/** Fills data[0..n) (n >= 0) from `rng` (only random kinds draw from it). fan_in and
 * fan_out (>= 1) matter only to the variance-scaling kinds. TG_INIT_DEFAULT fills
 * like glorot_uniform. Errors (TG_ERR_NULL_ARG, TG_ERR_ARG for an unknown kind, a fan
 * < 1 where one is needed, a non-finite parameter or minval > maxval) go into err. */
tg_status tg_initializer_fill(const tg_initializer* init, float* data, int64_t n, int64_t fan_in,
                              int64_t fan_out, tg_rng* rng, tg_error* err);

/** Keras' name of a kind ("glorot_uniform", "zeros", ...; "default" for
 * TG_INIT_DEFAULT, "unknown" out of range). Never NULL. */
const char* tg_init_kind_name(tg_init_kind kind);

/** Parses a command-line spelling: a Keras name ("he_normal", "zeros", "ones",
 * "random_uniform", ...) or "constant:V" (V a finite float, e.g. "constant:0.5").
 * TG_ERR_PARSE with a message quoting `text` and listing the valid names otherwise. */
tg_status tg_initializer_parse(const char* text, tg_initializer* out, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_INITIALIZERS_H_ */
