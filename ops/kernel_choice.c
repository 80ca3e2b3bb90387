/* ops/kernel_choice.c — tg_node_kernels: asks the op that made the node. */
#include "ops/kernel_choice.h"

#include "ops/internal/kernel_choice.h"
#include "ops/ops.h"

int tg_node_kernels(const tg_node* n, char* buf, size_t cap) {
  if (n != NULL && n->op == &tg_op_matmul) return tg_matmul_kernels(n, buf, cap);
  if (n != NULL && n->op == &tg_op_conv2d) return tg_conv2d_kernels(n, buf, cap);
  if (buf != NULL && cap > 0) buf[0] = '\0';
  return 0;
}
