/* ops/index.h — Indexing with int32 index tensors: gather, one_hot. Included by ops/ops.h. */
#ifndef TAPEGRAD_OPS_INDEX_H_
#define TAPEGRAD_OPS_INDEX_H_

#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_INDEX_H_ */
