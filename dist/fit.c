/* dist/fit.c — epochs of global batches over a dataset every rank holds in full.
 *
 * Step s of a run is batch s % steps_per_epoch of epoch s / steps_per_epoch; the
 * epoch's row order comes from a generator seeded with (seed, epoch) alone, so a
 * resumed run (which starts at the checkpoint's step count) takes exactly the
 * batches the uninterrupted run took. Each rank gathers only its shard's rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "dist/internal/dist_impl.h"

static void epoch_order(int64_t* order, int64_t n, uint64_t seed, int64_t epoch, bool shuffle) {
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  if (!shuffle) return;
  tg_rng r;
  tg_rng_seed(&r, seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(epoch + 1)));
  for (int64_t i = n - 1; i > 0; --i) { /* Fisher-Yates */
    int64_t j = (int64_t)tg_rng_below(&r, (uint64_t)i + 1);
    int64_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

static void gather(float* dst, const float* src, int64_t w, const int64_t* order, int64_t count) {
  for (int64_t r = 0; r < count; ++r)
    memcpy(dst + r * w, src + order[r] * w, (size_t)w * sizeof(float));
}

tg_status tg_dist_fit(tg_dist* d, const float* x, int64_t n, const float* y,
                      const tg_dist_fit_options* options) {
  const char* fn = "tg_dist_fit";
  tg_status st = tg_dist_check_batch(d, fn, x, n, y, true);
  if (st != TG_OK) return st;
  tg_dist_fit_options o;
  memset(&o, 0, sizeof o);
  if (options) o = *options;
  if (o.epochs < 0 || o.batch_size < 0 || o.checkpoint_every < 0)
    return tg_dist_fail(d, TG_ERR_ARG,
                        "%s: epochs, batch_size and checkpoint_every must be >= 0 (got %d, "
                        "%lld, %lld)",
                        fn, o.epochs, (long long)o.batch_size, (long long)o.checkpoint_every);
  if (d->no_sync) return tg_dist_fail(d, TG_ERR_STATE, "%s: no_sync is on", fn);
  const int epochs = o.epochs ? o.epochs : 1;
  const int64_t batch = o.batch_size ? (o.batch_size < n ? o.batch_size : n) : (32 < n ? 32 : n);
  const int64_t per_epoch = (n + batch - 1) / batch, total = per_epoch * epochs;
  int64_t step = o.resume ? tg_optimizer_iterations(tg_model_optimizer(d->model)) : 0;
  if (step > total)
    return tg_dist_fail(d, TG_ERR_ARG, "%s: resuming at step %lld but the run has %lld steps", fn,
                        (long long)step, (long long)total);
  const int64_t in = tg_model_input_dim(d->model), out_w = tg_model_target_width(d->model);
  int64_t lo_max, hi_max;
  tg_dist_shard(batch, d->size - 1, d->size, &lo_max, &hi_max); /* the widest shard */
  const int64_t shard_cap = hi_max - lo_max + 1;
  const size_t order_bytes = (size_t)n * sizeof(int64_t);
  char* scratch =
      (char*)tg_dist_scratch(d, order_bytes + (size_t)(shard_cap * (in + out_w)) * sizeof(float));
  if (scratch == NULL) return tg_dist_fail(d, TG_ERR_NOMEM, "%s: out of memory", fn);
  int64_t* order = (int64_t*)scratch;
  float* bx = (float*)(scratch + order_bytes);
  float* by = bx + shard_cap * in;
  FILE* out = d->rank == 0 && o.verbose ? o.out : NULL;
  double loss_sum = 0.0;
  int64_t rows_done = 0;
  int64_t epoch = -1;
  for (; step < total; ++step) {
    const int64_t e = step / per_epoch, b = step % per_epoch;
    if (e != epoch) {
      epoch_order(order, n, d->seed, e, !o.no_shuffle);
      epoch = e;
      loss_sum = 0.0;
      rows_done = 0;
    }
    const int64_t b0 = b * batch, rows = n - b0 < batch ? n - b0 : batch;
    int64_t lo, hi;
    tg_dist_shard(rows, d->rank, d->size, &lo, &hi);
    gather(bx, x, in, order + b0 + lo, hi - lo);
    gather(by, y, out_w, order + b0 + lo, hi - lo);
    float loss = 0.0f;
    if ((st = tg_dist_step_local(d, fn, bx, hi - lo, by, rows, &loss)) != TG_OK) return st;
    loss_sum += (double)loss * (double)rows;
    rows_done += rows;
    const bool epoch_end = b == per_epoch - 1;
    if (o.checkpoint && ((o.checkpoint_every > 0 && (step + 1) % o.checkpoint_every == 0) ||
                         (o.checkpoint_every == 0 && epoch_end)))
      if ((st = tg_dist_save(d, o.checkpoint)) != TG_OK) return st;
    if (epoch_end) {
      const double mean = loss_sum / (double)rows_done;
      if (o.history_loss) o.history_loss[e] = (float)mean;
      if (out) {
        fprintf(out, "Epoch %lld/%d - loss: ", (long long)e + 1, epochs);
        fprintf(out, fabs(mean) > 1e-3 ? "%.4f" : "%.4e", mean);
        fprintf(out, " (%d ranks)\n", d->size);
      }
    }
    if (o.after_step && !o.after_step(o.ctx, step + 1, loss)) break;
  }
  return TG_OK;
}
