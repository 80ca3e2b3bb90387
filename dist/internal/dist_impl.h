/* dist/internal/dist_impl.h — the replica set's insides, shared by the files of dist/. */
#ifndef TAPEGRAD_DIST_INTERNAL_DIST_IMPL_H_
#define TAPEGRAD_DIST_INTERNAL_DIST_IMPL_H_

#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"

/* One reduction bucket: gradient block range [lo, hi) (floats). */
typedef struct tg_dist_bucket {
  int64_t lo, hi;
  int ready_at; /* final once backward's `done` <= this (INT_MAX: no node reads it) */
  bool started; /* scaled and handed to MPI_Iallreduce this step */
  MPI_Request req;
} tg_dist_bucket;

typedef struct tg_dist_progress tg_dist_progress;

struct tg_dist {
  MPI_Comm comm; /* our duplicate, MPI_ERRORS_RETURN */
  int rank, size;
  tg_model* model; /* borrowed */
  uint64_t seed;
  bool overlap;
  bool no_sync;
  int64_t trainable;       /* floats of the gradient block that are reduced */
  tg_dist_bucket* buckets; /* the last layer's first */
  int n_buckets;
  float* acc;       /* no_sync: sum of n * gradient over micro-batches (this rank) */
  int64_t acc_rows; /* global rows in acc (the same on every rank) */
  bool acc_used;    /* acc holds something (else it is all zero) */
  /* The step in flight: what the hook needs. */
  bool in_step, mapped;
  float scale;           /* n_r / T */
  float acc_scale;       /* 1 / T, when acc_used */
  int mpi_rc;            /* first failing MPI call in the hook */
  const tg_tape* hooked; /* the tape our hook is installed on */
  double first_start;    /* MPI_Wtime when the first bucket started */
  void* scratch;
  size_t scratch_bytes;
  tg_dist_progress* progress; /* the progress thread, or NULL */
  tg_dist_stats stats;
  tg_error error;
};

tg_status tg_dist_fail(tg_dist* d, tg_status code, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* "<fn>: rank R: <call> failed: <MPI's text>" as TG_ERR_IO. */
tg_status tg_dist_mpi_fail(tg_dist* d, const char* fn, const char* call, int rc);
tg_status tg_dist_broadcast_params(tg_dist* d, const char* fn);
/* Grow-only buffer owned by d; NULL on OOM. */
void* tg_dist_scratch(tg_dist* d, size_t bytes);
/* In-place global sum of n doubles. */
tg_status tg_dist_sum_doubles(tg_dist* d, const char* fn, double* v, int n);
/* One step on this rank's n_local rows of a global batch of n_global rows, rows
 * [first_row, first_row + n_local) of it (with no_sync: accumulate only). *loss gets
 * the global loss. */
tg_status tg_dist_step_local(tg_dist* d, const char* fn, const float* x, int64_t first_row,
                             int64_t n_local, const float* y, int64_t n_global, float* loss);

/* The progress thread (dist/progress.c). lock/unlock guard the buckets' requests
 * and mpi_rc while it runs (no-ops without it); kick, with the lock held, wakes it
 * after a bucket started. */
tg_status tg_dist_progress_start(tg_dist* d, const char* fn);
void tg_dist_progress_stop(tg_dist* d);
void tg_dist_lock(tg_dist* d);
void tg_dist_unlock(tg_dist* d);
void tg_dist_progress_kick(tg_dist* d);

/* Checks every rank makes alike on the global batch (all fail or none). */
tg_status tg_dist_check_batch(tg_dist* d, const char* fn, const float* x, int64_t n, const float* y,
                              bool needs_y);

#endif /* TAPEGRAD_DIST_INTERNAL_DIST_IMPL_H_ */
