/* ops/add.c — y = a + b with numpy broadcasting.
 * Backward: da += dy, db += dy, each summed over the dimensions it was broadcast along.
 */
#include "core/tape.h"
#include "ops/internal/broadcast.h"
#include "ops/ops.h"

static tg_status add_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  return tg_bcast_shape(n->in[0], n->in[1], "+", rank, shape, msg, cap);
}

static void add_forward(tg_node* n) { tg_bcast_forward(TG_BCAST_ADD, n->in[0], n->in[1], n->out); }

/* da += dy and db += dy for an operand of the output's shape are the tape's
 * (identity_grads); only a broadcast operand's sum is left here. */
static void add_backward(tg_node* n) {
  const float* gy = n->out->grad;
  for (int i = 0; i < 2; ++i)
    if (n->in[i]->grad && n->in[i]->size != n->out->size)
      tg_bcast_accumulate(n->in[i]->grad, n->in[i], gy, n->out, 1.0f, NULL);
}

/* The same over output elements [begin, end) when a and b are each full or a row
 * (core/op.h): a chain of the tape's plan runs it tile by tile. */
static void add_forward_range(tg_node* n, int64_t begin, int64_t end) {
  tg_bcast_forward_range(TG_BCAST_ADD, n->in[0], n->in[1], n->out, begin, end);
}

static void add_backward_range(tg_node* n, int64_t begin, int64_t end) {
  const float* gy = n->out->grad;
  for (int i = 0; i < 2; ++i)
    if (n->in[i]->grad && n->in[i]->size != n->out->size)
      tg_bcast_accumulate_range(n->in[i]->grad, n->in[i], gy, n->out, 1.0f, NULL, begin, end);
}

const tg_op_def tg_op_add = {.name = "add",
                             .backward_reads = TG_READS_NOTHING,
                             .arity = 2,
                             .shape = add_shape,
                             .forward = add_forward,
                             .backward = add_backward,
                             .forward_range = add_forward_range,
                             .backward_range = add_backward_range,
                             .identity_grads = 0x3u};

tg_tensor* tg_add(tg_tape* t, tg_tensor* a, tg_tensor* b) {
  tg_tensor* in[2] = {a, b};
  return tg_tape_apply(t, &tg_op_add, in, 2, NULL);
}
