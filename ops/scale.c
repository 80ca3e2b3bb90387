/* ops/scale.c — y = c * x for a constant c;  dx += c * dy. */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

typedef struct scale_params {
  float c;
} scale_params;

static float factor(const tg_node* n) {
  scale_params p;
  tg_node_params(n, &p, sizeof p);
  return p.c;
}

static int scale_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "x%g", (double)factor(n));
}

static tg_status scale_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                             size_t cap) {
  if (!isfinite(factor(n))) {
    snprintf(msg, cap, "factor %g is not finite", (double)factor(n));
    return TG_ERR_ARG;
  }
  return tg_same_shape_rule(n, rank, shape, msg, cap);
}

TG_VECTOR_CLONES static void scale_forward(tg_node* n, int64_t begin, int64_t end) {
  const float c = factor(n);
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = c * x[i];
}

TG_VECTOR_CLONES static void scale_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float c = factor(n);
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) gx[i] += c * gy[i];
}

const tg_op_def tg_op_scale = {.name = "scale",
                               .backward_reads = TG_READS_NOTHING,
                               .arity = 1,
                               .shape = scale_shape,
                               .forward_range = scale_forward,
                               .backward_range = scale_backward,
                               .params_size = sizeof(scale_params),
                               .describe = scale_describe};

tg_tensor* tg_scale(tg_tape* t, tg_tensor* x, float c) {
  scale_params p = {.c = c};
  return tg_tape_apply(t, &tg_op_scale, &x, 1, &p);
}
