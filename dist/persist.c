/* dist/persist.c — checkpoints: rank 0 writes (tg_model_save, atomic), rank 0 reads
 * and sends the bytes, so the file lives on rank 0's machine only. */
#include "frontends/persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/internal/dist_impl.h"

/* Rank 0's outcome on every rank. */
static tg_status share_error(MPI_Comm comm, tg_error* e, const char* fn) {
  int rc = MPI_Bcast(e, (int)sizeof *e, MPI_BYTE, 0, comm);
  if (rc != MPI_SUCCESS) {
    e->code = TG_ERR_IO;
    snprintf(e->message, sizeof e->message, "%s: MPI_Bcast failed (code %d)", fn, rc);
  }
  return e->code;
}

tg_status tg_dist_save(tg_dist* d, const char* path) {
  const char* fn = "tg_dist_save";
  if (d == NULL) return TG_ERR_NULL_ARG;
  tg_error e = {0};
  if (d->rank == 0) {
    if (path == NULL)
      tg_error_set(&e, TG_ERR_NULL_ARG, "%s: path is NULL", fn);
    else
      tg_model_save(d->model, path, &e);
  }
  tg_status st = share_error(d->comm, &e, fn);
  return st == TG_OK ? TG_OK : tg_dist_fail(d, st, "%s", e.message);
}

/* The whole file at path, malloc'd; NULL with e filled. */
static char* read_all(const char* fn, const char* path, size_t* size, tg_error* e) {
  FILE* f = path ? fopen(path, "rb") : NULL;
  if (f == NULL) {
    tg_error_set(e, path ? TG_ERR_IO : TG_ERR_NULL_ARG, "%s: cannot open '%s'", fn,
                 path ? path : "(null)");
    return NULL;
  }
  char* buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 1 << 16;
      char* b = (char*)realloc(buf, cap);
      if (b == NULL) {
        free(buf);
        fclose(f);
        tg_error_set(e, TG_ERR_NOMEM, "%s: out of memory reading '%s'", fn, path);
        return NULL;
      }
      buf = b;
    }
    size_t k = fread(buf + n, 1, cap - n, f);
    n += k;
    if (k == 0) break;
  }
  const int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    tg_error_set(e, TG_ERR_IO, "%s: read error on '%s'", fn, path);
    return NULL;
  }
  *size = n;
  return buf;
}

tg_model* tg_dist_load(MPI_Comm comm, const char* path, const tg_model_options* options,
                       tg_error* err) {
  const char* fn = "tg_dist_load";
  if (!comm) comm = MPI_COMM_WORLD;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  tg_error e = {0};
  size_t size = 0;
  char* bytes = rank == 0 ? read_all(fn, path, &size, &e) : NULL;
  if (share_error(comm, &e, fn) != TG_OK) {
    tg_error_set(err, e.code, "%s", e.message);
    return NULL;
  }
  unsigned long long sz = size;
  int rc = MPI_Bcast(&sz, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  if (rc == MPI_SUCCESS && rank != 0) {
    bytes = (char*)malloc(sz ? (size_t)sz : 1);
    if (bytes == NULL) sz = 0;
  }
  for (unsigned long long at = 0; rc == MPI_SUCCESS && bytes && at < sz; at += 1u << 30) {
    const unsigned long long k = sz - at < (1u << 30) ? sz - at : (1u << 30);
    rc = MPI_Bcast(bytes + at, (int)k, MPI_BYTE, 0, comm);
  }
  tg_model* m = NULL;
  if (rc != MPI_SUCCESS)
    tg_error_set(err, TG_ERR_IO, "%s: rank %d: MPI_Bcast failed (code %d)", fn, rank, rc);
  else if (bytes == NULL)
    tg_error_set(err, TG_ERR_NOMEM, "%s: rank %d: out of memory", fn, rank);
  else
    m = tg_model_load_buffer(bytes, (size_t)sz, options, err);
  free(bytes);
  return m;
}
