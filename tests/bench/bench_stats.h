/* tests/bench/bench_stats.h: what the benchmarks share: the statistics
   every one reports over its interleaved rounds (median and 10th-90th
   percentile spread), and pinning a process to its CPU. */
#ifndef SL_TESTS_BENCH_BENCH_STATS_H
#define SL_TESTS_BENCH_BENCH_STATS_H

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static int bench_cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* bench_quant: the q-quantile (0..1, nearest rank) of v[0..n), n >= 1;
   sorts v in place. */
static inline double bench_quant(double *v, int n, double q) {
  qsort(v, (size_t)n, sizeof *v, bench_cmp_dbl);
  return v[(int)(q * (n - 1) + 0.5)];
}

/* bench_pin pins the calling process to cpu; a failure is reported on
   stderr and the bench goes on unpinned. */
static inline void bench_pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  if (sched_setaffinity(0, sizeof s, &s)) perror("sched_setaffinity");
}

#endif
