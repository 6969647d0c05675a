#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sl_err_set(sl_err_t *err, const char *fmt, ...) {
  if (!err) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return -1;
}

int sl_err_prefix(sl_err_t *err, const char *fmt, ...) {
  if (!err) return -1;
  char head[SL_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  char old[SL_ERR_MAX];
  memcpy(old, err->msg, sizeof old);
  size_t n = strnlen(head, sizeof head - 3);
  memcpy(err->msg, head, n);
  memcpy(err->msg + n, ": ", 2);
  size_t m = strnlen(old, sizeof err->msg - n - 3);
  memcpy(err->msg + n + 2, old, m);
  err->msg[n + 2 + m] = 0;
  return -1;
}
