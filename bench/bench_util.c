/* bench/bench_util.c — see bench_util.h. */
#define _POSIX_C_SOURCE 200809L
#include "bench/bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kernels/gemm.h"

double tg_bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double tg_bench_thread_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

double tg_bench_median(double* v, int n) {
  if (n <= 0) return 0.0;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double tg_bench_min(const double* v, int n) {
  double m = n > 0 ? v[0] : 0.0;
  for (int i = 1; i < n; ++i)
    if (v[i] < m) m = v[i];
  return m;
}

double tg_bench_max(const double* v, int n) {
  double m = n > 0 ? v[0] : 0.0;
  for (int i = 1; i < n; ++i)
    if (v[i] > m) m = v[i];
  return m;
}

double tg_bench_peak_rss_mib(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1.0;
  return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

typedef struct resident_group {
  char name[64];
  double kib;
} resident_group;

void tg_bench_print_resident(const char* prefix, double min_kib) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (f == NULL) return;
  resident_group g[64];
  int n = 0;
  char line[512], current[64] = "anonymous";
  double total = 0.0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    double kib;
    if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && strchr(line, ' ') != NULL) {
      /* a mapping's first line: the path, if any, is its last field */
      const char* path = strrchr(line, ' ');
      char* nl = strchr(line, '\n');
      if (nl) *nl = '\0';
      path = strrchr(line, ' ');
      const char* base = path ? strrchr(path, '/') : NULL;
      const char* name = base ? base + 1 : (path && path[1] != '\0' ? path + 1 : "anonymous");
      snprintf(current, sizeof current, "%s", name);
    } else if (sscanf(line, "Rss: %lf kB", &kib) == 1) {
      total += kib;
      int i = 0;
      while (i < n && strcmp(g[i].name, current) != 0) ++i;
      if (i == n && n < (int)(sizeof g / sizeof g[0])) {
        snprintf(g[n].name, sizeof g[n].name, "%s", current);
        g[n++].kib = 0.0;
      }
      if (i < n) g[i].kib += kib;
    }
  }
  fclose(f);
  for (int i = 1; i < n; ++i) /* largest first */
    for (int j = i; j > 0 && g[j].kib > g[j - 1].kib; --j) {
      const resident_group t = g[j];
      g[j] = g[j - 1];
      g[j - 1] = t;
    }
  printf("# %s resident now: %.2f MiB\n", prefix, total / 1024.0);
  for (int i = 0; i < n; ++i)
    if (g[i].kib >= min_kib) printf("#   %-28s %8.2f MiB\n", g[i].name, g[i].kib / 1024.0);
}

void tg_bench_print_machine(void) {
  char model[256] = "unknown";
  FILE* f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "model name", 10) == 0) {
        const char* colon = strchr(line, ':');
        if (colon) {
          snprintf(model, sizeof model, "%s", colon + 2);
          model[strcspn(model, "\n")] = '\0';
        }
        break;
      }
    }
    fclose(f);
  }
  printf("# cpu: %s\n", model);
  printf("# builtin kernel isa: %s\n", tg_gemm_isa_name());
  printf("# blas: %s\n", tg_gemm_blas_name());
}

void tg_bench_sleep(double seconds) {
  struct timespec ts;
  ts.tv_sec = (time_t)seconds;
  ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
  nanosleep(&ts, NULL);
}
