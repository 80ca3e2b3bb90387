/* core/arena.c — chunked bump allocator. */
#include "core/arena.h"

#include <stdint.h>

struct tg_arena_chunk {
  tg_arena_chunk* next;
  size_t cap; /* usable bytes in data */
  size_t used;
  unsigned char* data; /* 64-aligned */
};

enum { kAlign = 64, kFirstChunk = 64 * 1024 };

void tg_arena_init(tg_arena* a, const tg_allocator* alloc) {
  a->alloc = tg_allocator_or_default(alloc);
  a->head = a->cur = NULL;
  a->reserved = 0;
}

static tg_arena_chunk* chunk_new(tg_arena* a, size_t cap) {
  if (cap > SIZE_MAX - sizeof(tg_arena_chunk) - 2 * kAlign) return NULL;
  unsigned char* raw =
      (unsigned char*)tg_aligned_alloc(a->alloc, sizeof(tg_arena_chunk) + kAlign + cap);
  if (raw == NULL) return NULL;
  tg_arena_chunk* c = (tg_arena_chunk*)raw;
  c->next = NULL;
  c->cap = cap;
  c->used = 0;
  c->data = raw + ((sizeof(tg_arena_chunk) + kAlign - 1) / kAlign) * kAlign;
  a->reserved += cap;
  return c;
}

void* tg_arena_alloc(tg_arena* a, size_t bytes) {
  if (bytes > SIZE_MAX - kAlign) return NULL;
  size_t need = (bytes + kAlign - 1) / kAlign * kAlign;
  if (need == 0) need = kAlign;
  for (;;) {
    tg_arena_chunk* c = a->cur;
    if (c != NULL && c->cap - c->used >= need) {
      void* p = c->data + c->used;
      c->used += need;
      return p;
    }
    /* Move to the next kept chunk if it is large enough, else insert a new one. */
    tg_arena_chunk* next = c ? c->next : a->head;
    if (next != NULL && next->cap >= need) {
      next->used = 0;
      a->cur = next;
      continue;
    }
    size_t cap = c ? c->cap * 2 : kFirstChunk;
    if (cap < need) cap = need;
    tg_arena_chunk* fresh = chunk_new(a, cap);
    if (fresh == NULL) return NULL;
    fresh->next = next;
    if (c)
      c->next = fresh;
    else
      a->head = fresh;
    a->cur = fresh;
  }
}

void tg_arena_reset(tg_arena* a) {
  /* Several chunks become one of their total size. A recording of other shapes (a
   * tape cleared for another batch size) then bumps through one block from its
   * start, instead of skipping kept chunks too small for its next allocation and
   * leaving their pages, touched by the old recording, resident beside new ones. */
  if (a->head != NULL && a->head->next != NULL) {
    size_t total = 0;
    for (tg_arena_chunk* c = a->head; c; c = c->next) total += c->cap;
    tg_arena_chunk* one = chunk_new(a, total);
    if (one != NULL) { /* else the chunks stay as they are */
      for (tg_arena_chunk* c = a->head; c;) {
        tg_arena_chunk* next = c->next;
        tg_aligned_free(a->alloc, c);
        c = next;
      }
      a->head = one;
      a->reserved = total;
    }
  }
  a->cur = a->head;
  if (a->head) a->head->used = 0;
}

void tg_arena_free(tg_arena* a) {
  tg_arena_chunk* c = a->head;
  while (c) {
    tg_arena_chunk* next = c->next;
    tg_aligned_free(a->alloc, c);
    c = next;
  }
  a->head = a->cur = NULL;
  a->reserved = 0;
}
