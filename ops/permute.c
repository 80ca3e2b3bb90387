/* ops/permute.c — y = x with its axes reordered: y.shape[i] = x.shape[perm[i]] and
 * y[i0,i1,..] = x at the index whose axis perm[k] is i_k;  dx += dy permuted back. */
#include <stdio.h>

#include "core/tape.h"
#include "ops/internal/strided.h"
#include "ops/ops.h"

typedef struct permute_params {
  int32_t perm_null; /* the caller passed perm == NULL */
  int32_t perm[TG_MAX_RANK];
} permute_params;

/* The permutation with negative entries made positive (valid after the shape rule). */
static void read_perm(const tg_node* n, int perm[TG_MAX_RANK]) {
  permute_params p;
  tg_node_params(n, &p, sizeof p);
  for (int i = 0; i < TG_MAX_RANK; ++i)
    perm[i] = p.perm[i] < 0 ? p.perm[i] + n->in[0]->rank : p.perm[i];
}

static int permute_describe(const tg_node* n, char* buf, size_t cap) {
  int perm[TG_MAX_RANK];
  read_perm(n, perm);
  int used = snprintf(buf, cap, "perm=");
  for (int i = 0; i < n->in[0]->rank && used >= 0 && (size_t)used < cap; ++i)
    used += snprintf(buf + used, cap - (size_t)used, i ? ",%d" : "%d", perm[i]);
  return used;
}

static tg_status permute_shape(tg_node* n, int* rank, int64_t shape[TG_MAX_RANK], char* msg,
                               size_t cap) {
  permute_params p;
  tg_node_params(n, &p, sizeof p);
  const tg_tensor* x = n->in[0];
  char s[TG_SHAPE_STR_CAP];
  tg_tensor_shape_str(x, s, sizeof s);
  if (p.perm_null) {
    snprintf(msg, cap, "perm is NULL for %s", s);
    return TG_ERR_NULL_ARG;
  }
  unsigned seen = 0;
  for (int i = 0; i < x->rank; ++i) {
    int axis = 0;
    if (!tg_axis_normalize(p.perm[i], x->rank, &axis) || (seen >> axis) & 1u) {
      char list[64];
      int used = 0;
      for (int k = 0; k < x->rank; ++k)
        used += snprintf(list + used, sizeof list - (size_t)used, k ? " %d" : "%d", p.perm[k]);
      snprintf(msg, cap, "perm [%s] is not a permutation of the %d axes of %s", list, x->rank, s);
      return TG_ERR_ARG;
    }
    seen |= 1u << axis;
    shape[i] = x->shape[axis];
  }
  *rank = x->rank;
  return TG_OK;
}

static void permute_forward(tg_node* n) {
  int perm[TG_MAX_RANK];
  read_perm(n, perm);
  tg_permute_forward(n->in[0], n->out, perm);
}

static void permute_backward(tg_node* n) {
  int perm[TG_MAX_RANK];
  read_perm(n, perm);
  tg_permute_backward(n->in[0], n->out, perm);
}

const tg_op_def tg_op_permute = {.name = "permute",
                                 .arity = 1,
                                 .shape = permute_shape,
                                 .forward = permute_forward,
                                 .backward = permute_backward,
                                 .params_size = sizeof(permute_params),
                                 .describe = permute_describe,
                                 .backward_reads = TG_READS_NOTHING};

tg_tensor* tg_permute(tg_tape* t, tg_tensor* x, const int* perm) {
  permute_params p;
  memset(&p, 0, sizeof p);
  p.perm_null = perm == NULL;
  /* x's rank says how many entries perm has; a NULL x is the funnel's to report. */
  const int n = x != NULL ? x->rank : 0;
  for (int i = 0; perm != NULL && i < n && i < TG_MAX_RANK; ++i) p.perm[i] = perm[i];
  return tg_tape_apply(t, &tg_op_permute, &x, 1, &p);
}
