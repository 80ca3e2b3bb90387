/* data/idx.c — IDX files through zlib's gz* stream functions (which read gzip and
 * plain files alike): header, dimension checks, then the elements in chunks. */
#include "data/idx.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "data/internal/adopt.h"

enum { kHeaderMax = 4 + 4 * TG_MAX_RANK, kChunkBytes = 1 << 16 };

typedef struct idx_header {
  int type;       /* 0x08 .. 0x0E */
  int elem_bytes; /* 1, 2, 4 or 8 */
  int rank;       /* 1..TG_MAX_RANK */
  int64_t dims[TG_MAX_RANK];
  int64_t records;      /* dims[0] */
  int64_t record_elems; /* product of dims[1..] (1 for rank 1) */
  int64_t total_elems;
} idx_header;

static int elem_bytes_of(int type) {
  switch (type) {
    case 0x08: /* unsigned byte */
    case 0x09: /* signed byte */
      return 1;
    case 0x0B: /* int16 */
      return 2;
    case 0x0C: /* int32 */
    case 0x0D: /* float32 */
      return 4;
    case 0x0E: /* float64 */
      return 8;
    default:
      return 0;
  }
}

static uint64_t be(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

/* Element `p` of `type` as a double (exact for every integer type). */
static double decode(const unsigned char* p, int type) {
  switch (type) {
    case 0x08:
      return (double)p[0];
    case 0x09:
      return (double)(int8_t)p[0];
    case 0x0B:
      return (double)(int16_t)(uint16_t)be(p, 2);
    case 0x0C:
      return (double)(int32_t)(uint32_t)be(p, 4);
    case 0x0D: {
      const uint32_t u = (uint32_t)be(p, 4);
      float f;
      memcpy(&f, &u, sizeof f);
      return (double)f;
    }
    default: {
      const uint64_t u = be(p, 8);
      double d;
      memcpy(&d, &u, sizeof d);
      return d;
    }
  }
}

/* zlib's message without the "path: " it puts in front. */
static const char* gz_message(gzFile f, const char* path, int* zerr) {
  const char* msg = gzerror(f, zerr);
  const size_t n = strlen(path);
  if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') msg += n + 2;
  return msg;
}

/* Reads up to `len` bytes; returns the count, or -1 with the error set. A short
 * count means the stream ended (zlib reports a cut gzip stream as a short read). */
static int64_t read_bytes(const char* fn, const char* path, gzFile f, void* buf, int64_t len,
                          tg_error* err) {
  int64_t done = 0;
  while (done < len) {
    const int64_t want = len - done > kChunkBytes ? kChunkBytes : len - done;
    const int got = gzread(f, (unsigned char*)buf + done, (unsigned)want);
    if (got < 0) {
      int zerr = 0;
      const char* msg = gz_message(f, path, &zerr);
      if (zerr == Z_ERRNO)
        tg_error_set(err, TG_ERR_IO, "%s: %s: read error: %s", fn, path, strerror(errno));
      else
        tg_error_set(err, TG_ERR_PARSE, "%s: %s: gzip data is corrupt: %s", fn, path, msg);
      return -1;
    }
    if (got == 0) break;
    done += got;
  }
  return done;
}

static tg_status open_idx(const char* fn, const char* path, gzFile* out, tg_error* err) {
  *out = NULL;
  if (path == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: path is NULL", fn);
  errno = 0;
  gzFile f = gzopen(path, "rb");
  if (f == NULL)
    return tg_error_set(err, TG_ERR_IO, "%s: cannot open '%s': %s", fn, path,
                        errno ? strerror(errno) : "out of memory");
  gzbuffer(f, 1 << 17);
  *out = f;
  return TG_OK;
}

static tg_status read_header(const char* fn, const char* path, gzFile f, idx_header* h,
                             tg_error* err) {
  memset(h, 0, sizeof *h);
  unsigned char b[kHeaderMax];
  int64_t got = read_bytes(fn, path, f, b, 4, err);
  if (got < 0) return err ? err->code : TG_ERR_PARSE;
  if (got < 4)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s: truncated: the file ends after %lld bytes, inside the 4-byte "
                        "IDX magic number",
                        fn, path, (long long)got);
  const uint32_t magic = (uint32_t)be(b, 4);
  if (b[0] != 0 || b[1] != 0)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s: not an IDX file: magic number 0x%08X (an IDX file starts with "
                        "00 00, a type byte and the number of dimensions)",
                        fn, path, (unsigned)magic);
  h->type = b[2];
  h->elem_bytes = elem_bytes_of(h->type);
  if (h->elem_bytes == 0)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s: unknown IDX element type 0x%02X in magic number 0x%08X "
                        "(expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)",
                        fn, path, (unsigned)h->type, (unsigned)magic);
  h->rank = b[3];
  if (h->rank < 1 || h->rank > TG_MAX_RANK)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s: %d dimensions in magic number 0x%08X (tapegrad reads 1..%d)", fn,
                        path, h->rank, (unsigned)magic, TG_MAX_RANK);
  const int64_t dim_bytes = 4 * (int64_t)h->rank;
  got = read_bytes(fn, path, f, b + 4, dim_bytes, err);
  if (got < 0) return err ? err->code : TG_ERR_PARSE;
  if (got < dim_bytes)
    return tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s: truncated: the header of %d dimensions needs %lld bytes, the file "
                        "has %lld",
                        fn, path, h->rank, (long long)(4 + dim_bytes), (long long)(4 + got));
  for (int d = 0; d < h->rank; ++d) h->dims[d] = (int64_t)be(b + 4 + 4 * d, 4);
  char s[TG_SHAPE_STR_CAP];
  int64_t bytes_shape[TG_MAX_RANK];
  memcpy(bytes_shape, h->dims, sizeof bytes_shape);
  bytes_shape[h->rank - 1] *= h->elem_bytes; /* so the byte size is checked too */
  if (!tg_shape_numel(h->rank, h->dims, &h->total_elems) ||
      !tg_shape_numel(h->rank, bytes_shape, &(int64_t){0}))
    return tg_error_set(err, TG_ERR_OVERFLOW, "%s: %s: dimensions %s overflow", fn, path,
                        tg_shape_format(s, sizeof s, h->rank, h->dims));
  h->records = h->dims[0];
  h->record_elems = 1;
  for (int d = 1; d < h->rank; ++d) h->record_elems *= h->dims[d];
  return TG_OK;
}

/* What the elements are read into: floats or int32 labels (both 4 bytes), in a
 * buffer that grows with the data actually read, so a header that announces more
 * than the file holds costs no more memory than the file. */
typedef struct sink {
  bool ints;
  void* buf;
  int64_t cap, used; /* elements */
} sink;

static bool sink_reserve(const tg_allocator* a, sink* s, int64_t need, int64_t total) {
  if (need <= s->cap && s->buf != NULL) return true;
  int64_t cap = s->cap ? s->cap * 2 : (int64_t)1 << 16;
  if (cap < need) cap = need;
  if (cap > total) cap = total;
  if (cap < 1) cap = 1;
  void* q = a->alloc(a->ctx, (size_t)cap * 4);
  if (q == NULL) return false;
  if (s->used > 0) memcpy(q, s->buf, (size_t)s->used * 4);
  a->free(a->ctx, s->buf);
  s->buf = q;
  s->cap = cap;
  return true;
}

static tg_status truncated(const char* fn, const char* path, const idx_header* h, int64_t done,
                           tg_error* err) {
  const int64_t record_bytes = h->record_elems * h->elem_bytes;
  return tg_error_set(err, TG_ERR_PARSE,
                      "%s: %s: truncated: the header announces %lld records of %lld bytes but "
                      "the data ends in record %lld (0-based), after %lld of %lld bytes",
                      fn, path, (long long)h->records, (long long)record_bytes,
                      (long long)(record_bytes > 0 ? done / record_bytes : 0), (long long)done,
                      (long long)(h->total_elems * h->elem_bytes));
}

/* Reads h->total_elems elements into the sink, then checks that nothing follows.
 * On error the sink's buffer is the caller's to free. */
static tg_status read_elements(const char* fn, const char* path, gzFile f, const idx_header* h,
                               const tg_allocator* a, sink* out, tg_error* err) {
  const int64_t total_bytes = h->total_elems * h->elem_bytes;
  unsigned char* chunk = (unsigned char*)a->alloc(a->ctx, kChunkBytes);
  if (chunk == NULL || !sink_reserve(a, out, 1, h->total_elems)) {
    a->free(a->ctx, chunk);
    return tg_error_set(err, TG_ERR_NOMEM, "%s: %s: out of memory", fn, path);
  }
  tg_status st = TG_OK;
  int64_t done = 0;
  while (done < total_bytes) {
    const int64_t want = total_bytes - done > kChunkBytes ? kChunkBytes : total_bytes - done;
    const int64_t got = read_bytes(fn, path, f, chunk, want, err);
    if (got < 0) {
      st = err ? err->code : TG_ERR_PARSE;
      break;
    }
    const int64_t usable = got - got % h->elem_bytes;
    const int64_t n = usable / h->elem_bytes;
    if (!sink_reserve(a, out, out->used + n, h->total_elems)) {
      st = tg_error_set(err, TG_ERR_NOMEM, "%s: %s: out of memory after %lld elements", fn, path,
                        (long long)out->used);
      break;
    }
    float* fo = out->ints ? NULL : (float*)out->buf + out->used;
    int32_t* io = out->ints ? (int32_t*)out->buf + out->used : NULL;
    if (fo && h->type == 0x08) { /* the common case (pixels), without the decode switch */
      for (int64_t p = 0; p < n; ++p) fo[p] = (float)chunk[p];
    } else {
      for (int64_t k = 0; k < n; ++k) {
        const double v = decode(chunk + k * h->elem_bytes, h->type);
        if (fo) {
          fo[k] = (float)v;
        } else if (v < 0) {
          st = tg_error_set(err, TG_ERR_PARSE, "%s: %s: label %.0f at record %lld is negative", fn,
                            path, v, (long long)(out->used + k));
          break;
        } else {
          io[k] = (int32_t)v;
        }
      }
    }
    if (st != TG_OK) break;
    out->used += n;
    done += got;
    if (got < want) {
      st = truncated(fn, path, h, done, err);
      break;
    }
  }
  if (st == TG_OK) {
    const int64_t extra = read_bytes(fn, path, f, chunk, 1, err);
    int zerr = Z_OK;
    gzerror(f, &zerr);
    if (extra < 0)
      st = err ? err->code : TG_ERR_PARSE;
    else if (extra > 0)
      st = tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s: more data follows the %lld records the header announces", fn, path,
                        (long long)h->records);
    else if (zerr == Z_BUF_ERROR) /* all elements there, but the gzip stream is cut */
      st = tg_error_set(err, TG_ERR_PARSE,
                        "%s: %s: truncated: the gzip stream ends without its trailer", fn, path);
  }
  a->free(a->ctx, chunk);
  return st;
}

/* Opens an images file and checks its header (rank 2..4); *f is NULL on error. */
static tg_status images_header(const char* fn, const char* path, gzFile* f, idx_header* h,
                               tg_error* err) {
  tg_status st = open_idx(fn, path, f, err);
  if (st != TG_OK) return st;
  st = read_header(fn, path, *f, h, err);
  if (st == TG_OK && h->rank < 2) {
    char s[TG_SHAPE_STR_CAP];
    st = tg_error_set(err, TG_ERR_PARSE,
                      "%s: %s: expected images (an IDX file of 2 to %d dimensions), got %s", fn,
                      path, TG_MAX_RANK, tg_shape_format(s, sizeof s, h->rank, h->dims));
  }
  if (st != TG_OK) {
    gzclose(*f);
    *f = NULL;
  }
  return st;
}

/* Opens a labels file and checks its header (rank 1, integers, n records). */
static tg_status labels_header(const char* fn, const char* path, int64_t n, gzFile* f,
                               idx_header* h, tg_error* err) {
  tg_status st = open_idx(fn, path, f, err);
  if (st != TG_OK) return st;
  st = read_header(fn, path, *f, h, err);
  char s[TG_SHAPE_STR_CAP];
  if (st == TG_OK && h->rank != 1)
    st = tg_error_set(err, TG_ERR_PARSE,
                      "%s: %s: expected labels (an IDX file of 1 dimension), got %s", fn, path,
                      tg_shape_format(s, sizeof s, h->rank, h->dims));
  if (st == TG_OK && (h->type == 0x0D || h->type == 0x0E))
    st = tg_error_set(err, TG_ERR_PARSE,
                      "%s: %s: expected integer labels, got %s elements (type 0x%02X)", fn, path,
                      h->type == 0x0D ? "float" : "double", (unsigned)h->type);
  if (st == TG_OK && h->records != n)
    st = tg_error_set(err, TG_ERR_PARSE, "%s: %s: record count %lld but the image file has %lld",
                      fn, path, (long long)h->records, (long long)n);
  if (st != TG_OK) {
    gzclose(*f);
    *f = NULL;
  }
  return st;
}

static tg_status read_images(const char* fn, const char* path, const tg_allocator* alloc,
                             tg_dataset* out, tg_error* err) {
  if (out == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: out is NULL", fn);
  memset(out, 0, sizeof *out);
  gzFile f;
  idx_header h;
  tg_status st = images_header(fn, path, &f, &h, err);
  if (st != TG_OK) return st;
  const tg_allocator* a = tg_allocator_or_default(alloc);
  sink sk = {.ints = false, .buf = NULL, .cap = 0, .used = 0};
  st = read_elements(fn, path, f, &h, a, &sk, err);
  gzclose(f);
  if (st == TG_OK)
    st = tg_dataset_adopt_x(out, h.records, h.rank - 1, h.dims + 1, (float*)sk.buf, a);
  if (st != TG_OK) a->free(a->ctx, sk.buf);
  return st;
}

static tg_status read_labels(const char* fn, const char* path, tg_dataset* ds, tg_error* err) {
  if (ds == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: ds is NULL", fn);
  if (ds->alloc_ == NULL || ds->label_kind != TG_LABELS_NONE)
    return tg_error_set(err, TG_ERR_STATE, "%s: ds must be a data set without targets", fn);
  gzFile f;
  idx_header h;
  tg_status st = labels_header(fn, path, ds->n, &f, &h, err);
  if (st != TG_OK) return st;
  const tg_allocator* a = ds->alloc_;
  sink sk = {.ints = true, .buf = NULL, .cap = 0, .used = 0};
  st = read_elements(fn, path, f, &h, a, &sk, err);
  gzclose(f);
  int32_t* labels = (int32_t*)sk.buf;
  int32_t max = -1;
  for (int64_t i = 0; st == TG_OK && i < h.records; ++i) max = labels[i] > max ? labels[i] : max;
  if (st == TG_OK && max == INT32_MAX)
    st = tg_error_set(err, TG_ERR_PARSE, "%s: %s: label %d leaves no room for a class count", fn,
                      path, (int)max);
  if (st != TG_OK) {
    a->free(a->ctx, labels);
    return st;
  }
  ds->labels = labels;
  ds->label_kind = TG_LABELS_INT;
  ds->target_size = 1;
  ds->num_classes = max + 1;
  return TG_OK;
}

tg_status tg_idx_read_images(const char* path, const tg_allocator* alloc, tg_dataset* out,
                             tg_error* err) {
  return read_images("tg_idx_read_images", path, alloc, out, err);
}

tg_status tg_idx_read_labels(const char* path, tg_dataset* ds, tg_error* err) {
  return read_labels("tg_idx_read_labels", path, ds, err);
}

tg_status tg_idx_load(const char* images_path, const char* labels_path, const tg_allocator* alloc,
                      tg_dataset* out, tg_error* err) {
  static const char fn[] = "tg_idx_load";
  if (out) memset(out, 0, sizeof *out);
  /* Both headers first: a count mismatch is reported before 47 MB are decoded. */
  gzFile f;
  idx_header hi, hl;
  tg_status st = images_header(fn, images_path, &f, &hi, err);
  if (st != TG_OK) return st;
  gzclose(f);
  st = labels_header(fn, labels_path, hi.records, &f, &hl, err);
  if (st != TG_OK) return st;
  gzclose(f);
  st = read_images(fn, images_path, alloc, out, err);
  if (st != TG_OK) return st;
  st = read_labels(fn, labels_path, out, err);
  if (st != TG_OK) tg_dataset_free(out);
  return st;
}
