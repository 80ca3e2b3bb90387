/* ops/silu.c — y = x * sigmoid(x) (SiLU, also called swish);
 * dx += dy * s (1 + x (1 - s))   with s = sigmoid(x). */
#include <math.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

/* The two branches that never overflow (as ops/sigmoid.c). */
static float stable_sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

TG_VECTOR_CLONES static void silu_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = begin; i < end; ++i) y[i] = x[i] * stable_sigmoid(x[i]);
}

TG_VECTOR_CLONES static void silu_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = begin; i < end; ++i) {
    const float s = stable_sigmoid(x[i]);
    gx[i] += gy[i] * s * (1.0f + x[i] * (1.0f - s));
  }
}

const tg_op_def tg_op_silu = {.name = "silu",
                              .arity = 1,
                              .shape = tg_same_shape_rule,
                              .forward_range = silu_forward,
                              .backward_range = silu_backward,
                              .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_silu(tg_tape* t, tg_tensor* x) { return tg_tape_apply(t, &tg_op_silu, &x, 1, NULL); }

tg_tensor* tg_swish(tg_tape* t, tg_tensor* x) { return tg_silu(t, x); }
