/* tools/symmetry.c — grouping the hidden units of a layer.
 *
 * Unit j of a Dense layer is column j of its kernel [in, units], entry j of its bias,
 * and the same entries of their gradients. Units with equal weights compute the same
 * function, and when their gradients are equal too an optimizer moves them the same
 * way, so they stay equal forever: the layer has the capacity of one unit per group.
 * O(units^2 * in) comparisons, which is nothing next to training.
 */
#include <math.h>
#include <stddef.h>

#include "tools/analysis.h"

static bool close_enough(float a, float b, float tolerance) {
  if (tolerance == 0.0f) return a == b;
  return fabsf(a - b) <= tolerance;
}

/* Compares entry u and v of every row of a [rows, units] array. */
static bool columns_match(const float* m, int64_t rows, int64_t units, int64_t u, int64_t v,
                          float tolerance) {
  if (m == NULL) return true;
  for (int64_t r = 0; r < rows; ++r)
    if (!close_enough(m[r * units + u], m[r * units + v], tolerance)) return false;
  return true;
}

static bool units_match(const tg_tensor* kernel, const tg_tensor* bias, int64_t u, int64_t v,
                        float tolerance) {
  const int64_t rows = kernel->shape[0];
  const int64_t units = kernel->shape[1];
  if (!columns_match(kernel->data, rows, units, u, v, tolerance)) return false;
  if (!columns_match(kernel->grad, rows, units, u, v, tolerance)) return false;
  if (bias == NULL) return true;
  return columns_match(bias->data, 1, units, u, v, tolerance) &&
         columns_match(bias->grad, 1, units, u, v, tolerance);
}

int tg_group_units(const tg_tensor* kernel, const tg_tensor* bias, float tolerance, int* group) {
  if (kernel == NULL || group == NULL || kernel->rank != 2) return -1;
  if (!(tolerance >= 0.0f) || isinf(tolerance)) return -1;
  const int64_t units = kernel->shape[1];
  if (units > (int64_t)(1 << 30)) return -1;
  if (bias != NULL && (bias->rank != 1 || bias->shape[0] != units)) return -1;
  int n_groups = 0;
  for (int64_t u = 0; u < units; ++u) {
    group[u] = -1;
    /* Groups are numbered in order of their first unit, so v is the first unit of its
     * group exactly when group[v] equals the count of groups opened before it. */
    int opened = 0;
    for (int64_t v = 0; v < u && group[u] < 0; ++v) {
      if (group[v] != opened) continue;
      ++opened;
      if (units_match(kernel, bias, u, v, tolerance)) group[u] = group[v];
    }
    if (group[u] < 0) group[u] = n_groups++;
  }
  return n_groups;
}
