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

/* An input whose grad is out->grad (tg_tape_share_grad) already holds its gradient. */
static void add_backward(tg_node* n) {
  const float* gy = n->out->grad;
  if (n->in[0]->grad && n->in[0]->grad != gy)
    tg_bcast_accumulate(n->in[0]->grad, n->in[0], gy, n->out, 1.0f, NULL);
  if (n->in[1]->grad && n->in[1]->grad != gy)
    tg_bcast_accumulate(n->in[1]->grad, n->in[1], gy, n->out, 1.0f, NULL);
}

/* The same over output elements [begin, end) when a and b are each full or a row
 * (core/op.h): a chain of the tape's plan runs it tile by tile. */
static void add_forward_range(tg_node* n, int64_t begin, int64_t end) {
  tg_bcast_forward_range(TG_BCAST_ADD, n->in[0], n->in[1], n->out, begin, end);
}

static void add_backward_range(tg_node* n, int64_t begin, int64_t end) {
  const float* gy = n->out->grad;
  if (n->in[0]->grad && n->in[0]->grad != gy)
    tg_bcast_accumulate_range(n->in[0]->grad, n->in[0], gy, n->out, 1.0f, NULL, begin, end);
  if (n->in[1]->grad && n->in[1]->grad != gy)
    tg_bcast_accumulate_range(n->in[1]->grad, n->in[1], gy, n->out, 1.0f, NULL, begin, end);
}

const tg_op_def tg_op_add = {.name = "add",
                             .arity = 2,
                             .shape = add_shape,
                             .forward = add_forward,
                             .backward = add_backward,
                             .forward_range = add_forward_range,
                             .backward_range = add_backward_range};

tg_tensor* tg_add(tg_tape* t, tg_tensor* a, tg_tensor* b) {
  tg_tensor* in[2] = {a, b};
  tg_tensor* y = tg_tape_apply(t, &tg_op_add, in, 2, NULL);
  /* dy/da is the identity: a (when the previous node made it) keeps y's gradient in
   * y's own buffer instead of a copy. */
  if (y) tg_tape_share_grad(t, y, a);
  return y;
}
