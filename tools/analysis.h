/** @file tools/analysis.h — what a recorded tape says about learning: per-parameter value
 * and gradient statistics, and per-layer symmetry, zero-gradient and dead-ReLU
 * findings. The DOT exporter draws it; the text and JSON reports print it.
 *
 * A layer is a tape scope (tg_tape_set_scope) holding parameters or a ReLU. What its
 * parameters are comes from what was declared, never from the ops recorded: the
 * tape's annotation (frontends/params.h: a model's parameter table, or a user's
 * parameter set attached with tg_param_set_attach) says which axis of each parameter
 * indexes the layer's units (1 for a Dense kernel [in, units], 0 for its bias, the
 * output channels of a convolution), and the model, when a model recorded the tape,
 * gives the layer's type and configuration ("Dense", "16 relu"). A parameter belongs
 * to the scope of the first node that reads it. Unit j of a layer is slice j along
 * the unit axis of every parameter that has one, with the matching gradient slices;
 * units are grouped when all of those are equal (exactly, and within `tolerance`).
 * Parameters without declarations take part in no grouping.
 * A ReLU in the scope (a Dense layer's activation, or an Activation layer of its own)
 * has its dead units counted over its output's last axis: a unit is dead when it is
 * 0 on every sample of the batch. The first one-input op in the scope names the
 * layer's activation ("linear" without one).
 * Every layer with units but the last one on the tape is "hidden" (so is a layer
 * without parameters that comes before it): a hidden layer with fewer distinct groups
 * than units is symmetric (its units compute the same function and get the same
 * gradient, so they stay identical forever).
 *
 * Ownership: tg_analysis_new returns a caller-owned object (free with
 * tg_analysis_free) that points into the tape's tensors: keep the tape and the
 * parameters alive while reading it. Thread-safety: reads the tape only; analyses
 * of different tapes may run in parallel.
 *
 *     tg_tape_backward(tape, loss);
 *     tg_error err = {0};
 *     tg_analysis* a = tg_analysis_new(tape, 1e-6f, &err);
 *     if (a == NULL) { fprintf(stderr, "%s\n", err.message); return 1; }
 *     for (int i = 0; i < a->n_layers; ++i)
 *       printf("%s: %d units -> %d distinct\n", a->layers[i].name, a->layers[i].units,
 *              a->layers[i].groups);
 *     tg_analysis_free(a);
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

/** Statistics of one float array. min/max/mean/l2 cover the finite entries only
 * (all 0 when there is none: check count - nonfinite before reading them). */
typedef struct tg_stats {
  int64_t count;     /**< entries */
  int64_t zeros;     /**< entries exactly 0 (+0 or -0) */
  int64_t nonfinite; /**< NaN or infinite entries */
  int64_t nans;      /**< NaN entries (nonfinite - nans are infinities) */
  /** of the finite entries: smallest, largest, mean, L2 norm @{ */
  double min, max, mean, l2;
  /** @} */
} tg_stats;

/** Statistics of n floats (n may be 0: all fields 0). */
tg_stats tg_stats_of(const float* v, int64_t n);

/** A leaf of the tape (a tensor no node on it produced), numbered in first-use order. */
typedef struct tg_analysis_leaf {
  const tg_tensor* tensor; /**< the leaf (the tape's or the caller's) */
  char label[TG_NAME_CAP]; /**< the tensor's name, or "input 1", "param 2", ... */
  bool is_param;           /**< role TG_ROLE_PARAM */
  int first_node;          /**< the first node that reads it */
  tg_stats value;          /**< of its data */
  tg_stats grad;           /**< all zero when the tensor has no grad */
  bool grad_all_zero;      /**< has a grad and every entry is exactly 0 */
} tg_analysis_leaf;

enum { TG_ANALYSIS_MAX_PARAMS = 8 };

/** One scope of the tape (a layer): its parameters and what its units do. */
typedef struct tg_analysis_layer {
  char name[TG_NAME_CAP];                 /**< the scope, e.g. "dense_1" */
  const char* activation;                 /**< op name ("relu", "tanh", ...) or "linear" */
  const char* type;                       /**< the layer's type ("Dense"), "" when unknown */
  char config[64];                        /**< its configuration ("16 relu"), "" when unknown */
  int n_params;                           /**< parameters first read in this scope */
  int param_leaf[TG_ANALYSIS_MAX_PARAMS]; /**< their leaves, in first-use order */
  int unit_params;                        /**< how many of them take part in the grouping */
  int kernel_leaf;                        /**< param_leaf[0], or -1 without parameters */
  int bias_leaf;                          /**< param_leaf[1], or -1 */
  /** node indices, -1 when absent @{ */
  int matmul_node, add_node, act_node;
  /** @} */
  int units;          /**< units its parameters declare (else its activation's width); 0: none */
  bool hidden;        /**< not the last layer on the tape */
  int groups;         /**< distinct units, exact comparison */
  int groups_tol;     /**< distinct units within the tolerance */
  int* group;         /**< [units]: exact group of each unit, 0.. in first-unit order */
  int* group_tol;     /**< [units]: same within the tolerance */
  int dead_units;     /**< ReLU units that are 0 on every sample; -1 without relu */
  bool* dead;         /**< [units], or NULL without relu */
  int64_t batch_rows; /**< samples the activation covered (0 without relu) */
  bool symmetric;     /**< hidden && groups < units */
  bool symmetric_tol; /**< hidden && groups_tol < units */
} tg_analysis_layer;

/** What tg_analysis_new found on a tape. */
typedef struct tg_analysis {
  float tolerance;           /**< as given to tg_analysis_new */
  const tg_tensor* loss;     /**< tg_tape_loss, NULL before any backward */
  int loss_node;             /**< -1 without loss */
  const char* loss_op;       /**< name of the op that produced the loss; "" without */
  int n_leaves;              /**< entries of leaves */
  tg_analysis_leaf* leaves;  /**< every leaf, in first-use order */
  int n_layers;              /**< entries of layers */
  tg_analysis_layer* layers; /**< every scope, in recording order */
} tg_analysis;

/** Analyses a tape (normally after tg_tape_backward). `tolerance` must be finite and
 * >= 0. The tape must keep every value and gradient of its step (tg_tape_keeps_all
 * and not tg_tape_defers; a model's training tape does after
 * tg_model_set_keep_gradients(m, true), from the next step on). Returns NULL and
 * fills err (TG_ERR_STATE) when it does not, when the tape is NULL or in an error
 * state, the tolerance is bad, or memory runs out. */
tg_analysis* tg_analysis_new(const tg_tape* tape, float tolerance, tg_error* err);
/** Releases an analysis; NULL is ignored. */
void tg_analysis_free(tg_analysis* a);

/** The leaf index of tensor t, or -1. */
int tg_analysis_leaf_of(const tg_analysis* a, const tg_tensor* t);
/** The layer whose scope is `scope`, or NULL. */
const tg_analysis_layer* tg_analysis_find_layer(const tg_analysis* a, const char* scope);

/** Groups the units (columns) of a kernel [in, units], optionally with a bias [units]
 * (may be NULL). Two units share a group when kernel column, bias entry and, where
 * the tensors have gradients, the gradient entries all differ by at most `tolerance`
 * (0: exact equality). Each unit joins the first earlier group whose first unit
 * matches, so the result is deterministic. Writes group[units]; returns the number of
 * groups, or -1 on bad arguments (NULL kernel/group, rank != 2, bias shape != [units]). */
int tg_group_units(const tg_tensor* kernel, const tg_tensor* bias, float tolerance, int* group);

/** The general form: unit u of tensor k is its slice u along axes[k] (every tensor has
 * `units` entries there). Returns the number of groups or -1 on bad arguments. */
int tg_group_units_along(const tg_tensor* const* tensors, const int* axes, int n, int64_t units,
                         float tolerance, int* group);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TOOLS_ANALYSIS_H_ */
