#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_level = SL_LOG_INFO;
static char log_name[32] = "sluice";
static FILE *log_file; /* NULL: stderr */

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
  if (log_file) fclose(log_file);
  log_file = NULL;
  if (!path || !*path) return 0;
  log_file = fopen(path, "a");
  return log_file ? 0 : -1;
}

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
  int fd = log_file ? fileno(log_file) : STDERR_FILENO;
  ssize_t w = write(fd, line, len);
  (void)w;
}
