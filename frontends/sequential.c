/* frontends/sequential.c — the Sequential model object: creation, compile, errors,
 * accessors. Layers are added in dense.c, training in training.c and fit.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontends/internal/model_impl.h"

/* Shuffling draws from its own stream so that adding a layer never changes the
 * order fit visits rows in (and vice versa). */
static const uint64_t kShuffleStream = 0x53485546464C45ULL; /* "SHUFFLE" */

tg_status tg_model_fail(tg_model* m, tg_status code, const char* fmt, ...) {
  if (m == NULL) return code;
  m->error.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->error.message, sizeof m->error.message, fmt, ap);
  va_end(ap);
  return code;
}

tg_model* tg_sequential_new(const tg_model_options* options, tg_error* err) {
  const char* fn = "tg_sequential_new";
  if (options == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "%s: options is NULL", fn);
    return NULL;
  }
  if (options->input_dim < 1) {
    tg_error_set(err, TG_ERR_ARG, "%s: input_dim must be >= 1, got %lld", fn,
                 (long long)options->input_dim);
    return NULL;
  }
  /* A kernel of input_dim x 1 floats must at least be countable. */
  int64_t numel = 0;
  if (!tg_shape_numel(1, &options->input_dim, &numel)) {
    tg_error_set(err, TG_ERR_OVERFLOW, "%s: input_dim %lld is too large for a tensor", fn,
                 (long long)options->input_dim);
    return NULL;
  }
  if (options->threads < 0 || options->threads > TG_MAX_THREADS) {
    tg_error_set(err, TG_ERR_ARG, "%s: threads must be 0..%d (0: one), got %d", fn, TG_MAX_THREADS,
                 options->threads);
    return NULL;
  }
  const tg_allocator* alloc = tg_allocator_or_default(options->allocator);
  tg_model* m = (tg_model*)alloc->alloc(alloc->ctx, sizeof *m);
  if (m == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
    return NULL;
  }
  memset(m, 0, sizeof *m);
  m->alloc = alloc;
  m->input_dim = options->input_dim;
  m->threads = options->threads == 0 ? 1 : options->threads;
  tg_rng_seed(&m->init_rng, options->seed);
  tg_rng_seed(&m->shuffle_rng, options->seed ^ kShuffleStream);
  return m;
}

static void free_slot(tg_tape_slot* s) {
  tg_tape_free(s->tape);
  memset(s, 0, sizeof *s);
}

void tg_model_free(tg_model* m) {
  if (m == NULL) return;
  const tg_allocator* a = m->alloc;
  free_slot(&m->train);
  free_slot(&m->predict);
  free_slot(&m->eval);
  tg_optimizer_free(m->optimizer);
  for (int i = 0; i < m->n_layers; ++i) a->free(a->ctx, m->layers[i]);
  a->free(a->ctx, m->layers);
  tg_aligned_free(a, m->values);
  tg_aligned_free(a, m->grads);
  tg_aligned_free(a, m->scratch);
  a->free(a->ctx, m);
}

tg_status tg_model_status(const tg_model* m) { return m ? m->error.code : TG_ERR_NULL_ARG; }
const char* tg_model_message(const tg_model* m) { return m ? m->error.message : "model is NULL"; }

void tg_model_invalidate_tapes(tg_model* m) {
  m->train.rows = m->predict.rows = m->eval.rows = 0;
  m->last_train = NULL;
}

void* tg_model_scratch(tg_model* m, size_t bytes) {
  if (bytes <= m->scratch_bytes) return m->scratch;
  float* p = (float*)tg_aligned_alloc(m->alloc, bytes);
  if (p == NULL) return NULL;
  tg_aligned_free(m->alloc, m->scratch);
  m->scratch = p;
  m->scratch_bytes = bytes;
  return p;
}

tg_status tg_model_compile(tg_model* m, tg_loss loss, const tg_optimizer_options* optimizer) {
  const char* fn = "tg_model_compile";
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (m->n_layers == 0)
    return tg_model_fail(m, TG_ERR_STATE, "%s: the model has no layers; add one first", fn);
  if (loss.kind < 0 || loss.kind >= TG_LOSS_KIND_COUNT)
    return tg_model_fail(m, TG_ERR_ARG, "%s: unknown loss kind %d", fn, (int)loss.kind);
  if (loss.from_logits && loss.kind != TG_LOSS_BINARY_CROSSENTROPY &&
      loss.kind != TG_LOSS_CATEGORICAL_CROSSENTROPY)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: from_logits applies to binary_crossentropy and "
                         "categorical_crossentropy, not %s",
                         fn, tg_loss_kind_name(loss.kind));
  tg_error err = {0};
  tg_optimizer* opt = tg_optimizer_new(optimizer, m->n_params, m->alloc, &err);
  if (opt == NULL) return tg_model_fail(m, err.code, "%s: %s", fn, err.message);
  tg_optimizer_free(m->optimizer);
  m->optimizer = opt;
  m->loss = loss;
  m->compiled = true;
  tg_model_invalidate_tapes(m);
  return TG_OK;
}

int64_t tg_model_input_dim(const tg_model* m) { return m ? m->input_dim : 0; }

int64_t tg_model_output_dim(const tg_model* m) {
  return m && m->n_layers > 0 ? m->layers[m->n_layers - 1]->units : 0;
}

int tg_model_layer_count(const tg_model* m) { return m ? m->n_layers : 0; }

tg_status tg_model_layer(const tg_model* m, int index, tg_layer_info* out) {
  if (m == NULL || out == NULL) return TG_ERR_NULL_ARG;
  if (index < 0 || index >= m->n_layers) return TG_ERR_ARG;
  tg_dense_layer* l = m->layers[index];
  out->name = l->name;
  out->type = "Dense";
  out->input_dim = l->in;
  out->units = l->units;
  out->activation = l->activation;
  out->kernel = &l->kernel;
  out->bias = l->use_bias ? &l->bias : NULL;
  return TG_OK;
}

int tg_model_param_count(const tg_model* m) {
  int count = 0;
  for (int i = 0; m && i < m->n_layers; ++i) count += m->layers[i]->use_bias ? 2 : 1;
  return count;
}

tg_tensor* tg_model_param(tg_model* m, int index) {
  for (int i = 0; m && i < m->n_layers && index >= 0; ++i) {
    tg_dense_layer* l = m->layers[i];
    if (index == 0) return &l->kernel;
    if (l->use_bias && index == 1) return &l->bias;
    index -= l->use_bias ? 2 : 1;
  }
  return NULL;
}

tg_tensor* tg_model_find_param(tg_model* m, const char* name) {
  if (name == NULL) return NULL;
  for (int i = 0; i < tg_model_param_count(m); ++i) {
    tg_tensor* p = tg_model_param(m, i);
    if (strcmp(p->name, name) == 0) return p;
  }
  return NULL;
}

int64_t tg_model_param_size(const tg_model* m) { return m ? m->n_params : 0; }
float* tg_model_param_values(tg_model* m) { return m ? m->values : NULL; }
float* tg_model_param_grads(tg_model* m) { return m ? m->grads : NULL; }
const tg_tape* tg_model_tape(const tg_model* m) { return m ? m->last_train : NULL; }
const tg_optimizer* tg_model_optimizer(const tg_model* m) { return m ? m->optimizer : NULL; }
