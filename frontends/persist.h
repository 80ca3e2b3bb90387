/* frontends/persist.h — saving a model (Sequential or functional) to a file and
 * loading it back.
 *
 * A saved model holds everything needed to carry on as if it had never stopped: the
 * architecture (each layer's type and configuration, the graph), every
 * parameter value, the random streams (initializers, fit's shuffling, layers' draws
 * such as dropout's masks) and, once compiled, the loss, the optimizer's resolved
 * options (the learning rate as a schedule last set it), its step count and its
 * state (Adam's m, v, v_hat; SGD's velocity; RMSprop's mean square), and the metrics
 * it was compiled with. Training a loaded model (train_on_batch, or fit continuing
 * with initial_epoch) gives, bit for bit, the numbers the original would have given:
 * fit(50), save, load, fit(1) is fit(51). Gradients, recorded tapes and callbacks'
 * own state (a patience count, a best value) are not saved: the next step recomputes
 * the former, the program owns the latter. fit counts epochs from initial_epoch and
 * keeps no counter in the model.
 *
 * File format (".tgm"). Every integer is little-endian and every float is an
 * IEEE-754 float32 written as its 4 bytes, little-endian, whatever the host:
 *   offset  size  header
 *        0     8  magic "TAPEGRAD"
 *        8     4  u32 format version (3; versions 1 and 2 are still read)
 *       12     4  u32 CRC-32 of the payload (the zlib/PNG polynomial, 0xEDB88320)
 *       16     8  u64 payload size in bytes
 *       24        payload
 * Strings are u16 length + bytes (no NUL, not empty).
 *
 * Version 3 payload (what tg_model_save writes): version 2's, and when compiled, after
 * the optimizer state:
 *   u32 metric count M (0..8), then M str: the metric names as compile_metrics got
 *       them ("accuracy"), resolved again on loading by compile's rules
 *
 * Version 2 payload (tg_model_save_buffer_v2; tapegrad before metrics were saved):
 * nothing in it names a layer type the format knows; a new layer type needs no change
 * here.
 *   u32 model kind (0 Sequential, 1 functional)
 *   u32 layer count; per layer, in creation order: str type name ("Dense"), str layer
 *       name, its configuration as the type's config_io writes it: fields of u8 kind
 *       (1 i64, 2 bool, 3 f32, 4 enum name), u8 key length + key, the value (i64 8
 *       bytes, bool 1 byte, f32 4 bytes, enum u8 length + name), ended by a 0 byte
 *   u32 tensor count; per symbolic tensor, in creation order: u32 0 (a model input)
 *       u32 rank + rank u64 dimensions, or u32 1 (a layer application) u32 layer
 *       index, u32 input count, that many u32 indices of earlier tensors. Loading
 *       replays these, so every layer is built (and declares its parameters) as it
 *       was the first time
 *   u32 model input count + u32 tensor indices (data order); u32 output tensor
 *       (0xFFFFFFFF: none yet)
 *   u32 parameter count; per parameter, in declaration order: str name, u32 rank,
 *       rank u64 dimensions, u32 trainable (0/1), u32 unit axis (as int32, -1: none);
 *       it must equal the table the layers declared when rebuilt
 *   u64 value count P, then P f32: the value block (trainable parameters first)
 *   4 u64 each: the initializer, shuffling and layers' random streams (never all 0)
 *   the training state, as in version 1 below (u32 compiled ...); the optimizer
 *       state covers the trainable block
 * A version-2 file loads as the model it held, compiled without metrics (fit and
 * evaluate report the loss only): give the metrics back with tg_model_set_metrics,
 * which keeps the optimizer's state (compiling again would start it over).
 *
 * Version 1 payload (tapegrad before layers were plugins; tg_model_save_buffer_v1):
 *   u64 input_dim (>= 1)        u32 layer count
 *   per layer:  u64 units (>= 1)  u32 activation (tg_activation)  u32 use_bias (0/1)
 *   u64 parameter count P (must equal what the layers need), then P f32: the
 *       parameter block in model order (dense_1/kernel row-major [in, units],
 *       dense_1/bias, dense_2/kernel, ...)
 *   4 u64: initializer stream state; 4 u64: shuffling stream state (never all zero);
 *       no layers' stream: a loaded version-1 model's starts as a new model's with
 *       seed 0 (version 1 holds Dense layers only, which draw nothing from it)
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

enum { TG_MODEL_FORMAT_VERSION = 3, TG_MODEL_HEADER_BYTES = 24 };

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

/* The version-2 file tapegrad wrote before metrics were saved (the format above), for
 * programs that must feed an older reader. A model compiled with metrics does not fit
 * in it: TG_ERR_ARG naming the first (returns 0); compile it without them first. */
size_t tg_model_save_buffer_v2(const tg_model* m, void* buf, size_t cap, tg_error* err);

/* The version-1 file tapegrad wrote before layers were plugins (the format above),
 * for programs that must feed an older reader. Only Sequential models of Dense layers
 * fit in it: TG_ERR_ARG naming the first layer that does not (returns 0). */
size_t tg_model_save_buffer_v1(const tg_model* m, void* buf, size_t cap, tg_error* err);

/* Loads the model saved at `path`. `options` may be NULL; otherwise its allocator
 * and threads are used, its input_dim must be 0 or the file's (TG_ERR_ARG), its
 * layer_types name the user's own layer types a file may hold (built-in types need
 * no mention), and its seed is ignored (the file holds the random streams). NULL with err filled on
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
