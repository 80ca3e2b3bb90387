/* ops/sum.c — y = Σ x (all elements, a scalar);  dx += dy. Sums in double so long
 * reductions keep float32 precision. */
#include "core/tape.h"
#include "ops/ops.h"

static tg_status sum_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                           size_t cap) {
  (void)n;
  (void)shape;
  (void)msg;
  (void)cap;
  *rank = 0;
  return TG_OK;
}

static void sum_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  double s = 0.0;
  for (int64_t i = 0; i < n->in[0]->size; ++i) s += x[i];
  n->out->data[0] = (float)s;
}

static void sum_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float g = n->out->grad[0];
  for (int64_t i = 0; i < n->in[0]->size; ++i) gx[i] += g;
}

const tg_op_def tg_op_sum = {.name = "sum",
                             .arity = 1,
                             .shape = sum_shape,
                             .forward = sum_forward,
                             .backward = sum_backward,
                             .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_sum(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_sum, &x, 1, NULL); }
