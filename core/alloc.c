/* core/alloc.c — default allocator and 64-byte aligned blocks on top of any allocator. */
#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>

static void* malloc_alloc(void* ctx, size_t size) {
  (void)ctx;
  return malloc(size);
}

static void malloc_free(void* ctx, void* p) {
  (void)ctx;
  free(p);
}

static const tg_allocator kDefault = {malloc_alloc, malloc_free, NULL};

const tg_allocator* tg_default_allocator(void) { return &kDefault; }

const tg_allocator* tg_allocator_or_default(const tg_allocator* a) {
  return a != NULL ? a : &kDefault;
}

enum { kAlign = 64 };

/* The block starts with kAlign bytes of slack; the byte just before the aligned
 * pointer holds how far it was moved, so free can find the raw block. */
void* tg_aligned_alloc(const tg_allocator* a, size_t size) {
  a = tg_allocator_or_default(a);
  if (size > SIZE_MAX - kAlign) return NULL;
  unsigned char* raw = (unsigned char*)a->alloc(a->ctx, size + kAlign);
  if (raw == NULL) return NULL;
  size_t shift = kAlign - ((uintptr_t)raw % kAlign); /* 1..kAlign */
  unsigned char* p = raw + shift;
  p[-1] = (unsigned char)shift;
  return p;
}

void tg_aligned_free(const tg_allocator* a, void* p) {
  if (p == NULL) return;
  a = tg_allocator_or_default(a);
  unsigned char* q = (unsigned char*)p;
  a->free(a->ctx, q - q[-1]);
}
