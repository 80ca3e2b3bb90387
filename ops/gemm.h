/** @file ops/gemm.h — the matrix-product kernels are kernels/gemm.h now; this header stays so
 * that programs written against the old path still build. New code includes
 * "kernels/gemm.h". */
#ifndef TAPEGRAD_OPS_GEMM_H_
#define TAPEGRAD_OPS_GEMM_H_

#include "kernels/gemm.h"

#endif /* TAPEGRAD_OPS_GEMM_H_ */
