/** @file core/arena.h — bump allocator that owns a tape's intermediates.
 *
 * Allocation is a pointer bump inside 64-byte aligned chunks; reset is O(1) and
 * keeps the chunks, so a tape that is cleared and recorded again with the same
 * shapes allocates nothing the second time. Not thread-safe (one arena per tape).
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

/** Forgets every allocation in O(1), keeping the memory for reuse. */
void tg_arena_reset(tg_arena* a);

/** Returns every chunk to the allocator. */
void tg_arena_free(tg_arena* a);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_ARENA_H_ */
