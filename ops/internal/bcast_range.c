/* ops/internal/bcast_range.c — add, sub and mul over a range of output elements
 * (core/op.h, forward_range), for inputs that are full or a row repeated along the
 * output. A chain of the tape's plan calls these once per tile, so the common
 * shapes -- same-shape operands, a bias row over whole rows of the tile -- take
 * straight vector loops; anything else walks the range in runs that stay within a
 * row. Every element gets the operation tg_bcast_forward and tg_bcast_accumulate
 * give it, and a row's sums add the rows in order: the same bits. */
#include <stdbool.h>

#include "core/vector_clones.h"
#include "ops/internal/broadcast.h"

/* Rows that are a multiple of this many floats (a layer of 16, 32, ... units) run
 * their per-row loops in fixed chunks, which the compiler turns into straight
 * vector code: a loop of run-time length pays a prologue, a tail and overlap
 * checks on every row, more than the work itself on a row of 16. */
enum { kChunk = 16 };

/* Rows shorter than this (a 2-unit output layer's bias) take plain scalar loops: a
 * vector loop's set-up per row of two floats costs more than the row. */
enum { kShortRow = 8 };

#define TG_INLINE static inline __attribute__((always_inline))

TG_INLINE float combine(tg_bcast_kind kind, float a, float b) {
  return kind == TG_BCAST_ADD ? a + b : kind == TG_BCAST_SUB ? a - b : a * b;
}

/* y[i] = a[i] (op) b[i]: restrict parameters, which GCC trusts (it ignores
 * restrict on locals loaded from the nodes and checks overlaps instead). */
TG_INLINE void full_run(tg_bcast_kind kind, float* restrict y, const float* restrict a,
                        const float* restrict b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = combine(kind, a[i], b[i]);
}

/* y = a (op) b over n floats of whole rows, b one row of k. */
TG_INLINE void row_run(tg_bcast_kind kind, float* restrict y, const float* restrict a,
                       const float* restrict b, int64_t n, int64_t k) {
  if (k < kShortRow && (k & (k - 1)) == 0) { /* 1, 2 or 4: divides kShortRow */
    /* b repeated over kShortRow lanes: whole vectors along the range, each element
     * still a[i] (op) b[i % k] (n is whole rows, so lane j is column j % k). */
    float pat[kShortRow];
    for (int j = 0; j < kShortRow; ++j) pat[j] = b[j & (k - 1)]; /* k: 1, 2 or 4 */
    int64_t i = 0;
    for (; i + kShortRow <= n; i += kShortRow)
      for (int j = 0; j < kShortRow; ++j) y[i + j] = combine(kind, a[i + j], pat[j]);
    for (int j = 0; i < n; ++i, ++j) y[i] = combine(kind, a[i], pat[j]);
    return;
  }
  if (k < kShortRow) {
    for (int64_t r = 0; r < n; r += k)
      for (int64_t j = 0; j < k; ++j) y[r + j] = combine(kind, a[r + j], b[j]);
    return;
  }
  if (k % kChunk == 0) {
    for (int64_t r = 0; r < n; r += k)
      for (int64_t j0 = 0; j0 < k; j0 += kChunk)
        for (int64_t j = j0; j < j0 + kChunk; ++j) y[r + j] = combine(kind, a[r + j], b[j]);
    return;
  }
  for (int64_t r = 0; r < n; r += k)
    for (int64_t j = 0; j < k; ++j) y[r + j] = combine(kind, a[r + j], b[j]);
}

/* The kind as a compile-time constant in each loop (a switch per element kept
 * them scalar). */
#define TG_BY_KIND(kind, call)               \
  switch (kind) {                            \
    case TG_BCAST_ADD: {                     \
      const tg_bcast_kind k_ = TG_BCAST_ADD; \
      call;                                  \
    } break;                                 \
    case TG_BCAST_SUB: {                     \
      const tg_bcast_kind k_ = TG_BCAST_SUB; \
      call;                                  \
    } break;                                 \
    case TG_BCAST_MUL: {                     \
      const tg_bcast_kind k_ = TG_BCAST_MUL; \
      call;                                  \
    } break;                                 \
  }

/* Whether [begin, begin + len) is whole rows of k: a row divides the output's n
 * floats (the inputs this file takes), so the whole range needs no division (a
 * 64-bit division costs tens of cycles, more than a small tensor's loop). */
static inline bool whole_rows(int64_t begin, int64_t len, int64_t n, int64_t k) {
  if (begin == 0 && len == n) return true;
  return begin % k == 0 && len % k == 0;
}

/* Offset in x of output element i (full: i; a row: i % x's size) as the walk moves. */
static inline int64_t run_len(int64_t x_size, int64_t n, int64_t jx, int64_t left) {
  return x_size == n || x_size - jx >= left ? left : x_size - jx;
}

static inline int64_t next_offset(int64_t x_size, int64_t n, int64_t jx, int64_t len) {
  jx += len;
  return x_size != n && jx == x_size ? 0 : jx;
}

TG_VECTOR_CLONES void tg_bcast_forward_range(tg_bcast_kind kind, const tg_tensor* a,
                                             const tg_tensor* b, tg_tensor* y, int64_t begin,
                                             int64_t end) {
  const float* pa = a->data;
  const float* pb = b->data;
  float* py = y->data;
  const int64_t n = y->size, ka = a->size, kb = b->size, len = end - begin;
  if (ka == n && kb == n) {
    TG_BY_KIND(kind, full_run(k_, py + begin, pa + begin, pb + begin, len));
    return;
  }
  if (ka == n && whole_rows(begin, len, n, kb)) { /* a bias over whole rows */
    TG_BY_KIND(kind, row_run(k_, py + begin, pa + begin, pb, len, kb));
    return;
  }
  int64_t ja = ka == n ? begin : begin % ka, jb = kb == n ? begin : begin % kb;
  for (int64_t i = begin; i < end;) {
    int64_t run = run_len(ka, n, ja, end - i);
    run = run_len(kb, n, jb, run);
    for (int64_t j = 0; j < run; ++j) py[i + j] = combine(kind, pa[ja + j], pb[jb + j]);
    i += run;
    ja = next_offset(ka, n, ja, run);
    jb = next_offset(kb, n, jb, run);
  }
}

/* gx[i] += sign * gy[i] (* o[i]). */
TG_INLINE void acc_run(float* restrict gx, const float* restrict gy, const float* restrict o,
                       float sign, int64_t n) {
  if (o)
    for (int64_t i = 0; i < n; ++i) gx[i] += sign * gy[i] * o[i];
  else
    for (int64_t i = 0; i < n; ++i) gx[i] += sign * gy[i];
}

/* gx[j] += Σ_rows sign * gy[r + j] over n floats of whole rows of k, rows in order. */
TG_INLINE void row_sums(float* restrict gx, const float* restrict gy, float sign, int64_t n,
                        int64_t k) {
  if (k < kShortRow) { /* each column's sum in a register, the rows still in order */
    for (int64_t j = 0; j < k; ++j) {
      float s = gx[j];
      for (int64_t r = 0; r < n; r += k) s += sign * gy[r + j];
      gx[j] = s;
    }
    return;
  }
  if (k % kChunk == 0) { /* a chunk's sums in registers over all rows, rows in order */
    for (int64_t j0 = 0; j0 < k; j0 += kChunk) {
      float s[kChunk];
      for (int j = 0; j < kChunk; ++j) s[j] = gx[j0 + j];
      for (int64_t r = 0; r < n; r += k)
        for (int j = 0; j < kChunk; ++j) s[j] += sign * gy[r + j0 + j];
      for (int j = 0; j < kChunk; ++j) gx[j0 + j] = s[j];
    }
    return;
  }
  for (int64_t r = 0; r < n; r += k)
    for (int64_t j = 0; j < k; ++j) gx[j] += sign * gy[r + j];
}

TG_VECTOR_CLONES void tg_bcast_accumulate_range(float* gx, const tg_tensor* x, const float* gy,
                                                const tg_tensor* y, float sign,
                                                const tg_tensor* other, int64_t begin,
                                                int64_t end) {
  const int64_t n = y->size, kx = x->size, ko = other ? other->size : n, len = end - begin;
  const float* po = other ? other->data : NULL;
  if (kx == n && ko == n) {
    acc_run(gx + begin, gy + begin, po ? po + begin : NULL, sign, len);
    return;
  }
  if (po == NULL && whole_rows(begin, len, n, kx)) { /* a bias's gradient */
    row_sums(gx, gy + begin, sign, len, kx);
    return;
  }
  int64_t jx = kx == n ? begin : begin % kx, jo = ko == n ? begin : begin % ko;
  for (int64_t i = begin; i < end;) {
    int64_t run = run_len(kx, n, jx, end - i);
    run = run_len(ko, n, jo, run);
    if (po)
      for (int64_t j = 0; j < run; ++j) gx[jx + j] += sign * gy[i + j] * po[jo + j];
    else
      for (int64_t j = 0; j < run; ++j) gx[jx + j] += sign * gy[i + j];
    i += run;
    jx = next_offset(kx, n, jx, run);
    jo = next_offset(ko, n, jo, run);
  }
}
