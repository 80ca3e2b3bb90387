/* tools/symmetry.c — grouping the hidden units of a layer.
 *
 * Unit j of a layer is slice j of each of its parameters along the axis that
 * parameter declared as its unit axis (column j of a Dense kernel [in, units], entry j
 * of its bias; filter j of a convolution kernel), and the same slices of the
 * gradients. Units with equal weights compute the same
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

/* Compares slice u and slice v of m along an axis with `units` entries: m viewed as
 * [outer, units, inner]. */
static bool slices_match(const float* m, int64_t outer, int64_t units, int64_t inner, int64_t u,
                         int64_t v, float tolerance) {
  if (m == NULL) return true;
  for (int64_t o = 0; o < outer; ++o) {
    const float* a = m + (o * units + u) * inner;
    const float* b = m + (o * units + v) * inner;
    for (int64_t i = 0; i < inner; ++i)
      if (!close_enough(a[i], b[i], tolerance)) return false;
  }
  return true;
}

static bool units_match(const tg_tensor* const* ts, const int* axes, int n, int64_t units,
                        int64_t u, int64_t v, float tolerance) {
  for (int k = 0; k < n; ++k) {
    const tg_tensor* t = ts[k];
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axes[k]; ++d) outer *= t->shape[d];
    for (int d = axes[k] + 1; d < t->rank; ++d) inner *= t->shape[d];
    if (!slices_match(t->data, outer, units, inner, u, v, tolerance) ||
        !slices_match(t->grad, outer, units, inner, u, v, tolerance))
      return false;
  }
  return true;
}

int tg_group_units_along(const tg_tensor* const* ts, const int* axes, int n, int64_t units,
                         float tolerance, int* group) {
  if (ts == NULL || axes == NULL || group == NULL || n < 0) return -1;
  if (!(tolerance >= 0.0f) || isinf(tolerance)) return -1;
  if (units < 0 || units > (int64_t)(1 << 30)) return -1;
  for (int k = 0; k < n; ++k)
    if (ts[k] == NULL || axes[k] < 0 || axes[k] >= ts[k]->rank || ts[k]->shape[axes[k]] != units)
      return -1;
  int n_groups = 0;
  for (int64_t u = 0; u < units; ++u) {
    group[u] = -1;
    /* Groups are numbered in order of their first unit, so v is the first unit of its
     * group exactly when group[v] equals the count of groups opened before it. */
    int opened = 0;
    for (int64_t v = 0; v < u && group[u] < 0; ++v) {
      if (group[v] != opened) continue;
      ++opened;
      if (units_match(ts, axes, n, units, u, v, tolerance)) group[u] = group[v];
    }
    if (group[u] < 0) group[u] = n_groups++;
  }
  return n_groups;
}

int tg_group_units(const tg_tensor* kernel, const tg_tensor* bias, float tolerance, int* group) {
  if (kernel == NULL || group == NULL || kernel->rank != 2) return -1;
  if (bias != NULL && (bias->rank != 1 || bias->shape[0] != kernel->shape[1])) return -1;
  const tg_tensor* ts[2] = {kernel, bias};
  const int axes[2] = {1, 0};
  return tg_group_units_along(ts, axes, bias ? 2 : 1, kernel->shape[1], tolerance, group);
}
