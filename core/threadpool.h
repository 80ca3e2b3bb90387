/** @file core/threadpool.h — a small pool of worker threads, plus per-worker scratch memory.
 *
 * A pool of `threads` runs one task at a time on up to `threads` workers: worker 0
 * is the calling thread, workers 1.. are pthreads that sleep on a condition
 * variable between tasks (they spin only briefly after a task, so a pool never
 * competes for cores with a BLAS library's own threads for long). A pool of 1 has
 * no threads at all and only holds worker 0's scratch, so kernels can run without
 * allocating whatever the thread count.
 *
 * Ownership: the pool, its threads and its scratch are allocated through the
 * allocator given to tg_threadpool_new and released by tg_threadpool_free. A tape
 * creates one lazily for its kernels (tg_tape_pool in core/tape.h).
 * Thread-safety: one thread at a time calls tg_threadpool_run/reserve on a pool;
 * tasks must not call back into the same pool. Different pools share nothing.
 *
 *     static void fill(void* ctx, int worker, int workers) {
 *       float* x = ctx;   // each worker fills its own slice
 *       for (int i = worker * 1000 / workers; i < (worker + 1) * 1000 / workers; ++i) x[i] = 1.0f;
 *     }
 *     tg_threadpool* pool = tg_threadpool_new(2, NULL, &err);
 *     tg_threadpool_run(pool, 2, fill, buffer);   // returns when both halves are done
 *     tg_threadpool_free(pool);
 */
#ifndef TAPEGRAD_CORE_THREADPOOL_H_
#define TAPEGRAD_CORE_THREADPOOL_H_

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_threadpool tg_threadpool; /**< a pool of worker threads (opaque) */

/** One worker's share of a task: worker in [0, workers). */
typedef void (*tg_task_fn)(void* ctx, int worker, int workers);

enum { TG_MAX_THREADS = 64 };

/** A pool of `threads` workers (1..TG_MAX_THREADS; the caller counts as one) using
 * `alloc` (NULL: malloc). Returns NULL and fills err (may be NULL) on a bad count,
 * allocation failure or when a thread cannot be started. Free with tg_threadpool_free. */
tg_threadpool* tg_threadpool_new(int threads, const tg_allocator* alloc, tg_error* err);

/** Stops and joins the threads and releases everything; NULL is ignored. */
void tg_threadpool_free(tg_threadpool* pool);

/** Number of workers, including the caller; 1 for a NULL pool. */
int tg_threadpool_threads(const tg_threadpool* pool);

/** Runs fn(ctx, w, workers) for every w in [0, workers) — w == 0 on the calling
 * thread — and returns when all have returned. `workers` is clamped to 1..threads;
 * a NULL pool runs fn(ctx, 0, 1) inline. */
void tg_threadpool_run(tg_threadpool* pool, int workers, tg_task_fn fn, void* ctx);

/** Worker `worker`'s share [*begin, *end) of n elements split over `workers`, each
 * share a whole number of 16-float cache lines (the last one takes the rest), so
 * workers never write the same line. Shares may be empty: always for n <= 0 or a
 * worker outside [0, workers); workers < 1 counts as 1; NULL begin/end: no-op. */
void tg_threadpool_split(int64_t n, int worker, int workers, int64_t* begin, int64_t* end);

/** Makes every worker's scratch at least `bytes` long (64-byte aligned). Allocates
 * only when a larger size than before is asked for; TG_ERR_NOMEM on failure (the
 * old scratch is kept), TG_ERR_NULL_ARG for a NULL pool. Call from the owning
 * thread, outside tasks. */
tg_status tg_threadpool_reserve(tg_threadpool* pool, size_t bytes);

/** Worker `worker`'s scratch (size from the last successful reserve), NULL if none. */
void* tg_threadpool_scratch(const tg_threadpool* pool, int worker);
/** Bytes of each worker's scratch (0 if none, or for a NULL pool). */
size_t tg_threadpool_scratch_bytes(const tg_threadpool* pool);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_CORE_THREADPOOL_H_ */
