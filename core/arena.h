/** @file core/arena.h — bump allocator that owns a tape's intermediates.
 *
 * Allocation is a pointer bump inside 64-byte aligned chunks; reset keeps the
 * memory, so a tape that is cleared and recorded again with the same shapes
 * allocates nothing the second time. Not thread-safe (one arena per tape).
 */
#ifndef TAPEGRAD_CORE_ARENA_H_
#define TAPEGRAD_CORE_ARENA_H_

#include <stddef.h>

#include "core/alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_arena_chunk tg_arena_chunk; /**< one block of memory (private) */

/** An arena; its fields are core's. */
typedef struct tg_arena {
  const tg_allocator* alloc; /**< where chunks come from */
  tg_arena_chunk* head;      /**< first chunk; chunks are kept across resets */
  tg_arena_chunk* cur;       /**< chunk being bumped */
  size_t reserved;           /**< bytes obtained from the allocator, all chunks */
} tg_arena;

/** An empty arena over `alloc` (NULL: malloc); nothing is allocated yet. */
void tg_arena_init(tg_arena* a, const tg_allocator* alloc);

/** `bytes` of uninitialised memory aligned to 64, valid until reset/free; NULL when
 * the allocator fails or the size overflows. */
void* tg_arena_alloc(tg_arena* a, size_t bytes);

/** Forgets every allocation, keeping the memory for reuse: an arena of several
 * chunks becomes one chunk of their total size (one allocation, then the old chunks
 * are freed; if it fails they are kept), so that the next round of allocations,
 * whatever their sizes, runs through one block from its start and touches no more
 * memory than it uses. O(1) for an arena of one chunk. */
void tg_arena_reset(tg_arena* a);

/** Returns every chunk to the allocator. */
void tg_arena_free(tg_arena* a);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_ARENA_H_ */
