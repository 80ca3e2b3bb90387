/** @file data/idx.h — the IDX format of MNIST-style files (big-endian header
 * `00 00 <type> <rank>`, then rank 32-bit dimensions, then the elements), plain or
 * gzip-compressed (read through zlib; a plain file reads the same way).
 *
 * Images: an IDX file of rank 2..4 ([N, d...], e.g. 60000x28x28 unsigned bytes)
 * becomes N rows of float features with the raw values (0..255 for bytes; scale
 * them with tg_dataset_scale, data/scale.h). Labels: a rank-1 file of integers
 * becomes int32 labels. Every element type of the format is read (unsigned and
 * signed byte, 16- and 32-bit integers, float, double).
 *
 * Errors name the function, the file and what was expected, e.g.
 *     "tg_idx_load: train-labels-idx1-ubyte.gz: record count 60000 but the image file has 59999"
 *     "tg_idx_read_images: x.idx: truncated: the header announces 10 records of 784 bytes
 *      but the data ends in record 9 (0-based), after 7156 of 7840 bytes"
 * Ownership: the data set filled is the caller's (tg_dataset_free). Nothing aborts.
 *
 *     tg_dataset train;
 *     tg_error err = {0};
 *     if (tg_idx_load("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
 *                     "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
 *                     NULL, &train, &err) != TG_OK) fprintf(stderr, "%s\n", err.message);
 *     // train.n == 60000, train.row_shape == {28, 28}, train.labels[i] in 0..9
 */
#ifndef TAPEGRAD_DATA_IDX_H_
#define TAPEGRAD_DATA_IDX_H_

#include "core/alloc.h"
#include "core/status.h"
#include "data/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Reads an images file into *out: features only (TG_LABELS_NONE), row shape = the
 * file's dimensions after the first. `alloc` may be NULL (malloc). On error *out is
 * empty. TG_ERR_IO (cannot open, read error), TG_ERR_PARSE (bad magic, unknown type,
 * wrong rank, truncated, trailing data, corrupt gzip), TG_ERR_OVERFLOW, TG_ERR_NOMEM. */
tg_status tg_idx_read_images(const char* path, const tg_allocator* alloc, tg_dataset* out,
                             tg_error* err);

/** Reads a rank-1 labels file into ds (which must have no targets yet): int32 labels,
 * num_classes = the largest label + 1. The record count must equal ds->n. On error
 * ds is unchanged. Negative labels and non-integer types are TG_ERR_PARSE. */
tg_status tg_idx_read_labels(const char* path, tg_dataset* ds, tg_error* err);

/** Both: images then labels (errors as above; the count mismatch is reported as
 * "<labels path>: record count L but the image file has I"). On error *out is empty. */
tg_status tg_idx_load(const char* images_path, const char* labels_path, const tg_allocator* alloc,
                      tg_dataset* out, tg_error* err);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DATA_IDX_H_ */
