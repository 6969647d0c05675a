/* tiles/net/port_owner.h: which local programs hold the UDP ports an
   instance is about to capture.

   A fact about the host's sockets, read from /proc (this network
   namespace's /proc/net/udp and /proc/net/udp6, then every /proc/PID/fd
   for the process holding each socket), which the net providers' setup
   needs before it starts: the io_uring provider joins a port with
   SO_REUSEPORT, so a program already bound there with SO_REUSEPORT (same
   user) silently shares or takes the traffic; XDP redirects the port's
   packets before any socket sees them, so a local socket there silently
   gets nothing. Not a hot path: one scan at start-up. */
#ifndef SL_TILES_NET_PORT_OWNER_H
#define SL_TILES_NET_PORT_OWNER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* At most this many sockets are described; more are counted. */
#define SL_PORT_OWNER_MAX 32

/* One UDP socket bound to a captured port. */
typedef struct {
  uint16_t port;
  char addr[48];  /* its local address as text: "0.0.0.0", "127.0.0.1", "::", "::ffff:127.0.0.1" */
  uint32_t uid;   /* the socket's owner */
  uint64_t inode; /* socket inode (/proc/PID/fd links read "socket:[inode]") */
  int32_t pid;    /* a process holding it (the lowest pid if several share it); -1: none
                     visible (another user's process and we are not root, or another PID
                     namespace) */
  char comm[16];  /* that process's name (/proc/PID/comm); "" when pid is -1 */
} sl_port_owner_t;

/* sl_port_owners finds the UDP sockets of this network namespace bound to
   one of ports[0..port_cnt) on a local address that overlaps bind_addr
   (IPv4, network byte order; 0 = any): a socket on 0.0.0.0 or on
   bind_addr itself, an IPv6 socket on :: (it may be dual-stack) or on
   ::ffff:bind_addr; any address at all when bind_addr is 0. A socket on
   another specific address does not overlap. Sockets the calling process
   holds are skipped (not those of its children). Writes the first
   min(found, max) into out, the number found into *cnt. Returns 0, or -1
   with err when /proc/net/udp cannot be read (udp6 missing is fine: no
   IPv6). Never changes anything. */
int sl_port_owners(const uint16_t *ports, uint32_t port_cnt, uint32_t bind_addr, sl_port_owner_t *out,
                   uint32_t max, uint32_t *cnt, sl_err_t *err);

/* sl_port_owner_describe writes the first of cnt owners found for people
   into buf: "python3 (pid 4242, user alice) on 127.0.0.1:9001", or, when
   no holder is visible, "a socket of user alice on 0.0.0.0:9001 (its
   process is not visible: run as root to name it)"; then, when cnt > 1,
   " (and 2 more sockets)". */
void sl_port_owner_describe(const sl_port_owner_t *o, uint32_t cnt, char *buf, size_t bufsz);

/* sl_port_owner_check_shared: the io_uring provider's rule. Returns 0 if
   no other program holds one of ports on an address overlapping
   bind_addr. Else -1 with, in err:
     "[net] ports: UDP port 9001 is already bound by python3 (pid 4242, user
     alice) on 0.0.0.0:9001 (and 1 more socket): the io_uring provider would
     join it with SO_REUSEPORT and the kernel would give that program some
     or all of the traffic; stop that program, or capture another port"
   Fails closed: when /proc/net/udp cannot be read, -1 with that reason. */
int sl_port_owner_check_shared(const uint16_t *ports, uint32_t port_cnt, uint32_t bind_addr, sl_err_t *err);

/* sl_port_owner_diverted: the XDP provider's rule. Returns how many local
   sockets hold one of ports on an address overlapping bind_addr; when
   there is one or more, writes into msg (else msg = ""):
     "[net] ports: UDP port 9001 has a local socket, python3 (pid 4242, user
     alice) on 0.0.0.0:9001 (and 1 more socket): XDP on eth0 diverts every
     IPv4 packet to that port to sluice, so that socket will receive nothing
     from eth0; stop that program, or capture another port"
   0 (and msg "") when /proc/net/udp cannot be read: a warning only. */
uint32_t sl_port_owner_diverted(const uint16_t *ports, uint32_t port_cnt, uint32_t bind_addr, const char *ifname,
                                char *msg, size_t msgsz);

#endif
