/* data/internal/line_reader.c — gzgets until a newline, doubling the buffer. */
#include "data/internal/line_reader.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

tg_status tg_line_reader_open(tg_line_reader* r, const char* fn, const char* path,
                              const tg_allocator* alloc, tg_error* err) {
  memset(r, 0, sizeof *r);
  r->alloc = tg_allocator_or_default(alloc);
  r->fn = fn;
  r->path = path;
  errno = 0;
  gzFile f = gzopen(path, "rb");
  if (f == NULL)
    return tg_error_set(err, TG_ERR_IO, "%s: cannot open '%s': %s", fn, path,
                        errno ? strerror(errno) : "out of memory");
  r->file = f;
  r->cap = 4096;
  r->buf = (char*)r->alloc->alloc(r->alloc->ctx, r->cap);
  if (r->buf == NULL) {
    tg_line_reader_close(r);
    return tg_error_set(err, TG_ERR_NOMEM, "%s: %s: out of memory", fn, path);
  }
  return TG_OK;
}

void tg_line_reader_close(tg_line_reader* r) {
  if (r->file) gzclose((gzFile)r->file);
  if (r->buf) r->alloc->free(r->alloc->ctx, r->buf);
  r->file = NULL;
  r->buf = NULL;
}

static int read_error(tg_line_reader* r, tg_error* err) {
  int zerr = Z_OK;
  const char* msg = gzerror((gzFile)r->file, &zerr);
  const size_t n = strlen(r->path); /* zlib puts "path: " in front */
  if (strncmp(msg, r->path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') msg += n + 2;
  if (zerr == Z_ERRNO)
    tg_error_set(err, TG_ERR_IO, "%s: %s: read error: %s", r->fn, r->path, strerror(errno));
  else
    tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld: gzip data is corrupt: %s", r->fn, r->path,
                 r->lineno + 1, msg);
  return -1;
}

int tg_line_reader_next(tg_line_reader* r, const char** line, size_t* len, tg_error* err) {
  gzFile f = (gzFile)r->file;
  size_t n = 0;
  for (;;) {
    if (r->cap - n < 2) {
      if (r->cap > ((size_t)1 << 30)) {
        tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld: line longer than 1 GiB", r->fn, r->path,
                     r->lineno + 1);
        return -1;
      }
      char* bigger = (char*)r->alloc->alloc(r->alloc->ctx, r->cap * 2);
      if (bigger == NULL) {
        tg_error_set(err, TG_ERR_NOMEM, "%s: %s: out of memory", r->fn, r->path);
        return -1;
      }
      memcpy(bigger, r->buf, n);
      r->alloc->free(r->alloc->ctx, r->buf);
      r->buf = bigger;
      r->cap *= 2;
    }
    const int want = r->cap - n > (size_t)1 << 30 ? 1 << 30 : (int)(r->cap - n);
    if (gzgets(f, r->buf + n, want) == NULL) {
      int zerr = Z_OK;
      gzerror(f, &zerr);
      if (zerr != Z_OK && zerr != Z_BUF_ERROR) return read_error(r, err);
      if (zerr == Z_BUF_ERROR) {
        tg_error_set(err, TG_ERR_PARSE, "%s: %s:%ld: truncated gzip stream", r->fn, r->path,
                     r->lineno + 1);
        return -1;
      }
      if (n == 0) return 0; /* end of file */
      break;                /* a last line without a newline */
    }
    n += strlen(r->buf + n);
    if (n > 0 && r->buf[n - 1] == '\n') break;
    if (gzeof(f)) break;
  }
  while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r')) r->buf[--n] = '\0';
  r->lineno++;
  *line = r->buf;
  *len = n;
  return 1;
}
