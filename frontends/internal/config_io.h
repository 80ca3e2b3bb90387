/* frontends/internal/config_io.h — the configuration reader/writer layers' config_io
 * functions talk to (frontends/layer.h), as save.c and load.c drive it.
 *
 * Encoding of one field, little-endian: u8 kind (1 i64, 2 bool, 3 f32, 4 enum name),
 * u8 key length, the key's bytes, then the value: i64 8 bytes; bool 1 byte (0/1);
 * f32 4 bytes (IEEE-754 bits); enum u8 length + the name's bytes. A configuration
 * ends with a 0 byte. */
#ifndef TAPEGRAD_FRONTENDS_INTERNAL_CONFIG_IO_H_
#define TAPEGRAD_FRONTENDS_INTERNAL_CONFIG_IO_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontends/layer.h"

enum { TG_CFG_END = 0, TG_CFG_I64 = 1, TG_CFG_BOOL = 2, TG_CFG_F32 = 3, TG_CFG_ENUM = 4 };

struct tg_config_io {
  bool reading;
  /* writing: every byte goes to emit(ctx, ...) */
  void (*emit)(void* ctx, const uint8_t* p, size_t n);
  void* ctx;
  /* reading: data[pos..end) */
  const uint8_t* data;
  size_t pos, end;
  bool failed;
  size_t fail_at;   /* byte of the field that failed */
  char reason[160]; /* why */
};

/* Writes the end marker (writing) or checks it is next (reading). */
void tg_config_finish(tg_config_io* io);

#endif /* TAPEGRAD_FRONTENDS_INTERNAL_CONFIG_IO_H_ */
