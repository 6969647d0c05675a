#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_level = SL_LOG_INFO;
static char log_name[32] = "sluice";
static int log_fd = -1; /* -1: stderr */

int sl_log_level_parse(const char *name) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  for (int i = 0; i < 4; i++)
    if (!strcmp(name, names[i])) return i;
  return -1;
}

void sl_log_set_level(int level) { log_level = level; }
int sl_log_get_level(void) { return log_level; }

void sl_log_set_name(const char *name) {
  snprintf(log_name, sizeof log_name, "%s", name);
}

int sl_log_set_file(const char *path) {
  if (log_fd >= 0) close(log_fd);
  log_fd = -1;
  if (!path || !*path) return 0;
  /* Opened as root at a path others may reach: never through a symlink,
     never a FIFO or device (O_NONBLOCK: a FIFO cannot hang the open), never
     a second name of another file (a hard link planted to /etc/passwd). */
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                0640);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  log_fd = fd;
  return 0;
}

int sl_log_fd(void) { return log_fd >= 0 ? log_fd : STDERR_FILENO; }

void sl_log(int level, const char *fmt, ...) {
  if (level < log_level) return;
  static const char *const tags[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  /* One buffer, one write(): lines from concurrent tiles never interleave. */
  char line[2048];
  int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %-9s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, (long)tv.tv_usec, tags[level & 3], log_name);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  ssize_t w = write(sl_log_fd(), line, len);
  (void)w;
}
