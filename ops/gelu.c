/* ops/gelu.c — GELU, the exact form or the tanh approximation (PyTorch's
 * `approximate="none"|"tanh"`, Keras' approximate=False|True):
 *   exact:  y = x Φ(x) = x/2 (1 + erf(x/√2));       dx += dy (Φ(x) + x φ(x)),
 *           φ(x) = exp(-x²/2) / √(2π)
 *   tanh:   y = x/2 (1 + tanh(u)),  u = √(2/π) (x + 0.044715 x³);
 *           dx += dy (½(1 + tanh u) + ½ x (1 - tanh² u) √(2/π) (1 + 3·0.044715 x²))
 */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

typedef struct gelu_params {
  int approximate; /* tg_gelu_approximate */
} gelu_params;

static const float kSqrtHalf = 0.70710678118654752f;    /* 1/√2 */
static const float kInvSqrt2Pi = 0.39894228040143268f;  /* 1/√(2π) */
static const float kSqrt2OverPi = 0.79788456080286536f; /* √(2/π) */
static const float kCubic = 0.044715f;

static int approximate_of(const tg_node* n) {
  gelu_params p;
  tg_node_params(n, &p, sizeof p);
  return p.approximate;
}

static int gelu_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "approximate=%s", approximate_of(n) == TG_GELU_TANH ? "tanh" : "none");
}

static tg_status gelu_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                            size_t cap) {
  const int a = approximate_of(n);
  if (a != TG_GELU_NONE && a != TG_GELU_TANH) {
    snprintf(msg, cap, "approximate %d is neither TG_GELU_NONE (0) nor TG_GELU_TANH (1)", a);
    return TG_ERR_ARG;
  }
  return tg_same_shape_rule(n, rank, shape, msg, cap);
}

TG_VECTOR_CLONES static void gelu_forward(tg_node* n, int64_t begin, int64_t end) {
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  if (approximate_of(n) == TG_GELU_TANH) {
    for (int64_t i = begin; i < end; ++i) {
      const float u = kSqrt2OverPi * (x[i] + kCubic * x[i] * x[i] * x[i]);
      y[i] = 0.5f * x[i] * (1.0f + tanhf(u));
    }
  } else {
    for (int64_t i = begin; i < end; ++i) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * kSqrtHalf));
  }
}

TG_VECTOR_CLONES static void gelu_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  if (approximate_of(n) == TG_GELU_TANH) {
    for (int64_t i = begin; i < end; ++i) {
      const float x2 = x[i] * x[i];
      const float th = tanhf(kSqrt2OverPi * (x[i] + kCubic * x2 * x[i]));
      const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * x2);
      gx[i] += gy[i] * (0.5f * (1.0f + th) + 0.5f * x[i] * (1.0f - th * th) * du);
    }
  } else {
    for (int64_t i = begin; i < end; ++i) {
      const float cdf = 0.5f * (1.0f + erff(x[i] * kSqrtHalf));
      const float pdf = kInvSqrt2Pi * expf(-0.5f * x[i] * x[i]);
      gx[i] += gy[i] * (cdf + x[i] * pdf);
    }
  }
}

const tg_op_def tg_op_gelu = {.name = "gelu",
                              .arity = 1,
                              .shape = gelu_shape,
                              .forward_range = gelu_forward,
                              .backward_range = gelu_backward,
                              .params_size = sizeof(gelu_params),
                              .describe = gelu_describe,
                              .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_gelu(tg_tape* t, tg_tensor* x, tg_gelu_approximate approximate) {
  gelu_params p = {.approximate = (int)approximate};
  return tg_tape_apply(t, &tg_op_gelu, &x, 1, &p);
}
