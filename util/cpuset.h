/* util/cpuset.h: CPU lists as operators write them ("2-5,8", "auto"). */
#ifndef SL_UTIL_CPUSET_H
#define SL_UTIL_CPUSET_H

#include <stdint.h>

#include "util/err.h"

#define SL_CPU_MAX 1024

/* An ordered list of distinct CPU ids, in the order they were written. */
typedef struct {
  uint32_t cnt;
  uint16_t cpu[SL_CPU_MAX];
} sl_cpulist_t;

/* sl_cpulist_parse parses a comma-separated list of CPU ids and inclusive
   ranges ("2-5,8", "0", "1-1"). Whitespace around items is allowed. Fails,
   with the offending item in err, on an empty list, a descending range, an
   id >= SL_CPU_MAX, a repeated CPU or any other character. "auto" is not a
   list: callers resolve it (see sl_cpulist_online). */
int sl_cpulist_parse(const char *s, sl_cpulist_t *out, sl_err_t *err);

/* sl_cpulist_online fills out with the online CPUs, ascending (from
   /sys/devices/system/cpu/online, else sysconf). */
int sl_cpulist_online(sl_cpulist_t *out, sl_err_t *err);

/* sl_cpu_online returns 1 if cpu is online, 0 if not. */
int sl_cpu_online(uint32_t cpu);

/* sl_cpulist_format writes "2-5,8" style text (ranges collapsed) into buf. */
void sl_cpulist_format(const sl_cpulist_t *l, char *buf, uint32_t bufsz);

#endif
