/* data/internal/adopt.h — for readers in data/: a features-only data set over a
 * buffer the reader already filled (no second allocation and copy of the pixels). */
#ifndef TAPEGRAD_DATA_INTERNAL_ADOPT_H_
#define TAPEGRAD_DATA_INTERNAL_ADOPT_H_

#include "data/dataset.h"

/* *ds takes ownership of x (n * prod(row_shape) floats from allocator a); the shape
 * must already be known not to overflow. Cannot fail for row_rank 1..3. */
tg_status tg_dataset_adopt_x(tg_dataset* ds, int64_t n, int row_rank, const int64_t* row_shape,
                             float* x, const tg_allocator* a);

#endif /* TAPEGRAD_DATA_INTERNAL_ADOPT_H_ */
