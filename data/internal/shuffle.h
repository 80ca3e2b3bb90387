/* data/internal/shuffle.h — the one row shuffle splits and batchers share: perm =
 * identity, then Fisher-Yates (i from n-1 down, swap with j uniform in [0, i]). */
#ifndef TAPEGRAD_DATA_INTERNAL_SHUFFLE_H_
#define TAPEGRAD_DATA_INTERNAL_SHUFFLE_H_

#include <stdint.h>

#include "core/rng.h"

static inline void tg_shuffle_rows(int64_t* perm, int64_t n, tg_rng* rng) {
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = (int64_t)tg_rng_below(rng, (uint64_t)i + 1);
    const int64_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

#endif /* TAPEGRAD_DATA_INTERNAL_SHUFFLE_H_ */
