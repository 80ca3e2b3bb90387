/* frontends/graph.c — the model as a graph of layers: inputs, layers, applying a layer
 * to symbols (building it on first use), the Sequential chain on top, and recording
 * the graph on a tape. */
#include <stdio.h>
#include <string.h>

#include "frontends/internal/model_impl.h"

/* Grows *p (elements of `size` bytes) to hold one more than *n. */
static bool grow(tg_model* m, void** p, int n, int* cap, size_t size) {
  if (n < *cap) return true;
  const int c = *cap ? 2 * *cap : 8;
  void* q = m->alloc->alloc(m->alloc->ctx, (size_t)c * size);
  if (q == NULL) return false;
  if (n) memcpy(q, *p, (size_t)n * size);
  m->alloc->free(m->alloc->ctx, *p);
  *p = q;
  *cap = c;
  return true;
}

static int new_symbol(tg_model* m, int node, int input, const tg_layer_shape* s) {
  if (!grow(m, (void**)&m->syms, m->n_syms, &m->cap_syms, sizeof *m->syms)) return -1;
  m->syms[m->n_syms] = (tg_symbol){.node = node, .input = input, .shape = *s};
  return m->n_syms++;
}

static bool check_shape(tg_model* m, const char* fn, const tg_layer_shape* s) {
  if (s->rank < 1 || s->rank > TG_LAYER_MAX_RANK) {
    tg_model_fail(m, TG_ERR_ARG, "%s: an input has rank 1..%d per sample, got %d", fn,
                  TG_LAYER_MAX_RANK, s->rank);
    return false;
  }
  int64_t n = 1;
  for (int i = 0; i < s->rank; ++i) {
    if (s->dim[i] < 1) {
      tg_model_fail(m, TG_ERR_ARG, "%s: input dimension %d must be >= 1, got %lld", fn, i + 1,
                    (long long)s->dim[i]);
      return false;
    }
    if (s->dim[i] > ((int64_t)1 << 40) / n) {
      tg_model_fail(m, TG_ERR_OVERFLOW, "%s: an input of that shape is too large", fn);
      return false;
    }
    n *= s->dim[i];
  }
  return true;
}

int tg_model_add_input(tg_model* m, const char* fn, const tg_layer_shape* s) {
  if (!check_shape(m, fn, s)) return -1;
  if (m->n_inputs == TG_MODEL_MAX_INPUTS) {
    tg_model_fail(m, TG_ERR_ARG, "%s: a model has at most %d inputs", fn, TG_MODEL_MAX_INPUTS);
    return -1;
  }
  const int id = new_symbol(m, -1, m->n_inputs, s);
  if (id < 0) {
    tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory", fn);
    return -1;
  }
  m->inputs[m->n_inputs++] = id;
  return id;
}

tg_sym tg_model_input(tg_model* m, int rank, const int64_t* shape) {
  const char* fn = "tg_model_input";
  tg_sym bad = {-1};
  if (m == NULL) return bad;
  if (!m->functional) {
    tg_model_fail(m, TG_ERR_STATE, "%s: a Sequential model has its one input already", fn);
    return bad;
  }
  if (m->compiled) {
    tg_model_fail(m, TG_ERR_STATE, "%s: the model is already compiled", fn);
    return bad;
  }
  if (shape == NULL && rank > 0) {
    tg_model_fail(m, TG_ERR_NULL_ARG, "%s: shape is NULL", fn);
    return bad;
  }
  tg_layer_shape s = {.rank = rank};
  for (int i = 0; i < rank && i < TG_LAYER_MAX_RANK; ++i) s.dim[i] = shape[i];
  return (tg_sym){tg_model_add_input(m, fn, &s)};
}

static bool name_taken(const tg_model* m, const char* name) {
  for (int i = 0; i < m->n_layers; ++i)
    if (strcmp(m->layers[i]->name, name) == 0) return true;
  return false;
}

tg_layer* tg_model_make_layer(tg_model* m, const char* fn, const tg_layer_type* type,
                              const void* config, const char* name) {
  if (m->compiled) {
    tg_model_fail(m, TG_ERR_STATE, "%s: the model is already compiled; add layers first", fn);
    return NULL;
  }
  if (type == NULL || type->name == NULL || type->build == NULL || type->record == NULL) {
    tg_model_fail(m, TG_ERR_ARG, "%s: the layer type is NULL or lacks a name, build or record", fn);
    return NULL;
  }
  if (type->config_size > TG_LAYER_CONFIG_CAP) {
    tg_model_fail(m, TG_ERR_ARG, "%s: %s's configuration is %zu bytes, more than %d", fn,
                  type->name, type->config_size, TG_LAYER_CONFIG_CAP);
    return NULL;
  }
  if (type->min_inputs < 1 || type->max_inputs < type->min_inputs ||
      type->max_inputs > TG_LAYER_MAX_INPUTS) {
    tg_model_fail(m, TG_ERR_ARG, "%s: %s takes %d to %d inputs; must be within 1..%d", fn,
                  type->name, type->min_inputs, type->max_inputs, TG_LAYER_MAX_INPUTS);
    return NULL;
  }
  char auto_name[TG_NAME_CAP];
  if (name == NULL || name[0] == '\0') {
    const char* prefix = type->prefix && type->prefix[0] ? type->prefix : type->name;
    /* Keras numbers layers of a kind from 1; skip names a user took already. */
    int k = 1;
    for (int i = 0; i < m->n_layers; ++i) k += m->layers[i]->type == type;
    do snprintf(auto_name, sizeof auto_name, "%.30s_%d", prefix, k++);
    while (name_taken(m, auto_name));
    name = auto_name;
  } else if (strlen(name) >= TG_NAME_CAP - 16 || strchr(name, '/') != NULL) {
    tg_model_fail(m, TG_ERR_ARG, "%s: layer name '%s' is too long or holds a '/'", fn, name);
    return NULL;
  } else if (name_taken(m, name)) {
    tg_model_fail(m, TG_ERR_ARG, "%s: a layer named '%s' exists already", fn, name);
    return NULL;
  }
  tg_layer* l = (tg_layer*)m->alloc->alloc(m->alloc->ctx, sizeof *l);
  if (l == NULL || !grow(m, (void**)&m->layers, m->n_layers, &m->cap_layers, sizeof *m->layers)) {
    m->alloc->free(m->alloc->ctx, l);
    tg_model_fail(m, TG_ERR_NOMEM, "%s: out of memory", fn);
    return NULL;
  }
  memset(l, 0, sizeof *l);
  l->type = type;
  l->model = m;
  l->index = m->n_layers;
  snprintf(l->name, sizeof l->name, "%s", name);
  if (config != NULL && type->config_size > 0) memcpy(l->config, config, type->config_size);
  m->layers[m->n_layers++] = l;
  return l;
}

/* Removes the last layer again (it failed to build in a Sequential add). */
static void drop_last_layer(tg_model* m) {
  tg_layer* l = m->layers[--m->n_layers];
  m->alloc->free(m->alloc->ctx, l);
}

tg_layer* tg_model_new_layer(tg_model* m, const tg_layer_type* type, const void* config,
                             const char* name) {
  return m ? tg_model_make_layer(m, "tg_model_new_layer", type, config, name) : NULL;
}

/* Builds l for input shapes in[0..n); on failure nothing it declared stays and the
 * initializer stream is where it was. `who` prefixes messages. */
static tg_status build_layer(tg_model* m, const char* who, tg_layer* l, const tg_layer_shape* in,
                             int n) {
  const int n_params = m->params.n;
  const tg_rng rng = m->params.rng;
  tg_error err = {0};
  tg_layer_shape out;
  memset(&out, 0, sizeof out);
  l->n_params = 0;
  tg_status st = l->type->build(l, in, n, &out, &err);
  if (st == TG_OK && (out.rank < 0 || out.rank > TG_LAYER_MAX_RANK))
    st = tg_error_set(&err, TG_ERR_STATE, "build gave an output of rank %d (at most %d)", out.rank,
                      TG_LAYER_MAX_RANK);
  if (st != TG_OK) {
    tg_param_set_truncate(&m->params, n_params);
    m->params.rng = rng;
    l->n_params = 0;
    return tg_model_fail(m, st, "%s%s", who, err.message[0] ? err.message : "build failed");
  }
  l->built = true;
  l->n_in = n;
  for (int k = 0; k < n; ++k) l->in[k] = in[k];
  l->out = out;
  return TG_OK;
}

int tg_model_apply(tg_model* m, const char* who, tg_layer* l, const int* in, int n) {
  char a[64], b[64];
  if (n < l->type->min_inputs || n > l->type->max_inputs) {
    if (l->type->min_inputs == l->type->max_inputs)
      tg_model_fail(m, TG_ERR_ARG, "%s%s takes %d input%s, got %d", who, l->type->name,
                    l->type->min_inputs, l->type->min_inputs == 1 ? "" : "s", n);
    else
      tg_model_fail(m, TG_ERR_ARG, "%s%s takes %d to %d inputs, got %d", who, l->type->name,
                    l->type->min_inputs, l->type->max_inputs, n);
    return -1;
  }
  tg_layer_shape shapes[TG_LAYER_MAX_INPUTS];
  for (int k = 0; k < n; ++k) {
    if (in[k] < 0 || in[k] >= m->n_syms) {
      tg_model_fail(m, TG_ERR_ARG, "%sinput %d is not a tensor of this model", who, k + 1);
      return -1;
    }
    shapes[k] = m->syms[in[k]].shape;
  }
  if (l->built) {
    for (int k = 0; k < n; ++k)
      if (!tg_layer_shape_equal(&shapes[k], &l->in[k])) {
        tg_model_fail(m, TG_ERR_SHAPE, "%sinput %d is %s but the layer was built for %s", who,
                      k + 1, tg_layer_shape_str(&shapes[k], a, sizeof a),
                      tg_layer_shape_str(&l->in[k], b, sizeof b));
        return -1;
      }
    if (n != l->n_in) {
      tg_model_fail(m, TG_ERR_SHAPE, "%sgot %d inputs but the layer was built for %d", who, n,
                    l->n_in);
      return -1;
    }
  }
  /* Built by this call: undone again if the call fails after all (out of memory), so
   * a retry declares the same parameters from the same initializer stream. */
  const bool build_now = !l->built;
  const int n_params = m->params.n;
  const tg_rng rng = m->params.rng;
  if (build_now && build_layer(m, who, l, shapes, n) != TG_OK) return -1;
  const int out = grow(m, (void**)&m->nodes, m->n_nodes, &m->cap_nodes, sizeof *m->nodes)
                      ? new_symbol(m, m->n_nodes, -1, &l->out)
                      : -1;
  if (out < 0) {
    if (build_now) {
      tg_param_set_truncate(&m->params, n_params);
      m->params.rng = rng;
      l->n_params = 0;
      l->built = false;
    }
    tg_model_fail(m, TG_ERR_NOMEM, "%sout of memory", who);
    return -1;
  }
  tg_model_node* node = &m->nodes[m->n_nodes++];
  memset(node, 0, sizeof *node);
  node->layer = l;
  node->n_in = n;
  for (int k = 0; k < n; ++k) node->in[k] = in[k];
  node->out = out;
  node->needed = !m->functional;
  l->uses++;
  tg_model_invalidate_tapes(m);
  return out;
}

tg_sym tg_model_call(tg_model* m, tg_layer* l, const tg_sym* in, int n) {
  const char* fn = "tg_model_call";
  tg_sym bad = {-1};
  if (m == NULL) return bad;
  if (l == NULL || l->model != m)
    return tg_model_fail(m, TG_ERR_ARG, "%s: the layer is NULL or not of this model", fn), bad;
  if (!m->functional)
    return tg_model_fail(m, TG_ERR_STATE, "%s: Sequential models grow with tg_model_add", fn), bad;
  if (m->compiled)
    return tg_model_fail(m, TG_ERR_STATE, "%s: the model is already compiled", fn), bad;
  if (in == NULL || n < 1 || n > TG_LAYER_MAX_INPUTS)
    return tg_model_fail(m, TG_ERR_ARG, "%s: %s: needs 1..%d inputs, got %d", fn, l->name,
                         TG_LAYER_MAX_INPUTS, in ? n : 0),
           bad;
  int ids[TG_LAYER_MAX_INPUTS];
  for (int k = 0; k < n; ++k) {
    /* An invalid symbol means an earlier call failed: keep its message. */
    if (in[k].id < 0) return bad;
    ids[k] = in[k].id;
  }
  char who[TG_NAME_CAP + 32];
  snprintf(who, sizeof who, "%s: %s: ", fn, l->name);
  return (tg_sym){tg_model_apply(m, who, l, ids, n)};
}

tg_sym tg_model_call1(tg_model* m, tg_layer* l, tg_sym x) { return tg_model_call(m, l, &x, 1); }

/* Marks the nodes the output depends on; false when it reaches an input not listed. */
static bool mark_needed(tg_model* m, const int* inputs, int n_inputs, int* missing) {
  for (int i = 0; i < m->n_nodes; ++i) m->nodes[i].needed = false;
  bool sym_needed_any = false;
  (void)sym_needed_any;
  /* Walk nodes backwards: a node is needed when its output is the model's output or
   * an input of a needed node. Nodes come in topological order. */
  for (int i = m->n_nodes - 1; i >= 0; --i) {
    tg_model_node* nd = &m->nodes[i];
    bool needed = nd->out == m->output;
    for (int j = i + 1; j < m->n_nodes && !needed; ++j) {
      if (!m->nodes[j].needed) continue;
      for (int k = 0; k < m->nodes[j].n_in && !needed; ++k) needed = m->nodes[j].in[k] == nd->out;
    }
    nd->needed = needed;
  }
  /* Every input symbol a needed node reads must be listed. */
  for (int i = 0; i < m->n_nodes; ++i) {
    if (!m->nodes[i].needed) continue;
    for (int k = 0; k < m->nodes[i].n_in; ++k) {
      const int s = m->nodes[i].in[k];
      if (m->syms[s].node >= 0) continue;
      bool listed = false;
      for (int j = 0; j < n_inputs && !listed; ++j) listed = inputs[j] == s;
      if (!listed) {
        *missing = m->syms[s].input;
        return false;
      }
    }
  }
  return true;
}

tg_status tg_model_set_io(tg_model* m, const tg_sym* inputs, int n_inputs, tg_sym output) {
  const char* fn = "tg_model_set_io";
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (!m->functional)
    return tg_model_fail(m, TG_ERR_STATE, "%s: a Sequential model's inputs and output are set", fn);
  if (m->compiled) return tg_model_fail(m, TG_ERR_STATE, "%s: the model is already compiled", fn);
  if (inputs == NULL || n_inputs < 1 || n_inputs > TG_MODEL_MAX_INPUTS)
    return tg_model_fail(m, TG_ERR_ARG, "%s: needs 1..%d inputs, got %d", fn, TG_MODEL_MAX_INPUTS,
                         inputs ? n_inputs : 0);
  if (output.id < 0 || output.id >= m->n_syms)
    return tg_model_fail(m, TG_ERR_ARG, "%s: the output is not a tensor of this model", fn);
  int ids[TG_MODEL_MAX_INPUTS];
  for (int k = 0; k < n_inputs; ++k) {
    if (inputs[k].id < 0 || inputs[k].id >= m->n_syms || m->syms[inputs[k].id].node >= 0)
      return tg_model_fail(m, TG_ERR_ARG, "%s: inputs[%d] is not a model input", fn, k);
    for (int j = 0; j < k; ++j)
      if (ids[j] == inputs[k].id)
        return tg_model_fail(m, TG_ERR_ARG, "%s: inputs[%d] repeats inputs[%d]", fn, k, j);
    ids[k] = inputs[k].id;
  }
  if (m->syms[output.id].node < 0)
    return tg_model_fail(m, TG_ERR_ARG, "%s: the output is a model input; apply a layer first", fn);
  const int old_output = m->output;
  m->output = output.id;
  int missing = -1;
  if (!mark_needed(m, ids, n_inputs, &missing)) {
    m->output = old_output;
    return tg_model_fail(m, TG_ERR_ARG,
                         "%s: the output depends on input %d, which is not among the inputs", fn,
                         missing + 1);
  }
  /* Data arrive in the order given: renumber the inputs. */
  for (int k = 0; k < n_inputs; ++k) {
    m->inputs[k] = ids[k];
    m->syms[ids[k]].input = k;
  }
  m->n_inputs = n_inputs;
  tg_model_invalidate_tapes(m);
  return TG_OK;
}

/* ---- Sequential ---- */

tg_status tg_model_sequential_add(tg_model* m, const char* fn, const tg_layer_type* type,
                                  const void* config) {
  if (m == NULL) return TG_ERR_NULL_ARG;
  if (m->functional)
    return tg_model_fail(m, TG_ERR_STATE,
                         "%s: a functional model grows with tg_model_new_layer and tg_model_call",
                         fn);
  tg_layer* l = tg_model_make_layer(m, fn, type, config, NULL);
  if (l == NULL) return m->error.code;
  const int in = m->output >= 0 ? m->output : m->inputs[0];
  char who[64];
  snprintf(who, sizeof who, "%s: ", fn);
  const int out = tg_model_apply(m, who, l, &in, 1);
  if (out < 0) {
    drop_last_layer(m);
    return m->error.code;
  }
  m->output = out;
  return TG_OK;
}

tg_status tg_model_add(tg_model* m, const tg_layer_type* type, const void* config) {
  return tg_model_sequential_add(m, "tg_model_add", type, config);
}

/* ---- recording ---- */

tg_tensor* tg_model_record_forward(tg_model* m, tg_tape* t, tg_tensor* const* x,
                                   const tg_layer_ctx* ctx) {
  if (m->n_syms > m->cap_rec) {
    tg_tensor** r = (tg_tensor**)m->alloc->alloc(m->alloc->ctx, (size_t)m->n_syms * sizeof *r);
    if (r == NULL) {
      tg_tape_fail(t, TG_ERR_NOMEM, "model: out of memory");
      return NULL;
    }
    m->alloc->free(m->alloc->ctx, m->rec);
    m->rec = r;
    m->cap_rec = m->n_syms;
  }
  memset(m->rec, 0, (size_t)m->n_syms * sizeof *m->rec);
  for (int k = 0; k < m->n_inputs; ++k) m->rec[m->inputs[k]] = x[k];
  for (int i = 0; i < m->n_nodes && tg_tape_status(t) == TG_OK; ++i) {
    const tg_model_node* nd = &m->nodes[i];
    if (!nd->needed) continue;
    tg_tensor* in[TG_LAYER_MAX_INPUTS];
    for (int k = 0; k < nd->n_in; ++k) in[k] = m->rec[nd->in[k]];
    tg_layer* l = nd->layer;
    tg_tape_set_scope(t, l->name);
    tg_tensor* y = l->type->record(l, t, in, nd->n_in, ctx);
    tg_tape_set_scope(t, "");
    if (y == NULL) {
      tg_tape_fail(t, TG_ERR_STATE, "%s: record gave no output", l->name);
      break;
    }
    /* A layer must record what its build promised: [rows, ...out]. */
    bool same = y->rank == l->out.rank + 1 && y->shape[0] == in[0]->shape[0];
    for (int d = 0; same && d < l->out.rank; ++d) same = y->shape[d + 1] == l->out.dim[d];
    if (!same) {
      char a[TG_SHAPE_STR_CAP], b[64];
      tg_tape_fail(t, TG_ERR_SHAPE, "%s: record gave %s but build promised %s", l->name,
                   tg_tensor_shape_str(y, a, sizeof a), tg_layer_shape_str(&l->out, b, sizeof b));
      break;
    }
    m->rec[nd->out] = y;
  }
  if (tg_tape_status(t) != TG_OK) return NULL;
  return m->output >= 0 ? m->rec[m->output] : NULL;
}

const tg_layer_shape* tg_model_input_shape(const tg_model* m, int k) {
  return k >= 0 && k < m->n_inputs ? &m->syms[m->inputs[k]].shape : NULL;
}

const tg_layer_shape* tg_model_output_shape(const tg_model* m) {
  return m->output >= 0 ? &m->syms[m->output].shape : NULL;
}
