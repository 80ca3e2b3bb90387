/** @file ops/kernel_choice.h — which kernel each matrix product of a node runs.
 *
 * matmul and conv2d choose the kernel of each of their products (backend,
 * instruction set, thread split; kernels/gemm.h) once, when they are recorded, keep
 * the choice in the node and run it on every replay; a run that finds the tape's
 * thread count or pool size changed since (tg_tape_set_threads, tg_tape_set_pool)
 * chooses again first. This tells tools and tests what was chosen.
 *
 *   char k[256];
 *   tg_node_kernels(node, k, sizeof k);
 *   // matmul:  "y: small avx2 1 thread; dA: small avx2 1 thread; dB: small avx2 1 thread"
 *   // conv2d:  "y: builtin avx2 2 threads (last chunk: small avx2 1 thread); dK: ...; dX: ..."
 */
#ifndef TAPEGRAD_OPS_KERNEL_CHOICE_H_
#define TAPEGRAD_OPS_KERNEL_CHOICE_H_

#include <stddef.h>

#include "core/op.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Writes the kernels the node's products run, as above (the products named by their
 * results: y, then the gradients dA and dB, or dK and dX); "" for a node whose op
 * chooses no kernel, or n NULL. snprintf semantics: returns the length needed. */
int tg_node_kernels(const tg_node* n, char* buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_OPS_KERNEL_CHOICE_H_ */
