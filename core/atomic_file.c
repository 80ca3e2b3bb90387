/* core/atomic_file.c — temporary file, fsync, rename, fsync of the directory; links
 * followed, streams written in place (see atomic_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "core/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

enum { kMaxLinks = 40 };

static const char kSuffix[] = ".tmp.XXXXXX";

static char* dup_bytes(const tg_allocator* a, const char* s, size_t n) {
  char* d = (char*)a->alloc(a->ctx, n + 1);
  if (d == NULL) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* Length of the directory part of `path`, slash included (0: none). */
static size_t dir_len(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash ? (size_t)(slash - path) + 1 : 0;
}

/* The file `path` finally names after following symbolic links (allocated copy, or
 * NULL with err filled). A dangling link resolves to the file it would create. */
static char* resolve_links(const char* fn, const char* path, const tg_allocator* a, tg_error* err) {
  char* cur = dup_bytes(a, path, strlen(path));
  if (cur == NULL) goto nomem;
  for (int hops = 0;; ++hops) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    if (hops == kMaxLinks) {
      tg_error_set(err, TG_ERR_IO, "%s: cannot write '%s': %s", fn, path, strerror(ELOOP));
      a->free(a->ctx, cur);
      return NULL;
    }
    /* A link's size is its target's length (0 for some /proc links: then grow). */
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 256;
    for (;;) {
      char* target = (char*)a->alloc(a->ctx, cap);
      if (target == NULL) {
        a->free(a->ctx, cur);
        goto nomem;
      }
      const ssize_t n = readlink(cur, target, cap);
      if (n < 0) {
        tg_error_set(err, TG_ERR_IO, "%s: cannot read the link '%s': %s", fn, cur, strerror(errno));
        a->free(a->ctx, target);
        a->free(a->ctx, cur);
        return NULL;
      }
      if ((size_t)n >= cap) {
        a->free(a->ctx, target);
        cap *= 2;
        continue;
      }
      /* A relative target is relative to the link's directory. */
      const size_t dl = target[0] == '/' ? 0 : dir_len(cur);
      char* next = (char*)a->alloc(a->ctx, dl + (size_t)n + 1);
      if (next != NULL) {
        memcpy(next, cur, dl);
        memcpy(next + dl, target, (size_t)n);
        next[dl + (size_t)n] = '\0';
      }
      a->free(a->ctx, target);
      a->free(a->ctx, cur);
      if (next == NULL) goto nomem;
      cur = next;
      break;
    }
  }
nomem:
  tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
  return NULL;
}

/* Runs the writer on f and checks the stream; returns TG_OK or the error. */
static tg_status run_writer(const char* fn, const char* path, FILE* f, tg_file_writer write,
                            void* ctx, tg_error* err) {
  errno = 0;
  tg_status s = write(ctx, f, err);
  if (s != TG_OK) return s;
  int e = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
  if (e == 0 && fflush(f) != 0) e = errno != 0 ? errno : EIO;
  if (e != 0)
    return tg_error_set(err, TG_ERR_IO, "%s: writing '%s' failed: %s", fn, path, strerror(e));
  return TG_OK;
}

/* A FIFO, a character device or standard output: the content goes straight in. */
static tg_status write_stream(const char* fn, const char* path, const char* file,
                              tg_file_writer write, void* ctx, tg_error* err) {
  if (strcmp(file, "-") == 0) return run_writer(fn, "-", stdout, write, ctx, err);
  FILE* f = fopen(file, "w");
  if (f == NULL)
    return tg_error_set(err, TG_ERR_IO, "%s: cannot open '%s': %s", fn, path, strerror(errno));
  tg_status s = run_writer(fn, path, f, write, ctx, err);
  if (fclose(f) != 0 && s == TG_OK)
    s = tg_error_set(err, TG_ERR_IO, "%s: writing '%s' failed: %s", fn, path, strerror(errno));
  return s;
}

/* "<dir>/<name>.tmp.XXXXXX" for `file`, the name cut so the whole stays within
 * NAME_MAX (a 254-byte name is a valid target). */
static char* temp_name(const char* file, const tg_allocator* a) {
  const size_t dl = dir_len(file);
  size_t base = strlen(file) - dl;
  const size_t room = NAME_MAX - (sizeof kSuffix - 1);
  if (base > room) base = room;
  char* tmp = (char*)a->alloc(a->ctx, dl + base + sizeof kSuffix);
  if (tmp == NULL) return NULL;
  memcpy(tmp, file, dl + base);
  memcpy(tmp + dl + base, kSuffix, sizeof kSuffix);
  return tmp;
}

/* fsync of the directory part of `tmp` (the temporary's name, no longer needed: it
 * is cut in place, so this cannot fail for lack of memory once the file is
 * renamed). Some file systems cannot sync a directory (EINVAL): the rename is then
 * as durable as they allow. */
static int sync_dir(char* tmp) {
  const size_t dl = dir_len(tmp);
  const char* dir = ".";
  if (dl > 0) {
    tmp[dl] = '\0';
    dir = tmp;
  }
  const int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return errno;
  int e = 0;
  if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) e = errno;
  close(fd);
  return e;
}

static tg_status replace_file(const char* fn, const char* path, const char* file, mode_t mode,
                              const tg_allocator* a, tg_file_writer write, void* ctx,
                              tg_error* err) {
  char* tmp = temp_name(file, a);
  if (tmp == NULL) return tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
  const int fd = mkstemp(tmp);
  if (fd < 0) {
    const tg_status s =
        tg_error_set(err, TG_ERR_IO, "%s: cannot create a temporary file beside '%s': %s", fn, path,
                     strerror(errno));
    a->free(a->ctx, tmp);
    return s;
  }
  /* mkstemp makes the file private (0600): keep the replaced file's mode instead. */
  (void)fchmod(fd, mode);
  tg_status s = TG_OK;
  FILE* f = fdopen(fd, "wb");
  if (f == NULL) {
    s = tg_error_set(err, TG_ERR_IO, "%s: writing '%s' failed: %s", fn, path, strerror(errno));
    close(fd);
  } else {
    s = run_writer(fn, path, f, write, ctx, err);
    /* On disk before the rename makes it the file. */
    if (s == TG_OK && fsync(fd) != 0)
      s = tg_error_set(err, TG_ERR_IO, "%s: writing '%s' failed: %s", fn, path, strerror(errno));
    if (fclose(f) != 0 && s == TG_OK)
      s = tg_error_set(err, TG_ERR_IO, "%s: writing '%s' failed: %s", fn, path, strerror(errno));
  }
  if (s == TG_OK && rename(tmp, file) != 0)
    s = tg_error_set(err, TG_ERR_IO, "%s: cannot rename the temporary file to '%s': %s", fn, path,
                     strerror(errno));
  if (s != TG_OK) {
    unlink(tmp);
  } else {
    const int e = sync_dir(tmp);
    if (e != 0)
      s = tg_error_set(err, TG_ERR_IO, "%s: '%s' was written but syncing its directory failed: %s",
                       fn, path, strerror(e));
  }
  a->free(a->ctx, tmp);
  return s;
}

tg_status tg_atomic_write(const char* fn, const char* path, const tg_allocator* alloc,
                          tg_file_writer write, void* ctx, tg_error* err) {
  if (fn == NULL) fn = "tg_atomic_write";
  if (path == NULL || path[0] == '\0')
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: path is NULL or empty", fn);
  if (write == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: writer is NULL", fn);
  tg_error local = {0};
  if (err == NULL) err = &local;
  const tg_allocator* a = tg_allocator_or_default(alloc);
  if (strcmp(path, "-") == 0) return write_stream(fn, path, path, write, ctx, err);
  char* file = resolve_links(fn, path, a, err);
  if (file == NULL) return err->code;
  tg_status s;
  struct stat st;
  if (stat(file, &st) != 0) {
    s = replace_file(fn, path, file, 0644, a, write, ctx, err);
  } else if (S_ISREG(st.st_mode)) {
    s = replace_file(fn, path, file, st.st_mode & 07777, a, write, ctx, err);
  } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    s = write_stream(fn, path, file, write, ctx, err);
  } else {
    const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    s = tg_error_set(err, TG_ERR_IO, "%s: '%s' is %s: nothing written", fn, path, what);
  }
  a->free(a->ctx, file);
  return s;
}
