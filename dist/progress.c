/* dist/progress.c — the optional progress thread (tg_dist_options.progress_thread).
 *
 * MPI moves a non-blocking collective forward only inside MPI calls. The backward
 * hook calls MPI_Test between nodes, but a layer's backward is one long node (a
 * matrix product), so without help a bucket started before it mostly moves inside
 * MPI_Wait after backward. This thread calls MPI_Test on the buckets in flight every
 * few microseconds while the kernels run, and sleeps on a condition variable when
 * nothing is in flight. One mutex guards the buckets' requests: MPI forbids two
 * threads testing one request at once, and the main thread takes it to start
 * buckets and to wait for them. Needs MPI_THREAD_MULTIPLE. */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c11 */

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "dist/internal/dist_impl.h"

struct tg_dist_progress {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;
  bool in_flight; /* some bucket may still be moving */
};

static void* progress_main(void* arg) {
  tg_dist* d = (tg_dist*)arg;
  tg_dist_progress* p = d->progress;
  const struct timespec pause = {.tv_sec = 0, .tv_nsec = 20000};
  pthread_mutex_lock(&p->mu);
  while (!p->stop) {
    if (!p->in_flight) {
      pthread_cond_wait(&p->cv, &p->mu);
      continue;
    }
    bool pending = false;
    for (int b = 0; b < d->n_buckets; ++b) {
      tg_dist_bucket* bk = &d->buckets[b];
      if (!bk->started || bk->req == MPI_REQUEST_NULL) continue;
      int flag = 0;
      int rc = MPI_Test(&bk->req, &flag, MPI_STATUS_IGNORE);
      if (rc != MPI_SUCCESS && d->mpi_rc == MPI_SUCCESS) d->mpi_rc = rc;
      pending = pending || bk->req != MPI_REQUEST_NULL;
    }
    if (!pending) p->in_flight = false;
    pthread_mutex_unlock(&p->mu);
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

tg_status tg_dist_progress_start(tg_dist* d, const char* fn) {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  if (level != MPI_THREAD_MULTIPLE)
    return tg_dist_fail(d, TG_ERR_STATE,
                        "%s: progress_thread needs MPI_THREAD_MULTIPLE; MPI was initialised "
                        "with thread level %d (tg_dist_init asks for it)",
                        fn, level);
  tg_dist_progress* p = (tg_dist_progress*)calloc(1, sizeof *p);
  if (p == NULL) return tg_dist_fail(d, TG_ERR_NOMEM, "%s: out of memory", fn);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  d->progress = p;
  if (pthread_create(&p->thread, NULL, progress_main, d) != 0) {
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    d->progress = NULL;
    return tg_dist_fail(d, TG_ERR_STATE, "%s: cannot start the progress thread", fn);
  }
  return TG_OK;
}

void tg_dist_progress_stop(tg_dist* d) {
  tg_dist_progress* p = d->progress;
  if (p == NULL) return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->thread, NULL);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p);
  d->progress = NULL;
}

void tg_dist_lock(tg_dist* d) {
  if (d->progress) pthread_mutex_lock(&d->progress->mu);
}

void tg_dist_unlock(tg_dist* d) {
  if (d->progress) pthread_mutex_unlock(&d->progress->mu);
}

void tg_dist_progress_kick(tg_dist* d) {
  if (d->progress == NULL) return;
  d->progress->in_flight = true; /* the caller holds the lock */
  pthread_cond_signal(&d->progress->cv);
}
