/* frontends/load_file.c — loading from a path or a stream: read the header, then no
 * more than the payload it announces, into memory that grows with the bytes that
 * actually arrive (a forged size never makes a large allocation), and parse. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "frontends/internal/persist_format.h"

/* Bytes read so far, in a buffer from the caller's allocator. */
typedef struct bytes {
  const tg_allocator* alloc;
  uint8_t* p;
  size_t size, cap;
} bytes;

static bool grow(bytes* b, size_t cap) {
  uint8_t* p = (uint8_t*)b->alloc->alloc(b->alloc->ctx, cap);
  if (p == NULL) return false;
  if (b->size) memcpy(p, b->p, b->size);
  b->alloc->free(b->alloc->ctx, b->p);
  b->p = p;
  b->cap = cap;
  return true;
}

/* Reads until b holds `want` bytes or the stream ends. Returns 0, ENOMEM, or the
 * errno of a read error. */
static int read_upto(FILE* f, bytes* b, size_t want) {
  while (b->size < want) {
    if (b->size == b->cap) {
      size_t cap = b->cap < (size_t)1 << 16 ? (size_t)1 << 16 : b->cap * 2;
      if (cap < b->cap || cap > want) cap = want; /* doubling past SIZE_MAX, or enough */
      if (!grow(b, cap)) return ENOMEM;
    }
    const size_t n = fread(b->p + b->size, 1, b->cap - b->size, f);
    b->size += n;
    if (n == 0) return ferror(f) ? (errno != 0 ? errno : EIO) : 0;
  }
  return 0;
}

/* Whether b starts with a whole header of this format and version: only then does
 * its payload size mean anything (a foreign file is reported by its first bytes). */
static bool header_ok(const bytes* b) {
  return b->size >= TG_MODEL_HEADER_BYTES &&
         memcmp(b->p, TG_MODEL_MAGIC, TG_MODEL_MAGIC_BYTES) == 0 &&
         tg_le_get32(b->p + TG_MODEL_VERSION_AT) >= 1 &&
         tg_le_get32(b->p + TG_MODEL_VERSION_AT) <= TG_MODEL_FORMAT_VERSION;
}

/* Reads one model's bytes: the header, then its payload when the magic and version
 * are right (otherwise the parser reports what the header holds). */
static int read_model_bytes(FILE* f, bytes* b, size_t* want) {
  *want = TG_MODEL_HEADER_BYTES;
  errno = 0;
  int e = read_upto(f, b, *want);
  if (e != 0 || !header_ok(b)) return e;
  const uint64_t payload = tg_le_get64(b->p + TG_MODEL_PAYLOAD_SIZE_AT);
  *want = payload > SIZE_MAX - TG_MODEL_HEADER_BYTES ? SIZE_MAX
                                                     : TG_MODEL_HEADER_BYTES + (size_t)payload;
  return read_upto(f, b, *want);
}

/* Reads and parses; `path` (may be NULL for a stream) only shapes messages. */
static tg_model* load_stream(const char* fn, const char* path, FILE* f,
                             const tg_model_options* options, tg_error* err) {
  bytes b = {.alloc = tg_allocator_or_default(options ? options->allocator : NULL)};
  char prefix[TG_ERROR_MESSAGE_CAP];
  if (path)
    snprintf(prefix, sizeof prefix, "%s: '%s'", fn, path);
  else
    snprintf(prefix, sizeof prefix, "%s", fn);
  size_t want = 0;
  const int e = read_model_bytes(f, &b, &want);
  tg_model* m = NULL;
  if (e == ENOMEM) {
    tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory after reading %zu bytes", prefix, b.size);
  } else if (e != 0 && path) {
    tg_error_set(err, TG_ERR_IO, "%s: cannot read '%s': %s", fn, path, strerror(e));
  } else if (e != 0) {
    tg_error_set(err, TG_ERR_IO, "%s: reading the stream failed: %s", fn, strerror(e));
  } else if (path && header_ok(&b) && b.size == want && fgetc(f) != EOF) {
    /* A file is one model; a stream may carry more after it. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > want)
      tg_error_set(err, TG_ERR_PARSE,
                   "%s: %" PRIu64
                   " unexpected bytes after the payload, which ends at byte %zu "
                   "(as the header says)",
                   prefix, (uint64_t)st.st_size - want, want);
    else
      tg_error_set(err, TG_ERR_PARSE,
                   "%s: unexpected bytes after the payload, which ends at byte %zu (as the "
                   "header says)",
                   prefix, want);
  } else {
    m = tg_model_parse(prefix, b.p, b.size, options, err);
  }
  b.alloc->free(b.alloc->ctx, b.p);
  return m;
}

tg_model* tg_model_read(FILE* f, const tg_model_options* options, tg_error* err) {
  if (f == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "tg_model_read: stream is NULL");
    return NULL;
  }
  return load_stream("tg_model_read", NULL, f, options, err);
}

tg_model* tg_model_load(const char* path, const tg_model_options* options, tg_error* err) {
  const char* fn = "tg_model_load";
  if (path == NULL || path[0] == '\0') {
    tg_error_set(err, TG_ERR_NULL_ARG, "%s: path is NULL or empty", fn);
    return NULL;
  }
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    tg_error_set(err, TG_ERR_IO, "%s: cannot open '%s': %s", fn, path, strerror(errno));
    return NULL;
  }
  tg_model* m = load_stream(fn, path, f, options, err);
  fclose(f);
  return m;
}
