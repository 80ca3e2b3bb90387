/* testing/gradcheck.h — the finite-difference gradient checker, for your own ops.
 *
 * A graph is a function that records ops on a tape from a list of leaves and returns
 * the output. The checker records it once, reduces a non-scalar output with fixed
 * random weights (a plain sum would hide a transposed gradient), runs backward, then
 * for every element of every leaf that requires a gradient compares the analytic
 * gradient with the central difference (f(x + eps) - f(x - eps)) / 2eps, where f is
 * computed by *replaying* the tape (tg_tape_forward): every check also exercises the
 * op's replay. Use it from any test framework (GoogleTest, a plain main):
 *
 *   static tg_tensor* graph(tg_tape* t, tg_tensor* const* leaves, void* ctx) {
 *     return my_cube(t, leaves[0]);
 *   }
 *   tg_gradcheck_leaf leaf = {.rank = 2, .shape = {3, 4}, .requires_grad = true};
 *   tg_gradcheck_result r;
 *   if (tg_gradcheck(&leaf, 1, graph, NULL, NULL, &r) != TG_OK || !r.ok)
 *     fprintf(stderr, "%s", r.report);
 *
 * In float32, eps around 1e-2 is right (smaller is *worse*: cancellation); keep
 * inputs at least a few eps away from kinks (relu at 0, abs, clip bounds).
 * Thread-safety: no shared state; concurrent checks on different leaves are fine.
 */
#ifndef TAPEGRAD_TESTING_GRADCHECK_H_
#define TAPEGRAD_TESTING_GRADCHECK_H_

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tape.h"
#include "core/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One input of the graph: either a tensor of yours (`tensor` non-NULL: used as it
 * is; checked when it has a grad), or one the checker makes and frees: shape `rank`
 * x `shape`, values from `values` (size elements, copied) or else drawn uniformly
 * from ±[min_abs, max_abs] (only the positive half with `positive`; both 0 means
 * the default ±[0.1, 1], which keeps relu inputs off the kink). */
typedef struct tg_gradcheck_leaf {
  tg_tensor* tensor;
  int rank;
  int64_t shape[TG_MAX_RANK];
  bool requires_grad;
  float min_abs, max_abs;
  bool positive;
  const float* values;
} tg_gradcheck_leaf;

/* Records the graph on `t` from leaves[0..n_leaves-1]; returns its output (any
 * shape) or NULL with the tape's error set. Called once per check. */
typedef tg_tensor* (*tg_gradcheck_graph)(tg_tape* t, tg_tensor* const* leaves, void* ctx);

typedef struct tg_gradcheck_options {
  double eps;    /* step (default 1e-2) */
  double atol;   /* pass when |numeric - analytic| <= atol + rtol * max(|numeric|, */
  double rtol;   /*   |analytic|) (defaults 1e-3 and 5e-3) */
  uint64_t seed; /* leaf values and output weights (default 1234) */
} tg_gradcheck_options;

/* The defaults above; change fields of a copy. */
tg_gradcheck_options tg_gradcheck_defaults(void);

enum { TG_GRADCHECK_REPORT_CAP = 1024 };

typedef struct tg_gradcheck_result {
  bool ok;            /* every compared element within tolerance */
  int checked;        /* gradient elements compared */
  int failed;         /* of which out of tolerance */
  double max_abs_err; /* largest |numeric - analytic| */
  /* The first failures, one line each ("leaf 0 element 5: analytic 1.2 numeric
   * 1.5"), or why the check could not run ("tape error: ..."); "" when ok. */
  char report[TG_GRADCHECK_REPORT_CAP];
} tg_gradcheck_result;

/* Checks the graph's gradients with respect to every leaf that requires one. `opt`
 * may be NULL (defaults); `result` receives the outcome. Returns TG_OK when the
 * check ran (then result->ok says whether the gradients agree), or the error that
 * stopped it: NULL arguments, bad options or leaves (TG_ERR_ARG, message in
 * result->report), the tape's error when the graph failed to record or its output
 * does not depend on a leaf with a gradient, or TG_ERR_NOMEM. Leaves of yours keep
 * their values; their grads hold the analytic gradient afterwards. */
tg_status tg_gradcheck(const tg_gradcheck_leaf* leaves, int n_leaves, tg_gradcheck_graph graph,
                       void* ctx, const tg_gradcheck_options* opt, tg_gradcheck_result* result);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_TESTING_GRADCHECK_H_ */
