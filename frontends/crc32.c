/* frontends/crc32.c — CRC-32 (zlib's: reflected polynomial 0xEDB88320), one table
 * lookup per byte. The table lives in the caller's tg_crc32, not in a global. */
#include "frontends/internal/persist_format.h"

void tg_crc32_begin(tg_crc32* c) {
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t r = i;
    for (int k = 0; k < 8; ++k) r = (r >> 1) ^ (0xEDB88320u & (0u - (r & 1u)));
    c->table[i] = r;
  }
  c->state = 0xFFFFFFFFu;
}

void tg_crc32_update(tg_crc32* c, const uint8_t* p, size_t n) {
  uint32_t s = c->state;
  for (size_t i = 0; i < n; ++i) s = c->table[(s ^ p[i]) & 0xFFu] ^ (s >> 8);
  c->state = s;
}

uint32_t tg_crc32_end(const tg_crc32* c) { return c->state ^ 0xFFFFFFFFu; }
