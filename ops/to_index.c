/* ops/to_index.c — y[i] = (int32) x[i] for float values that are whole numbers in
 * [0, 2^31): how float model inputs (token ids, class labels read as numbers) become
 * indices for gather and one_hot. No gradient. Checked in the forward (recording and
 * every replay): "to_index: 2.5 at position 3 is not a whole number in [0, 2147483647]". */
#include <math.h>
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/unary.h"
#include "ops/ops.h"

static void to_index_forward(tg_node* n) {
  const float* x = n->in[0]->data;
  int32_t* y = n->out->idata;
  for (int64_t i = 0; i < n->out->size; ++i) {
    const float v = x[i];
    /* 2147483520 is the largest float below 2^31. */
    if (!(v >= 0.0f && v <= 2147483520.0f) || v != floorf(v)) {
      tg_tape_fail(n->tape, TG_ERR_ARG,
                   "to_index: %g at position %lld is not a whole number in [0, 2147483647]",
                   (double)v, (long long)i);
      return;
    }
    y[i] = (int32_t)v;
  }
}

const tg_op_def tg_op_to_index = {.name = "to_index",
                                  .arity = 1,
                                  .shape = tg_same_shape_rule,
                                  .forward = to_index_forward,
                                  .flags = TG_OP_INDEX_OUTPUT};

tg_tensor* tg_to_index(tg_tape* t, tg_tensor* x) {
  return tg_tape_apply(t, &tg_op_to_index, &x, 1, NULL);
}
