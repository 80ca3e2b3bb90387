/* data/split.c — seeded train / validation / test splits. */
#include "data/split.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "data/internal/shuffle.h"

static const char kFn[] = "tg_dataset_split";

static tg_status check_options(const char* fn, const tg_split_options* o, tg_error* err) {
  if (o == NULL) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: options are NULL", fn);
  if (!(o->validation >= 0 && o->validation < 1) || !(o->test >= 0 && o->test < 1) ||
      !(o->validation + o->test < 1))
    return tg_error_set(err, TG_ERR_ARG,
                        "%s: validation %g and test %g must be fractions in [0, 1) that sum to "
                        "less than 1",
                        fn, o->validation, o->test);
  return TG_OK;
}

tg_status tg_split_counts(int64_t n, const tg_split_options* o, int64_t* train, int64_t* val,
                          int64_t* test, tg_error* err) {
  static const char fn[] = "tg_split_counts";
  tg_status st = check_options(fn, o, err);
  if (st != TG_OK) return st;
  if (n < 0)
    return tg_error_set(err, TG_ERR_ARG, "%s: row count %lld is negative", fn, (long long)n);
  int64_t nt = (int64_t)llround((double)n * o->test);
  int64_t nv = (int64_t)llround((double)n * o->validation);
  /* Rounding both up can eat the last training row; give it back. */
  while (n > 0 && nt + nv >= n) {
    if (nv >= nt && nv > 0)
      --nv;
    else
      --nt;
  }
  if (train) *train = n - nv - nt;
  if (val) *val = nv;
  if (test) *test = nt;
  return TG_OK;
}

tg_status tg_split_permutation(int64_t n, const tg_split_options* o, int64_t* perm, tg_error* err) {
  static const char fn[] = "tg_split_permutation";
  tg_status st = check_options(fn, o, err);
  if (st != TG_OK) return st;
  if (perm == NULL && n > 0) return tg_error_set(err, TG_ERR_NULL_ARG, "%s: perm is NULL", fn);
  if (o->keep_order) {
    for (int64_t i = 0; i < n; ++i) perm[i] = i;
    return TG_OK;
  }
  tg_rng rng;
  tg_rng_seed(&rng, o->seed);
  tg_shuffle_rows(perm, n, &rng);
  return TG_OK;
}

tg_status tg_dataset_split(const tg_dataset* all, const tg_split_options* o, tg_dataset* train,
                           tg_dataset* val, tg_dataset* test, tg_error* err) {
  if (train) memset(train, 0, sizeof *train);
  if (val) memset(val, 0, sizeof *val);
  if (test) memset(test, 0, sizeof *test);
  if (all == NULL || train == NULL)
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL", kFn, all ? "train" : "all");
  if (all->alloc_ == NULL)
    return tg_error_set(err, TG_ERR_STATE, "%s: all is not an initialised data set", kFn);
  int64_t nt, nv, ns;
  tg_status st = tg_split_counts(all->n, o, &nt, &nv, &ns, err);
  if (st != TG_OK) return st;
  if ((nv > 0 && val == NULL) || (ns > 0 && test == NULL))
    return tg_error_set(err, TG_ERR_NULL_ARG, "%s: %s is NULL but gets %lld rows", kFn,
                        nv > 0 && val == NULL ? "val" : "test",
                        (long long)(nv > 0 && val == NULL ? nv : ns));
  const tg_allocator* a = all->alloc_;
  int64_t* perm = (int64_t*)a->alloc(a->ctx, (size_t)(all->n > 0 ? all->n : 1) * sizeof(int64_t));
  if (perm == NULL) return tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", kFn);
  st = tg_split_permutation(all->n, o, perm, err);
  if (st == TG_OK) st = tg_dataset_gather(all, perm, nt, train, err);
  if (st == TG_OK && val) st = tg_dataset_gather(all, perm + nt, nv, val, err);
  if (st == TG_OK && test) st = tg_dataset_gather(all, perm + nt + nv, ns, test, err);
  a->free(a->ctx, perm);
  if (st != TG_OK) {
    tg_dataset_free(train);
    tg_dataset_free(val);
    tg_dataset_free(test);
  }
  return st;
}
