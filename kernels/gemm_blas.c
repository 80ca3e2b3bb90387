/* kernels/gemm_blas.c — the CBLAS backend on OpenBLAS (Debian's libopenblas-dev), loaded
 * at run time.
 *
 * The library is not a link-time dependency: it is opened with dlopen (libopenblas.so.0,
 * else libopenblas.so; TG_BLAS_LIBRARY names another file, and an empty value turns
 * BLAS off) the first time a product needs to know about it. Loaded, OpenBLAS and the
 * Fortran runtime it pulls in hold ~3 MiB of memory, so when its kernel is narrower
 * than the best built-in one (AUTO never picks it then) the probe closes it again and
 * only an explicit BLAS product opens it for good. When it cannot be opened, BLAS is
 * absent: tg_blas_present() is false and the BLAS backend runs the built-in kernel.
 *
 * The loader's state is process-wide (so is the library): one mutex guards it, and the
 * function table, once published, never changes, so products read it without a lock.
 */
#define _POSIX_C_SOURCE 200809L /* dlopen and pthreads under -std=c11 */
#include "kernels/internal/gemm_blas.h"

#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE,
                         const enum CBLAS_TRANSPOSE, const blasint, const blasint, const blasint,
                         const float, const float*, const blasint, const float*, const blasint,
                         const float, float*, const blasint);

typedef struct blas_lib {
  sgemm_fn sgemm;
  void (*set_threads)(int);
  int (*get_threads)(void);
} blas_lib;

enum { kUnknown = -2, kAbsent = -1 };

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_level = kUnknown;               /* simd level once probed, kAbsent when none */
static char g_config[160] = "none";          /* openblas_get_config(), copied at the probe */
static void* g_handle;                       /* open library (kept or not yet closed) */
static blas_lib g_lib;                       /* filled before g_published points at it */
static _Atomic(const blas_lib*) g_published; /* non-NULL once kept open for good */

/* Vector width of an OpenBLAS core (DYNAMIC_ARCH names), on the built-in ISAs' scale. */
static int level_of(const char* core) {
  static const char* const avx512[] = {"skylakex", "cooperlake", "sapphirerapids"};
  static const char* const avx2[] = {"haswell", "zen", "excavator", "steamroller"};
  static const char* const avx[] = {"sandybridge", "bulldozer", "piledriver"};
  if (core == NULL) return 0;
  for (size_t i = 0; i < sizeof avx512 / sizeof avx512[0]; ++i)
    if (strcasecmp(core, avx512[i]) == 0) return 3;
  for (size_t i = 0; i < sizeof avx2 / sizeof avx2[0]; ++i)
    if (strcasecmp(core, avx2[i]) == 0) return 2;
  for (size_t i = 0; i < sizeof avx / sizeof avx[0]; ++i)
    if (strcasecmp(core, avx[i]) == 0) return 1;
  return 0;
}

/* Opens the library and resolves what the backend calls; false (nothing open) when
 * either fails. Caller holds g_mu. */
static bool open_locked(void) {
  if (g_handle != NULL) return true;
  const char* name = getenv("TG_BLAS_LIBRARY");
  void* h = NULL;
  if (name != NULL) {
    if (name[0] != '\0') h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  } else {
    h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) h = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
  }
  if (h == NULL) return false;
  /* POSIX's way from a data pointer to a function pointer (dlsym returns void*). */
  blas_lib lib;
  void* sym = dlsym(h, "cblas_sgemm");
  memcpy(&lib.sgemm, &sym, sizeof sym);
  sym = dlsym(h, "openblas_set_num_threads");
  memcpy(&lib.set_threads, &sym, sizeof sym);
  sym = dlsym(h, "openblas_get_num_threads");
  memcpy(&lib.get_threads, &sym, sizeof sym);
  if (lib.sgemm == NULL || lib.set_threads == NULL || lib.get_threads == NULL) {
    dlclose(h);
    return false;
  }
  g_lib = lib;
  g_handle = h;
  return true;
}

/* The library's level, opening it the first time and closing it again when the best
 * built-in kernel is at least as wide (AUTO then never calls it). Caller holds g_mu. */
static int probe_locked(void) {
  if (g_level != kUnknown) return g_level;
  if (!open_locked()) {
    g_level = kAbsent;
    return g_level;
  }
  char* (*corename)(void) = NULL;
  char* (*config)(void) = NULL;
  void* sym = dlsym(g_handle, "openblas_get_corename");
  memcpy(&corename, &sym, sizeof sym);
  sym = dlsym(g_handle, "openblas_get_config");
  memcpy(&config, &sym, sizeof sym);
  g_level = level_of(corename ? corename() : NULL);
  const char* c = config ? config() : NULL;
  if (c == NULL) c = "CBLAS";
  strncpy(g_config, c, sizeof g_config - 1);
  g_config[sizeof g_config - 1] = '\0';
  if (g_level < tg_gemm_isa_best()->simd_level && atomic_load(&g_published) == NULL) {
    dlclose(g_handle);
    g_handle = NULL;
  }
  return g_level;
}

static int probe(void) {
  pthread_mutex_lock(&g_mu);
  const int level = probe_locked();
  pthread_mutex_unlock(&g_mu);
  return level;
}

/* The function table, opening the library for good on first use; NULL when absent. */
static const blas_lib* lib(void) {
  const blas_lib* l = atomic_load_explicit(&g_published, memory_order_acquire);
  if (l != NULL) return l;
  pthread_mutex_lock(&g_mu);
  if (probe_locked() != kAbsent && open_locked())
    atomic_store_explicit(&g_published, &g_lib, memory_order_release);
  l = atomic_load_explicit(&g_published, memory_order_relaxed);
  pthread_mutex_unlock(&g_mu);
  return l;
}

bool tg_blas_present(void) { return probe() != kAbsent; }

const char* tg_blas_config(void) {
  probe();
  return g_config; /* written once, under the mutex, before probe() returns */
}

int tg_blas_simd_level(void) {
  const int level = probe();
  return level < 0 ? 0 : level;
}

void tg_blas_sgemm(const tg_gemm_args* g, int threads) {
  const blas_lib* l = lib();
  if (l == NULL) { /* the file went away between the probe and now: the slow built-in form */
    tg_gemm_isa_best()->small(g, NULL);
    return;
  }
  if (l->get_threads() != threads) l->set_threads(threads);
  /* CBLAS insists on leading dimensions >= 1 even for empty operands. */
  const int lda = g->lda > 0 ? (int)g->lda : 1;
  const int ldb = g->ldb > 0 ? (int)g->ldb : 1;
  const int ldc = g->ldc > 0 ? (int)g->ldc : 1;
  l->sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
           g->trans_b ? CblasTrans : CblasNoTrans, (int)g->m, (int)g->n, (int)g->k, 1.0f, g->a, lda,
           g->b, ldb, g->beta, g->c, ldc);
}
