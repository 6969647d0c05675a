/* util/err.h: the error buffer every fallible function fills.

   Contract: a function that can fail returns 0 on success and -1 on failure;
   on failure it has written into err a one-line message that names the
   object (file:line:col, interface, tile, path) and, where there is one, the
   remedy. Only app/ prints it. err may be NULL (the message is dropped). */
#ifndef SL_UTIL_ERR_H
#define SL_UTIL_ERR_H

#include <stddef.h>

#define SL_ERR_MAX 1024

typedef struct {
  char msg[SL_ERR_MAX];
} sl_err_t;

/* sl_err_set formats into err (printf-style) and returns -1, so that
   `return sl_err_set(err, "...")` reads as the failure it is. */
int sl_err_set(sl_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* sl_err_prefix prepends "prefix: " to an existing message (for adding the
   outer context as an error travels up). Returns -1. */
int sl_err_prefix(sl_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
