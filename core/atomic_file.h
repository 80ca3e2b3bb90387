/** @file core/atomic_file.h — the one way tapegrad writes a file by name (models, DOT
 * graphs, reports): a reader never sees a half-written file, and a crash never
 * leaves a complete-looking name over incomplete contents.
 *
 * What `path` names decides how it is written:
 *     - a regular file, or nothing yet: the content goes to a temporary file beside
 *       it ("<name>.tmp.XXXXXX", the name shortened when that would pass NAME_MAX),
 *       which is flushed and fsync'ed, given the old file's permission bits (0644 for
 *       a new file), renamed over the target, and the directory is fsync'ed so the
 *       rename itself is durable. On any failure the temporary is removed and the
 *       target is untouched.
 *     - a symbolic link: followed (up to 40 links); the file it finally points at is
 *       replaced as above and the link itself stays a link.
 *     - a FIFO or a character device (/dev/null, a terminal, /dev/stdout's target),
 *       or "-" for standard output: written directly as a stream (nothing to replace
 *       atomically there), then flushed; write errors are reported.
 *     - a directory, a block device or a socket: refused with TG_ERR_IO, nothing
 *       written.
 * Memory: the names it builds come from `alloc` (NULL: malloc) and are freed before
 * it returns. Thread-safety: none shared; two calls on different paths are
 * independent.
 *
 *     static tg_status hello(void* ctx, FILE* f, tg_error* err) {
 *       (void)ctx; (void)err;
 *       fputs("hello\n", f);
 *       return TG_OK;                       // stream errors are found by the caller
 *     }
 *     tg_atomic_write("my_save", "out.txt", NULL, hello, NULL, &err);
 */
#ifndef TAPEGRAD_CORE_ATOMIC_FILE_H_
#define TAPEGRAD_CORE_ATOMIC_FILE_H_

#include <stdio.h>

#include "core/alloc.h"
#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Writes the whole content to f. Returns TG_OK, or an error it filled in err; I/O
 * errors on f may be left to the stream's error flag (errno kept), which the caller
 * checks. */
typedef tg_status (*tg_file_writer)(void* ctx, FILE* f, tg_error* err);

/** Writes `path` through `write` as described above. `fn` names the public function
 * in messages, e.g. "tg_dot_save: cannot create a temporary file beside 'x.dot': No
 * such file or directory", "tg_model_save: writing 'm.tgm' failed: No space left on
 * device", "tg_report_save: 'd' is a directory". */
tg_status tg_atomic_write(const char* fn, const char* path, const tg_allocator* alloc,
                          tg_file_writer write, void* ctx, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_ATOMIC_FILE_H_ */
