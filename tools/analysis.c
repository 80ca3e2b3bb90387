/* tools/analysis.c — leaves, layers and their findings, read from a recorded tape. */
#include "tools/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"

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
      l->value = tg_stats_of(t->data, t->size);
      if (t->grad != NULL) {
        l->grad = tg_stats_of(t->grad, t->size);
        l->grad_all_zero = t->size > 0 && l->grad.zeros == t->size;
      }
    }
  }
  return true;
}

/* Dense applies its activation as the one-input op after matmul and add. */
static bool is_activation(const tg_op_def* op) { return op->arity == 1; }

static int param_leaf(const tg_analysis* a, const tg_tensor* t, int rank) {
  int i = tg_analysis_leaf_of(a, t);
  return i >= 0 && a->leaves[i].is_param && t->rank == rank ? i : -1;
}

/* Finds kernel, bias and activation of each scope in recording order. */
static bool collect_layers(tg_analysis* a, const tg_tape* tape) {
  const int n_nodes = tg_tape_node_count(tape);
  a->layers = (tg_analysis_layer*)calloc(n_nodes > 0 ? (size_t)n_nodes : 1, sizeof *a->layers);
  if (a->layers == NULL) return false;
  for (int i = 0; i < n_nodes; ++i) {
    const tg_node* n = tg_tape_node(tape, i);
    if (n->scope == NULL || n->scope[0] == '\0') continue;
    tg_analysis_layer* l = (tg_analysis_layer*)tg_analysis_find_layer(a, n->scope);
    if (l == NULL && n->op == &tg_op_matmul && param_leaf(a, n->in[1], 2) >= 0) {
      l = &a->layers[a->n_layers++];
      snprintf(l->name, sizeof l->name, "%s", n->scope);
      l->kernel_leaf = param_leaf(a, n->in[1], 2);
      l->bias_leaf = -1;
      l->matmul_node = i;
      l->add_node = -1;
      l->act_node = -1;
      l->units = (int)n->in[1]->shape[1];
      l->activation = "linear";
      continue;
    }
    if (l == NULL) continue;
    if (n->op == &tg_op_add && l->bias_leaf < 0 && l->act_node < 0) {
      for (int k = 0; k < 2 && l->bias_leaf < 0; ++k) {
        int b = param_leaf(a, n->in[k], 1);
        if (b >= 0 && n->in[k]->shape[0] == l->units) {
          l->bias_leaf = b;
          l->add_node = i;
        }
      }
    } else if (is_activation(n->op) && l->act_node < 0) {
      l->act_node = i;
      l->activation = n->op->name;
    }
  }
  for (int i = 0; i < a->n_layers; ++i) a->layers[i].hidden = i + 1 < a->n_layers;
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

static bool analyse_layers(tg_analysis* a, const tg_tape* tape) {
  for (int i = 0; i < a->n_layers; ++i) {
    tg_analysis_layer* l = &a->layers[i];
    const size_t units = l->units > 0 ? (size_t)l->units : 1;
    l->group = (int*)calloc(units, sizeof(int));
    l->group_tol = (int*)calloc(units, sizeof(int));
    if (l->group == NULL || l->group_tol == NULL) return false;
    const tg_tensor* kernel = a->leaves[l->kernel_leaf].tensor;
    const tg_tensor* bias = l->bias_leaf >= 0 ? a->leaves[l->bias_leaf].tensor : NULL;
    l->groups = tg_group_units(kernel, bias, 0.0f, l->group);
    l->groups_tol = tg_group_units(kernel, bias, a->tolerance, l->group_tol);
    l->symmetric = l->hidden && l->groups < l->units;
    l->symmetric_tol = l->hidden && l->groups_tol < l->units;
    l->dead_units = -1;
    if (l->act_node >= 0 && tg_tape_node(tape, l->act_node)->op == &tg_op_relu) {
      l->dead = (bool*)calloc(units, sizeof(bool));
      if (l->dead == NULL) return false;
      find_dead_units(l, tg_tape_node(tape, l->act_node));
    }
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
