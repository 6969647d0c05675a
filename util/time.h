/* util/time.h: clocks. */
#ifndef SL_UTIL_TIME_H
#define SL_UTIL_TIME_H

#include <stdint.h>
#include <time.h>

/* sl_now_ns: CLOCK_MONOTONIC in nanoseconds (vDSO, no syscall). Comparable
   across the processes of one host. */
static inline uint64_t sl_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* sl_ts32: the low 32 bits of sl_now_ns(), the frag timestamp (tsorig,
   tspub). Differences of two ts32 values are exact for spans under ~4.29 s
   (compute them in uint32_t). */
static inline uint32_t sl_ts32(void) { return (uint32_t)sl_now_ns(); }

/* sl_wall_ns: CLOCK_REALTIME in nanoseconds (for logs and headers only). */
static inline uint64_t sl_wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* sl_sleep_ns: nanosleep, restarting on EINTR unless stop is set and
   non-zero (so a signal handler that sets a stop flag ends the sleep). */
void sl_sleep_ns(uint64_t ns, volatile int *stop);

#endif
