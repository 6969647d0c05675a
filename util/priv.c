#include "util/priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int sl_priv_drop(const char *user, sl_err_t *err) {
  if (!user || !*user) return 0;
  struct passwd *pw = getpwnam(user);
  if (!pw) return sl_err_set(err, "user = \"%s\": no such user", user);
  /* Already that user (a service started with User=): nothing to drop,
     and initgroups would need a capability we do not have. */
  if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid && getgid() == pw->pw_gid) return 0;
  if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
    return sl_err_set(err, "cannot switch to user %s: %s (needs root)", user, strerror(errno));
  if (pw->pw_uid != 0 && setuid(0) == 0)
    return sl_err_set(err, "switched to user %s but could regain root: refusing to run", user);
  return 0;
}
