/* ops/sub.c — y = a - b with numpy broadcasting.
 * Backward: da += dy, db -= dy (each summed over its broadcast dimensions).
 */
#include "core/tape.h"
#include "ops/internal/broadcast.h"
#include "ops/ops.h"

static tg_status sub_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  return tg_bcast_shape(n->in[0], n->in[1], "-", rank, shape, msg, cap);
}

static void sub_forward(tg_node* n) { tg_bcast_forward(TG_BCAST_SUB, n->in[0], n->in[1], n->out); }

/* da += dy for an a of the output's shape is the tape's (identity_grads). */
static void sub_backward(tg_node* n) {
  if (n->in[0]->grad && n->in[0]->size != n->out->size)
    tg_bcast_accumulate(n->in[0]->grad, n->in[0], n->out->grad, n->out, 1.0f, NULL);
  if (n->in[1]->grad)
    tg_bcast_accumulate(n->in[1]->grad, n->in[1], n->out->grad, n->out, -1.0f, NULL);
}

/* The same over output elements [begin, end) when a and b are each full or a row
 * (core/op.h): a chain of the tape's plan runs it tile by tile. */
static void sub_forward_range(tg_node* n, int64_t begin, int64_t end) {
  tg_bcast_forward_range(TG_BCAST_SUB, n->in[0], n->in[1], n->out, begin, end);
}

static void sub_backward_range(tg_node* n, int64_t begin, int64_t end) {
  const float* gy = n->out->grad;
  if (n->in[0]->grad && n->in[0]->size != n->out->size)
    tg_bcast_accumulate_range(n->in[0]->grad, n->in[0], gy, n->out, 1.0f, NULL, begin, end);
  if (n->in[1]->grad)
    tg_bcast_accumulate_range(n->in[1]->grad, n->in[1], gy, n->out, -1.0f, NULL, begin, end);
}

const tg_op_def tg_op_sub = {.name = "sub",
                             .backward_reads = TG_READS_NOTHING,
                             .arity = 2,
                             .shape = sub_shape,
                             .forward = sub_forward,
                             .backward = sub_backward,
                             .forward_range = sub_forward_range,
                             .backward_range = sub_backward_range,
                             .identity_grads = 0x1u};

tg_tensor* tg_sub(tg_tape* t, tg_tensor* a, tg_tensor* b) {
  tg_tensor* in[2] = {a, b};
  return tg_tape_apply(t, &tg_op_sub, in, 2, NULL);
}
