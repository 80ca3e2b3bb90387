/* ops/internal/broadcast.c — rank-4 padded broadcasting walks. */
#include "ops/internal/broadcast.h"

#include <stdio.h>

tg_status tg_bcast_shape(const tg_tensor* a, const tg_tensor* b, const char* sym, int* rank,
                         int64_t shape[TG_MAX_RANK], char* msg, size_t cap) {
  int r = a->rank > b->rank ? a->rank : b->rank;
  for (int d = 0; d < r; ++d) {
    /* d counts from the right */
    int64_t da = d < a->rank ? a->shape[a->rank - 1 - d] : 1;
    int64_t db = d < b->rank ? b->shape[b->rank - 1 - d] : 1;
    if (da != db && da != 1 && db != 1) {
      char sa[TG_SHAPE_STR_CAP], sb[TG_SHAPE_STR_CAP];
      snprintf(msg, cap,
               "%s %s %s: dimensions %lld and %lld cannot be broadcast (axis %d from the right)",
               tg_tensor_shape_str(a, sa, sizeof sa), sym, tg_tensor_shape_str(b, sb, sizeof sb),
               (long long)da, (long long)db, d + 1);
      return TG_ERR_SHAPE;
    }
    shape[r - 1 - d] = da == 1 ? db : da;
  }
  *rank = r;
  return TG_OK;
}

/* Output dims padded on the left to rank 4, and x's element strides in that index
 * space (0 where x is broadcast). */
static void padded_dims(const tg_tensor* y, int64_t od[4]) {
  int pad = 4 - y->rank;
  for (int d = 0; d < 4; ++d) od[d] = d < pad ? 1 : y->shape[d - pad];
}

static void padded_strides(const tg_tensor* x, const int64_t od[4], int64_t st[4]) {
  int pad = 4 - x->rank;
  int64_t stride = 1;
  for (int d = 3; d >= 0; --d) {
    int64_t xd = d < pad ? 1 : x->shape[d - pad];
    st[d] = (xd == 1 && od[d] != 1) ? 0 : stride;
    stride *= xd;
  }
}

/* x is broadcast along every dimension but a contiguous trailing block (the bias
 * case [N x K] + [K]): x, without its leading 1s, equals y's trailing dimensions,
 * so x repeats every x->size outputs. */
static int is_row_repeat(const tg_tensor* x, const tg_tensor* y) {
  int lead = 0;
  while (lead < x->rank && x->shape[lead] == 1) ++lead;
  int r = x->rank - lead;
  if (r > y->rank) return 0;
  for (int d = 0; d < r; ++d)
    if (x->shape[lead + d] != y->shape[y->rank - r + d]) return 0;
  return 1;
}

/* Rows shorter than this (floats) skip the vector loops, whose set-up costs more
 * than the row itself. */
enum { kShortRow = 8 };

static inline float combine(tg_bcast_kind kind, float a, float b) {
  switch (kind) {
    case TG_BCAST_ADD:
      return a + b;
    case TG_BCAST_SUB:
      return a - b;
    case TG_BCAST_MUL:
      return a * b;
  }
  return 0.0f;
}

/* py[j] = pa[j] (op) pb[j] for j < k, with the op chosen once outside the loop so
 * the loop vectorises (a switch per element kept it scalar). */
static void combine_run(tg_bcast_kind kind, float* restrict py, const float* restrict pa,
                        const float* restrict pb, int64_t k) {
  switch (kind) {
    case TG_BCAST_ADD:
      for (int64_t j = 0; j < k; ++j) py[j] = pa[j] + pb[j];
      return;
    case TG_BCAST_SUB:
      for (int64_t j = 0; j < k; ++j) py[j] = pa[j] - pb[j];
      return;
    case TG_BCAST_MUL:
      for (int64_t j = 0; j < k; ++j) py[j] = pa[j] * pb[j];
      return;
  }
}

void tg_bcast_forward(tg_bcast_kind kind, const tg_tensor* a, const tg_tensor* b, tg_tensor* y) {
  const float* pa = a->data;
  const float* pb = b->data;
  float* py = y->data;
  const int64_t n = y->size;
  if (n == 0) return;
  if (a->size == n && b->size == n) {
    combine_run(kind, py, pa, pb, n);
    return;
  }
  if (a->size == n && tg_same_shape(a, y) && is_row_repeat(b, y)) {
    const int64_t k = b->size;
    if (k < kShortRow && kind == TG_BCAST_ADD) {
      /* A bias of a few units (a 2-unit output layer): a call per row of two
       * floats costs more than the adds. */
      for (int64_t r = 0; r < n; r += k)
        for (int64_t j = 0; j < k; ++j) py[r + j] = pa[r + j] + pb[j];
      return;
    }
    for (int64_t r = 0; r < n; r += k) combine_run(kind, py + r, pa + r, pb, k);
    return;
  }
  int64_t od[4], sa[4], sb[4];
  padded_dims(y, od);
  padded_strides(a, od, sa);
  padded_strides(b, od, sb);
  int64_t k = 0;
  for (int64_t i0 = 0; i0 < od[0]; ++i0)
    for (int64_t i1 = 0; i1 < od[1]; ++i1)
      for (int64_t i2 = 0; i2 < od[2]; ++i2) {
        const float* ra = pa + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const float* rb = pb + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        for (int64_t i3 = 0; i3 < od[3]; ++i3)
          py[k++] = combine(kind, ra[i3 * sa[3]], rb[i3 * sb[3]]);
      }
}

void tg_bcast_accumulate(float* gx, const tg_tensor* x, const float* gy, const tg_tensor* y,
                         float sign, const tg_tensor* other) {
  const int64_t n = y->size;
  const float* po = other ? other->data : NULL;
  if (n == 0) return;
  if (x->size == n && (other == NULL || other->size == n)) {
    if (po)
      for (int64_t i = 0; i < n; ++i) gx[i] += sign * gy[i] * po[i];
    else
      for (int64_t i = 0; i < n; ++i) gx[i] += sign * gy[i];
    return;
  }
  if (other == NULL && is_row_repeat(x, y)) {
    const int64_t k = x->size;
    if (k < kShortRow) {
      /* A few columns: each column's sum in a register, the rows still added in
       * order (the same roundings as the row-by-row loop below). */
      for (int64_t j = 0; j < k; ++j) {
        float s = gx[j];
        for (int64_t r = 0; r < n; r += k) s += sign * gy[r + j];
        gx[j] = s;
      }
      return;
    }
    for (int64_t r = 0; r < n; r += k)
      for (int64_t j = 0; j < k; ++j) gx[j] += sign * gy[r + j];
    return;
  }
  int64_t od[4], sx[4], so[4] = {0, 0, 0, 0};
  padded_dims(y, od);
  padded_strides(x, od, sx);
  if (other) padded_strides(other, od, so);
  int64_t k = 0;
  for (int64_t i0 = 0; i0 < od[0]; ++i0)
    for (int64_t i1 = 0; i1 < od[1]; ++i1)
      for (int64_t i2 = 0; i2 < od[2]; ++i2) {
        float* rx = gx + i0 * sx[0] + i1 * sx[1] + i2 * sx[2];
        const float* ro = po ? po + i0 * so[0] + i1 * so[1] + i2 * so[2] : NULL;
        for (int64_t i3 = 0; i3 < od[3]; ++i3, ++k)
          rx[i3 * sx[3]] += sign * gy[k] * (ro ? ro[i3 * so[3]] : 1.0f);
      }
}
