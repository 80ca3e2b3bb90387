/* tools/internal/atomic_file.c — temporary file + rename. */
#define _POSIX_C_SOURCE 200809L
#include "tools/internal/atomic_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

tg_status tg_write_atomically(const char* fn, const char* path, tg_file_writer write, void* ctx,
                              tg_error* err) {
  if (path == NULL || path[0] == '\0')
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: path is NULL or empty", fn);
  const size_t len = strlen(path);
  char* tmp = (char*)malloc(len + sizeof ".tmp.XXXXXX");
  if (tmp == NULL) return tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
  memcpy(tmp, path, len);
  memcpy(tmp + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
  int fd = mkstemp(tmp);
  if (fd < 0) {
    tg_status s =
        tg_error_set(err, TG_ERR_IO, "%s: cannot create '%s': %s", fn, path, strerror(errno));
    free(tmp);
    return s;
  }
  /* mkstemp makes the file private (0600); a graph or report is for everyone. */
  (void)fchmod(fd, 0644);
  FILE* f = fdopen(fd, "w");
  if (f == NULL) {
    close(fd);
    unlink(tmp);
    free(tmp);
    return tg_error_set(err, TG_ERR_IO, "%s: cannot open '%s' for writing", fn, path);
  }
  tg_status s = write(ctx, f, err);
  const bool write_failed = ferror(f) != 0;
  const bool close_failed = fclose(f) != 0;
  if (s == TG_OK && (write_failed || close_failed))
    s = tg_error_set(err, TG_ERR_IO, "%s: writing '%s' failed", fn, path);
  if (s == TG_OK && rename(tmp, path) != 0)
    s = tg_error_set(err, TG_ERR_IO, "%s: cannot rename the temporary file to '%s': %s", fn, path,
                     strerror(errno));
  if (s != TG_OK) unlink(tmp);
  free(tmp);
  return s;
}
