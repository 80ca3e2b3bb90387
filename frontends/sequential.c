/* frontends/sequential.c — the model object: creation, compile, errors, accessors.
 * The graph (inputs, layers, the Sequential chain) is in graph.c, training in
 * training.c and fit.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontends/internal/model_impl.h"

/* Shuffling and the layers' own draws (dropout) use streams of their own so that
 * adding a layer never changes the order fit visits rows in (and vice versa). */
static const uint64_t kShuffleStream = 0x53485546464C45ULL; /* "SHUFFLE" */
static const uint64_t kLayerStream = 0x4C4159455253ULL;     /* "LAYERS" */

tg_status tg_model_fail(tg_model* m, tg_status code, const char* fmt, ...) {
  if (m == NULL) return code;
  m->error.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->error.message, sizeof m->error.message, fmt, ap);
  va_end(ap);
  return code;
}

tg_model* tg_model_new_empty(const tg_model_options* options, bool functional, const char* fn,
                             tg_error* err) {
  if (options == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "%s: options is NULL", fn);
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
  m->functional = functional;
  m->threads = options->threads == 0 ? 1 : options->threads;
  m->keep_gradients = options->keep_gradients;
  m->output = -1;
  tg_param_set_init(&m->params, alloc, options->seed);
  tg_rng_seed(&m->shuffle_rng, options->seed ^ kShuffleStream);
  tg_rng_seed(&m->layer_rng, options->seed ^ kLayerStream);
  m->note.magic = TG_ANNOTATION_MAGIC;
  m->note.params = &m->params;
  m->note.model = m;
  return m;
}

tg_model* tg_sequential_new(const tg_model_options* options, tg_error* err) {
  const char* fn = "tg_sequential_new";
  tg_layer_shape s = {.rank = 1, .dim = {options ? options->input_dim : 0}};
  if (options && options->input_shape.rank > 0) {
    s = options->input_shape;
  } else if (options && options->input_dim < 1) {
    tg_error_set(err, TG_ERR_ARG, "%s: input_dim must be >= 1, got %lld", fn,
                 (long long)options->input_dim);
    return NULL;
  } else if (options) {
    /* A kernel of input_dim x 1 floats must at least be countable. */
    int64_t numel = 0;
    if (!tg_shape_numel(1, &options->input_dim, &numel) || numel > ((int64_t)1 << 40)) {
      tg_error_set(err, TG_ERR_OVERFLOW, "%s: input_dim %lld is too large for a tensor", fn,
                   (long long)options->input_dim);
      return NULL;
    }
  }
  tg_model* m = tg_model_new_empty(options, false, fn, err);
  if (m == NULL) return NULL;
  if (tg_model_add_input(m, fn, &s) < 0) {
    tg_error_set(err, m->error.code, "%s", m->error.message);
    tg_model_free(m);
    return NULL;
  }
  return m;
}

tg_model* tg_functional_new(const tg_model_options* options, tg_error* err) {
  return tg_model_new_empty(options, true, "tg_functional_new", err);
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
  tg_model_fuse_release(m);
  for (int i = 0; i < m->n_layers; ++i) a->free(a->ctx, m->layers[i]);
  a->free(a->ctx, m->layers);
  a->free(a->ctx, m->syms);
  a->free(a->ctx, m->nodes);
  a->free(a->ctx, m->rec);
  tg_param_set_release(&m->params);
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
  if (m->n_nodes == 0)
    return tg_model_fail(m, TG_ERR_STATE, "%s: the model has no layers; add one first", fn);
  if (m->output < 0)
    return tg_model_fail(m, TG_ERR_STATE, "%s: the model has no output; call tg_model_set_io first",
                         fn);
  if (loss.kind < 0 || loss.kind >= TG_LOSS_KIND_COUNT)
    return tg_model_fail(m, TG_ERR_ARG, "%s: unknown loss kind %d", fn, (int)loss.kind);
  if (loss.from_logits && loss.kind != TG_LOSS_BINARY_CROSSENTROPY &&
      loss.kind != TG_LOSS_CATEGORICAL_CROSSENTROPY &&
      loss.kind != TG_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY)
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: from_logits applies to binary_crossentropy, "
                         "categorical_crossentropy and sparse_categorical_crossentropy, not %s",
                         fn, tg_loss_kind_name(loss.kind));
  tg_status checked = tg_model_check_loss(m, fn, loss); /* fit_impl.h */
  if (checked != TG_OK) return checked;
  tg_error err = {0};
  tg_optimizer* opt = tg_optimizer_new(optimizer, m->params.trainable, m->alloc, &err);
  if (opt == NULL) return tg_model_fail(m, err.code, "%s: %s", fn, err.message);
  /* clipnorm clips each parameter: tell the optimizer where they are (the trainable
   * ones sit first in the block, in declaration order). */
  if (tg_optimizer_options_of(opt).clipnorm > 0 && m->params.n > 0) {
    int64_t* sizes = (int64_t*)m->alloc->alloc(m->alloc->ctx, (size_t)m->params.n * sizeof *sizes);
    int n = 0;
    for (int i = 0; sizes && i < m->params.n; ++i)
      if (m->params.e[i]->trainable) sizes[n++] = m->params.e[i]->size;
    const tg_status st = sizes ? tg_optimizer_set_partition(opt, sizes, n, &err) : TG_ERR_NOMEM;
    m->alloc->free(m->alloc->ctx, sizes);
    if (st != TG_OK) {
      tg_optimizer_free(opt);
      return tg_model_fail(m, st, "%s: out of memory", fn);
    }
  }
  tg_optimizer_free(m->optimizer);
  m->optimizer = opt;
  m->loss = loss;
  m->compiled = true;
  m->fx.n_metrics = 0; /* tg_model_compile_metrics sets them after */
  tg_model_invalidate_tapes(m);
  return TG_OK;
}

bool tg_model_is_functional(const tg_model* m) { return m && m->functional; }
int tg_model_input_count(const tg_model* m) { return m ? m->n_inputs : 0; }

int64_t tg_model_input_dim(const tg_model* m) {
  return m && m->n_inputs > 0 ? tg_layer_shape_numel(tg_model_input_shape(m, 0)) : 0;
}

int64_t tg_model_output_dim(const tg_model* m) {
  return m && m->output >= 0 ? tg_layer_shape_numel(tg_model_output_shape(m)) : 0;
}

int tg_model_layer_count(const tg_model* m) { return m ? m->n_layers : 0; }

tg_layer* tg_model_layer_at(tg_model* m, int index) {
  return m && index >= 0 && index < m->n_layers ? m->layers[index] : NULL;
}

const tg_model* tg_model_of_tape(const tg_tape* t) {
  const tg_annotation* a = tg_annotation_of(t);
  return a ? a->model : NULL;
}

tg_layer* tg_model_find_layer(const tg_model* m, const char* name) {
  for (int i = 0; m && name && i < m->n_layers; ++i)
    if (strcmp(m->layers[i]->name, name) == 0) return m->layers[i];
  return NULL;
}

/* The layer's parameter whose name ends in "/<suffix>", or NULL. */
static tg_tensor* param_named(const tg_model* m, const tg_layer* l, const char* suffix) {
  char name[2 * TG_NAME_CAP];
  snprintf(name, sizeof name, "%s/%s", l->name, suffix);
  const int i = tg_param_set_find(&m->params, name);
  return i >= 0 ? &m->params.e[i]->tensor : NULL;
}

tg_status tg_model_layer(const tg_model* m, int index, tg_layer_info* out) {
  if (m == NULL || out == NULL) return TG_ERR_NULL_ARG;
  if (index < 0 || index >= m->n_layers) return TG_ERR_ARG;
  tg_layer* l = m->layers[index];
  memset(out, 0, sizeof *out);
  out->name = l->name;
  out->type = l->type->name;
  out->input_dim = l->n_in > 0 ? tg_layer_shape_numel(&l->in[0]) : 0;
  out->units = l->built ? tg_layer_shape_numel(&l->out) : 0;
  out->activation = l->type->activation ? l->type->activation(l) : TG_ACT_LINEAR;
  out->kernel = param_named(m, l, "kernel");
  out->bias = param_named(m, l, "bias");
  out->layer = l;
  out->uses = l->uses;
  return TG_OK;
}

const tg_param_set* tg_model_params(const tg_model* m) { return m ? &m->params : NULL; }
int tg_model_param_count(const tg_model* m) { return m ? m->params.n : 0; }

tg_tensor* tg_model_param(tg_model* m, int index) {
  return m ? tg_param_set_tensor(&m->params, index) : NULL;
}

tg_tensor* tg_model_find_param(tg_model* m, const char* name) {
  return m ? tg_param_set_tensor(&m->params, tg_param_set_find(&m->params, name)) : NULL;
}

int64_t tg_model_param_size(const tg_model* m) { return m ? m->params.size : 0; }
int64_t tg_model_trainable_size(const tg_model* m) { return m ? m->params.trainable : 0; }
float* tg_model_param_values(tg_model* m) { return m ? m->params.values : NULL; }
float* tg_model_param_grads(tg_model* m) { return m ? m->params.grads : NULL; }
const tg_tape* tg_model_tape(const tg_model* m) { return m ? m->last_train : NULL; }
const tg_optimizer* tg_model_optimizer(const tg_model* m) { return m ? m->optimizer : NULL; }
