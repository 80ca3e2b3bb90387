/* ops/div.c — y = a / b elementwise with numpy broadcasting.
 * Backward: da += dy / b,  db += -dy a / b² = -(dy / b) y  (each summed over the
 * dimensions it was broadcast along). IEEE results: x / 0 = ±inf, 0 / 0 = NaN.
 */
#include "core/tape.h"
#include "ops/internal/bcast_iter.h"
#include "ops/internal/broadcast.h"
#include "ops/ops.h"

static tg_status div_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  return tg_bcast_shape(n->in[0], n->in[1], "/", rank, shape, msg, cap);
}

static void div_forward(tg_node* n) {
  const float* a = n->in[0]->data;
  const float* b = n->in[1]->data;
  float* y = n->out->data;
  tg_bcast_iter it;
  tg_bcast_iter_init(&it, n->out, n->in, 2);
  for (int64_t k = 0; k < n->out->size; ++k, tg_bcast_iter_next(&it))
    y[k] = a[it.off[0]] / b[it.off[1]];
}

static void div_backward(tg_node* n) {
  float* ga = n->in[0]->grad;
  float* gb = n->in[1]->grad;
  const float* b = n->in[1]->data;
  const float* y = n->out->data;
  const float* gy = n->out->grad;
  tg_bcast_iter it;
  tg_bcast_iter_init(&it, n->out, n->in, 2);
  for (int64_t k = 0; k < n->out->size; ++k, tg_bcast_iter_next(&it)) {
    const float q = gy[k] / b[it.off[1]];
    if (ga) ga[it.off[0]] += q;
    if (gb) gb[it.off[1]] -= q * y[k];
  }
}

const tg_op_def tg_op_div = {.name = "div",
                             .arity = 2,
                             .shape = div_shape,
                             .forward = div_forward,
                             .backward = div_backward,
                             .backward_reads = TG_READS_INPUT(1) | TG_READS_OUTPUT};

tg_tensor* tg_div(tg_tape* t, tg_tensor* a, tg_tensor* b) {
  tg_tensor* in[2] = {a, b};
  return tg_tape_apply(t, &tg_op_div, in, 2, NULL);
}
