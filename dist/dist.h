/* dist/dist.h — data-parallel training over MPI: one model replica per process, each
 * computing gradients on its shard of the global batch, gradients averaged across
 * processes while backward still runs, the same optimizer step everywhere.
 *
 * tg_dist_new wraps a compiled model (frontends/model.h) on every rank of a
 * communicator. It is collective: it checks that every rank holds the same model
 * (layer types, configurations, parameter shapes, optimizer, loss) and the same
 * seed, then copies rank 0's parameters to every rank. After that every rank calls
 * the same functions with the same global data:
 *   - train_on_batch(x, n, y): rank r takes rows [n*r/N, n*(r+1)/N) of the global
 *     batch (shards differ by at most one row; a rank may get none), computes its
 *     gradient, weights it by its share of the rows, and the sum over ranks — the
 *     gradient one process computes on all n rows — is reduced in buckets
 *     (MPI_Iallreduce, MPI_SUM) started during backward as soon as a bucket's
 *     gradients are final (the last layer's first), waited for before the step;
 *   - fit: epochs over a dataset every rank holds in full, shuffled with
 *     options.seed (the same order on every rank), in global batches;
 *   - evaluate and predict on shards; losses are reduced so that every rank returns
 *     the global value, predictions gathered on every rank.
 * Progress output and checkpoints come from rank 0 only.
 *
 * Equality with one process: to float rounding, not bitwise: one process sums a
 * gradient over all n rows in one matrix product; N processes sum each shard, then
 * the shards (float addition is not associative, so the grouping shows in the last
 * bits), and Adam divides by sqrt(v), which keeps those relative differences. The
 * measured spread is in docs/distributed.md. The ranks stay bitwise identical to each
 * other (every rank receives the same reduced bits and steps the same way), and a
 * run with a given number of ranks is deterministic, so resuming a checkpoint
 * with the same number of ranks is bit-identical to never stopping.
 *
 * Dropout: each rank's layers draw from that rank's own model's layers' stream, which
 * starts alike on every rank (same seed, checked), and draw masks for their shard's
 * rows only. So rank r's k-th row gets the mask rank 0's k-th row gets, and the run
 * is not one process's run (which draws one mask over all n rows) to rounding: the
 * N-rank equality above holds for models without random layers. A run with dropout
 * is still deterministic for a given number of ranks; resuming it bit-identically
 * also needs every rank to have drawn as many numbers as rank 0 (whose file
 * every rank loads), i.e. shards of equal size in every step.
 *
 * Faults: the communicator gets MPI_ERRORS_RETURN, so an MPI error is a tg_status
 * with MPI's message, not an abort inside the library. A rank that dies (signal,
 * exit without tg_dist_finalize) ends the whole job: OpenMPI's mpirun sees the
 * abnormal exit and kills the other ranks within about a second, and exits non-zero.
 *
 * Errors every rank sees alike (bad arguments, checked on the global batch) return
 * on every rank before any communication. An error on one rank only (bad values in
 * its shard) returns there while the others wait in the reduction: a program must
 * exit non-zero on an error, which ends the job as above.
 *
 * Ownership: tg_dist_new borrows the model (the caller frees it after
 * tg_dist_free) and duplicates the communicator (freed by tg_dist_free). Errors:
 * functions return tg_status; the message is on the dist (tg_dist_message) and
 * names the function, the rank and what differs. Thread-safety: one thread per dist
 * (plus its own progress thread when asked for).
 *
 *   tg_error err = {0};
 *   tg_dist_init(&argc, &argv, &err);                      // MPI_Init unless done
 *   tg_model* m = ...; tg_model_compile(m, loss, &adam);    // the same on every rank
 *   tg_dist* d = tg_dist_new(m, &(tg_dist_options){.seed = 7}, &err);
 *   for (int s = 0; s < steps; ++s) tg_dist_train_on_batch(d, x, 128, y, &loss);
 *   if (tg_dist_rank(d) == 0) printf("loss %g\n", loss);   // the global loss, every rank
 *   tg_dist_free(d); tg_model_free(m);
 *   tg_dist_finalize();
 */
#ifndef TAPEGRAD_DIST_DIST_H_
#define TAPEGRAD_DIST_DIST_H_

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"
#include "frontends/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of gradient per reduction bucket when options.bucket_bytes is 0. Smaller
 * buckets start earlier (more overlap with backward) but pay MPI's per-call latency
 * more often; PyTorch's DDP uses 25 MB for GPU models, a CPU model's gradient block
 * is often smaller than that, so the default here is 1 MiB. */
enum { TG_DIST_DEFAULT_BUCKET_BYTES = 1 << 20 };

typedef struct tg_dist_options {
  MPI_Comm comm;        /* the caller's communicator; 0 (zeroed options): MPI_COMM_WORLD */
  uint64_t seed;        /* fit's shuffling; must be the same on every rank (checked) */
  int64_t bucket_bytes; /* gradient bytes per bucket (>= 4); 0: TG_DIST_DEFAULT_BUCKET_BYTES */
  bool no_overlap;      /* reduce every bucket after backward (blocking), not during it */
  /* A thread that calls MPI_Test on the buckets in flight while backward's kernels
   * run (MPI moves non-blocking collectives only inside MPI calls, and one layer's
   * backward is one long call): real overlap, for a core's share while buckets
   * move. Needs MPI_THREAD_MULTIPLE (tg_dist_init asks for it). */
  bool progress_thread;
} tg_dist_options;

typedef struct tg_dist tg_dist;

/* MPI_Init_thread(MULTIPLE: see progress_thread) unless MPI is already initialised (a program that
 * uses MPI itself initialises it and hands its communicator in). argc/argv may be NULL. */
tg_status tg_dist_init(int* argc, char*** argv, tg_error* err);
/* MPI_Finalize unless already finalised (or never initialised). */
tg_status tg_dist_finalize(void);

/* Collective over the communicator. NULL with err filled (on every rank, naming
 * the first rank that differs from rank 0 and both descriptions) when the models
 * or seeds differ, the model is not compiled, or MPI fails, e.g.
 *   tg_dist_new: rank 1 differs from rank 0: rank 0 has "seed 7; Dense dense_1
 *   (16, relu) ...", rank 1 has "seed 8; Dense dense_1 (16, relu) ..." */
tg_dist* tg_dist_new(tg_model* m, const tg_dist_options* options, tg_error* err);
void tg_dist_free(tg_dist* d);

int tg_dist_rank(const tg_dist* d);
int tg_dist_size(const tg_dist* d);
tg_model* tg_dist_model(tg_dist* d);
const char* tg_dist_message(const tg_dist* d); /* last failing call's message, or "" */

/* The text every rank's model is compared by (hashed with FNV-1a 64): the seed, then
 * per layer its type, name, configuration text and parameter shapes, then loss and
 * optimizer. Writes at most cap bytes (NUL-terminated), returns the full length. */
size_t tg_dist_describe(const tg_model* m, uint64_t seed, char* buf, size_t cap);

/* Rows [*lo, *hi) of an n-row global batch that `rank` of `size` takes. */
void tg_dist_shard(int64_t n, int rank, int size, int64_t* lo, int64_t* hi);

/* One optimizer step on a global batch of n >= 1 rows (x: n*input_dim, y:
 * n*tg_model_target_width: one label per row for sparse_categorical_crossentropy,
 * else n*output_dim; the same on every rank). *loss (may be NULL) gets the global loss
 * before the step, the same on every rank. With no_sync on, the rank's gradient is
 * added to a local accumulator instead: no communication, no step; the next call
 * with no_sync off reduces everything accumulated (as if all those rows had been one
 * batch) and steps once. */
tg_status tg_dist_train_on_batch(tg_dist* d, const float* x, int64_t n, const float* y,
                                 float* loss);
/* Gradient accumulation over micro-batches (PyTorch DDP's no_sync). */
void tg_dist_set_no_sync(tg_dist* d, bool no_sync);

/* Global loss of n rows without training; each rank evaluates its shard. */
tg_status tg_dist_evaluate(tg_dist* d, const float* x, int64_t n, const float* y, float* loss);
/* Outputs of n rows into out (out_cap >= n*output_dim) on every rank; each rank
 * computes its shard and the shards are gathered. */
tg_status tg_dist_predict(tg_dist* d, const float* x, int64_t n, float* out, int64_t out_cap);

typedef struct tg_dist_fit_options {
  int epochs;               /* 0: 1 */
  int64_t batch_size;       /* global rows per step; 0: 32 */
  bool no_shuffle;          /* default: shuffled per epoch from options.seed and the epoch */
  int verbose;              /* 0 silent, 2 one line per epoch (rank 0 only) */
  FILE* out;                /* rank 0's progress; NULL: nowhere */
  float* history_loss;      /* optional, `epochs` floats: mean global loss per epoch */
  const char* checkpoint;   /* rank 0 saves the model here (tg_model_save: atomic) */
  int64_t checkpoint_every; /* steps between checkpoints; 0: at the end of every epoch */
  bool resume;              /* start at step tg_optimizer_iterations (a loaded checkpoint) */
  /* Called on every rank after every step (global step count so far, global loss);
   * returning false stops fit with TG_OK. */
  bool (*after_step)(void* ctx, int64_t steps, float loss);
  void* ctx;
} tg_dist_fit_options;

/* Epochs over n rows (every rank holds all of them). Step s of the run is batch
 * s % steps_per_epoch of epoch s / steps_per_epoch, whose row order depends only on
 * the seed and the epoch: a run resumed from a checkpoint taken after step s (with
 * .resume) takes the same batches as one that never stopped. */
tg_status tg_dist_fit(tg_dist* d, const float* x, int64_t n, const float* y,
                      const tg_dist_fit_options* options);

/* Rank 0 saves the model (tg_model_save); collective: every rank returns rank 0's
 * status. */
tg_status tg_dist_save(tg_dist* d, const char* path);
/* Collective: rank 0 reads the file and sends its bytes, every rank loads them
 * (tg_model_load_buffer), so the file needs to exist on rank 0's machine only.
 * comm 0: MPI_COMM_WORLD. NULL with err filled (the same error on every rank). */
tg_model* tg_dist_load(MPI_Comm comm, const char* path, const tg_model_options* options,
                       tg_error* err);

/* Where the time went, summed since tg_dist_new (this rank). */
typedef struct tg_dist_stats {
  int64_t steps;             /* synchronised steps */
  double step_seconds;       /* in train_on_batch (and fit's steps), whole */
  double wait_seconds;       /* blocked in MPI_Wait for buckets after backward */
  double backward_seconds;   /* from the first bucket's start to the end of backward */
  int64_t bytes_reduced;     /* gradient bytes handed to the reduction (per rank) */
  int64_t early_buckets;     /* buckets started from inside backward (overlap) */
  int64_t early_before_last; /* of those, started before backward's last node ran */
  int64_t buckets;           /* per step */
} tg_dist_stats;
tg_dist_stats tg_dist_get_stats(const tg_dist* d);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_DIST_DIST_H_ */
