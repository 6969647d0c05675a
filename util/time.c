#include "util/time.h"

#include <errno.h>

void sl_sleep_ns(uint64_t ns, volatile int *stop) {
  struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
    if (stop && *stop) return;
}
