/* ops/dropout.c — inverted dropout (Keras):
 *   training:  key = one draw from the caller's rng, by every forward (recording and
 *              replay); for x's row i (global row g = row_offset + i) and element c
 *              of the row, u = hash_uniform(key, g * cols + c) in [0, 1),
 *              m = (u >= rate) / (1 - rate);  y = x * m;  dx += dy * m
 *   inference: y = x;  dx += dy
 * The mask depends on (key, g, c) alone, not on which rows this tape holds, so data
 * parallel shards of a batch draw what one process with the whole batch draws.
 * Scratch (training): the mask m, one float per element, read by backward. */
#include <stdio.h>

#include "core/rng.h"
#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

typedef struct dropout_params {
  tg_rng* rng;               /* borrowed: the caller's generator */
  const int64_t* row_offset; /* borrowed; NULL: 0 */
  float rate;
  int32_t training;
} dropout_params;

static dropout_params params_of(const tg_node* n) {
  dropout_params p;
  tg_node_params(n, &p, sizeof p);
  return p;
}

static int dropout_describe(const tg_node* n, char* buf, size_t cap) {
  const dropout_params p = params_of(n);
  return snprintf(buf, cap, "rate=%g%s", (double)p.rate, p.training ? " training" : "");
}

static tg_status dropout_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  const dropout_params p = params_of(n);
  if (!(p.rate >= 0.0f && p.rate < 1.0f)) {
    snprintf(msg, cap, "rate %g is outside [0, 1)", (double)p.rate);
    return TG_ERR_ARG;
  }
  if (p.training && p.rng == NULL) {
    snprintf(msg, cap, "training needs an rng to draw the mask (options.rng is NULL)");
    return TG_ERR_NULL_ARG;
  }
  if (p.training) n->scratch_size = n->in[0]->size;
  return tg_same_shape_rule(n, rank, shape, msg, cap);
}

/* Over output elements [begin, end) (core/op.h): the tile that starts the output
 * draws the forward's one key and computes the whole mask from it, so the generator
 * advances exactly as in one pass (two dropouts of one chain on one generator draw
 * one key after the other). */
TG_VECTOR_CLONES static void dropout_forward(tg_node* n, int64_t begin, int64_t end) {
  const dropout_params p = params_of(n);
  const float* x = n->in[0]->data;
  float* y = n->out->data;
  if (!p.training) {
    for (int64_t i = begin; i < end; ++i) y[i] = x[i];
    return;
  }
  if (begin == 0) {
    const float keep = 1.0f / (1.0f - p.rate);
    const int64_t size = n->out->size;
    const uint64_t key = tg_rng_next(p.rng);
    /* Rows along axis 0; element i of the flat tensor is (i / cols, i % cols), so its
     * counter g * cols + c is first * cols + i. */
    const int64_t rows = n->in[0]->rank > 0 ? n->in[0]->shape[0] : 1;
    const int64_t cols = rows > 0 ? size / rows : 0;
    const int64_t first = p.row_offset ? *p.row_offset : 0;
    const uint64_t base = (uint64_t)first * (uint64_t)cols;
    float* mask = n->scratch;
    for (int64_t i = 0; i < size; ++i)
      mask[i] = tg_rng_hash_uniform(key, base + (uint64_t)i) >= p.rate ? keep : 0.0f;
  }
  const float* mask = n->scratch;
  for (int64_t i = begin; i < end; ++i) y[i] = x[i] * mask[i];
}

TG_VECTOR_CLONES static void dropout_backward(tg_node* n, int64_t begin, int64_t end) {
  float* gx = n->in[0]->grad;
  if (gx == NULL) return;
  const dropout_params p = params_of(n);
  const float* gy = n->out->grad;
  if (!p.training) {
    for (int64_t i = begin; i < end; ++i) gx[i] += gy[i];
    return;
  }
  const float* mask = n->scratch;
  for (int64_t i = begin; i < end; ++i) gx[i] += gy[i] * mask[i];
}

const tg_op_def tg_op_dropout = {.name = "dropout",
                                 .backward_reads = TG_READS_NOTHING,
                                 .arity = 1,
                                 .shape = dropout_shape,
                                 .forward_range = dropout_forward,
                                 .backward_range = dropout_backward,
                                 .params_size = sizeof(dropout_params),
                                 .describe = dropout_describe};

tg_tensor* tg_dropout(tg_tape* t, tg_tensor* x, const tg_dropout_options* opt) {
  if (t != NULL && opt == NULL) {
    tg_tape_fail(t, TG_ERR_NULL_ARG, "dropout: options are NULL");
    return NULL;
  }
  dropout_params p = {.rng = opt ? opt->rng : NULL,
                      .row_offset = opt ? opt->row_offset : NULL,
                      .rate = opt ? opt->rate : 0.0f,
                      .training = opt ? opt->training : 0};
  return tg_tape_apply(t, &tg_op_dropout, &x, 1, &p);
}
