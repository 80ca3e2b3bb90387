/* tools/analysis.h — what a recorded tape says about learning: per-parameter value
 * and gradient statistics, and per-layer symmetry, zero-gradient and dead-ReLU
 * findings. The DOT exporter draws it; the text and JSON reports print it.
 *
 * A layer is a tape scope (tg_tape_set_scope) that holds a matmul whose right operand
 * is a rank-2 parameter (the kernel, shape [in, units]); an add with a rank-1
 * parameter of shape [units] in the same scope is its bias, and the first one-input
 * op (relu, sigmoid, tanh, ...) in the scope its activation (the Dense recording
 * contract; dead units are looked for when it is a relu). Unit j
 * of a layer is kernel column j, bias entry j and the matching gradient entries;
 * units are grouped when all of those are equal (exactly, and within `tolerance`).
 * Every layer but the last is "hidden": a hidden layer with fewer distinct groups than
 * units is symmetric (its units compute the same function and get the same gradient,
 * so they stay identical forever).
 *
 * Ownership: tg_analysis_new returns a caller-owned object (free with
 * tg_analysis_free) that points into the tape's tensors: keep the tape and the
 * parameters alive while reading it. Thread-safety: reads the tape only; analyses
 * of different tapes may run in parallel.
 *
 *   tg_tape_backward(tape, loss);
 *   tg_error err = {0};
 *   tg_analysis* a = tg_analysis_new(tape, 1e-6f, &err);
 *   if (a == NULL) { fprintf(stderr, "%s\n", err.message); return 1; }
 *   for (int i = 0; i < a->n_layers; ++i)
 *     printf("%s: %d units -> %d distinct\n", a->layers[i].name, a->layers[i].units,
 *            a->layers[i].groups);
 *   tg_analysis_free(a);
 */
#ifndef TAPEGRAD_TOOLS_ANALYSIS_H_
#define TAPEGRAD_TOOLS_ANALYSIS_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Statistics of one float array. min/max/mean/l2 cover the finite entries only
 * (all 0 when there is none: check count - nonfinite before reading them). */
typedef struct tg_stats {
  int64_t count;     /* entries */
  int64_t zeros;     /* entries exactly 0 (+0 or -0) */
  int64_t nonfinite; /* NaN or infinite entries */
  int64_t nans;      /* NaN entries (nonfinite - nans are infinities) */
  double min, max, mean, l2;
} tg_stats;

/* Statistics of n floats (n may be 0: all fields 0). */
tg_stats tg_stats_of(const float* v, int64_t n);

/* A leaf of the tape (a tensor no node on it produced), numbered in first-use order. */
typedef struct tg_analysis_leaf {
  const tg_tensor* tensor;
  char label[TG_NAME_CAP]; /* the tensor's name, or "input 1", "param 2", ... */
  bool is_param;           /* role TG_ROLE_PARAM */
  int first_node;          /* the first node that reads it */
  tg_stats value;
  tg_stats grad;      /* all zero when the tensor has no grad */
  bool grad_all_zero; /* has a grad and every entry is exactly 0 */
} tg_analysis_leaf;

typedef struct tg_analysis_layer {
  char name[TG_NAME_CAP];              /* the scope, e.g. "dense_1" */
  const char* activation;              /* op name ("relu", "tanh", ...) or "linear" */
  int kernel_leaf;                     /* index into leaves */
  int bias_leaf;                       /* index into leaves, or -1 */
  int matmul_node, add_node, act_node; /* node indices, -1 when absent */
  int units;
  bool hidden;        /* not the last layer on the tape */
  int groups;         /* distinct units, exact comparison */
  int groups_tol;     /* distinct units within the tolerance */
  int* group;         /* [units]: exact group of each unit, 0.. in first-unit order */
  int* group_tol;     /* [units]: same within the tolerance */
  int dead_units;     /* ReLU units that are 0 on every sample; -1 without relu */
  bool* dead;         /* [units], or NULL without relu */
  int64_t batch_rows; /* samples the activation covered (0 without relu) */
  bool symmetric;     /* hidden && groups < units */
  bool symmetric_tol; /* hidden && groups_tol < units */
} tg_analysis_layer;

typedef struct tg_analysis {
  float tolerance;
  const tg_tensor* loss; /* tg_tape_loss, NULL before any backward */
  int loss_node;         /* -1 without loss */
  const char* loss_op;   /* name of the op that produced the loss; "" without */
  int n_leaves;
  tg_analysis_leaf* leaves;
  int n_layers;
  tg_analysis_layer* layers;
} tg_analysis;

/* Analyses a tape (normally after tg_tape_backward). `tolerance` must be finite and
 * >= 0. Returns NULL and fills err when the tape is NULL or in an error state, the
 * tolerance is bad, or memory runs out. */
tg_analysis* tg_analysis_new(const tg_tape* tape, float tolerance, tg_error* err);
void tg_analysis_free(tg_analysis* a);

/* The leaf index of tensor t, or -1. */
int tg_analysis_leaf_of(const tg_analysis* a, const tg_tensor* t);
/* The layer whose scope is `scope`, or NULL. */
const tg_analysis_layer* tg_analysis_find_layer(const tg_analysis* a, const char* scope);

/* Groups the units (columns) of a kernel [in, units], optionally with a bias [units]
 * (may be NULL). Two units share a group when kernel column, bias entry and, where
 * the tensors have gradients, the gradient entries all differ by at most `tolerance`
 * (0: exact equality). Each unit joins the first earlier group whose first unit
 * matches, so the result is deterministic. Writes group[units]; returns the number of
 * groups, or -1 on bad arguments (NULL kernel/group, rank != 2, bias shape != [units]). */
int tg_group_units(const tg_tensor* kernel, const tg_tensor* bias, float tolerance, int* group);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TOOLS_ANALYSIS_H_ */
