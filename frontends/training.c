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

/* Copies `have` rows of `src` (row width w) into dst of n rows; the rest are zeros. */
static void copy_rows(float* dst, const float* src, int64_t have, int64_t n, int64_t w) {
  memcpy(dst, src, (size_t)(have * w) * sizeof(float));
  if (have < n) memset(dst + have * w, 0, (size_t)((n - have) * w) * sizeof(float));
}

/* Makes `s` hold the graph for n rows of x (and y) with the data already in place and
 * the forward pass done: replays when n matches, records otherwise. Only `have` <= n
 * rows of x and y are read, the rest of the leaves are zeros (a padded last chunk):
 * that needs a recording for n already in place (replay). */
static tg_status run_slot(tg_model* m, const char* fn, tg_tape_slot* s, const float* const* x,
                          int64_t n, int64_t have, const float* y, const tg_layer_ctx* ctx) {
  const int64_t out = tg_model_output_dim(m);
  const bool sparse = m->compiled && m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  const bool weighted = s == &m->train && m->fx.batch_weights != NULL;
  if (s->rows == n && s->weighted != weighted) s->rows = 0;
  if (s->rows == n && s->training == ctx->training) {
    for (int k = 0; k < m->n_inputs; ++k)
      copy_rows(s->x[k]->data, x[k], have, n, s->x[k]->size / n);
    if (y && sparse) {
      tg_status st = tg_model_labels_from_floats(m, fn, y, have, s->y->idata);
      if (st != TG_OK) return st;
      if (have < n) memset(s->y->idata + have, 0, (size_t)(n - have) * sizeof(int32_t));
    } else if (y) {
      copy_rows(s->y->data, y, have, n, out);
    }
    if (weighted) memcpy(s->w->data, m->fx.batch_weights, (size_t)n * sizeof(float));
    tg_status st = tg_tape_forward(s->tape);
    if (st != TG_OK) s->rows = 0;
    return st == TG_OK ? TG_OK : tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(s->tape));
  }
  if (have < n)
    return tg_model_fail(m, TG_ERR_STATE, "%s: a padded chunk needs its tape recorded", fn);
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
  s->terms = m->terms;
  if (!y) s->terms.n = 0;
  /* Metrics, the doctor and predict read the output after each step, and an
   * evaluation in chunks the penalties. */
  tg_tape_keep_value(t, s->out);
  for (int i = 0; i < s->terms.n; ++i) tg_tape_keep_value(t, s->terms.term[i]);
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
  tg_status st = run_slot(m, fn, &m->train, x, n, n, y, &ctx);
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
  if (!train) return tg_model_eval_rows(m, fn, x, n, y, NULL, NULL);
  const tg_layer_ctx ctx = {
      .training = true, .grads = true, .rng = &m->step_rng, .row_offset = &m->row_offset};
  return run_slot(m, fn, &m->train, x, n, n, y, &ctx);
}

/* A batch of n rows above the inference bound runs as *k chunks of *c rows (*c <=
 * the bound, the last chunk padded): equal chunks, so that every batch of one size
 * replays one recording; *k is 1 (and *c n) for a batch within the bound. */
static void chunks_of(const tg_model* m, int64_t n, int64_t* k, int64_t* c) {
  const int64_t bound = m->inference_rows;
  *k = bound == 0 || n <= bound ? 1 : (n + bound - 1) / bound;
  *c = (n + *k - 1) / *k;
}

/* Chunk j's rows of the model's inputs. */
static void chunk_inputs(const tg_model* m, const float* const* x, int64_t first,
                         const float** out) {
  for (int i = 0; i < m->n_inputs; ++i)
    out[i] = x[i] + first * tg_layer_shape_numel(tg_model_input_shape(m, i));
}

/* Records (or replays) the loss of n rows over the prediction leaf `pred`, the
 * penalties being leaves: the ops of the evaluation slot's own loss, in its order,
 * so the bits are those of an unchunked evaluation. pred and the penalties' values
 * are filled in before its forward. */
static tg_status eval_loss_tape(tg_model* m, const char* fn, int64_t n, const float* y) {
  tg_eval_loss* e = &m->eval_loss;
  const tg_tape_slot* s = &m->eval;
  const bool sparse = m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
  if (e->rows == n && e->n_terms == s->terms.n) {
    tg_status st = sparse ? tg_model_labels_from_floats(m, fn, y, n, e->y->idata) : TG_OK;
    if (!sparse) memcpy(e->y->data, y, (size_t)e->y->size * sizeof(float));
    return st;
  }
  if (e->tape == NULL) {
    e->tape = tg_tape_new_ex(m->alloc);
    if (e->tape == NULL) return tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory for a tape", fn);
  }
  tg_tape_set_threads(e->tape, m->threads); /* the evaluation slot's loss ran on these */
  tg_tape* t = e->tape;
  tg_tape_clear(t);
  e->rows = 0;
  int64_t shape[TG_MAX_RANK];
  const int rank = batch_shape(tg_model_output_shape(m), n, shape);
  e->pred = tg_tape_leaf(t, rank, shape, NULL, false);
  if (sparse) {
    e->y = tg_tape_status(t) == TG_OK ? tg_tape_index_leaf(t, rank - 1, shape, NULL) : NULL;
    tg_status st = e->y ? tg_model_labels_from_floats(m, fn, y, n, e->y->idata) : TG_OK;
    if (st != TG_OK) return st;
  } else {
    e->y = tg_tape_status(t) == TG_OK ? tg_tape_leaf(t, rank, shape, y, false) : NULL;
  }
  e->loss = tg_loss_apply(t, m->loss, e->pred, e->y);
  for (int i = 0; i < s->terms.n; ++i) {
    const tg_tensor* p = s->terms.term[i];
    e->term[i] =
        tg_tape_status(t) == TG_OK ? tg_tape_leaf(t, p->rank, p->shape, NULL, false) : NULL;
    e->loss = tg_add(t, e->loss, e->term[i]);
  }
  if (tg_tape_status(t) != TG_OK)
    return tg_model_fail(m, tg_tape_status(t), "%s: %s", fn, tg_tape_message(t));
  e->rows = n;
  e->n_terms = s->terms.n;
  return TG_OK;
}

tg_status tg_model_eval_rows(tg_model* m, const char* fn, const float* const* x, int64_t n,
                             const float* y, float* loss, const float** out) {
  const tg_layer_ctx ctx = {
      .training = false, .grads = false, .rng = &m->step_rng, .row_offset = &m->row_offset};
  int64_t k = 1, c = n;
  chunks_of(m, n, &k, &c);
  tg_tape_slot* s = &m->eval;
  if (k == 1) {
    tg_status st = run_slot(m, fn, s, x, n, n, y, &ctx);
    if (st == TG_OK && loss) *loss = s->loss->data[0];
    if (st == TG_OK && out) *out = s->out->data;
    return st;
  }
  /* Every label first, so that an error names its row in the batch, not in a chunk. */
  if (m->loss.kind == TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
    tg_status st = tg_model_labels_from_floats(m, fn, y, n, NULL);
    if (st != TG_OK) return st;
  }
  const int64_t w = tg_model_output_dim(m), tw = tg_model_target_width(m);
  tg_eval_loss* e = &m->eval_loss;
  for (int64_t j = 0; j < k; ++j) {
    const int64_t first = j * c, have = n - first < c ? n - first : c;
    const float* xs[TG_MODEL_MAX_INPUTS];
    chunk_inputs(m, x, first, xs);
    tg_status st = run_slot(m, fn, s, xs, c, have, y + first * tw, &ctx);
    /* The loss tape after the first chunk: the penalties are known by then. */
    if (st == TG_OK && j == 0) st = eval_loss_tape(m, fn, n, y);
    if (st != TG_OK) return st;
    memcpy(e->pred->data + first * w, s->out->data, (size_t)(have * w) * sizeof(float));
  }
  for (int i = 0; i < e->n_terms; ++i) e->term[i]->data[0] = s->terms.term[i]->data[0];
  tg_status st = tg_tape_forward(e->tape);
  if (st != TG_OK) {
    e->rows = 0;
    return tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(e->tape));
  }
  if (loss) *loss = e->loss->data[0];
  if (out) *out = e->pred->data;
  return TG_OK;
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
  return st != TG_OK ? st : tg_model_eval_rows(m, fn, x, n, y, loss, NULL);
}

/* Whether predict can replay its recording for n rows with these arguments: the
 * model and n passed every check when it was recorded (changing the model drops its
 * tapes: tg_model_invalidate_tapes), so only the pointers and out's room are left
 * (rows 0 is "no recording", hence n >= 1 first). */
static bool predict_replays(const tg_model* m, const float* const* x, int n_x, int64_t n,
                            const float* out, int64_t out_cap) {
  const tg_tape_slot* s = &m->predict;
  if (n < 1 || s->rows != n || s->training || n_x != m->n_inputs || x == NULL || out == NULL ||
      out_cap < s->out->size)
    return false;
  for (int k = 0; k < n_x; ++k)
    if (x[k] == NULL) return false;
  return true;
}

/* That replay: run_slot's, less what predict has not (targets, weights) and the
 * checks of the mode and row count (predict_replays made them). */
static tg_status replay_predict(tg_model* m, const char* fn, const float* const* x, float* out) {
  tg_tape_slot* s = &m->predict;
  for (int k = 0; k < m->n_inputs; ++k)
    memcpy(s->x[k]->data, x[k], (size_t)s->x[k]->size * sizeof(float));
  tg_status st = tg_tape_forward(s->tape);
  if (st != TG_OK) {
    s->rows = 0;
    return tg_model_fail(m, st, "%s: %s", fn, tg_tape_message(s->tape));
  }
  memcpy(out, s->out->data, (size_t)s->out->size * sizeof(float));
  return TG_OK;
}

tg_status tg_model_predict_multi(tg_model* m, const float* const* x, int n_x, int64_t n, float* out,
                                 int64_t out_cap) {
  const char* fn = "tg_model_predict";
  if (m && predict_replays(m, x, n_x, n, out, out_cap)) return replay_predict(m, fn, x, out);
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
  int64_t k = 1, c = n;
  chunks_of(m, n, &k, &c);
  const int64_t w = tg_model_output_dim(m);
  for (int64_t j = 0; j < k && st == TG_OK; ++j) {
    const int64_t first = j * c, have = n - first < c ? n - first : c;
    const float* xs[TG_MODEL_MAX_INPUTS];
    chunk_inputs(m, x, first, xs);
    st = run_slot(m, fn, &m->predict, xs, c, have, NULL, &ctx);
    if (st == TG_OK)
      memcpy(out + first * w, m->predict.out->data, (size_t)(have * w) * sizeof(float));
  }
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
