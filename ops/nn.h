/* ops/nn.h — Neural-network ops: conv2d, pooling, dropout, normalisation. Included by ops/ops.h. */
#ifndef TAPEGRAD_OPS_NN_H_
#define TAPEGRAD_OPS_NN_H_

#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_NN_H_ */
