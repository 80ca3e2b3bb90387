/* bench/bench_util.h — timing, statistics and machine facts shared by the benchmarks.
 *
 * Every benchmark prints one machine-readable line per figure:
 *   W2 tapegrad ms_per_step threads=1 median=4.61 min=4.52 ...
 * plus '#' comment lines (machine, library, what was measured) that parsers skip.
 * Not part of the library; single-threaded helpers with no state.
 */
#ifndef TAPEGRAD_BENCH_BENCH_UTIL_H_
#define TAPEGRAD_BENCH_BENCH_UTIL_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Monotonic seconds. */
double tg_bench_now(void);
/* CPU seconds used by the calling thread (unaffected by other processes' load). */
double tg_bench_thread_cpu(void);

/* Median of v[0..n) (sorts v in place); 0 for n == 0. */
double tg_bench_median(double* v, int n);
double tg_bench_min(const double* v, int n);
double tg_bench_max(const double* v, int n);

/* Peak resident set size of this process so far, in MiB (getrusage). */
double tg_bench_peak_rss_mib(void);

/* Prints '#' lines with the resident memory of this process now, per mapping of
 * /proc/self/smaps grouped by what it maps (a library's file name, [heap], [stack],
 * anonymous), largest first, each group at least min_kib: where the MiB are. */
void tg_bench_print_resident(const char* prefix, double min_kib);

/* Prints '#' lines naming the CPU, the built-in kernel's ISA and the BLAS. */
void tg_bench_print_machine(void);

/* Sleeps `seconds` (lets other libraries' spinning threads go idle between runs). */
void tg_bench_sleep(double seconds);

#ifdef __cplusplus
}
#endif

#endif /* TAPEGRAD_BENCH_BENCH_UTIL_H_ */
