/* tools/internal/atomic_file.h — write a file through a temporary beside it and a
 * rename, so a reader never sees a half-written file. Private to tools/. */
#ifndef TAPEGRAD_TOOLS_INTERNAL_ATOMIC_FILE_H_
#define TAPEGRAD_TOOLS_INTERNAL_ATOMIC_FILE_H_

#include <stdio.h>

#include "core/status.h"

/* Writes the whole content of a file. Returns TG_OK or an error (filled in err). */
typedef tg_status (*tg_file_writer)(void* ctx, FILE* f, tg_error* err);

/* Creates "<path>.tmp.XXXXXX", calls write, flushes, closes and renames it to path;
 * on any failure removes the temporary and leaves path untouched. `fn` names the
 * public function for messages, e.g. "tg_dot_save: cannot create 'x.dot': ...". */
tg_status tg_write_atomically(const char* fn, const char* path, tg_file_writer write, void* ctx,
                              tg_error* err);

#endif /* TAPEGRAD_TOOLS_INTERNAL_ATOMIC_FILE_H_ */
