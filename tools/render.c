/* tools/render.c — fork/exec of `dot` with its stderr captured through a pipe, so a
 * failure comes back as a message instead of being printed by the library. */
#define _POSIX_C_SOURCE 200809L
#include "tools/render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

bool tg_dot_available(void) {
  const char* path = getenv("PATH");
  if (path == NULL) return false;
  while (*path) {
    const size_t len = strcspn(path, ":");
    char candidate[4096];
    if (len > 0 && len + sizeof "/dot" <= sizeof candidate) {
      memcpy(candidate, path, len);
      memcpy(candidate + len, "/dot", sizeof "/dot");
      if (access(candidate, X_OK) == 0) return true;
    }
    path += len;
    if (*path == ':') ++path;
  }
  return false;
}

tg_status tg_dot_render(const char* dot_path, const char* format, const char* out_path,
                        tg_error* err) {
  const char* fn = "tg_dot_render";
  if (dot_path == NULL || format == NULL || out_path == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn,
                        dot_path == NULL ? "dot_path"
                        : format == NULL ? "format"
                                         : "out_path");
  if (strcmp(format, "svg") != 0 && strcmp(format, "png") != 0)
    return tg_error_set(err, TG_ERR_ARG, "%s: format must be svg or png, got '%s'", fn, format);
  if (!tg_dot_available())
    return tg_error_set(err, TG_ERR_STATE,
                        "%s: Graphviz' dot is not on PATH (install the graphviz package)", fn);
  char type[8];
  snprintf(type, sizeof type, "-T%s", format);
  int fds[2];
  if (pipe(fds) != 0)
    return tg_error_set(err, TG_ERR_IO, "%s: pipe failed: %s", fn, strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return tg_error_set(err, TG_ERR_IO, "%s: fork failed: %s", fn, strerror(errno));
  }
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    execlp("dot", "dot", type, dot_path, "-o", out_path, (char*)NULL);
    _exit(127);
  }
  close(fds[1]);
  char out[200];
  size_t used = 0;
  ssize_t got;
  char drain[256];
  while ((got = read(fds[0], drain, sizeof drain)) > 0 || (got < 0 && errno == EINTR)) {
    for (ssize_t i = 0; i < got && used + 1 < sizeof out; ++i) out[used++] = drain[i];
  }
  out[used] = '\0';
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    out[strcspn(out, "\n")] = '\0';
    return tg_error_set(err, TG_ERR_IO, "%s: dot failed on '%s' (exit %d): %s", fn, dot_path,
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
  }
  return TG_OK;
}
