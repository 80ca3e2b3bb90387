/* ops/matmul.c — y = a·b.
 *   2-D:            a (M,K) · b (K,N)       -> y (M,N)
 *   batch:          a (B,M,K) · b (B,K,N)   -> y (B,M,N)
 *   shared weight:  a (B,M,K) · b (K,N)     -> y (B,M,N)  (a flattened to (B·M,K))
 * Backward: dA += dY·Bᵀ,  dB += Aᵀ·dY  (transpose flags, no copies).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/tape.h"
#include "kernels/gemm.h"
#include "ops/internal/kernel_choice.h"
#include "ops/ops.h"

/* Batch count and per-batch dimensions; a shared 2-D b folds the batch into M. */
typedef struct dims {
  int64_t batch, m, k, n, a_step, b_step, y_step;
} dims;

static dims matmul_dims(const tg_node* nd) {
  const tg_tensor* a = nd->in[0];
  const tg_tensor* b = nd->in[1];
  dims d;
  d.k = a->shape[a->rank - 1];
  d.n = b->shape[b->rank - 1];
  if (b->rank == 3) {
    d.batch = a->shape[0];
    d.m = a->shape[1];
    d.b_step = d.k * d.n;
  } else {
    d.batch = 1;
    d.m = a->rank == 3 ? a->shape[0] * a->shape[1] : a->shape[0];
    d.b_step = 0;
  }
  d.a_step = d.m * d.k;
  d.y_step = d.m * d.n;
  return d;
}

/* The kernels of the node's three products, chosen when it is recorded for the
 * tape's thread count and pool size (kernels/gemm.h), and chosen again when a run
 * finds either changed (tg_tape_set_threads, tg_tape_set_pool). Products on the
 * small path (every product of a small model) do not depend on either: a run then
 * reads neither the tape's threads nor its pool, only `state` and its plan. */
typedef struct matmul_params {
  uint8_t state;   /* 0: no plans yet (a zeroed block), else kPlanned | kThreaded */
  tg_gemm_plan y;  /* Y = A·B */
  tg_gemm_plan da; /* dA += dY·Bᵀ */
  tg_gemm_plan db; /* dB += Aᵀ·dY */
} matmul_params;

enum { kPlanned = 1, kThreaded = 2 /* some plan is tg_gemm_plan.threaded */ };

/* The tape's thread count, pool (threads and the built-in kernel's scratch, so a
 * replay does not allocate) and allocator. */
static tg_gemm_options gemm_options(tg_node* nd) {
  tg_gemm_options o = {.threads = tg_tape_threads(nd->tape),
                       .pool = tg_tape_pool(nd->tape),
                       .alloc = tg_tape_allocator(nd->tape)};
  return o;
}

/* Makes the three plans for `o` into the node; TG_ERR_NOMEM when a product that runs
 * the blocked kernel cannot have its scratch. */
static tg_status make_plans(tg_node* nd, const tg_gemm_options* o) {
  const dims d = matmul_dims(nd);
  matmul_params p;
  memset(&p, 0, sizeof p);
  const tg_status sy = tg_gemm_plan_make(&p.y, o, false, false, d.m, d.n, d.k, d.k, d.n, d.n);
  const tg_status sa = tg_gemm_plan_make(&p.da, o, false, true, d.m, d.k, d.n, d.n, d.n, d.k);
  const tg_status sb = tg_gemm_plan_make(&p.db, o, true, false, d.k, d.n, d.m, d.k, d.n, d.n);
  p.state = kPlanned | (p.y.threaded || p.da.threaded || p.db.threaded ? kThreaded : 0);
  memcpy(nd->params.bytes, &p, sizeof p);
  return sy != TG_OK ? sy : sa != TG_OK ? sa : sb;
}

/* run_options when some plan is threaded or none is made yet. */
static const tg_gemm_options* threaded_options(tg_node* nd, uint8_t state,
                                               tg_gemm_options* storage) {
  *storage = gemm_options(nd);
  matmul_params p;
  tg_node_params(nd, &p, sizeof p);
  if (state == 0 || !tg_gemm_plan_fits(&p.y, storage) || !tg_gemm_plan_fits(&p.da, storage) ||
      !tg_gemm_plan_fits(&p.db, storage))
    (void)make_plans(nd, storage);
  return storage;
}

/* The options to run the node's plans with, in *storage (NULL when no plan is
 * threaded: they need none), making the plans again first when the tape's threads
 * or pool changed size. */
static inline const tg_gemm_options* run_options(tg_node* nd, tg_gemm_options* storage) {
  const uint8_t state = nd->params.bytes[offsetof(matmul_params, state)];
  return state == kPlanned ? NULL : threaded_options(nd, state, storage);
}

/* One of the node's plans (offsetof(matmul_params, y), ...). */
static tg_gemm_plan plan_at(const tg_node* nd, size_t offset) {
  tg_gemm_plan p;
  memcpy(&p, nd->params.bytes + offset, sizeof p);
  return p;
}

static tg_status matmul_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                              size_t cap) {
  const tg_tensor* a = n->in[0];
  const tg_tensor* b = n->in[1];
  char sa[TG_SHAPE_STR_CAP], sb[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(a, sa, sizeof sa);
  tg_tensor_shape_str(b, sb, sizeof sb);
  bool ok_rank = (a->rank == 2 && b->rank == 2) || (a->rank == 3 && (b->rank == 2 || b->rank == 3));
  if (!ok_rank) {
    snprintf(msg, cap, "%s @ %s: operands must be 2-D, or a 3-D batch times a 2-D or 3-D operand",
             sa, sb);
    return TG_ERR_RANK;
  }
  int64_t ka = a->shape[a->rank - 1];
  int64_t kb = b->shape[b->rank - 2];
  if (ka != kb) {
    snprintf(msg, cap, "%s @ %s: inner dimensions %lld and %lld differ", sa, sb, (long long)ka,
             (long long)kb);
    return TG_ERR_SHAPE;
  }
  if (a->rank == 3 && b->rank == 3 && a->shape[0] != b->shape[0]) {
    snprintf(msg, cap, "%s @ %s: batch sizes %lld and %lld differ", sa, sb, (long long)a->shape[0],
             (long long)b->shape[0]);
    return TG_ERR_SHAPE;
  }
  *rank = a->rank;
  for (int d = 0; d < a->rank - 1; ++d) shape[d] = a->shape[d];
  shape[a->rank - 1] = b->shape[b->rank - 1];
  /* The kernels, chosen now: a replay runs them without deciding again, and running
   * out of memory for their scratch is an error at record time rather than a slower
   * kernel later. */
  const tg_gemm_options o = gemm_options(n);
  if (o.pool == NULL || make_plans(n, &o) != TG_OK) {
    snprintf(msg, cap, "%s @ %s: out of memory for the matrix kernels' scratch", sa, sb);
    return TG_ERR_NOMEM;
  }
  return TG_OK;
}

static void matmul_forward(tg_node* nd) {
  const dims d = matmul_dims(nd);
  tg_gemm_options storage;
  const tg_gemm_options* o = run_options(nd, &storage);
  const tg_gemm_plan py = plan_at(nd, offsetof(matmul_params, y));
  /* y (M,N) = a (M,K) · b (K,N), per batch */
  tg_gemm_args g = {.m = d.m,
                    .n = d.n,
                    .k = d.k,
                    .a = nd->in[0]->data,
                    .lda = d.k,
                    .b = nd->in[1]->data,
                    .ldb = d.n,
                    .c = nd->out->data,
                    .ldc = d.n};
  for (int64_t i = 0; i < d.batch; ++i) {
    if (i > 0) { /* the next batch (never past the last one) */
      g.a += d.a_step;
      g.b += d.b_step;
      g.c += d.y_step;
    }
    tg_gemm_run(&py, o, &g);
  }
}

static void matmul_backward(tg_node* nd) {
  const dims d = matmul_dims(nd);
  const tg_tensor* a = nd->in[0];
  const tg_tensor* b = nd->in[1];
  const float* gy = nd->out->grad;
  tg_gemm_options storage;
  const tg_gemm_options* o = run_options(nd, &storage);
  const tg_gemm_plan pa = plan_at(nd, offsetof(matmul_params, da));
  const tg_gemm_plan pb = plan_at(nd, offsetof(matmul_params, db));
  /* dA (M,K) += dY (M,N) · Bᵀ (N,K) */
  tg_gemm_args ga = {.trans_b = true,
                     .m = d.m,
                     .n = d.k,
                     .k = d.n,
                     .a = gy,
                     .lda = d.n,
                     .b = b->data,
                     .ldb = d.n,
                     .beta = 1.0f,
                     .c = a->grad,
                     .ldc = d.k};
  /* dB (K,N) += Aᵀ (K,M) · dY (M,N) */
  tg_gemm_args gb = {.trans_a = true,
                     .m = d.k,
                     .n = d.n,
                     .k = d.m,
                     .a = a->data,
                     .lda = d.k,
                     .b = gy,
                     .ldb = d.n,
                     .beta = 1.0f,
                     .c = b->grad,
                     .ldc = d.n};
  /* Batch by batch, dA before dB, so that a and b being one tensor (x·x) sums in one order. */
  for (int64_t i = 0; i < d.batch; ++i) {
    if (a->grad) {
      if (i > 0) {
        ga.a += d.y_step;
        ga.b += d.b_step;
        ga.c += d.a_step;
      }
      tg_gemm_run(&pa, o, &ga);
    }
    if (b->grad) {
      if (i > 0) {
        gb.a += d.a_step;
        gb.b += d.y_step;
        gb.c += d.b_step;
      }
      tg_gemm_run(&pb, o, &gb);
    }
  }
}

int tg_matmul_kernels(const tg_node* nd, char* buf, size_t cap) {
  matmul_params p;
  tg_node_params(nd, &p, sizeof p);
  char y[64], da[64], db[64];
  tg_gemm_plan_describe(&p.y, y, sizeof y);
  tg_gemm_plan_describe(&p.da, da, sizeof da);
  tg_gemm_plan_describe(&p.db, db, sizeof db);
  return snprintf(buf, cap, "y: %s; dA: %s; dB: %s", y, da, db);
}

const tg_op_def tg_op_matmul = {.name = "matmul",
                                .backward_reads = TG_READS_INPUT(0) | TG_READS_INPUT(1),
                                .arity = 2,
                                .shape = matmul_shape,
                                .forward = matmul_forward,
                                .backward = matmul_backward,
                                .params_size = sizeof(matmul_params)};

tg_tensor* tg_matmul(tg_tape* t, tg_tensor* a, tg_tensor* b) {
  tg_tensor* in[2] = {a, b};
  return tg_tape_apply(t, &tg_op_matmul, in, 2, NULL);
}
