#include "util/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A positive decimal integer that fits in u64; -1 otherwise. */
static int parse_positive(const char *s, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || !v) return -1;
  *out = v;
  return 0;
}

int sl_notify_init(sl_notify_t *n, sl_err_t *err) {
  memset(n, 0, sizeof *n);
  const char *sock = getenv("NOTIFY_SOCKET");
  if (!sock || !*sock) return 0;
  size_t len = strlen(sock);
  if (sock[0] != '/' && sock[0] != '@')
    return sl_err_set(err, "NOTIFY_SOCKET=%s: expected an absolute path or @name for an abstract socket",
                      sock);
  if (len >= sizeof n->addr.sun_path)
    return sl_err_set(err, "NOTIFY_SOCKET=%s: longer than a unix socket name (%zu bytes)", sock,
                      sizeof n->addr.sun_path - 1);

  uint64_t usec = 0;
  const char *wd = getenv("WATCHDOG_USEC");
  if (wd && (parse_positive(wd, &usec) || usec > UINT64_MAX / 1000))
    return sl_err_set(err, "WATCHDOG_USEC=%s: expected a positive number of microseconds", wd);
  uint64_t pid = 0;
  const char *wpid = getenv("WATCHDOG_PID");
  int for_us = !wpid || (!parse_positive(wpid, &pid) && pid == (uint64_t)getpid());

  n->addr.sun_family = AF_UNIX;
  memcpy(n->addr.sun_path, sock, len);
  /* An abstract name starts with a NUL and has no terminator; a path keeps
     its NUL in the length. */
  if (sock[0] == '@') n->addr.sun_path[0] = '\0';
  n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (sock[0] == '/'));
  n->watchdog_ns = for_us ? usec * 1000ull : 0;
  return 0;
}

/* The socket's name as NOTIFY_SOCKET spells it ("@" for the leading NUL of
   an abstract name), for messages. */
static const char *sock_name(const sl_notify_t *n, char *buf, size_t sz) {
  if (n->addr.sun_path[0]) return n->addr.sun_path;
  size_t len = n->addr_len - offsetof(struct sockaddr_un, sun_path);
  snprintf(buf, sz, "@%.*s", (int)len - 1, n->addr.sun_path + 1);
  return buf;
}

int sl_notify_send(const sl_notify_t *n, const char *msg, sl_err_t *err) {
  if (!n->addr_len) return 0;
  char name[sizeof n->addr.sun_path + 1];
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sl_err_set(err, "notify socket %s: socket(): %s", sock_name(n, name, sizeof name), strerror(errno));
  ssize_t r = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT, (const struct sockaddr *)&n->addr,
                     n->addr_len);
  int e = errno;
  close(fd);
  if (r < 0)
    return sl_err_set(err, "notify socket %s: cannot send \"%.40s\": %s (is the service manager gone?)",
                      sock_name(n, name, sizeof name), msg, strerror(e));
  return 0;
}

int sl_notify_watchdog(sl_notify_t *n, uint64_t now_ns, sl_err_t *err) {
  if (!n->addr_len || !n->watchdog_ns || now_ns < n->next_watchdog_ns) return 0;
  n->next_watchdog_ns = now_ns + n->watchdog_ns / 2;
  return sl_notify_send(n, "WATCHDOG=1", err);
}
