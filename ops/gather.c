/* ops/gather.c — y[i..., :] = table[indices[i...], :] (rows along axis 0);
 * dtable[indices[i...], :] += dy[i..., :] (repeated indices accumulate).
 * Indices are checked in the forward: recording and every replay. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/ops.h"

static tg_status gather_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                              size_t cap) {
  const tg_tensor* table = n->in[0];
  const tg_tensor* idx = n->in[1];
  char st[TG_SHAPE_STR_CAP], si[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(table, st, sizeof st);
  tg_tensor_shape_str(idx, si, sizeof si);
  if (table->rank == 0) {
    snprintf(msg, cap, "table %s has no rows (rank >= 1 needed)", st);
    return TG_ERR_RANK;
  }
  const int r = idx->rank + table->rank - 1;
  if (r > TG_MAX_RANK) {
    snprintf(msg, cap, "table %s and indices %s: the output would have rank %d (at most %d)", st,
             si, r, TG_MAX_RANK);
    return TG_ERR_RANK;
  }
  for (int d = 0; d < idx->rank; ++d) shape[d] = idx->shape[d];
  for (int d = 1; d < table->rank; ++d) shape[idx->rank + d - 1] = table->shape[d];
  *rank = r;
  return TG_OK;
}

static void gather_forward(tg_node* n) {
  const tg_tensor* table = n->in[0];
  const tg_tensor* idx = n->in[1];
  const int64_t rows = table->shape[0];
  const int64_t w = rows > 0 ? table->size / rows : 0; /* floats per row */
  for (int64_t i = 0; i < idx->size; ++i) {
    const int32_t r = idx->idata[i];
    if (r < 0 || r >= rows) {
      tg_tape_fail(n->tape, TG_ERR_ARG,
                   "gather: index %d out of range for %lld rows (at position %lld)", r,
                   (long long)rows, (long long)i);
      return;
    }
    if (w > 0) memcpy(n->out->data + i * w, table->data + r * w, (size_t)w * sizeof(float));
  }
}

static void gather_backward(tg_node* n) {
  const tg_tensor* table = n->in[0];
  if (table->grad == NULL) return;
  const tg_tensor* idx = n->in[1];
  const int64_t rows = table->shape[0];
  const int64_t w = rows > 0 ? table->size / rows : 0;
  for (int64_t i = 0; i < idx->size; ++i) {
    const int32_t r = idx->idata[i];
    /* The forward checked every index; one changed since then must not write outside. */
    if (r < 0 || r >= rows) continue;
    float* g = table->grad + r * w;
    const float* gy = n->out->grad + i * w;
    for (int64_t j = 0; j < w; ++j) g[j] += gy[j];
  }
}

const tg_op_def tg_op_gather = {.name = "gather",
                                .arity = 2,
                                .shape = gather_shape,
                                .forward = gather_forward,
                                .backward = gather_backward,
                                .backward_reads = TG_READS_INPUT(1),
                                .index_inputs = 1u << 1};

tg_tensor* tg_gather(tg_tape* t, tg_tensor* table, tg_tensor* indices) {
  tg_tensor* in[2] = {table, indices};
  return tg_tape_apply(t, &tg_op_gather, in, 2, NULL);
}
