/* examples/custom_op.c — an op of your own, entirely in your program: swish_beta,
 * y = x * sigmoid(beta x) with a parameter beta, recorded, replayed and
 * differentiated like any built-in op, and its gradient checked by finite
 * differences with the public checker (//testing:gradcheck). No registration and
 * no edit of tapegrad: a tg_op_def is all the tape needs. docs/custom_ops.md walks
 * through each part.
 *
 *   bazel run //examples:custom_op             # exit 0 when the gradients agree
 *   bazel run //examples:custom_op -- --broken # a deliberately wrong backward: exit 1
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/op.h"
#include "core/tape.h"
#include "ops/ops.h"
#include "testing/gradcheck.h"

/* ---- the op ---------------------------------------------------------------------
 * y = x s,  s = sigmoid(beta x)
 * dy/dx = s + beta x s (1 - s)                                                     */

/* The parameter block: copied into each node at record time (<= 128 bytes). */
typedef struct swish_beta_params {
  float beta;
} swish_beta_params;

static float beta_of(const tg_node* n) {
  swish_beta_params p;
  tg_node_params(n, &p, sizeof p);
  return p.beta;
}

static float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x); /* no overflow for large negative x */
  return e / (1.0f + e);
}

/* Shape rule: validate the parameters and inputs, give the output shape. The
 * message goes without the op name; the tape prefixes "swish_beta: ". */
static tg_status swish_beta_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                                  size_t cap) {
  if (!isfinite(beta_of(n))) {
    snprintf(msg, cap, "beta %g is not finite", (double)beta_of(n));
    return TG_ERR_ARG;
  }
  *rank = n->in[0]->rank;
  for (int d = 0; d < TG_MAX_RANK; ++d) shape[d] = n->in[0]->shape[d];
  return TG_OK;
}

/* Forward: write every output element (replay calls it again on the same buffers). */
static void swish_beta_forward(tg_node* n) {
  const float beta = beta_of(n);
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  for (int64_t i = 0; i < n->out->size; ++i) y[i] = x[i] * sigmoid(beta * x[i]);
}

/* Backward: *add* into the input's grad (never assign: x may feed other ops too),
 * and only when it has one. */
static void swish_beta_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float beta = beta_of(n);
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) {
    const float s = sigmoid(beta * x[i]);
    gx[i] += gy[i] * (s + beta * x[i] * s * (1.0f - s));
  }
}

/* What tools (the DOT exporter) print beside the node. */
static int swish_beta_describe(const tg_node* n, char* buf, size_t cap) {
  return snprintf(buf, cap, "beta=%g", (double)beta_of(n));
}

static const tg_op_def swish_beta_op = {.name = "swish_beta",
                                        .arity = 1,
                                        .shape = swish_beta_shape,
                                        .forward = swish_beta_forward,
                                        .backward = swish_beta_backward,
                                        .params_size = sizeof(swish_beta_params),
                                        .describe = swish_beta_describe};

/* The builder users call, like tg_relu: returns NULL with the error on the tape. */
static tg_tensor* swish_beta(tg_tape* t, tg_tensor* x, float beta) {
  swish_beta_params p = {.beta = beta};
  return tg_tape_apply(t, &swish_beta_op, &x, 1, &p);
}

/* ---- a wrong twin, to show the checker failing ------------------------------------ */

static void broken_backward(tg_node* n) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const float beta = beta_of(n);
  const float* x = n->in[0]->data;
  const float* gy = n->out->grad;
  for (int64_t i = 0; i < n->out->size; ++i) gx[i] += gy[i] * sigmoid(beta * x[i]); /* no x s' */
}

static const tg_op_def broken_op = {.name = "swish_beta",
                                    .arity = 1,
                                    .shape = swish_beta_shape,
                                    .forward = swish_beta_forward,
                                    .backward = broken_backward,
                                    .params_size = sizeof(swish_beta_params),
                                    .describe = swish_beta_describe};

/* ---- checking it ------------------------------------------------------------------ */

typedef struct graph_ctx {
  const tg_op_def* op;
  float beta;
} graph_ctx;

/* swish_beta alone. */
static tg_tensor* graph_alone(tg_tape* t, tg_tensor* const* leaves, void* ctx) {
  const graph_ctx* c = ctx;
  swish_beta_params p = {.beta = c->beta};
  return tg_tape_apply(t, c->op, &leaves[0], 1, &p);
}

/* In a small layer: mean(swish_beta(x W) * x W) — x W used twice. */
static tg_tensor* graph_layer(tg_tape* t, tg_tensor* const* leaves, void* ctx) {
  const graph_ctx* c = ctx;
  swish_beta_params p = {.beta = c->beta};
  tg_tensor* h = tg_matmul(t, leaves[0], leaves[1]);
  tg_tensor* a = tg_tape_apply(t, c->op, &h, 1, &p);
  return tg_mean(t, tg_mul(t, a, h));
}

static int check(const char* what, const tg_gradcheck_leaf* leaves, int n, tg_gradcheck_graph g,
                 graph_ctx* ctx) {
  tg_gradcheck_result r;
  const tg_status s = tg_gradcheck(leaves, n, g, ctx, NULL, &r);
  if (s != TG_OK) {
    printf("%-34s could not run: %s\n", what, r.report);
    return 1;
  }
  printf("%-34s %s (%d elements, max abs error %.2g)\n", what, r.ok ? "ok" : "FAILED", r.checked,
         r.max_abs_err);
  if (!r.ok) printf("%s", r.report);
  return r.ok ? 0 : 1;
}

int main(int argc, char** argv) {
  const bool broken = argc > 1 && strcmp(argv[1], "--broken") == 0;
  graph_ctx ctx = {.op = broken ? &broken_op : &swish_beta_op, .beta = 1.5f};

  /* Record it like any op: value, the parameter text tools show, a gradient. */
  tg_tape* t = tg_tape_new();
  if (t == NULL) return 1;
  const int64_t shape[1] = {3};
  const float xv[3] = {-1.0f, 0.0f, 2.0f};
  tg_tensor* x = tg_tape_leaf(t, 1, shape, xv, true);
  tg_tensor* y = swish_beta(t, x, 1.5f);
  if (tg_tape_backward(t, tg_sum(t, y)) != TG_OK) {
    fprintf(stderr, "custom_op: %s\n", tg_tape_message(t));
    tg_tape_free(t);
    return 1;
  }
  char params[32];
  const tg_node* node = tg_tape_node(t, y->node);
  node->op->describe(node, params, sizeof params);
  printf("swish_beta(%s) of [-1, 0, 2] = [%.6f, %.6f, %.6f], dy/dx = [%.6f, %.6f, %.6f]\n", params,
         y->data[0], y->data[1], y->data[2], x->grad[0], x->grad[1], x->grad[2]);
  /* Bad parameters are errors with the op's name, like built-in ops. */
  tg_tape_clear(t);
  x = tg_tape_leaf(t, 1, shape, xv, true);
  if (swish_beta(t, x, INFINITY) == NULL) printf("swish_beta(beta=inf): %s\n", tg_tape_message(t));
  tg_tape_free(t);

  /* Finite differences (central, eps 1e-2, random fixed output weights) by replay. */
  tg_gradcheck_leaf alone = {.rank = 2, .shape = {4, 5}, .requires_grad = true, .max_abs = 3.0f};
  tg_gradcheck_leaf layer[2] = {{.rank = 2, .shape = {3, 4}, .requires_grad = true},
                                {.rank = 2, .shape = {4, 2}, .requires_grad = true}};
  int failures = 0;
  failures += check("gradient check, swish_beta alone:", &alone, 1, graph_alone, &ctx);
  failures += check("gradient check, in a layer:", layer, 2, graph_layer, &ctx);
  return failures == 0 ? 0 : 1;
}
