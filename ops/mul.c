/* ops/mul.c — y = a * b elementwise with numpy broadcasting.
 * Backward: da += dy * b, db += dy * a (each summed over its broadcast dimensions).
 */
#include "core/tape.h"
#include "ops/internal/broadcast.h"
#include "ops/ops.h"

static tg_status mul_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  return tg_bcast_shape(n->in[0], n->in[1], "*", rank, shape, msg, cap);
}

static void mul_forward(tg_node* n) { tg_bcast_forward(TG_BCAST_MUL, n->in[0], n->in[1], n->out); }

static void mul_backward(tg_node* n) {
  if (n->in[0]->grad)
    tg_bcast_accumulate(n->in[0]->grad, n->in[0], n->out->grad, n->out, 1.0f, n->in[1]);
  if (n->in[1]->grad)
    tg_bcast_accumulate(n->in[1]->grad, n->in[1], n->out->grad, n->out, 1.0f, n->in[0]);
}

/* The same over output elements [begin, end) when a and b are each full or a row
 * (core/op.h): a chain of the tape's plan runs it tile by tile. */
static void mul_forward_range(tg_node* n, int64_t begin, int64_t end) {
  tg_bcast_forward_range(TG_BCAST_MUL, n->in[0], n->in[1], n->out, begin, end);
}

static void mul_backward_range(tg_node* n, int64_t begin, int64_t end) {
  const float* gy = n->out->grad;
  if (n->in[0]->grad)
    tg_bcast_accumulate_range(n->in[0]->grad, n->in[0], gy, n->out, 1.0f, n->in[1], begin, end);
  if (n->in[1]->grad)
    tg_bcast_accumulate_range(n->in[1]->grad, n->in[1], gy, n->out, 1.0f, n->in[0], begin, end);
}

const tg_op_def tg_op_mul = {.name = "mul",
                             .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1),
                             .arity = 2,
                             .shape = mul_shape,
                             .forward = mul_forward,
                             .backward = mul_backward,
                             .forward_range = mul_forward_range,
                             .backward_range = mul_backward_range};

tg_tensor* tg_mul(tg_tape* t, tg_tensor* a, tg_tensor* b) {
  tg_tensor* in[2] = {a, b};
  return tg_tape_apply(t, &tg_op_mul, in, 2, NULL);
}
