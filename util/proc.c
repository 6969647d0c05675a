#include "util/proc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sl_proc_stat_field(int pid, int field, uint64_t *out) {
  char path[64], buf[2048];
  if (pid)
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
  else
    snprintf(path, sizeof path, "/proc/self/stat");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0 || field < 3) return -1;
  buf[n] = 0;
  /* Field 2 (comm) is the only one that may hold spaces and parentheses:
     field 3 starts after the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p++;
  for (int f = 3; f < field; f++) {
    p = strchr(p + 1, ' ');
    if (!p) return -1;
  }
  char *end;
  unsigned long long v = strtoull(p + 1, &end, 10);
  if (end == p + 1) return -1;
  *out = (uint64_t)v;
  return 0;
}
