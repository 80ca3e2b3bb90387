/* ops/clip.c — y = min(max(x, lo), hi);  dx += dy where lo <= x <= hi, 0 outside.
 * NaN propagates (clip(NaN) = NaN, with a zero gradient, as PyTorch's clamp). The
 * bounds may be infinite (clip(x, 0, INFINITY) clips one side) but not NaN, and
 * lo <= hi. At x == lo or x == hi the gradient is 1 (the interval is closed). */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

typedef struct clip_params {
  float lo, hi;
} clip_params;

static clip_params params_of(const tg_node* n) {
  clip_params p;
  tg_node_params(n, &p, sizeof p);
  return p;
}

static int clip_describe(const tg_node* n, char* buf, size_t cap) {
  const clip_params p = params_of(n);
  return snprintf(buf, cap, "lo=%g hi=%g", (double)p.lo, (double)p.hi);
}

static tg_status clip_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                            size_t cap) {
  const clip_params p = params_of(n);
  if (isnan(p.lo) || isnan(p.hi)) {
    snprintf(msg, cap, "%s is NaN", isnan(p.lo) ? "lo" : "hi");
    return TG_ERR_ARG;
  }
  if (p.lo > p.hi) {
    snprintf(msg, cap, "lo %g > hi %g", (double)p.lo, (double)p.hi);
    return TG_ERR_ARG;
  }
  return tg_same_shape_rule(n, rank, shape, msg, cap);
}

static void clip_forward(tg_node* n) {
  const clip_params p = params_of(n);
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  /* Comparisons, not fminf/fmaxf (which drop a NaN operand). */
  for (int64_t i = 0; i < n->out->size; ++i)
    y[i] = x[i] < p.lo ? p.lo : (x[i] > p.hi ? p.hi : x[i]);
}

static void clip_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const clip_params p = params_of(n);
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += (x[i] >= p.lo && x[i] <= p.hi) ? gy[i] : 0.0f;
}

const tg_op_def tg_op_clip = {.name = "clip",
                              .arity = 1,
                              .shape = clip_shape,
                              .forward = clip_forward,
                              .backward = clip_backward,
                              .params_size = sizeof(clip_params),
                              .describe = clip_describe,
                              .backward_reads = TG_READS_INPUT(0)};

tg_tensor* tg_clip(tg_tape* t, tg_tensor* x, float lo, float hi) {
  clip_params p = {.lo = lo, .hi = hi};
  return tg_tape_apply(t, &tg_op_clip, &x, 1, &p);
}
