/* ops/fused.c — replay shortcuts (core/op.h): a Dense layer's bias add and ReLU as
 * one pass over memory instead of two, forward and backward.
 *
 *   forward   z = a + b; y = max(z, 0), NaN kept  one read of a, two writes
 *   backward  dz += dy * (z > 0); da += dz; db += Σ_rows dz      one pass
 * Each element sees exactly the operations, in the same order, that add.c and
 * relu.c perform one node at a time (so results are bit-identical); only the
 * shapes a Dense layer produces are fused: b the same shape as z, or b a row
 * [K] repeated over z [.., K]. Anything else declines and runs node by node.
 */
#include <stdbool.h>

#include "core/tape.h"
#include "core/vector_clones.h"
#include "ops/ops.h"

/* Rows of a multiple of this many floats (a Dense layer of 16, 32, ... units) run
 * their per-row loops in fixed chunks of one AVX-512 vector or two AVX2 vectors,
 * which the compiler turns into straight vector code: a loop of run-time length
 * pays a vector prologue, a scalar tail and overlap checks on every row, more than
 * the work itself on a 16-unit layer. */
enum { kChunk = 16 };

/* The columns b repeats over (its size), or 0 when the pair is not one we fuse:
 * relu must read the add's output, a must have z's shape, and b must be z's shape
 * or its last dimension as a row. */
static int64_t bias_width(const tg_node* add, const tg_node* relu) {
  const tg_tensor* a = add->in[0];
  const tg_tensor* b = add->in[1];
  const tg_tensor* z = add->out;
  if (relu->in[0] != z || a == b || !tg_same_shape(a, z) || z->size == 0) return 0;
  if (tg_same_shape(b, z)) return z->size;
  if (b->rank == 1 && z->rank >= 1 && b->shape[0] == z->shape[z->rank - 1] && b->size > 0)
    return b->size;
  return 0;
}

/* z = a + b (b a row of k repeated over the n floats), y = max(z, 0). The loops
 * live in their own function because the compiler trusts restrict on parameters
 * (no run-time overlap checks per row) but not on locals loaded from the nodes. */
static inline __attribute__((always_inline)) void add_relu_rows(const float* restrict pa,
                                                                const float* restrict pb,
                                                                float* restrict pz,
                                                                float* restrict py, int64_t n,
                                                                int64_t k) {
  if (k % kChunk == 0) { /* fixed-length inner loops: no per-row vector tail */
    for (int64_t r = 0; r < n; r += k)
      for (int64_t j0 = 0; j0 < k; j0 += kChunk)
        for (int64_t j = j0; j < j0 + kChunk; ++j) {
          const float z = pa[r + j] + pb[j];
          pz[r + j] = z;
          py[r + j] = z > 0.0f || z != z ? z : 0.0f; /* NaN kept, as relu.c */
        }
    return;
  }
  for (int64_t r = 0; r < n; r += k)
    for (int64_t j = 0; j < k; ++j) {
      const float z = pa[r + j] + pb[j];
      pz[r + j] = z;
      py[r + j] = z > 0.0f || z != z ? z : 0.0f; /* NaN kept, as relu.c */
    }
}

TG_VECTOR_CLONES static bool add_relu_forward(tg_node* add, tg_node* relu) {
  const int64_t k = bias_width(add, relu);
  if (k == 0) return false;
  add_relu_rows(add->in[0]->data, add->in[1]->data, add->out->data, relu->out->data, add->out->size,
                k);
  return true;
}

/* gz += dy where z > 0 (restrict parameters as above). */
static inline __attribute__((always_inline)) void relu_grad(float* restrict gz,
                                                            const float* restrict z,
                                                            const float* restrict gy, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gz[i] += z[i] > 0.0f ? gy[i] : 0.0f;
}

static inline __attribute__((always_inline)) void add_to(float* restrict ga,
                                                         const float* restrict gz, int64_t n) {
  for (int64_t i = 0; i < n; ++i) ga[i] += gz[i];
}

/* gb[j] += Σ_rows gz[r + j], the rows in order (restrict parameters as above). */
static inline __attribute__((always_inline)) void sum_rows(float* restrict gb,
                                                           const float* restrict gz, int64_t n,
                                                           int64_t k) {
  if (k % kChunk == 0) {
    for (int64_t r = 0; r < n; r += k)
      for (int64_t j0 = 0; j0 < k; j0 += kChunk)
        for (int64_t j = j0; j < j0 + kChunk; ++j) gb[j] += gz[r + j];
    return;
  }
  for (int64_t r = 0; r < n; r += k)
    for (int64_t j = 0; j < k; ++j) gb[j] += gz[r + j];
}

/* Whether [p, p+n) and [q, q+m) share memory (grads of caller-made views can). */
static bool overlaps(const float* p, int64_t n, const float* q, int64_t m) {
  return p != NULL && q != NULL && p < q + m && q < p + n;
}

TG_VECTOR_CLONES static bool add_relu_backward(tg_node* add, tg_node* relu) {
  const int64_t k = bias_width(add, relu);
  float* gz = add->out->grad;
  if (k == 0 || gz == NULL) return false;
  const int64_t size = add->out->size;
  /* a that shares z's gradient buffer (tg_tape_share_grad) already holds its gradient. */
  const bool a_shares = add->in[0]->grad == gz;
  const float* ga0 = a_shares ? NULL : add->in[0]->grad;
  const float* gb0 = add->in[1]->grad;
  /* One pass interleaves the updates add.c makes one after the other: only the
   * same when the three gradients are separate memory. */
  if (overlaps(ga0, size, gb0, k) || overlaps(ga0, size, gz, size) || overlaps(gb0, k, gz, size))
    return false;
  const float* z = add->out->data;
  const float* gy = relu->out->grad;
  float* ga = a_shares ? NULL : add->in[0]->grad;
  float* gb = add->in[1]->grad;
  const int64_t n = add->out->size;
  /* One flat loop per gradient so each vectorises over the whole tensor: every
   * element still sees relu's update, then a's, then b's (the three are separate
   * memory, so only each one's own order matters: b sums the rows in order). */
  relu_grad(gz, z, gy, n);   /* relu's backward */
  if (ga) add_to(ga, gz, n); /* add's backward, for a then b, as add.c does */
  if (gb) sum_rows(gb, gz, n, k);
  return true;
}

static const tg_op_fusion kFusions[] = {
    {&tg_op_add, &tg_op_relu, add_relu_forward, add_relu_backward},
};

const tg_op_fusion* tg_ops_fusions(int* count) {
  if (count) *count = (int)(sizeof kFusions / sizeof kFusions[0]);
  return kFusions;
}

void tg_ops_enable_fusion(tg_tape* t) {
  int count = 0;
  const tg_op_fusion* table = tg_ops_fusions(&count);
  tg_tape_set_fusions(t, table, count);
}
