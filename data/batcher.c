/* data/batcher.c — epoch order, batch gathering into preallocated buffers. */
#include "data/batcher.h"

#include <string.h>

#include "data/internal/shuffle.h"

struct tg_batcher {
  const tg_dataset* ds;
  tg_batcher_options o;
  const tg_allocator* alloc;
  int64_t* perm;    /* n: the current epoch's order */
  float* x;         /* batch_size * row_size */
  int32_t* labels;  /* batch_size (int labels) */
  float* y;         /* batch_size * target_size (float targets) */
  tg_rng next_rng;  /* draws the next epoch's order */
  tg_rng epoch_rng; /* what next_rng was when the current epoch's order was drawn */
  int64_t epoch, position;
  bool started; /* the current epoch's order is in perm */
};

static void* alloc_n(const tg_allocator* a, int64_t n, size_t elem) {
  return a->alloc(a->ctx, (size_t)(n > 0 ? n : 1) * elem);
}

void tg_batcher_free(tg_batcher* b) {
  if (b == NULL) return;
  const tg_allocator* a = b->alloc;
  a->free(a->ctx, b->perm);
  a->free(a->ctx, b->x);
  a->free(a->ctx, b->labels);
  a->free(a->ctx, b->y);
  a->free(a->ctx, b);
}

tg_batcher* tg_batcher_new(const tg_dataset* ds, const tg_batcher_options* o,
                           const tg_allocator* alloc, tg_error* err) {
  static const char fn[] = "tg_batcher_new";
  if (ds == NULL || o == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, ds ? "options" : "ds");
    return NULL;
  }
  if (ds->alloc_ == NULL || ds->n < 1) {
    tg_error_set(err, TG_ERR_ARG, "%s: the data set has no rows", fn);
    return NULL;
  }
  if (o->batch_size < 1) {
    tg_error_set(err, TG_ERR_ARG, "%s: batch_size %lld must be >= 1", fn, (long long)o->batch_size);
    return NULL;
  }
  const tg_allocator* a = tg_allocator_or_default(alloc);
  tg_batcher* b = (tg_batcher*)a->alloc(a->ctx, sizeof *b);
  if (b == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
    return NULL;
  }
  memset(b, 0, sizeof *b);
  b->ds = ds;
  b->o = *o;
  if (b->o.batch_size > ds->n) b->o.batch_size = ds->n;
  b->alloc = a;
  const int64_t bs = b->o.batch_size;
  b->perm = (int64_t*)alloc_n(a, ds->n, sizeof(int64_t));
  b->x = (float*)alloc_n(a, bs * ds->row_size, sizeof(float));
  bool ok = b->perm && b->x;
  if (ds->label_kind == TG_LABELS_INT) ok = ok && (b->labels = (int32_t*)alloc_n(a, bs, 4));
  if (ds->label_kind == TG_LABELS_FLOAT)
    ok = ok && (b->y = (float*)alloc_n(a, bs * ds->target_size, sizeof(float)));
  if (!ok) {
    tg_batcher_free(b);
    tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory for batches of %lld rows", fn,
                 (long long)bs);
    return NULL;
  }
  tg_rng_seed(&b->next_rng, o->seed);
  return b;
}

/* Rows an epoch serves. */
static int64_t epoch_rows(const tg_batcher* b) {
  const int64_t n = b->ds->n;
  return b->o.drop_remainder ? n - n % b->o.batch_size : n;
}

int64_t tg_batcher_steps_per_epoch(const tg_batcher* b) {
  if (b == NULL) return 0;
  return (epoch_rows(b) + b->o.batch_size - 1) / b->o.batch_size;
}

static void begin_epoch(tg_batcher* b) {
  b->epoch_rng = b->next_rng;
  if (b->o.shuffle) {
    tg_shuffle_rows(b->perm, b->ds->n, &b->next_rng);
  } else {
    for (int64_t i = 0; i < b->ds->n; ++i) b->perm[i] = i;
  }
  b->started = true;
}

bool tg_batcher_next(tg_batcher* b, tg_batch* out) {
  if (b == NULL || out == NULL) return false;
  const tg_dataset* ds = b->ds;
  if (!b->started) begin_epoch(b);
  const int64_t end = epoch_rows(b);
  if (b->position >= end) {
    b->started = false;
    b->position = 0;
    b->epoch++;
    return false;
  }
  const int64_t rows = end - b->position < b->o.batch_size ? end - b->position : b->o.batch_size;
  const int64_t* idx = b->perm + b->position;
  const size_t row_bytes = (size_t)ds->row_size * sizeof(float);
  for (int64_t i = 0; i < rows; ++i) {
    memcpy(b->x + i * ds->row_size, ds->x + idx[i] * ds->row_size, row_bytes);
    if (b->labels) b->labels[i] = ds->labels[idx[i]];
    if (b->y)
      memcpy(b->y + i * ds->target_size, ds->y + idx[i] * ds->target_size,
             (size_t)ds->target_size * sizeof(float));
  }
  memset(out, 0, sizeof *out);
  int64_t shape[TG_MAX_RANK] = {rows, 1, 1, 1};
  for (int d = 0; d < ds->row_rank; ++d) shape[d + 1] = ds->row_shape[d];
  tg_tensor_init_view(&out->x, ds->row_rank + 1, shape, b->x, NULL, TG_ROLE_INPUT, NULL);
  if (b->labels) {
    tg_tensor_init_index_view(&out->target, 1, &rows, b->labels, NULL);
  } else if (b->y) {
    const int64_t ys[2] = {rows, ds->target_size};
    tg_tensor_init_view(&out->target, 2, ys, b->y, NULL, TG_ROLE_INPUT, NULL);
  }
  out->rows = rows;
  out->index = idx;
  out->epoch = b->epoch;
  out->step = b->position / b->o.batch_size;
  b->position += rows;
  return true;
}

tg_batcher_state tg_batcher_state_get(const tg_batcher* b) {
  tg_batcher_state s;
  memset(&s, 0, sizeof s);
  if (b == NULL) return s;
  s.rng = b->started ? b->epoch_rng : b->next_rng;
  s.epoch = b->epoch;
  s.position = b->started ? b->position : 0;
  return s;
}

tg_status tg_batcher_state_set(tg_batcher* b, const tg_batcher_state* s, tg_error* err) {
  static const char fn[] = "tg_batcher_state_set";
  if (b == NULL || s == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", fn, b ? "state" : "batcher");
  if (s->epoch < 0 || s->position < 0 || s->position > epoch_rows(b))
    return tg_error_set(err, TG_ERR_ARG,
                        "%s: epoch %lld, position %lld: outside an epoch of %lld rows", fn,
                        (long long)s->epoch, (long long)s->position, (long long)epoch_rows(b));
  b->next_rng = s->rng;
  b->epoch = s->epoch;
  b->position = 0;
  b->started = false;
  if (s->position > 0) {
    begin_epoch(b);
    b->position = s->position;
  }
  return TG_OK;
}
