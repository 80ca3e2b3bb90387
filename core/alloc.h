/** @file core/alloc.h — the allocator hook. Every byte tapegrad allocates goes through a
 * tg_allocator, so a program (or a test) can count, limit or redirect allocations.
 * Objects take the allocator at creation (`NULL` means malloc/free) and keep it;
 * there is no global allocator, so two threads never share state.
 */
#ifndef TAPEGRAD_CORE_ALLOC_H_
#define TAPEGRAD_CORE_ALLOC_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where memory comes from: two functions and the context both are given. */
typedef struct tg_allocator {
  /** Returns `size` bytes (any alignment malloc gives) or NULL. */
  void* (*alloc)(void* ctx, size_t size);
  /** Releases a block from `alloc`; p may be NULL. */
  void (*free)(void* ctx, void* p);
  void* ctx; /**< passed to alloc and free */
} tg_allocator;

/** The malloc/free allocator. Never NULL. */
const tg_allocator* tg_default_allocator(void);

/** `a` itself, or the default allocator when `a` is NULL. */
const tg_allocator* tg_allocator_or_default(const tg_allocator* a);

/** Allocates `size` bytes aligned to 64 (cache line / AVX-512) through `a`;
 * NULL on failure or overflow. Free with tg_aligned_free and the same allocator. @{ */
void* tg_aligned_alloc(const tg_allocator* a, size_t size);
void tg_aligned_free(const tg_allocator* a, void* p);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_ALLOC_H_ */
