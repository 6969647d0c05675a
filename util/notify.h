/* util/notify.h: telling the service manager how the service is doing, by
   the notify protocol (sd_notify(3)) without libsystemd.

   The protocol: one datagram per message on the AF_UNIX socket named by
   $NOTIFY_SOCKET (a path, or "@name" for an abstract socket), holding
   newline-separated assignments: READY=1 (started), STOPPING=1,
   STATUS=free text, WATCHDOG=1 (alive; due every $WATCHDOG_USEC, which is
   meant for the process $WATCHDOG_PID when that is set). The manager learns
   the sender's pid from the socket's credentials. With no $NOTIFY_SOCKET
   (not run by a service manager, or not Type=notify) every call is a no-op.

   No descriptor outlives a call: each message opens its own socket with
   SOCK_CLOEXEC and closes it before returning, so a process forked or
   exec'd meanwhile inherits nothing of the manager's. */
#ifndef SL_UTIL_NOTIFY_H
#define SL_UTIL_NOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util/err.h"

typedef struct {
  struct sockaddr_un addr;
  socklen_t addr_len;        /* 0: no notify socket, every send is a no-op */
  uint64_t watchdog_ns;      /* the manager's watchdog interval; 0: none */
  uint64_t next_watchdog_ns; /* when sl_notify_watchdog pings next */
} sl_notify_t;

/* sl_notify_init reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID.
   Unset or empty NOTIFY_SOCKET: n sends nothing (returns 0). A watchdog is
   kept only when WATCHDOG_USEC is set and WATCHDOG_PID is unset or this
   process's pid. Fails (-1, err naming the variable, n sends nothing) on a
   socket name that is not an absolute path or "@name", or too long for
   sockaddr_un, and on a WATCHDOG_USEC that is not a positive integer. */
int sl_notify_init(sl_notify_t *n, sl_err_t *err);

/* sl_notify_send sends msg (e.g. "READY=1\nSTATUS=running") as one
   datagram. Returns 0 when sent or when n has no socket; -1 with err
   naming the socket when the manager cannot be reached (gone, refused,
   buffer full: it never blocks). */
int sl_notify_send(const sl_notify_t *n, const char *msg, sl_err_t *err);

/* sl_notify_watchdog sends WATCHDOG=1 if n has a watchdog and half its
   interval has passed since the last ping (the first call pings). now_ns is
   CLOCK_MONOTONIC (sl_now_ns). Call it from a loop that runs at least that
   often. Returns 0 (sent, not due, or no watchdog), or -1 with err as
   sl_notify_send. */
int sl_notify_watchdog(sl_notify_t *n, uint64_t now_ns, sl_err_t *err);

#endif
