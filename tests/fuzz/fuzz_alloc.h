/* tests/fuzz/fuzz_alloc.h — an allocator for fuzz targets that aborts on any single
 * request larger than 16x the input plus 1 MiB: a forged size must never make a
 * parser allocate more than the bytes it was given justify. */
#ifndef TAPEGRAD_TESTS_FUZZ_FUZZ_ALLOC_H_
#define TAPEGRAD_TESTS_FUZZ_FUZZ_ALLOC_H_

#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"

typedef struct fuzz_budget {
  size_t limit;
} fuzz_budget;

static void* fuzz_alloc(void* ctx, size_t size) {
  const fuzz_budget* b = (const fuzz_budget*)ctx;
  if (size > b->limit) {
    fprintf(stderr, "fuzz: a request of %zu bytes is above the limit of %zu\n", size, b->limit);
    abort();
  }
  return malloc(size);
}

static void fuzz_free(void* ctx, void* p) {
  (void)ctx;
  free(p);
}

static tg_allocator fuzz_allocator(fuzz_budget* b, size_t input_size) {
  b->limit = 16 * input_size + ((size_t)1 << 20);
  tg_allocator a = {fuzz_alloc, fuzz_free, b};
  return a;
}

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "fuzz: %s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

#endif /* TAPEGRAD_TESTS_FUZZ_FUZZ_ALLOC_H_ */
