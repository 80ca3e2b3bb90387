/* frontends/training.c — train_on_batch, compute_gradients, predict and evaluate.
 *
 * Each kind of call owns one tape slot. The first call with a batch size records the
 * graph (input leaves, the layers, the loss); later calls with the same size copy
 * the new rows into the input leaves and *replay* the tape: no recording, no
 * allocation. A new batch size clears the tape (its arena keeps its memory) and
 * records again.
 */
#include <math.h>
#include <string.h>

#include "core/threadpool.h"
#include "frontends/internal/model_impl.h"
#include "frontends/internal/optimizer_impl.h"
#include "ops/ops.h"

tg_status tg_model_check_batch(tg_model* m, const char* fn, const float* const* x, int n_x,
                               int64_t n, const float* y, bool needs_y, bool needs_loss) {
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (m->n_nodes == 0) return tg_model_fail(m, TG_ERR_STATE, "%s: the model has no layers", fn);
  if (m->output < 0)
    return tg_model_fail(m, TG_ERR_STATE, "%s: the model has no output; call tg_model_set_io first",
                         fn);
  if (needs_loss && !m->compiled)
    return tg_model_fail(m, TG_ERR_STATE, "%s: compile the model first (no loss or optimizer)", fn);
  if (n < 1) return tg_model_fail(m, TG_ERR_ARG, "%s: n must be >= 1, got %lld", fn, (long long)n);
  if (n_x != m->n_inputs)
    return tg_model_fail(m, TG_ERR_ARG, "%s: the model takes %d input%s but %d %s given", fn,
                         m->n_inputs, m->n_inputs == 1 ? "" : "s", n_x, n_x == 1 ? "was" : "were");
  if (x == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: x is NULL", fn);
  int64_t widest = tg_model_output_dim(m);
  for (int k = 0; k < n_x; ++k) {
    if (x[k] == NULL)
      return n_x == 1 ? tg_model_fail(m, TG_ERR_NULL_ARG, "%s: x is NULL", fn)
                      : tg_model_fail(m, TG_ERR_NULL_ARG, "%s: x[%d] is NULL", fn, k);
    const int64_t w = tg_layer_shape_numel(tg_model_input_shape(m, k));
    if (w > widest) widest = w;
  }
  if (needs_y && y == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: y is NULL", fn);
  int64_t total = 0;
  int64_t shape[2] = {n, widest};
  if (!tg_shape_numel(2, shape, &total))
    return tg_model_fail(m, TG_ERR_OVERFLOW, "%s: %lld rows is too many", fn, (long long)n);
  return TG_OK;
}

static tg_tape* slot_tape(tg_model* m, tg_tape_slot* s) {
  if (s->tape == NULL) {
    s->tape = tg_tape_new_ex(m->alloc);
    if (s->tape) tg_tape_set_threads(s->tape, m->threads);
    tg_tape_set_keep_all(s->tape, s == &m->train && m->keep_gradients);
    /* Values planned by liveness before the first forward touches memory, where
     * nothing reads the intermediates after a step: inference, and training that
     * keeps no intermediate gradient either (tools read a kept tape's values). */
    tg_tape_set_deferred(s->tape, s != &m->train || !m->keep_gradients);
    tg_tape_set_annotation(s->tape, &m->note); /* tools find the layers and parameters */
  }
  return s->tape;
}

/* [rows, ...shape] as a tensor shape. */
static int batch_shape(const tg_layer_shape* s, int64_t rows, int64_t* out) {
  out[0] = rows;
  for (int i = 0; i < s->rank; ++i) out[i + 1] = s->dim[i];
  return s->rank + 1;
}

/* Makes `s` hold the graph for n rows of x (and y) with the data already in place and
 * the forward pass done: replays when n matches, records otherwise. */
static tg_status run_slot(tg_model* m, const char* fn, tg_tape_slot* s, const float* const* x,
                          int64_t n, const float* y, const tg_layer_ctx* ctx) {
  const int64_t out = tg_model_output_dim(m);
  const bool sparse = m->compiled && m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  const bool weighted = s == &m->train && m->fx.batch_weights != NULL;
  if (s->rows == n && s->weighted != weighted) s->rows = 0;
  if (s->rows == n && s->training == ctx->training) {
    for (int k = 0; k < m->n_inputs; ++k)
      memcpy(s->x[k]->data, x[k], (size_t)s->x[k]->size * sizeof(float));
    if (y && sparse) {
      tg_status st = tg_model_labels_from_floats(m, fn, y, n, s->y->idata);
      if (st != TG_OK) return st;
    } else if (y) {
      memcpy(s->y->data, y, (size_t)(n * out) * sizeof(float));
    }
    if (weighted) memcpy(s->w->data, m->fx.batch_weights, (size_t)n * sizeof(float));
    tg_status st = tg_tape_forward(s->tape);
    if (st != TG_OK) s->rows = 0;
    return st == TG_OK ? TG_OK : tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(s->tape));
  }
  tg_tape* t = slot_tape(m, s);
  if (t == NULL) return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory for a tape", fn);
  tg_tape_clear(t);
  s->rows = 0;
  if (s == &m->train) m->fuse.mapped = false; /* new nodes: map the parameters again */
  int64_t shape[TG_MAX_RANK];
  for (int k = 0; k < m->n_inputs; ++k) {
    const int rank = batch_shape(tg_model_input_shape(m, k), n, shape);
    s->x[k] = tg_tape_leaf(t, rank, shape, x[k], false);
    if (s->x[k] == NULL) break;
    char name[16];
    if (m->n_inputs == 1)
      snprintf(name, sizeof name, "x");
    else
      snprintf(name, sizeof name, "x%d", k + 1);
    tg_tensor_set_name(s->x[k], name);
  }
  const int rank_y = batch_shape(tg_model_output_shape(m), n, shape);
  if (y && sparse) { /* one int32 label per row: the output's shape without its class axis */
    s->y = tg_tape_status(t) == TG_OK ? tg_tape_index_leaf(t, rank_y - 1, shape, NULL) : NULL;
    if (s->y) {
      tg_status st = tg_model_labels_from_floats(m, fn, y, n, s->y->idata);
      if (st != TG_OK) return st;
    }
  } else {
    s->y = y && tg_tape_status(t) == TG_OK ? tg_tape_leaf(t, rank_y, shape, y, false) : NULL;
  }
  if (s->y) tg_tensor_set_name(s->y, "y");
  tg_layer_ctx c = *ctx;
  m->terms.n = 0;
  c.losses = y ? &m->terms : NULL; /* penalties only where there is a loss */
  s->out = tg_tape_status(t) == TG_OK ? tg_model_record_forward(m, t, s->x, &c) : NULL;
  s->weighted = weighted;
  s->w = NULL;
  tg_tensor* pred = s->out;
  if (weighted && y && tg_tape_status(t) == TG_OK) { /* fit's sample weights (metrics_glue.c) */
    s->w = tg_tape_leaf(t, 1, &n, m->fx.batch_weights, false);
    pred = tg_model_weight_rows(t, s->out, s->w);
  }
  s->loss = y ? tg_loss_apply(t, m->loss, pred, s->y) : NULL;
  /* Keras' reported loss includes the regularization penalties. */
  for (int i = 0; y && i < m->terms.n; ++i) s->loss = tg_add(t, s->loss, m->terms.term[i]);
  /* Metrics, the doctor and predict read the output after each step. */
  tg_tape_keep_value(t, s->out);
  if (tg_tape_status(t) == TG_OK && tg_tape_defers(t)) tg_tape_forward(t);
  if (tg_tape_status(t) != TG_OK)
    return tg_model_fail(m, tg_tape_status(t), "%s: %s", fn, tg_tape_message(t));
  s->rows = n;
  s->training = ctx->training;
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
  zero_split z = {m->params.grads, m->params.size};
  const int workers = z.n >= (1 << 16) ? tg_tape_threads(t) : 1;
  if (workers > 1)
    tg_threadpool_run(tg_tape_pool(t), workers, zero_part, &z);
  else if (z.n > 0)
    memset(z.p, 0, (size_t)z.n * sizeof(float));
}

tg_status tg_model_step(tg_model* m, const char* fn, const float* const* x, int64_t n,
                        const float* y, bool update, float* loss) {
  return tg_model_step_mode(m, fn, x, n, y, update, true, loss);
}

static tg_status step_body(tg_model* m, const char* fn, const float* const* x, int64_t n,
                           const float* y, bool update, bool training, float* loss) {
  const tg_layer_ctx ctx = {
      .training = training, .grads = true, .rng = &m->step_rng, .row_offset = &m->row_offset};
  tg_status st = run_slot(m, fn, &m->train, x, n, y, &ctx);
  if (st != TG_OK) return st;
  tg_tape* t = m->train.tape;
  if (update && m->fx.hold_nonfinite && !isfinite(m->train.loss->data[0])) {
    if (loss) *loss = m->train.loss->data[0];
    m->last_train = t;
    return TG_OK;
  }
  zero_grads(m, t); /* backward accumulates */
  /* Nothing reads the gradients between backward and the update (fit's doctor and
   * callbacks read them after it: the update leaves them as backward made them), so
   * the update may run during backward. */
  bool updated = false;
  if (update) {
    st = tg_model_backward_update(m, fn, t, &updated);
  } else if ((st = tg_tape_backward(t, m->train.loss)) != TG_OK) {
    st = tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(t));
  }
  if (st != TG_OK) {
    m->train.rows = 0;
    return st;
  }
  if (loss) *loss = m->train.loss->data[0];
  m->last_train = t;
  if (!update || updated) return TG_OK;
  tg_error err = {0};
  /* On the tape's threads (the same bits as one thread): with two, Adam over
   * W2's 670k parameters is a seventh of the step. Only the trainable block moves. */
  st = tg_optimizer_step_pool(m->optimizer, m->params.values, m->params.grads, m->params.trainable,
                              tg_tape_pool(t), tg_tape_threads(t), &err);
  return st == TG_OK ? TG_OK : tg_model_fail(m, st, "%s: %s", fn, err.message);
}

tg_status tg_model_step_mode(tg_model* m, const char* fn, const float* const* x, int64_t n,
                             const float* y, bool update, bool training, float* loss) {
  m->last_train = NULL;
  /* A training step draws its key first; a step that fails gives it back, so that a
   * retried call draws what the first attempt would have (a failed call changes
   * nothing). */
  const tg_rng layer_rng = m->layer_rng, step_rng = m->step_rng;
  if (training) tg_model_advance_layer_stream(m);
  tg_status st = step_body(m, fn, x, n, y, update, training, loss);
  if (st != TG_OK) {
    m->layer_rng = layer_rng;
    m->step_rng = step_rng;
  }
  return st;
}

void tg_model_set_keep_gradients(tg_model* m, bool on) {
  if (m == NULL || m->keep_gradients == on) return;
  m->keep_gradients = on;
  tg_tape* t = m->train.tape;
  if (t == NULL) return;
  tg_tape_set_keep_all(t, on);
  tg_tape_set_deferred(t, !on);
  m->train.rows = 0; /* the next step records again: values and gradients as asked */
}

bool tg_model_keeps_gradients(const tg_model* m) { return m && m->keep_gradients; }

void tg_model_set_row_offset(tg_model* m, int64_t first_row) {
  if (m) m->row_offset = first_row;
}

void tg_model_advance_layer_stream(tg_model* m) {
  if (m) tg_rng_seed(&m->step_rng, tg_rng_next(&m->layer_rng));
}

tg_status tg_model_prepare_rows(tg_model* m, const char* fn, bool train, const float* const* x,
                                int64_t n, const float* y) {
  /* Preparing must not move the layers' random stream (dropout draws a key on every
   * forward), or a prepared fit would differ from one that found its tapes ready. It
   * draws from step_rng only, which every training step reseeds. */
  const tg_layer_ctx ctx = {
      .training = train, .grads = train, .rng = &m->step_rng, .row_offset = &m->row_offset};
  tg_status st = run_slot(m, fn, train ? &m->train : &m->eval, x, n, y, &ctx);
  return st;
}

tg_status tg_model_eval_rows(tg_model* m, const char* fn, const float* const* x, int64_t n,
                             const float* y, float* loss) {
  const tg_layer_ctx ctx = {
      .training = false, .grads = false, .rng = &m->step_rng, .row_offset = &m->row_offset};
  tg_status st = run_slot(m, fn, &m->eval, x, n, y, &ctx);
  if (st == TG_OK && loss) *loss = m->eval.loss->data[0];
  return st;
}

tg_status tg_model_train_on_batch_multi(tg_model* m, const float* const* x, int n_x, int64_t n,
                                        const float* y, float* loss) {
  const char* fn = "tg_model_train_on_batch";
  tg_status st = tg_model_check_batch(m, fn, x, n_x, n, y, true, true);
  return st != TG_OK ? st : tg_model_step(m, fn, x, n, y, true, loss);
}

tg_status tg_model_compute_gradients_multi(tg_model* m, const float* const* x, int n_x, int64_t n,
                                           const float* y, float* loss) {
  const char* fn = "tg_model_compute_gradients";
  tg_status st = tg_model_check_batch(m, fn, x, n_x, n, y, true, true);
  return st != TG_OK ? st : tg_model_step(m, fn, x, n, y, false, loss);
}

tg_status tg_model_compute_gradients_mode(tg_model* m, const float* const* x, int n_x, int64_t n,
                                          const float* y, bool training, float* loss) {
  const char* fn = "tg_model_compute_gradients";
  tg_status st = tg_model_check_batch(m, fn, x, n_x, n, y, true, true);
  return st != TG_OK ? st : tg_model_step_mode(m, fn, x, n, y, false, training, loss);
}

tg_status tg_model_evaluate_multi(tg_model* m, const float* const* x, int n_x, int64_t n,
                                  const float* y, float* loss) {
  const char* fn = "tg_model_evaluate";
  tg_status st = tg_model_check_batch(m, fn, x, n_x, n, y, true, true);
  return st != TG_OK ? st : tg_model_eval_rows(m, fn, x, n, y, loss);
}

tg_status tg_model_predict_multi(tg_model* m, const float* const* x, int n_x, int64_t n, float* out,
                                 int64_t out_cap) {
  const char* fn = "tg_model_predict";
  tg_status st = tg_model_check_batch(m, fn, x, n_x, n, NULL, false, false);
  if (st != TG_OK) return st;
  if (out == NULL) return tg_model_fail(m, TG_ERR_NULL_ARG, "%s: out is NULL", fn);
  const int64_t need = n * tg_model_output_dim(m);
  if (out_cap < need)
    return tg_model_fail(
        m, TG_ERR_SHAPE, "%s: out holds %lld floats but %lld rows of %lld outputs need %lld", fn,
        (long long)out_cap, (long long)n, (long long)tg_model_output_dim(m), (long long)need);
  const tg_layer_ctx ctx = {
      .training = false, .grads = false, .rng = &m->step_rng, .row_offset = &m->row_offset};
  st = run_slot(m, fn, &m->predict, x, n, NULL, &ctx);
  if (st == TG_OK) memcpy(out, m->predict.out->data, (size_t)need * sizeof(float));
  return st;
}

tg_status tg_model_train_on_batch(tg_model* m, const float* x, int64_t n, const float* y,
                                  float* loss) {
  return tg_model_train_on_batch_multi(m, &x, 1, n, y, loss);
}

tg_status tg_model_compute_gradients(tg_model* m, const float* x, int64_t n, const float* y,
                                     float* loss) {
  return tg_model_compute_gradients_multi(m, &x, 1, n, y, loss);
}

tg_status tg_model_evaluate(tg_model* m, const float* x, int64_t n, const float* y, float* loss) {
  return tg_model_evaluate_multi(m, &x, 1, n, y, loss);
}

tg_status tg_model_predict(tg_model* m, const float* x, int64_t n, float* out, int64_t out_cap) {
  return tg_model_predict_multi(m, &x, 1, n, out, out_cap);
}
