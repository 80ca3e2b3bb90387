/* core/rng.c — xoshiro256** with splitmix64 seeding. */
#include "core/rng.h"

#include <math.h>
#include <stddef.h>

static const uint64_t kGolden = 0x9E3779B97F4A7C15ULL; /* SplitMix64's increment */

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t* x) { return mix64(*x += kGolden); }

/* Unsigned arithmetic wraps (mod 2^64), which the generator relies on. */
uint64_t tg_rng_hash(uint64_t key, uint64_t counter) {
  return mix64(key + (counter + 1) * kGolden);
}

float tg_rng_hash_uniform(uint64_t key, uint64_t counter) {
  return (float)(tg_rng_hash(key, counter) >> 40) * 0x1.0p-24f;
}

void tg_rng_seed(tg_rng* r, uint64_t seed) {
  if (r == NULL) return;
  for (int i = 0; i < 4; ++i) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tg_rng_next(tg_rng* r) {
  if (r == NULL) return 0;
  uint64_t* s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

float tg_rng_uniform(tg_rng* r) { return (float)(tg_rng_next(r) >> 40) * 0x1.0p-24f; }

double tg_rng_uniform_double(tg_rng* r) { return (double)(tg_rng_next(r) >> 11) * 0x1.0p-53; }

float tg_rng_normal(tg_rng* r) {
  /* 1 - u keeps the log argument in (0, 1]. */
  double u1 = 1.0 - tg_rng_uniform_double(r);
  double u2 = tg_rng_uniform_double(r);
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint64_t tg_rng_below(tg_rng* r, uint64_t n) {
  if (n == 0) return 0;
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = tg_rng_next(r);
  while (x >= limit);
  return x % n;
}
