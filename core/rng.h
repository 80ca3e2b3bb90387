/** @file core/rng.h — seeded, deterministic random numbers (xoshiro256** seeded by
 * splitmix64). State is explicit: the same seed gives the same sequence on every
 * machine, and two generators never interfere.
 *
 *     tg_rng r;
 *     tg_rng_seed(&r, 42);
 *     float u = tg_rng_uniform(&r);      // [0, 1)
 *     float z = tg_rng_normal(&r);       // N(0, 1)
 *
 * Counter-based draws: tg_rng_hash(key, i) is a pure function of (key, i), so a
 * value indexed by i (an element of a batch) is the same whoever computes it, in
 * whatever order or piece of the batch. Dropout draws one key per forward from a
 * stream and its mask element by element from the counter:
 *
 *     uint64_t key = tg_rng_next(&r);
 *     float u = tg_rng_hash_uniform(key, row * cols + col);   // [0, 1)
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

/** The counter-th output of SplitMix64 started at state `key` (Steele, Lea and Flood,
 * "Fast splittable pseudorandom number generators", 2014; Vigna's splitmix64.c):
 * mix(key + (counter + 1) * 0x9E3779B97F4A7C15), mix being MurmurHash3's 64-bit
 * finalizer with Stafford's variant-13 constants. tg_rng_hash(0, 0) is
 * 0xE220A8397B1DCDAF, splitmix64.c's first output from state 0. For a fixed key,
 * counters 0, 1, 2, ... are that generator's sequence (it passes BigCrush); two
 * random 64-bit keys give sequences that overlap within W counters with chance
 * about 2W / 2^64. */
uint64_t tg_rng_hash(uint64_t key, uint64_t counter);
/** tg_rng_hash's top 24 bits as a float in [0, 1), as tg_rng_uniform. */
float tg_rng_hash_uniform(uint64_t key, uint64_t counter);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_RNG_H_ */
