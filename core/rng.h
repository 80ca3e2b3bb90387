/** @file core/rng.h — seeded, deterministic random numbers (xoshiro256** seeded by
 * splitmix64). State is explicit: the same seed gives the same sequence on every
 * machine, and two generators never interfere.
 *
 *     tg_rng r;
 *     tg_rng_seed(&r, 42);
 *     float u = tg_rng_uniform(&r);      // [0, 1)
 *     float z = tg_rng_normal(&r);       // N(0, 1)
 */
#ifndef TAPEGRAD_CORE_RNG_H_
#define TAPEGRAD_CORE_RNG_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A generator's whole state (copy it to save or fork the stream). */
typedef struct tg_rng {
  uint64_t s[4]; /**< xoshiro256** state */
} tg_rng;

/** Sets the state from `seed` (splitmix64); any seed, 0 included, is valid. */
void tg_rng_seed(tg_rng* r, uint64_t seed);
/** The next 64 random bits. */
uint64_t tg_rng_next(tg_rng* r);
/** Uniform float in [0, 1) with 24 random bits. */
float tg_rng_uniform(tg_rng* r);
/** Uniform double in [0, 1) with 53 random bits. */
double tg_rng_uniform_double(tg_rng* r);
/** Standard normal (Box-Muller on doubles, one value per call). */
float tg_rng_normal(tg_rng* r);
/** Uniform integer in [0, n) without modulo bias; 0 when n == 0. */
uint64_t tg_rng_below(tg_rng* r, uint64_t n);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_RNG_H_ */
