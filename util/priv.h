/* util/priv.h: dropping privileges after privileged setup. */
#ifndef SL_UTIL_PRIV_H
#define SL_UTIL_PRIV_H

#include "util/err.h"

/* sl_priv_drop switches the calling process to user (its uid, primary gid
   and supplementary groups). "" or NULL: does nothing. Fails (and changes
   nothing it can avoid) if the user does not exist or a set*id call fails;
   verifies afterwards that root cannot be regained. */
int sl_priv_drop(const char *user, sl_err_t *err);

#endif
