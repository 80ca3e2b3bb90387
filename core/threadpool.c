/* core/threadpool.c — pthread workers that wait on a ticket (task generation counter).
 *
 * Dispatch: the caller publishes the task, bumps `ticket` under the mutex and
 * broadcasts; workers spin a little on the counter before sleeping on `wake`, so
 * back-to-back kernels (a training step) do not pay a futex wake-up each. The
 * caller runs worker 0's share itself and then waits for `remaining` to reach 0.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

/* About 10-100 µs of pause instructions, depending on the CPU: long enough to
 * bridge the gap between two kernels of one step, short enough that an idle pool
 * soon stops using a core. */
enum { kSpinIterations = 2000, kTicketStep = 256 };

typedef struct worker_arg {
  struct tg_threadpool* pool;
  int index;
} worker_arg;

struct tg_threadpool {
  const tg_allocator* alloc;
  int threads; /* workers including the caller */
  int started; /* pthreads running (threads - 1 once constructed) */
  pthread_t tid[TG_MAX_THREADS];
  worker_arg args[TG_MAX_THREADS];
  pthread_mutex_t mu;
  pthread_cond_t wake; /* ticket moved (or stop) */
  pthread_cond_t done; /* remaining reached 0 */
  /* generation * kTicketStep + workers of the current task, in one atomic so a
   * worker that looks late never pairs one task's generation with the next task's
   * worker count. */
  atomic_ullong ticket;
  atomic_int remaining; /* pthread workers still inside the current task */
  atomic_bool stop;
  /* The current task; written before the ticket moves (release), read only by its
   * participants, and the caller cannot publish another before they all finish. */
  tg_task_fn fn;
  void* ctx;
  void* scratch[TG_MAX_THREADS];
  size_t scratch_bytes;
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void* worker_main(void* arg) {
  const worker_arg* wa = (const worker_arg*)arg;
  tg_threadpool* pool = wa->pool;
  unsigned long long seen = 0;
  for (;;) {
    unsigned long long g = atomic_load_explicit(&pool->ticket, memory_order_acquire);
    for (int spin = 0; g == seen && spin < kSpinIterations; ++spin) {
      cpu_relax();
      g = atomic_load_explicit(&pool->ticket, memory_order_acquire);
    }
    if (g == seen) {
      pthread_mutex_lock(&pool->mu);
      while ((g = atomic_load_explicit(&pool->ticket, memory_order_acquire)) == seen)
        pthread_cond_wait(&pool->wake, &pool->mu);
      pthread_mutex_unlock(&pool->mu);
    }
    seen = g;
    if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
    const int workers = (int)(g % kTicketStep);
    if (wa->index < workers) {
      pool->fn(pool->ctx, wa->index, workers);
      if (atomic_fetch_sub_explicit(&pool->remaining, 1, memory_order_acq_rel) == 1) {
        pthread_mutex_lock(&pool->mu);
        pthread_cond_signal(&pool->done);
        pthread_mutex_unlock(&pool->mu);
      }
    }
  }
}

/* Moves the ticket to the next generation with `workers` participants, so sleeping
 * and spinning workers all look at the pool. */
static void publish(tg_threadpool* pool, int workers) {
  pthread_mutex_lock(&pool->mu);
  unsigned long long next =
      (atomic_load_explicit(&pool->ticket, memory_order_relaxed) / kTicketStep + 1) * kTicketStep +
      (unsigned long long)workers;
  atomic_store_explicit(&pool->ticket, next, memory_order_release);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mu);
}

static void stop_threads(tg_threadpool* pool) {
  atomic_store_explicit(&pool->stop, true, memory_order_release);
  publish(pool, 0);
  for (int i = 0; i < pool->started; ++i) pthread_join(pool->tid[i], NULL);
  pool->started = 0;
}

tg_threadpool* tg_threadpool_new(int threads, const tg_allocator* alloc, tg_error* err) {
  if (threads < 1 || threads > TG_MAX_THREADS) {
    tg_error_set(err, TG_ERR_ARG, "tg_threadpool_new: threads must be in 1..%d, got %d",
                 TG_MAX_THREADS, threads);
    return NULL;
  }
  alloc = tg_allocator_or_default(alloc);
  tg_threadpool* pool = (tg_threadpool*)alloc->alloc(alloc->ctx, sizeof *pool);
  if (pool == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "tg_threadpool_new: out of memory for a pool of %d", threads);
    return NULL;
  }
  memset(pool, 0, sizeof *pool);
  pool->alloc = alloc;
  pool->threads = threads;
  atomic_init(&pool->ticket, 0ull);
  atomic_init(&pool->remaining, 0);
  atomic_init(&pool->stop, false);
  if (threads == 1) return pool; /* scratch holder only: no mutex, no threads */
  pthread_mutex_init(&pool->mu, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->done, NULL);
  for (int i = 1; i < threads; ++i) {
    pool->args[i].pool = pool;
    pool->args[i].index = i;
    if (pthread_create(&pool->tid[pool->started], NULL, worker_main, &pool->args[i]) != 0) {
      tg_error_set(err, TG_ERR_STATE, "tg_threadpool_new: could not start thread %d of %d", i + 1,
                   threads);
      tg_threadpool_free(pool);
      return NULL;
    }
    pool->started++;
  }
  return pool;
}

void tg_threadpool_free(tg_threadpool* pool) {
  if (pool == NULL) return;
  if (pool->threads > 1) {
    stop_threads(pool);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mu);
  }
  for (int i = 0; i < pool->threads; ++i) tg_aligned_free(pool->alloc, pool->scratch[i]);
  const tg_allocator* alloc = pool->alloc;
  alloc->free(alloc->ctx, pool);
}

int tg_threadpool_threads(const tg_threadpool* pool) { return pool ? pool->threads : 1; }

void tg_threadpool_split(int64_t n, int worker, int workers, int64_t* begin, int64_t* end) {
  if (begin == NULL || end == NULL) return;
  /* Degenerate arguments give empty shares (nothing for n <= 0, nothing for a worker
   * outside [0, workers)); fewer than one worker counts as one. */
  if (workers < 1) workers = 1;
  if (n <= 0 || worker < 0 || worker >= workers) {
    *begin = *end = n > 0 ? n : 0;
    return;
  }
  const int64_t per = ((n + workers - 1) / workers + 15) / 16 * 16;
  *begin = per * worker < n ? per * worker : n;
  *end = *begin + per < n ? *begin + per : n;
}

void tg_threadpool_run(tg_threadpool* pool, int workers, tg_task_fn fn, void* ctx) {
  if (fn == NULL) return;
  int limit = pool ? pool->threads : 1;
  if (workers > limit) workers = limit;
  if (workers <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  pool->fn = fn;
  pool->ctx = ctx;
  atomic_store_explicit(&pool->remaining, workers - 1, memory_order_relaxed);
  publish(pool, workers);
  fn(ctx, 0, workers);
  for (int spin = 0; spin < kSpinIterations; ++spin) {
    if (atomic_load_explicit(&pool->remaining, memory_order_acquire) == 0) return;
    cpu_relax();
  }
  pthread_mutex_lock(&pool->mu);
  while (atomic_load_explicit(&pool->remaining, memory_order_acquire) != 0)
    pthread_cond_wait(&pool->done, &pool->mu);
  pthread_mutex_unlock(&pool->mu);
}

tg_status tg_threadpool_reserve(tg_threadpool* pool, size_t bytes) {
  if (pool == NULL) return TG_ERR_NULL_ARG;
  if (bytes <= pool->scratch_bytes) return TG_OK;
  void* fresh[TG_MAX_THREADS] = {0};
  for (int i = 0; i < pool->threads; ++i) {
    fresh[i] = tg_aligned_alloc(pool->alloc, bytes);
    if (fresh[i] == NULL) {
      for (int j = 0; j < i; ++j) tg_aligned_free(pool->alloc, fresh[j]);
      return TG_ERR_NOMEM;
    }
  }
  for (int i = 0; i < pool->threads; ++i) {
    tg_aligned_free(pool->alloc, pool->scratch[i]);
    pool->scratch[i] = fresh[i];
  }
  pool->scratch_bytes = bytes;
  return TG_OK;
}

void* tg_threadpool_scratch(const tg_threadpool* pool, int worker) {
  if (pool == NULL || worker < 0 || worker >= pool->threads) return NULL;
  return pool->scratch[worker];
}

size_t tg_threadpool_scratch_bytes(const tg_threadpool* pool) {
  return pool ? pool->scratch_bytes : 0;
}
