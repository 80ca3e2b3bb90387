/* tools/analysis.c — leaves, layers and their findings, read from a recorded tape. */
#include "tools/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/model.h"
#include "frontends/params.h"

tg_stats tg_stats_of(const float* v, int64_t n) {
  tg_stats s;
  memset(&s, 0, sizeof s);
  s.count = n;
  double sum = 0.0, sq = 0.0;
  bool first = true;
  for (int64_t i = 0; v != NULL && i < n; ++i) {
    const double x = v[i];
    if (v[i] == 0.0f) s.zeros++;
    if (!isfinite(x)) {
      s.nonfinite++;
      s.nans += isnan(x) ? 1 : 0;
      continue;
    }
    if (first || x < s.min) s.min = x;
    if (first || x > s.max) s.max = x;
    first = false;
    sum += x;
    sq += x * x;
  }
  const int64_t finite = n - s.nonfinite;
  if (finite > 0) s.mean = sum / (double)finite;
  s.l2 = sqrt(sq);
  return s;
}

/* True when t was produced by a node of this tape (so it is not a leaf). */
static bool produced_here(const tg_tape* tape, const tg_tensor* t) {
  const tg_node* n = tg_tape_node(tape, t->node);
  return n != NULL && n->out == t;
}

int tg_analysis_leaf_of(const tg_analysis* a, const tg_tensor* t) {
  if (a == NULL || t == NULL) return -1;
  for (int i = 0; i < a->n_leaves; ++i)
    if (a->leaves[i].tensor == t) return i;
  return -1;
}

const tg_analysis_layer* tg_analysis_find_layer(const tg_analysis* a, const char* scope) {
  if (a == NULL || scope == NULL) return NULL;
  for (int i = 0; i < a->n_layers; ++i)
    if (strcmp(a->layers[i].name, scope) == 0) return &a->layers[i];
  return NULL;
}

void tg_analysis_free(tg_analysis* a) {
  if (a == NULL) return;
  for (int i = 0; i < a->n_layers; ++i) {
    free(a->layers[i].group);
    free(a->layers[i].group_tol);
    free(a->layers[i].dead);
  }
  free(a->layers);
  free(a->leaves);
  free(a);
}

/* Every distinct leaf in first-use order; params and inputs numbered separately. */
static bool collect_leaves(tg_analysis* a, const tg_tape* tape) {
  const int n_nodes = tg_tape_node_count(tape);
  int cap = 0, n_params = 0, n_inputs = 0;
  for (int i = 0; i < n_nodes; ++i) cap += tg_tape_node(tape, i)->n_in;
  a->leaves = (tg_analysis_leaf*)calloc(cap > 0 ? (size_t)cap : 1, sizeof *a->leaves);
  if (a->leaves == NULL) return false;
  for (int i = 0; i < n_nodes; ++i) {
    const tg_node* n = tg_tape_node(tape, i);
    for (int k = 0; k < n->n_in; ++k) {
      const tg_tensor* t = n->in[k];
      if (produced_here(tape, t) || tg_analysis_leaf_of(a, t) >= 0) continue;
      tg_analysis_leaf* l = &a->leaves[a->n_leaves++];
      l->tensor = t;
      l->is_param = t->role == TG_ROLE_PARAM;
      l->first_node = i;
      if (t->name[0] != '\0')
        snprintf(l->label, sizeof l->label, "%s", t->name);
      else if (l->is_param)
        snprintf(l->label, sizeof l->label, "param %d", ++n_params);
      else
        snprintf(l->label, sizeof l->label, "input %d", ++n_inputs);
      /* Index tensors (labels, token ids) hold no float values to summarise. */
      if (t->dtype == TG_FLOAT32) l->value = tg_stats_of(t->data, t->size);
      if (t->grad != NULL) {
        l->grad = tg_stats_of(t->grad, t->size);
        l->grad_all_zero = t->size > 0 && l->grad.zeros == t->size;
      }
    }
  }
  return true;
}

/* A one-input op names a layer's activation; view ops (reshape) do not. */
static bool is_activation(const tg_op_def* op) {
  return op->arity == 1 && (op->flags & TG_OP_VIEW) == 0;
}

/* ReLU-like: zero on a whole half-line, so a unit can die. */
static bool is_relu_like(const tg_op_def* op) { return strcmp(op->name, "relu") == 0; }

static tg_analysis_layer* layer_for(tg_analysis* a, const char* scope, const tg_model* model) {
  tg_analysis_layer* l = (tg_analysis_layer*)tg_analysis_find_layer(a, scope);
  if (l != NULL) return l;
  l = &a->layers[a->n_layers++];
  snprintf(l->name, sizeof l->name, "%s", scope);
  l->type = "";
  l->kernel_leaf = l->bias_leaf = -1;
  l->matmul_node = l->add_node = l->act_node = -1;
  l->activation = "linear";
  l->dead_units = -1;
  /* What the layer is, as its model declared it. */
  const tg_layer* layer = tg_model_find_layer(model, scope);
  if (layer != NULL) {
    const tg_layer_type* type = tg_layer_type_of(layer);
    l->type = type->name;
    if (type->describe) type->describe(layer, l->config, sizeof l->config);
  }
  return l;
}

/* Per scope in recording order: the parameters first read there, its activation,
 * its last ReLU. Scopes with neither parameters nor a ReLU are dropped after. */
static bool collect_layers(tg_analysis* a, const tg_tape* tape) {
  const int n_nodes = tg_tape_node_count(tape);
  const tg_model* model = tg_model_of_tape(tape);
  a->layers = (tg_analysis_layer*)calloc(n_nodes > 0 ? (size_t)n_nodes : 1, sizeof *a->layers);
  if (a->layers == NULL) return false;
  for (int i = 0; i < n_nodes; ++i) {
    const tg_node* n = tg_tape_node(tape, i);
    if (n->scope == NULL || n->scope[0] == '\0') continue;
    tg_analysis_layer* l = layer_for(a, n->scope, model);
    for (int k = 0; k < n->n_in; ++k) {
      const int leaf = tg_analysis_leaf_of(a, n->in[k]);
      if (leaf < 0 || !a->leaves[leaf].is_param || a->leaves[leaf].first_node != i) continue;
      bool seen = false;
      for (int j = 0; j < l->n_params && !seen; ++j) seen = l->param_leaf[j] == leaf;
      if (!seen && l->n_params < TG_ANALYSIS_MAX_PARAMS) l->param_leaf[l->n_params++] = leaf;
    }
    if (is_activation(n->op) && strcmp(l->activation, "linear") == 0) l->activation = n->op->name;
    if (is_relu_like(n->op)) l->act_node = i;
  }
  /* Keep the layers worth a finding, in order. */
  int kept = 0;
  for (int i = 0; i < a->n_layers; ++i) {
    tg_analysis_layer* l = &a->layers[i];
    if (l->n_params == 0 && l->act_node < 0) continue;
    l->kernel_leaf = l->n_params > 0 ? l->param_leaf[0] : -1;
    l->bias_leaf = l->n_params > 1 ? l->param_leaf[1] : -1;
    if (kept != i) a->layers[kept] = *l;
    ++kept;
  }
  a->n_layers = kept;
  return true;
}

/* A ReLU unit is dead on the batch when its output is 0 for every sample. */
static void find_dead_units(tg_analysis_layer* l, const tg_node* act) {
  l->dead_units = 0;
  const tg_tensor* y = act->out;
  const int64_t units = l->units;
  if (y->rank < 1 || y->shape[y->rank - 1] != units || units == 0) return;
  l->batch_rows = y->size / units;
  for (int64_t u = 0; u < units; ++u) {
    bool dead = l->batch_rows > 0;
    for (int64_t r = 0; r < l->batch_rows && dead; ++r) dead = y->data[r * units + u] == 0.0f;
    l->dead[u] = dead;
    if (dead) l->dead_units++;
  }
}

/* The declared unit axes of l's parameters: fills ts/axes with the ones whose unit
 * count matches the first one's; returns that count of units (0: none). */
static int64_t unit_params(const tg_analysis* a, const tg_param_set* ps, tg_analysis_layer* l,
                           const tg_tensor** ts, int* axes) {
  int64_t units = 0;
  l->unit_params = 0;
  for (int k = 0; k < l->n_params; ++k) {
    const tg_tensor* t = a->leaves[l->param_leaf[k]].tensor;
    tg_param_info info;
    if (tg_param_set_info(ps, tg_param_set_find_tensor(ps, t), &info) != TG_OK) continue;
    if (info.unit_axis < 0 || info.unit_axis >= t->rank) continue;
    const int64_t u = t->shape[info.unit_axis];
    if (units == 0) units = u;
    if (u != units) continue;
    ts[l->unit_params] = t;
    axes[l->unit_params] = info.unit_axis;
    l->unit_params++;
  }
  return units;
}

static bool analyse_layers(tg_analysis* a, const tg_tape* tape) {
  const tg_param_set* ps = tg_param_set_of_tape(tape);
  int last_with_units = -1;
  for (int i = 0; i < a->n_layers; ++i) {
    tg_analysis_layer* l = &a->layers[i];
    const tg_tensor* ts[TG_ANALYSIS_MAX_PARAMS];
    int axes[TG_ANALYSIS_MAX_PARAMS];
    int64_t units = unit_params(a, ps, l, ts, axes);
    const tg_node* act = l->act_node >= 0 ? tg_tape_node(tape, l->act_node) : NULL;
    if (units == 0 && act != NULL && act->out->rank >= 1)
      units = act->out->shape[act->out->rank - 1];
    if (units > (int64_t)(1 << 30)) units = 0;
    l->units = (int)units;
    if (l->unit_params > 0) last_with_units = i;
    const size_t cap = units > 0 ? (size_t)units : 1;
    l->group = (int*)calloc(cap, sizeof(int));
    l->group_tol = (int*)calloc(cap, sizeof(int));
    if (l->group == NULL || l->group_tol == NULL) return false;
    if (l->unit_params > 0) {
      l->groups = tg_group_units_along(ts, axes, l->unit_params, units, 0.0f, l->group);
      l->groups_tol =
          tg_group_units_along(ts, axes, l->unit_params, units, a->tolerance, l->group_tol);
    } else { /* nothing declared to compare: every unit its own */
      for (int64_t u = 0; u < units; ++u) l->group[u] = l->group_tol[u] = (int)u;
      l->groups = l->groups_tol = (int)units;
    }
    l->dead_units = -1;
    if (act != NULL) {
      l->dead = (bool*)calloc(cap, sizeof(bool));
      if (l->dead == NULL) return false;
      find_dead_units(l, act);
    }
  }
  for (int i = 0; i < a->n_layers; ++i) {
    tg_analysis_layer* l = &a->layers[i];
    l->hidden = i < last_with_units;
    l->symmetric = l->hidden && l->unit_params > 0 && l->groups < l->units;
    l->symmetric_tol = l->hidden && l->unit_params > 0 && l->groups_tol < l->units;
  }
  return true;
}

tg_analysis* tg_analysis_new(const tg_tape* tape, float tolerance, tg_error* err) {
  if (tape == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "tg_analysis_new: tape is NULL");
    return NULL;
  }
  if (tg_tape_status(tape) != TG_OK) {
    tg_error_set(err, TG_ERR_STATE, "tg_analysis_new: the tape holds an error: %s",
                 tg_tape_message(tape));
    return NULL;
  }
  if (!(tolerance >= 0.0f) || isinf(tolerance)) {
    tg_error_set(err, TG_ERR_ARG, "tg_analysis_new: tolerance must be finite and >= 0, got %g",
                 (double)tolerance);
    return NULL;
  }
  if (!tg_tape_keeps_all(tape) || tg_tape_defers(tape)) {
    tg_error_set(err, TG_ERR_STATE,
                 "tg_analysis_new: the tape does not keep every value and gradient of its last "
                 "step (it shares their memory by liveness, as a model's training tape does "
                 "unless tg_model_set_keep_gradients is on): keep them for the step to analyse");
    return NULL;
  }
  tg_analysis* a = (tg_analysis*)calloc(1, sizeof *a);
  if (a == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "tg_analysis_new: out of memory");
    return NULL;
  }
  a->tolerance = tolerance;
  a->loss = tg_tape_loss(tape);
  a->loss_node = a->loss != NULL ? a->loss->node : -1;
  a->loss_op = a->loss != NULL ? tg_tape_node(tape, a->loss_node)->op->name : "";
  if (!collect_leaves(a, tape) || !collect_layers(a, tape) || !analyse_layers(a, tape)) {
    tg_analysis_free(a);
    tg_error_set(err, TG_ERR_NOMEM, "tg_analysis_new: out of memory");
    return NULL;
  }
  return a;
}
