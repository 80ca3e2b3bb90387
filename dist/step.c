/* dist/step.c — one data-parallel step: the shard's forward and backward, buckets
 * reduced as backward finishes them, the optimizer step once every bucket is in.
 *
 * Overlap: the model's training tape calls on_backward after each node's backward
 * (core/tape.h). A bucket is final once backward has passed the first node (in
 * recording order) that reads any of its parameters; on_backward then scales it and
 * starts its MPI_Iallreduce, and calls MPI_Test on the buckets in flight (MPI moves
 * non-blocking collectives forward only inside MPI calls). The first step of a
 * model records its tape, so the hook is installed after it: that step reduces
 * after backward, with the same calls and therefore the same bits. */
#include <limits.h>
#include <string.h>

#include "dist/internal/dist_impl.h"

/* ready_at of every bucket from the tape's nodes: the first node with an input whose
 * gradient lies in the bucket's range of the block (a view of a parameter shares
 * its gradient, so pointers tell). */
static void map_buckets(tg_dist* d, const tg_tape* t) {
  const uintptr_t g0 = (uintptr_t)tg_model_param_grads(d->model);
  for (int b = 0; b < d->n_buckets; ++b) d->buckets[b].ready_at = INT_MAX;
  const int nodes = tg_tape_node_count(t);
  for (int i = 0; i < nodes; ++i) {
    const tg_node* n = tg_tape_node(t, i);
    for (int k = 0; k < n->n_in; ++k) {
      const tg_tensor* in = n->in[k];
      if (in == NULL || in->grad == NULL) continue;
      const uintptr_t a = (uintptr_t)in->grad, e = a + (uintptr_t)in->size * sizeof(float);
      for (int b = 0; b < d->n_buckets; ++b) {
        tg_dist_bucket* bk = &d->buckets[b];
        const uintptr_t lo = g0 + (uintptr_t)bk->lo * sizeof(float);
        const uintptr_t hi = g0 + (uintptr_t)bk->hi * sizeof(float);
        if (a < hi && e > lo && bk->ready_at == INT_MAX) bk->ready_at = i;
      }
    }
  }
}

/* Scales bucket b to its share of the global gradient and starts its reduction. */
static void start_bucket(tg_dist* d, tg_dist_bucket* b) {
  float* g = tg_model_param_grads(d->model) + b->lo;
  const int64_t n = b->hi - b->lo;
  if (d->acc_used) {
    const float* acc = d->acc + b->lo;
    const float s = d->scale, a = d->acc_scale;
    for (int64_t i = 0; i < n; ++i) g[i] = g[i] * s + acc[i] * a;
  } else if (d->scale != 1.0f) {
    const float s = d->scale;
    for (int64_t i = 0; i < n; ++i) g[i] *= s;
  }
  if (d->first_start == 0.0) d->first_start = MPI_Wtime();
  tg_dist_lock(d);
  b->started = true;
  int rc = MPI_Iallreduce(MPI_IN_PLACE, g, (int)n, MPI_FLOAT, MPI_SUM, d->comm, &b->req);
  if (rc != MPI_SUCCESS && d->mpi_rc == MPI_SUCCESS) d->mpi_rc = rc;
  tg_dist_progress_kick(d);
  tg_dist_unlock(d);
  d->stats.bytes_reduced += n * (int64_t)sizeof(float);
}

static void on_backward(void* ctx, const tg_tape* t, int done) {
  tg_dist* d = (tg_dist*)ctx;
  if (!d->in_step) return;
  if (!d->mapped) {
    map_buckets(d, t);
    d->mapped = true;
  }
  for (int b = 0; b < d->n_buckets; ++b) {
    tg_dist_bucket* bk = &d->buckets[b];
    if (!bk->started && bk->ready_at >= done) {
      start_bucket(d, bk);
      d->stats.early_buckets += 1;
      d->stats.early_before_last += done > 0;
    }
  }
  if (d->progress) return; /* its thread keeps them moving */
  for (int b = 0; b < d->n_buckets; ++b) {
    tg_dist_bucket* bk = &d->buckets[b];
    if (!bk->started || bk->req == MPI_REQUEST_NULL) continue;
    int flag = 0;
    int rc = MPI_Test(&bk->req, &flag, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS && d->mpi_rc == MPI_SUCCESS) d->mpi_rc = rc;
  }
}

/* The global loss: sum over ranks of n_local * loss, over n_global. */
static tg_status global_loss(tg_dist* d, const char* fn, double local_sum, int64_t n_global,
                             float* loss) {
  tg_status st = tg_dist_sum_doubles(d, fn, &local_sum, 1);
  if (st == TG_OK && loss) *loss = (float)(local_sum / (double)n_global);
  return st;
}

static tg_status local_gradients(tg_dist* d, const char* fn, const float* x, int64_t n,
                                 const float* y, float* loss) {
  if (n == 0) { /* a rank without rows adds zeros (and joins every reduction) */
    memset(tg_model_param_grads(d->model), 0, (size_t)d->trainable * sizeof(float));
    *loss = 0.0f;
    return TG_OK;
  }
  tg_status st = tg_model_compute_gradients(d->model, x, n, y, loss);
  return st == TG_OK
             ? TG_OK
             : tg_dist_fail(d, st, "%s: rank %d: %s", fn, d->rank, tg_model_message(d->model));
}

tg_status tg_dist_step_local(tg_dist* d, const char* fn, const float* x, int64_t n_local,
                             const float* y, int64_t n_global, float* loss) {
  const double t0 = MPI_Wtime();
  float l = 0.0f;
  tg_status st;
  if (d->no_sync) {
    if ((st = local_gradients(d, fn, x, n_local, y, &l)) != TG_OK) return st;
    const float* g = tg_model_param_grads(d->model);
    const float w = (float)n_local;
    for (int64_t i = 0; i < d->trainable; ++i) d->acc[i] += w * g[i];
    d->acc_used = d->acc_used || n_local > 0;
    d->acc_rows += n_global;
    return global_loss(d, fn, (double)l * (double)n_local, n_global, loss);
  }
  const int64_t total = d->acc_rows + n_global;
  d->scale = (float)((double)n_local / (double)total);
  d->acc_scale = (float)(1.0 / (double)total);
  tg_dist_lock(d);
  for (int b = 0; b < d->n_buckets; ++b) {
    d->buckets[b].started = false;
    d->buckets[b].req = MPI_REQUEST_NULL;
  }
  d->mpi_rc = MPI_SUCCESS;
  tg_dist_unlock(d);
  d->mapped = false;
  d->first_start = 0.0;
  d->in_step = d->overlap && d->hooked != NULL;
  st = local_gradients(d, fn, x, n_local, y, &l);
  d->in_step = false;
  const double backward_end = MPI_Wtime();
  if (st != TG_OK) return st; /* the others wait in MPI: dist.h, errors */
  if (d->overlap) {
    tg_tape* t = tg_model_training_tape(d->model);
    if (t && d->hooked != t) {
      tg_tape_set_backward_hook(t, on_backward, d);
      d->hooked = t;
    }
  }
  if (d->first_start > 0.0) d->stats.backward_seconds += backward_end - d->first_start;
  for (int b = 0; b < d->n_buckets; ++b)
    if (!d->buckets[b].started) start_bucket(d, &d->buckets[b]);
  const double w0 = MPI_Wtime();
  tg_dist_lock(d); /* the progress thread stays off the requests meanwhile */
  int rc = d->mpi_rc;
  for (int b = 0; b < d->n_buckets; ++b) {
    int r = MPI_Wait(&d->buckets[b].req, MPI_STATUS_IGNORE);
    if (r != MPI_SUCCESS && rc == MPI_SUCCESS) rc = r;
  }
  tg_dist_unlock(d);
  d->stats.wait_seconds += MPI_Wtime() - w0;
  if (rc != MPI_SUCCESS) return tg_dist_mpi_fail(d, fn, "MPI_Iallreduce", rc);
  if (d->acc_used) memset(d->acc, 0, (size_t)d->trainable * sizeof(float));
  d->acc_used = false;
  d->acc_rows = 0;
  if ((st = tg_model_apply_gradients(d->model)) != TG_OK)
    return tg_dist_fail(d, st, "%s: rank %d: %s", fn, d->rank, tg_model_message(d->model));
  st = global_loss(d, fn, (double)l * (double)n_local, n_global, loss);
  d->stats.steps += 1;
  d->stats.step_seconds += MPI_Wtime() - t0;
  return st;
}

/* The checks every rank makes alike on the global batch, so that all fail or none. */
tg_status tg_dist_check_batch(tg_dist* d, const char* fn, const float* x, int64_t n, const float* y,
                              bool needs_y) {
  if (d == NULL) return TG_ERR_NULL_ARG;
  if (tg_model_input_count(d->model) != 1)
    return tg_dist_fail(d, TG_ERR_ARG, "%s: the model takes %d inputs; one is supported", fn,
                        tg_model_input_count(d->model));
  if (n < 1) return tg_dist_fail(d, TG_ERR_ARG, "%s: n must be >= 1, got %lld", fn, (long long)n);
  if (x == NULL) return tg_dist_fail(d, TG_ERR_NULL_ARG, "%s: x is NULL", fn);
  if (needs_y && y == NULL) return tg_dist_fail(d, TG_ERR_NULL_ARG, "%s: y is NULL", fn);
  return TG_OK;
}

tg_status tg_dist_train_on_batch(tg_dist* d, const float* x, int64_t n, const float* y,
                                 float* loss) {
  const char* fn = "tg_dist_train_on_batch";
  tg_status st = tg_dist_check_batch(d, fn, x, n, y, true);
  if (st != TG_OK) return st;
  int64_t lo, hi;
  tg_dist_shard(n, d->rank, d->size, &lo, &hi);
  const int64_t in = tg_model_input_dim(d->model), out = tg_model_target_width(d->model);
  return tg_dist_step_local(d, fn, x + lo * in, hi - lo, y + lo * out, n, loss);
}
