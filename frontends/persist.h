/* frontends/persist.h — saving a Sequential model to a file and loading it back.
 *
 * A saved model holds everything needed to carry on as if it had never stopped: the
 * architecture (input width; per Dense layer its units, activation and bias), every
 * parameter value, the two random streams (layer initializers, fit's shuffling) and,
 * once compiled, the loss, the optimizer's resolved options, its step count and its
 * state (Adam's m, v, v_hat; SGD's velocity; RMSprop's mean square). Training a
 * loaded model gives, bit for bit, the numbers the original would have given.
 * Gradients and recorded tapes are not saved (the next step recomputes them).
 *
 * File format, version 1 (".tgm"). Every integer is little-endian and every float is
 * an IEEE-754 float32 written as its 4 bytes, little-endian, whatever the host:
 *   offset  size  header
 *        0     8  magic "TAPEGRAD"
 *        8     4  u32 format version (1)
 *       12     4  u32 CRC-32 of the payload (the zlib/PNG polynomial, 0xEDB88320)
 *       16     8  u64 payload size in bytes
 *       24        payload:
 *   u64 input_dim (>= 1)        u32 layer count
 *   per layer:  u64 units (>= 1)  u32 activation (tg_activation)  u32 use_bias (0/1)
 *   u64 parameter count P (must equal what the layers need), then P f32: the
 *       parameter block in model order (dense_1/kernel row-major [in, units],
 *       dense_1/bias, dense_2/kernel, ...)
 *   4 u64: initializer stream state; 4 u64: shuffling stream state (never all zero)
 *   u32 compiled (0/1); when 1:
 *     u32 loss kind (tg_loss_kind)  u32 from_logits (0/1)
 *     u32 optimizer kind (tg_optimizer_kind)
 *     7 f32: lr beta_1 beta_2 epsilon decay momentum rho (resolved: no zero that
 *            stands for a default; checked as tg_model_compile checks them)
 *     u32 amsgrad (0/1)  u32 nesterov (0/1)
 *     u64 iterations (<= INT64_MAX)
 *     u64 state count S (= slots x P: Adam 2, or 3 with amsgrad; SGD 1; RMSprop 1),
 *         then S f32
 * The payload ends there: nothing may follow it in a file or buffer. A valid model
 * has exactly one encoding, so saving a loaded model reproduces its file.
 *
 * Values: NaN and infinities in parameters and optimizer state are kept as saved
 * (bit for bit, NaN payloads included), so a model that diverged can be loaded and
 * inspected; optimizer options must pass compile's checks (finite, in range).
 *
 * Errors say what is wrong and where (byte offsets count from the file's start):
 *   tg_model_load: 'm.tgm': truncated at byte 24: expected 460 payload bytes (as the
 *   header says) but the file ends at byte 300
 * Codes: TG_ERR_IO (open, read, write, rename), TG_ERR_PARSE (bad magic, unsupported
 * version, truncation, checksum mismatch, trailing bytes, bad field), TG_ERR_OVERFLOW
 * (a count that cannot fit in the bytes that follow; nothing is allocated for it),
 * TG_ERR_NOMEM, TG_ERR_ARG (options that contradict the file), TG_ERR_NULL_ARG.
 *
 * Ownership: loaders return a new model the caller frees with tg_model_free; every
 * byte (the file's contents while parsing, the model) goes through options->allocator.
 * Saving allocates nothing but the temporary file's name (through the model's
 * allocator). Thread-safety: as the model (one thread per model); no shared state.
 *
 *   tg_error err = {0};
 *   if (tg_model_save(m, "model.tgm", &err) != TG_OK) fprintf(stderr, "%s\n", err.message);
 *   tg_model* back = tg_model_load("model.tgm", NULL, &err);
 *   if (back == NULL) fprintf(stderr, "%s\n", err.message);
 *   tg_model_train_on_batch(back, x, n, y, &loss);   // continues where m left off
 *   tg_model_free(back);
 */
#ifndef TAPEGRAD_FRONTENDS_PERSIST_H_
#define TAPEGRAD_FRONTENDS_PERSIST_H_

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"
#include "frontends/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TG_MODEL_FORMAT_VERSION = 1, TG_MODEL_HEADER_BYTES = 24 };

/* Writes m to `path` through a temporary file in the same directory, flushed to disk
 * and then renamed over path: readers see the old file or the new one, never a part.
 * On any error the temporary file is removed and an existing `path` is untouched.
 * The new file keeps the mode of the one it replaces (0644 when there was none). A
 * symbolic link is followed (its target replaced, the link kept); a FIFO, a
 * character device or "-" (standard output) is written directly as a stream; a
 * directory, block device or socket is refused (core/atomic_file.h). */
tg_status tg_model_save(const tg_model* m, const char* path, tg_error* err);

/* Writes m to an open stream (binary), nothing before or after it. TG_ERR_IO when
 * the stream reports a write error. Does not flush or close f. */
tg_status tg_model_write(const tg_model* m, FILE* f, tg_error* err);

/* Serialises m into buf when cap is large enough and returns the size of the whole
 * file (write nothing, e.g. with buf NULL and cap 0, to learn it first). Returns 0
 * with err filled when m is NULL (a model file is never empty). */
size_t tg_model_save_buffer(const tg_model* m, void* buf, size_t cap, tg_error* err);

/* Loads the model saved at `path`. `options` may be NULL; otherwise its allocator
 * and threads are used, its input_dim must be 0 or the file's (TG_ERR_ARG), and its
 * seed is ignored (the file holds the random streams). NULL with err filled on
 * failure; nothing leaks and nothing is left allocated. */
tg_model* tg_model_load(const char* path, const tg_model_options* options, tg_error* err);

/* Reads one model from a stream positioned at its first byte and leaves the stream
 * just after the model's last byte (several models may follow each other). Never
 * reads more than the header announces; memory grows with the bytes actually read,
 * so a forged size cannot make it allocate more. Errors as tg_model_load. */
tg_model* tg_model_read(FILE* f, const tg_model_options* options, tg_error* err);

/* Loads from the size bytes at data (the whole file, nothing after it). */
tg_model* tg_model_load_buffer(const void* data, size_t size, const tg_model_options* options,
                               tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_FRONTENDS_PERSIST_H_ */
