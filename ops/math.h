/* ops/math.h — Elementwise math and activations. Included by ops/ops.h. */
#ifndef TAPEGRAD_OPS_MATH_H_
#define TAPEGRAD_OPS_MATH_H_

#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_MATH_H_ */
