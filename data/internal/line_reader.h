/* data/internal/line_reader.h — whole lines of a text file, plain or gzip, read with
 * zlib's gzgets into one growable buffer (through the caller's allocator). */
#ifndef TAPEGRAD_DATA_INTERNAL_LINE_READER_H_
#define TAPEGRAD_DATA_INTERNAL_LINE_READER_H_

#include <stddef.h>

#include "core/alloc.h"
#include "core/status.h"

typedef struct tg_line_reader {
  void* file; /* gzFile */
  char* buf;
  size_t cap;
  long lineno; /* of the line last returned, 1-based */
  const tg_allocator* alloc;
  const char* fn;
  const char* path;
} tg_line_reader;

tg_status tg_line_reader_open(tg_line_reader* r, const char* fn, const char* path,
                              const tg_allocator* alloc, tg_error* err);
/* Next line without its "\n" / "\r\n" in *line (valid until the next call): 1 when a
 * line was read, 0 at the end of the file, -1 with err set on a read error. */
int tg_line_reader_next(tg_line_reader* r, const char** line, size_t* len, tg_error* err);
void tg_line_reader_close(tg_line_reader* r);

#endif /* TAPEGRAD_DATA_INTERNAL_LINE_READER_H_ */
