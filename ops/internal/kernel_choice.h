/* ops/internal/kernel_choice.h — each kernel-choosing op's half of tg_node_kernels
 * (ops/kernel_choice.c). Private to ops/. */
#ifndef TAPEGRAD_OPS_INTERNAL_KERNEL_CHOICE_H_
#define TAPEGRAD_OPS_INTERNAL_KERNEL_CHOICE_H_

#include <stddef.h>

#include "core/op.h"

int tg_matmul_kernels(const tg_node* n, char* buf, size_t cap);
int tg_conv2d_kernels(const tg_node* n, char* buf, size_t cap);

#endif /* TAPEGRAD_OPS_INTERNAL_KERNEL_CHOICE_H_ */
