/* ops/shape.h — Shape ops: reshape, transpose, concat, slice, pad, .... Included by ops/ops.h. */
#ifndef TAPEGRAD_OPS_SHAPE_H_
#define TAPEGRAD_OPS_SHAPE_H_

#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_SHAPE_H_ */
