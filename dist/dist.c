/* dist/dist.c — the replica set: consistency check, parameter broadcast, sharded
 * steps with bucketed gradient reduction during backward, evaluate, predict.
 *
 * Gradient of one step, with n_r rows on rank r, T = n (+ rows accumulated under
 * no_sync) and g_r the mean gradient of rank r's rows (what the model computes):
 *   g = sum_r (n_r g_r + acc_r) / T,   acc_r = sum over no_sync micro-batches of n g
 * Each rank scales its bucket by n_r/T (and adds acc_r/T) before MPI_SUM, so the
 * reduction is a plain sum and one rank (n_r = T, no acc) passes its gradient on
 * unchanged. Buckets always go through MPI_Iallreduce, with or without overlap, so
 * a given rank count always takes the same reduction algorithm (same bits). */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dist/internal/dist_impl.h"
#include "frontends/fit.h"

tg_status tg_dist_fail(tg_dist* d, tg_status code, const char* fmt, ...) {
  d->error.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->error.message, sizeof d->error.message, fmt, ap);
  va_end(ap);
  return code;
}

tg_status tg_dist_mpi_fail(tg_dist* d, const char* fn, const char* call, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "code %d", rc);
  return tg_dist_fail(d, TG_ERR_IO, "%s: rank %d: %s failed: %s", fn, d->rank, call, text);
}

tg_status tg_dist_init(int* argc, char*** argv, tg_error* err) {
  int done = 0;
  MPI_Initialized(&done);
  if (done) return TG_OK;
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
    return tg_error_set(err, TG_ERR_IO, "tg_dist_init: MPI_Init_thread failed");
  return TG_OK;
}

tg_status tg_dist_finalize(void) {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin && MPI_Finalize() != MPI_SUCCESS) return TG_ERR_IO;
  return TG_OK;
}

void tg_dist_shard(int64_t n, int rank, int size, int64_t* lo, int64_t* hi) {
  *lo = n * rank / size;
  *hi = n * (rank + 1) / size;
}

/* Appends to buf (cap bytes) at *len, counting what did not fit. */
static void put(char* buf, size_t cap, size_t* len, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char* at = *len < cap ? buf + *len : NULL;
  int k = vsnprintf(at, at ? cap - *len : 0, fmt, ap);
  va_end(ap);
  if (k > 0) *len += (size_t)k;
}

size_t tg_dist_describe(const tg_model* m, uint64_t seed, char* buf, size_t cap) {
  size_t len = 0;
  if (cap > 0) buf[0] = '\0';
  put(buf, cap, &len, "seed %llu", (unsigned long long)seed);
  const int layers = tg_model_layer_count(m);
  for (int i = 0; i < layers; ++i) {
    tg_layer* l = tg_model_layer_at((tg_model*)m, i);
    const tg_layer_type* type = tg_layer_type_of(l);
    char text[128] = "";
    if (type->describe) type->describe(l, text, sizeof text);
    put(buf, cap, &len, "; %s %s (%s)", type->name, tg_layer_name(l), text);
  }
  const tg_param_set* ps = tg_model_params(m);
  for (int i = 0; i < tg_param_set_count(ps); ++i) {
    tg_param_info p;
    if (tg_param_set_info(ps, i, &p) != TG_OK) continue;
    put(buf, cap, &len, "; %s [", p.name);
    for (int k = 0; k < p.rank; ++k)
      put(buf, cap, &len, k ? "x%lld" : "%lld", (long long)p.shape[k]);
    put(buf, cap, &len, "]%s", p.trainable ? "" : " frozen");
  }
  const tg_optimizer* o = tg_model_optimizer(m);
  if (o) {
    tg_optimizer_options oo = tg_optimizer_options_of(o);
    put(buf, cap, &len, "; %s lr %g after %lld steps", tg_optimizer_kind_name(oo.kind),
        (double)oo.lr, (long long)tg_optimizer_iterations(o));
  }
  return len;
}

static uint64_t fnv1a(const char* s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

/* The buckets: trainable parameters in reverse declaration order (the last layer's
 * first, as backward finishes them), cut once a bucket holds bucket_floats. The
 * block lays trainable parameters out in declaration order, so each bucket is one
 * contiguous range. */
static tg_status add_bucket(tg_dist* d, int* cap, int64_t lo, int64_t hi) {
  if (d->n_buckets == *cap) {
    *cap = *cap ? 2 * *cap : 8;
    tg_dist_bucket* b = (tg_dist_bucket*)realloc(d->buckets, (size_t)*cap * sizeof *b);
    if (b == NULL) return TG_ERR_NOMEM;
    d->buckets = b;
  }
  d->buckets[d->n_buckets++] = (tg_dist_bucket){.lo = lo, .hi = hi, .req = MPI_REQUEST_NULL};
  return TG_OK;
}

static tg_status make_buckets(tg_dist* d, int64_t bucket_floats) {
  const tg_param_set* ps = tg_model_params(d->model);
  int cap = 0;
  int64_t hi = -1, lo = -1;
  d->n_buckets = 0;
  for (int i = tg_param_set_count(ps) - 1; i >= 0; --i) {
    tg_param_info p;
    if (tg_param_set_info(ps, i, &p) != TG_OK || !p.trainable || p.size == 0) continue;
    if (hi < 0) hi = p.offset + p.size;
    lo = p.offset;
    if (hi - lo >= bucket_floats) {
      if (add_bucket(d, &cap, lo, hi) != TG_OK) return TG_ERR_NOMEM;
      hi = -1;
    }
  }
  return hi >= 0 ? add_bucket(d, &cap, lo, hi) : TG_OK; /* the first layers' rest */
}

/* Every rank's description hash against rank 0's; on a mismatch the error names
 * the first differing rank and shows both descriptions around the first difference. */
static tg_status check_same_model(tg_dist* d, const char* fn) {
  char* desc = NULL;
  char* all = NULL;
  uint64_t* hashes = NULL;
  int *lens = NULL, *offs = NULL;
  tg_status st = TG_OK;
  const size_t len = tg_dist_describe(d->model, d->seed, NULL, 0);
  desc = (char*)malloc(len + 1);
  hashes = (uint64_t*)malloc((size_t)d->size * sizeof *hashes);
  lens = (int*)malloc((size_t)d->size * sizeof *lens);
  offs = (int*)malloc((size_t)d->size * sizeof *offs);
  if (!desc || !hashes || !lens || !offs || len > INT_MAX) {
    st = tg_dist_fail(d, TG_ERR_NOMEM, "%s: out of memory", fn);
    goto done;
  }
  tg_dist_describe(d->model, d->seed, desc, len + 1);
  uint64_t h = fnv1a(desc, len);
  int rc = MPI_Allgather(&h, 1, MPI_UINT64_T, hashes, 1, MPI_UINT64_T, d->comm);
  if (rc != MPI_SUCCESS) {
    st = tg_dist_mpi_fail(d, fn, "MPI_Allgather", rc);
    goto done;
  }
  int bad = -1;
  for (int r = 1; r < d->size && bad < 0; ++r)
    if (hashes[r] != hashes[0]) bad = r;
  if (bad < 0) goto done;
  int mine = (int)len;
  if ((rc = MPI_Allgather(&mine, 1, MPI_INT, lens, 1, MPI_INT, d->comm)) != MPI_SUCCESS) {
    st = tg_dist_mpi_fail(d, fn, "MPI_Allgather", rc);
    goto done;
  }
  int64_t total = 0;
  for (int r = 0; r < d->size; ++r) {
    offs[r] = (int)total;
    total += lens[r];
  }
  if (total > INT_MAX || (all = (char*)malloc((size_t)total + 1)) == NULL) {
    st = tg_dist_fail(d, TG_ERR_NOMEM, "%s: out of memory", fn);
    goto done;
  }
  rc = MPI_Allgatherv(desc, mine, MPI_CHAR, all, lens, offs, MPI_CHAR, d->comm);
  if (rc != MPI_SUCCESS) {
    st = tg_dist_mpi_fail(d, fn, "MPI_Allgatherv", rc);
    goto done;
  }
  const char* a = all + offs[0];
  const char* b = all + offs[bad];
  int first = 0;
  while (first < lens[0] && first < lens[bad] && a[first] == b[first]) ++first;
  const int from = first > 40 ? first - 40 : 0;
  st = tg_dist_fail(d, TG_ERR_ARG,
                    "%s: rank %d differs from rank 0 (model or seed): rank 0 has \"%s%.*s\", "
                    "rank %d has \"%s%.*s\"",
                    fn, bad, from ? "..." : "", lens[0] - from > 100 ? 100 : lens[0] - from,
                    a + from, bad, from ? "..." : "",
                    lens[bad] - from > 100 ? 100 : lens[bad] - from, b + from);
done:
  free(desc);
  free(all);
  free(hashes);
  free(lens);
  free(offs);
  return st;
}

tg_dist* tg_dist_new(tg_model* m, const tg_dist_options* options, tg_error* err) {
  const char* fn = "tg_dist_new";
  if (m == NULL) {
    tg_error_set(err, TG_ERR_NULL_ARG, "%s: model is NULL", fn);
    return NULL;
  }
  tg_dist_options o;
  memset(&o, 0, sizeof o);
  if (options) o = *options;
  if (o.bucket_bytes < 0 || (o.bucket_bytes > 0 && o.bucket_bytes < 4)) {
    tg_error_set(err, TG_ERR_ARG, "%s: bucket_bytes must be 0 or >= 4, got %lld", fn,
                 (long long)o.bucket_bytes);
    return NULL;
  }
  int init = 0;
  MPI_Initialized(&init);
  if (!init) {
    tg_error_set(err, TG_ERR_STATE, "%s: MPI is not initialised; call tg_dist_init first", fn);
    return NULL;
  }
  tg_dist* d = (tg_dist*)calloc(1, sizeof *d);
  if (d == NULL) {
    tg_error_set(err, TG_ERR_NOMEM, "%s: out of memory", fn);
    return NULL;
  }
  d->comm = MPI_COMM_NULL;
  d->model = m;
  d->seed = o.seed;
  d->overlap = !o.no_overlap;
  /* Our own communicator: our collectives never match the caller's messages. */
  MPI_Comm base = o.comm ? o.comm : MPI_COMM_WORLD;
  int rc = MPI_Comm_dup(base, &d->comm);
  tg_status st = TG_OK;
  if (rc != MPI_SUCCESS) {
    d->comm = MPI_COMM_NULL;
    st = tg_dist_mpi_fail(d, fn, "MPI_Comm_dup", rc);
  } else {
    MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(d->comm, &d->rank);
    MPI_Comm_size(d->comm, &d->size);
  }
  if (st == TG_OK && tg_model_optimizer(m) == NULL)
    st = tg_dist_fail(d, TG_ERR_STATE, "%s: rank %d: compile the model first", fn, d->rank);
  /* Every rank reaches the check (a rank with an uncompiled model would otherwise
   * leave the others waiting): agree on failure first. */
  if (d->comm != MPI_COMM_NULL) {
    int ok = st == TG_OK, all_ok = 0;
    rc = MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, d->comm);
    if (rc != MPI_SUCCESS && st == TG_OK) st = tg_dist_mpi_fail(d, fn, "MPI_Allreduce", rc);
    if (st == TG_OK && !all_ok)
      st = tg_dist_fail(d, TG_ERR_STATE, "%s: another rank failed to start (see its message)", fn);
  }
  if (st == TG_OK) st = check_same_model(d, fn);
  if (st == TG_OK) {
    const int64_t floats =
        o.bucket_bytes ? (o.bucket_bytes + 3) / 4 : TG_DIST_DEFAULT_BUCKET_BYTES / 4;
    d->trainable = tg_model_trainable_size(m);
    if (make_buckets(d, floats) != TG_OK ||
        (d->trainable > 0 &&
         (d->acc = (float*)calloc((size_t)d->trainable, sizeof(float))) == NULL))
      st = tg_dist_fail(d, TG_ERR_NOMEM, "%s: out of memory", fn);
  }
  if (st == TG_OK) st = tg_dist_broadcast_params(d, fn);
  if (st == TG_OK && o.progress_thread && d->overlap) st = tg_dist_progress_start(d, fn);
  if (st != TG_OK) {
    tg_error_set(err, st, "%s", d->error.message);
    tg_dist_free(d);
    return NULL;
  }
  return d;
}

tg_status tg_dist_broadcast_params(tg_dist* d, const char* fn) {
  float* v = tg_model_param_values(d->model);
  int64_t n = tg_model_param_size(d->model);
  for (int64_t at = 0; at < n; at += 1 << 28) {
    const int64_t k = n - at < (1 << 28) ? n - at : (1 << 28);
    int rc = MPI_Bcast(v + at, (int)k, MPI_FLOAT, 0, d->comm);
    if (rc != MPI_SUCCESS) return tg_dist_mpi_fail(d, fn, "MPI_Bcast", rc);
  }
  /* and rank 0's random streams: dropout's keys come from the layers' stream, so
   * replicas built with other seeds would otherwise drop other units */
  tg_model_rng_state s = tg_model_rng_state_get(d->model);
  int rc = MPI_Bcast(&s, (int)sizeof s, MPI_BYTE, 0, d->comm);
  if (rc != MPI_SUCCESS) return tg_dist_mpi_fail(d, fn, "MPI_Bcast", rc);
  tg_model_rng_state_set(d->model, &s);
  return TG_OK;
}

void tg_dist_free(tg_dist* d) {
  if (d == NULL) return;
  tg_tape* t = tg_model_training_tape(d->model);
  if (t && d->hooked == t) tg_tape_set_backward_hook(t, NULL, NULL);
  tg_dist_progress_stop(d);
  if (d->comm != MPI_COMM_NULL) MPI_Comm_free(&d->comm);
  free(d->buckets);
  free(d->acc);
  free(d->scratch);
  free(d);
}

int tg_dist_rank(const tg_dist* d) { return d ? d->rank : 0; }
int tg_dist_size(const tg_dist* d) { return d ? d->size : 0; }
tg_model* tg_dist_model(tg_dist* d) { return d ? d->model : NULL; }
const char* tg_dist_message(const tg_dist* d) { return d ? d->error.message : "dist is NULL"; }
tg_dist_stats tg_dist_get_stats(const tg_dist* d) {
  tg_dist_stats s = {0};
  if (d) {
    s = d->stats;
    s.buckets = d->n_buckets;
  }
  return s;
}

void tg_dist_set_no_sync(tg_dist* d, bool no_sync) {
  if (d) d->no_sync = no_sync;
}

void* tg_dist_scratch(tg_dist* d, size_t bytes) {
  if (bytes <= d->scratch_bytes) return d->scratch;
  void* p = realloc(d->scratch, bytes);
  if (p == NULL) return NULL;
  d->scratch = p;
  d->scratch_bytes = bytes;
  return p;
}

tg_status tg_dist_sum_doubles(tg_dist* d, const char* fn, double* v, int n) {
  int rc = MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, d->comm);
  return rc == MPI_SUCCESS ? TG_OK : tg_dist_mpi_fail(d, fn, "MPI_Allreduce", rc);
}
