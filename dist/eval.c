/* dist/eval.c — evaluate and predict on shards: each rank takes its rows of the
 * global batch; losses are summed row-weighted (in double) and predictions gathered,
 * so every rank returns what one process would. */
#include <limits.h>
#include <stdlib.h>

#include "dist/internal/dist_impl.h"

tg_status tg_dist_evaluate(tg_dist* d, const float* x, int64_t n, const float* y, float* loss) {
  const char* fn = "tg_dist_evaluate";
  tg_status st = tg_dist_check_batch(d, fn, x, n, y, true);
  if (st != TG_OK) return st;
  int64_t lo, hi;
  tg_dist_shard(n, d->rank, d->size, &lo, &hi);
  const int64_t in = tg_model_input_dim(d->model), out = tg_model_target_width(d->model);
  float l = 0.0f;
  if (hi > lo &&
      (st = tg_model_evaluate(d->model, x + lo * in, hi - lo, y + lo * out, &l)) != TG_OK)
    return tg_dist_fail(d, st, "%s: rank %d: %s", fn, d->rank, tg_model_message(d->model));
  double sum = (double)l * (double)(hi - lo);
  if ((st = tg_dist_sum_doubles(d, fn, &sum, 1)) != TG_OK) return st;
  if (loss) *loss = (float)(sum / (double)n);
  return TG_OK;
}

tg_status tg_dist_predict(tg_dist* d, const float* x, int64_t n, float* out, int64_t out_cap) {
  const char* fn = "tg_dist_predict";
  tg_status st = tg_dist_check_batch(d, fn, x, n, NULL, false);
  if (st != TG_OK) return st;
  const int64_t in = tg_model_input_dim(d->model), w = tg_model_output_dim(d->model);
  if (out == NULL) return tg_dist_fail(d, TG_ERR_NULL_ARG, "%s: out is NULL", fn);
  if (out_cap < n * w)
    return tg_dist_fail(d, TG_ERR_SHAPE, "%s: out holds %lld floats but %lld rows need %lld", fn,
                        (long long)out_cap, (long long)n, (long long)(n * w));
  if (n * w > INT_MAX)
    return tg_dist_fail(d, TG_ERR_OVERFLOW, "%s: %lld outputs is more than one gather takes", fn,
                        (long long)(n * w));
  int* counts = (int*)tg_dist_scratch(d, 2 * (size_t)d->size * sizeof(int));
  if (counts == NULL) return tg_dist_fail(d, TG_ERR_NOMEM, "%s: out of memory", fn);
  int* offs = counts + d->size;
  for (int r = 0; r < d->size; ++r) {
    int64_t lo, hi;
    tg_dist_shard(n, r, d->size, &lo, &hi);
    counts[r] = (int)((hi - lo) * w);
    offs[r] = (int)(lo * w);
  }
  int64_t lo, hi;
  tg_dist_shard(n, d->rank, d->size, &lo, &hi);
  if (hi > lo &&
      (st = tg_model_predict(d->model, x + lo * in, hi - lo, out + lo * w, (hi - lo) * w)) != TG_OK)
    return tg_dist_fail(d, st, "%s: rank %d: %s", fn, d->rank, tg_model_message(d->model));
  int rc =
      MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out, counts, offs, MPI_FLOAT, d->comm);
  return rc == MPI_SUCCESS ? TG_OK : tg_dist_mpi_fail(d, fn, "MPI_Allgatherv", rc);
}
