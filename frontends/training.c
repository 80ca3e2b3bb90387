/* frontends/training.c — train_on_batch, compute_gradients, predict and evaluate.
 *
 * Each kind of call owns one tape slot. The first call with a batch size records the
 * graph (input leaves, the layers, the loss); later calls with the same size copy
 * the new rows into the input leaves and *replay* the tape: no recording, no
 * allocation. A new batch size clears the tape (its arena keeps its memory) and
 * records again.
 */
#include <string.h>

#include "core/threadpool.h"
#include "frontends/internal/model_impl.h"
#include "frontends/internal/optimizer_impl.h"
#include "ops/ops.h"

tg_status tg_model_check_batch(tg_model* m, const char* fn, const float* x, int64_t n,
                               const float* y, bool needs_y, bool needs_loss) {
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (m->n_layers == 0) return tg_model_fail(m, TG_ERR_STATE, "%s: the model has no layers", fn);
  if (needs_loss && !m->compiled)
    return tg_model_fail(m, TG_ERR_STATE, "%s: compile the model first (no loss or optimizer)", fn);
  if (n < 1) return tg_model_fail(m, TG_ERR_ARG, "%s: n must be >= 1, got %lld", fn, (long long)n);
  if (x == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: x is NULL", fn);
  if (needs_y && y == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: y is NULL", fn);
  int64_t total = 0;
  int64_t shape[2] = {
      n, m->input_dim > tg_model_output_dim(m) ? m->input_dim : tg_model_output_dim(m)};
  if (!tg_shape_numel(2, shape, &total))
    return tg_model_fail(m, TG_ERR_OVERFLOW, "%s: %lld rows is too many", fn, (long long)n);
  return TG_OK;
}

static tg_tape* slot_tape(tg_model* m, tg_tape_slot* s) {
  if (s->tape == NULL) {
    s->tape = tg_tape_new_ex(m->alloc);
    if (s->tape) tg_tape_set_threads(s->tape, m->threads);
    tg_ops_enable_fusion(s->tape); /* bias add + ReLU in one pass on replay */
  }
  return s->tape;
}

/* Makes `s` hold the graph for n rows of x (and y) with the data already in place and
 * the forward pass done: replays when n matches, records otherwise. */
static tg_status run_slot(tg_model* m, const char* fn, tg_tape_slot* s, const float* x, int64_t n,
                          const float* y, bool trainable) {
  const int64_t in = m->input_dim, out = tg_model_output_dim(m);
  if (s->rows == n) {
    memcpy(s->x->data, x, (size_t)(n * in) * sizeof(float));
    if (y) memcpy(s->y->data, y, (size_t)(n * out) * sizeof(float));
    tg_status st = tg_tape_forward(s->tape);
    if (st != TG_OK) s->rows = 0;
    return st == TG_OK ? TG_OK : tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(s->tape));
  }
  tg_tape* t = slot_tape(m, s);
  if (t == NULL) return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory for a tape", fn);
  tg_tape_clear(t);
  s->rows = 0;
  int64_t xs[2] = {n, in}, ys[2] = {n, out};
  s->x = tg_tape_leaf(t, 2, xs, x, false);
  s->y = y ? tg_tape_leaf(t, 2, ys, y, false) : NULL;
  if (s->x) tg_tensor_set_name(s->x, "x");
  if (s->y) tg_tensor_set_name(s->y, "y");
  s->out = tg_model_record_forward(m, t, s->x, trainable);
  s->loss = y ? tg_loss_apply(t, m->loss, s->out, s->y) : NULL;
  if (tg_tape_status(t) != TG_OK)
    return tg_model_fail(m, tg_tape_status(t), "%s: %s", fn, tg_tape_message(t));
  s->rows = n;
  return TG_OK;
}

typedef struct zero_split {
  float* p;
  int64_t n;
} zero_split;

static void zero_part(void* ctx, int worker, int workers) {
  const zero_split* z = (const zero_split*)ctx;
  int64_t i0, i1;
  tg_threadpool_split(z->n, worker, workers, &i0, &i1);
  memset(z->p + i0, 0, (size_t)(i1 - i0) * sizeof(float));
}

/* The gradient block to 0, on the tape's threads when it is large enough (W2's 2.7 MB
 * takes ~0.1 ms on one thread). */
static void zero_grads(tg_model* m, tg_tape* t) {
  zero_split z = {m->grads, m->n_params};
  const int workers = m->n_params >= (1 << 16) ? tg_tape_threads(t) : 1;
  if (workers > 1)
    tg_threadpool_run(tg_tape_pool(t), workers, zero_part, &z);
  else
    memset(m->grads, 0, (size_t)m->n_params * sizeof(float));
}

tg_status tg_model_step(tg_model* m, const char* fn, const float* x, int64_t n, const float* y,
                        bool update, float* loss) {
  m->last_train = NULL;
  tg_status st = run_slot(m, fn, &m->train, x, n, y, true);
  if (st != TG_OK) return st;
  tg_tape* t = m->train.tape;
  zero_grads(m, t); /* backward accumulates */
  st = tg_tape_backward(t, m->train.loss);
  if (st != TG_OK) {
    m->train.rows = 0;
    return tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(t));
  }
  if (loss) *loss = m->train.loss->data[0];
  m->last_train = t;
  if (!update) return TG_OK;
  tg_error err = {0};
  /* On the tape's threads (the same bits as one thread): with two, Adam over
   * W2's 670k parameters is a seventh of the step. */
  st = tg_optimizer_step_pool(m->optimizer, m->values, m->grads, m->n_params, tg_tape_pool(t),
                              tg_tape_threads(t), &err);
  return st == TG_OK ? TG_OK : tg_model_fail(m, st, "%s: %s", fn, err.message);
}

tg_status tg_model_prepare_rows(tg_model* m, const char* fn, bool train, const float* x, int64_t n,
                                const float* y) {
  return run_slot(m, fn, train ? &m->train : &m->eval, x, n, y, train);
}

tg_status tg_model_eval_rows(tg_model* m, const char* fn, const float* x, int64_t n, const float* y,
                             float* loss) {
  tg_status st = run_slot(m, fn, &m->eval, x, n, y, false);
  if (st == TG_OK && loss) *loss = m->eval.loss->data[0];
  return st;
}

tg_status tg_model_train_on_batch(tg_model* m, const float* x, int64_t n, const float* y,
                                  float* loss) {
  const char* fn = "tg_model_train_on_batch";
  tg_status st = tg_model_check_batch(m, fn, x, n, y, true, true);
  return st != TG_OK ? st : tg_model_step(m, fn, x, n, y, true, loss);
}

tg_status tg_model_compute_gradients(tg_model* m, const float* x, int64_t n, const float* y,
                                     float* loss) {
  const char* fn = "tg_model_compute_gradients";
  tg_status st = tg_model_check_batch(m, fn, x, n, y, true, true);
  return st != TG_OK ? st : tg_model_step(m, fn, x, n, y, false, loss);
}

tg_status tg_model_evaluate(tg_model* m, const float* x, int64_t n, const float* y, float* loss) {
  const char* fn = "tg_model_evaluate";
  tg_status st = tg_model_check_batch(m, fn, x, n, y, true, true);
  return st != TG_OK ? st : tg_model_eval_rows(m, fn, x, n, y, loss);
}

tg_status tg_model_predict(tg_model* m, const float* x, int64_t n, float* out, int64_t out_cap) {
  const char* fn = "tg_model_predict";
  tg_status st = tg_model_check_batch(m, fn, x, n, NULL, false, false);
  if (st != TG_OK) return st;
  if (out == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: out is NULL", fn);
  const int64_t need = n * tg_model_output_dim(m);
  if (out_cap < need)
    return tg_model_fail(
        m, TG_ERR_SHAPE, "%s: out holds %lld floats but %lld rows of %lld outputs need %lld", fn,
        (long long)out_cap, (long long)n, (long long)tg_model_output_dim(m), (long long)need);
  st = run_slot(m, fn, &m->predict, x, n, NULL, false);
  if (st == TG_OK) memcpy(out, m->predict.out->data, (size_t)need * sizeof(float));
  return st;
}
