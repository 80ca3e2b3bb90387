/* frontends/internal/persist_format.h — what save.c, load.c and load_file.c share:
 * the header layout (see frontends/persist.h for the whole format), CRC-32 and the
 * little-endian byte order, spelled out byte by byte so the host's order never
 * matters. */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_PERSIST_FORMAT_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_PERSIST_FORMAT_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frontends/model.h"
#include "frontends/persist.h"

#define TG_MODEL_MAGIC "TAPEGRAD"
enum {
  TG_MODEL_MAGIC_BYTES = 8,
  TG_MODEL_VERSION_AT = 8,
  TG_MODEL_CRC_AT = 12,
  TG_MODEL_PAYLOAD_SIZE_AT = 16,
};

/* CRC-32 as zlib computes it: reflected polynomial 0xEDB88320, initial value and
 * final xor 0xFFFFFFFF. Fill the table once per call site (1 KiB, no global state),
 * start from tg_crc32_begin(), feed bytes, finish with tg_crc32_end. */
typedef struct tg_crc32 {
  uint32_t table[256];
  uint32_t state;
} tg_crc32;
void tg_crc32_begin(tg_crc32* c);
void tg_crc32_update(tg_crc32* c, const uint8_t* p, size_t n);
uint32_t tg_crc32_end(const tg_crc32* c);

static inline void tg_le_put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void tg_le_put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t tg_le_get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= (uint32_t)p[i] << (8 * i);
  return v;
}
static inline uint64_t tg_le_get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= (uint64_t)p[i] << (8 * i);
  return v;
}
/* A float travels as the bits of its IEEE-754 representation (NaN payloads too). */
static inline uint32_t tg_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}
static inline float tg_f32_from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* Parses a whole model file held in memory (data[0..size)) and builds the model.
 * `prefix` starts every error message ("tg_model_load: 'm.tgm'"). Used by every
 * loader; see tg_model_load_buffer for the contract. */
tg_model* tg_model_parse(const char* prefix, const uint8_t* data, size_t size,
                         const tg_model_options* options, tg_error* err);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_PERSIST_FORMAT_H_ */
