/* tests/bench/bench_stats.h: the statistics every benchmark reports over
   its interleaved rounds (median and 10th-90th percentile spread). */
#ifndef SL_TESTS_BENCH_BENCH_STATS_H
#define SL_TESTS_BENCH_BENCH_STATS_H

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

#endif
