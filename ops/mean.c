/* ops/mean.c — y = (1/n) Σ x (all elements, a scalar);  dx += dy / n. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

static tg_status mean_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                            size_t cap) {
  (void)shape;
  if (n->in[0]->size == 0) {
    char s[TG_SHAPE_STR_CAP];
    snprintf(msg, cap, "%s: cannot average zero elements",
             tg_tensor_shape_str(n->in[0], s, sizeof s));
    return TG_ERR_SHAPE;
  }
  *rank = 0;
  return TG_OK;
}

static void mean_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  double s = 0.0;
  for (int64_t i = 0; i < n->in[0]->size; ++i) s += x[i];
  n->out->data[0] = (float)(s / (double)n->in[0]->size);
}

static void mean_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float g = n->out->grad[0] / (float)n->in[0]->size;
  for (int64_t i = 0; i < n->in[0]->size; ++i) gx[i] += g;
}

const tg_op_def tg_op_mean = {.name = "mean",
                              .arity = 1,
                              .shape = mean_shape,
                              .forward = mean_forward,
                              .backward = mean_backward,
                              .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_mean(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_mean, &x, 1, NULL); }
