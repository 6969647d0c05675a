/* tiles/net/port_owner.c: UDP sockets on captured ports and who holds
   them (see port_owner.h). */
#include "tiles/net/port_owner.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* overlaps_v4: does a socket on local address a (network byte order)
   receive datagrams sent to bind_addr? */
static int overlaps_v4(uint32_t a, uint32_t bind_addr) {
  return bind_addr == 0 || a == 0 || a == bind_addr;
}

static int wanted_port(const uint16_t *ports, uint32_t port_cnt, unsigned port) {
  for (uint32_t i = 0; i < port_cnt; i++)
    if (ports[i] == port) return 1;
  return 0;
}

/* hex_words parses n 32-bit words written as 8 hex digits each, as the
   kernel prints addresses in /proc/net/udp{,6}: each word is the raw
   memory of the address, printed as a native integer. */
static int hex_words(const char *s, uint32_t *w, int n) {
  if (strlen(s) != (size_t)n * 8) return -1;
  for (int i = 0; i < n; i++) {
    char part[9];
    memcpy(part, s + 8 * i, 8);
    part[8] = 0;
    char *end;
    w[i] = (uint32_t)strtoul(part, &end, 16);
    if (*end) return -1;
  }
  return 0;
}

/* scan_table adds the matching sockets of one /proc/net table (v6: udp6)
   to out. Returns 0, or -1 if the file cannot be opened. */
static int scan_table(const char *path, int v6, const uint16_t *ports, uint32_t port_cnt, uint32_t bind_addr,
                      sl_port_owner_t *out, uint32_t max, uint32_t *cnt) {
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  char line[512];
  if (!fgets(line, sizeof line, f)) { /* the header */
    fclose(f);
    return 0;
  }
  while (fgets(line, sizeof line, f)) {
    char local[40];
    unsigned port, uid;
    unsigned long long inode;
    if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %*s %*s %*s %*s %*s %u %*u %llu", local, &port, &uid, &inode) != 4)
      continue;
    if (!wanted_port(ports, port_cnt, port)) continue;
    uint32_t w[4];
    char text[48];
    int hit;
    if (!v6) {
      if (hex_words(local, w, 1)) continue;
      hit = overlaps_v4(w[0], bind_addr);
      inet_ntop(AF_INET, w, text, sizeof text);
    } else {
      if (hex_words(local, w, 4)) continue;
      struct in6_addr a;
      memcpy(&a, w, sizeof a);
      if (IN6_IS_ADDR_UNSPECIFIED(&a)) hit = 1; /* may be dual-stack: IPV6_V6ONLY is not in the table */
      else if (IN6_IS_ADDR_V4MAPPED(&a)) hit = overlaps_v4(w[3], bind_addr);
      else hit = 0; /* an IPv6 address: sluice captures IPv4 only */
      inet_ntop(AF_INET6, &a, text, sizeof text);
    }
    if (!hit || !inode) continue;
    if (*cnt < max) {
      sl_port_owner_t *o = &out[*cnt];
      memset(o, 0, sizeof *o);
      o->port = (uint16_t)port;
      snprintf(o->addr, sizeof o->addr, "%s", text);
      o->uid = uid;
      o->inode = inode;
      o->pid = -1;
    }
    (*cnt)++;
  }
  fclose(f);
  return 0;
}

/* socket_inode: the inode of the socket fd link target "socket:[N]", or 0. */
static uint64_t socket_inode(const char *dir, const char *name) {
  char path[600], target[64];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = 0;
  unsigned long long ino;
  return sscanf(target, "socket:[%llu]", &ino) == 1 ? (uint64_t)ino : 0;
}

/* forget_own drops the sockets this process holds from out[0..*n) (and
   from the count *cnt), keeping the order of the others. */
static void forget_own(sl_port_owner_t *out, uint32_t *n, uint32_t *cnt) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    uint64_t ino = socket_inode("/proc/self/fd", e->d_name);
    uint32_t w = 0;
    for (uint32_t i = 0; i < *n; i++)
      if (!ino || out[i].inode != ino) out[w++] = out[i];
    *cnt -= *n - w;
    *n = w;
  }
  closedir(d);
}

/* name_holders fills pid and comm of out[0..n) from /proc/PID/fd, lowest
   pid first (readdir order is not sorted: keep the lowest). */
static void name_holders(sl_port_owner_t *out, uint32_t n) {
  if (!n) return;
  DIR *proc = opendir("/proc");
  if (!proc) return;
  int self = (int)getpid();
  struct dirent *pe;
  while ((pe = readdir(proc))) {
    char *end;
    long pid = strtol(pe->d_name, &end, 10);
    if (*end || pid <= 0 || pid == self) continue;
    char fddir[64];
    snprintf(fddir, sizeof fddir, "/proc/%ld/fd", pid);
    DIR *fds = opendir(fddir);
    if (!fds) continue; /* gone, or not ours to look at */
    struct dirent *fe;
    while ((fe = readdir(fds))) {
      uint64_t ino = socket_inode(fddir, fe->d_name);
      if (!ino) continue;
      for (uint32_t i = 0; i < n; i++) {
        if (out[i].inode != ino || (out[i].pid >= 0 && out[i].pid < pid)) continue;
        out[i].pid = (int32_t)pid;
        char cpath[64];
        snprintf(cpath, sizeof cpath, "/proc/%ld/comm", pid);
        int fd = open(cpath, O_RDONLY | O_CLOEXEC);
        ssize_t k = fd >= 0 ? read(fd, out[i].comm, sizeof out[i].comm - 1) : -1;
        if (fd >= 0) close(fd);
        out[i].comm[k > 0 ? k : 0] = 0;
        out[i].comm[strcspn(out[i].comm, "\n")] = 0;
      }
    }
    closedir(fds);
  }
  closedir(proc);
}

int sl_port_owners(const uint16_t *ports, uint32_t port_cnt, uint32_t bind_addr, sl_port_owner_t *out,
                   uint32_t max, uint32_t *cnt, sl_err_t *err) {
  *cnt = 0;
  /* Scan into a larger buffer so that our own sockets are dropped before
     the caller's max cuts the list. */
  sl_port_owner_t all[4 * SL_PORT_OWNER_MAX];
  uint32_t found = 0;
  if (scan_table("/proc/net/udp", 0, ports, port_cnt, bind_addr, all, 4 * SL_PORT_OWNER_MAX, &found))
    return sl_err_set(err, "cannot read /proc/net/udp: %s (is /proc mounted?)", strerror(errno));
  scan_table("/proc/net/udp6", 1, ports, port_cnt, bind_addr, all, 4 * SL_PORT_OWNER_MAX, &found);
  uint32_t n = found < 4 * SL_PORT_OWNER_MAX ? found : 4 * SL_PORT_OWNER_MAX;
  forget_own(all, &n, &found);
  name_holders(all, n);
  uint32_t keep = n < max ? n : max;
  if (keep) memcpy(out, all, keep * sizeof *out);
  *cnt = found;
  return 0;
}

/* user_name: the name of uid, or its number. */
static void user_name(uint32_t uid, char *buf, size_t sz) {
  struct passwd pw, *res = NULL;
  char tmp[1024];
  if (!getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) && res)
    snprintf(buf, sz, "%s", pw.pw_name);
  else
    snprintf(buf, sz, "%u", uid);
}

void sl_port_owner_describe(const sl_port_owner_t *o, uint32_t cnt, char *buf, size_t bufsz) {
  char user[64], addr[56], more[48] = "";
  user_name(o->uid, user, sizeof user);
  snprintf(addr, sizeof addr, strchr(o->addr, ':') ? "[%s]" : "%s", o->addr);
  if (cnt > 1) snprintf(more, sizeof more, " (and %u more socket%s)", cnt - 1, cnt > 2 ? "s" : "");
  if (o->pid >= 0)
    snprintf(buf, bufsz, "%s (pid %d, user %s) on %s:%u%s", o->comm[0] ? o->comm : "?", (int)o->pid, user, addr,
             o->port, more);
  else
    snprintf(buf, bufsz, "a socket of user %s on %s:%u (its process is not visible: run as root to name it)%s",
             user, addr, o->port, more);
}

int sl_port_owner_check_shared(const uint16_t *ports, uint32_t port_cnt, uint32_t bind_addr, sl_err_t *err) {
  sl_port_owner_t o;
  uint32_t cnt;
  sl_err_t e;
  if (sl_port_owners(ports, port_cnt, bind_addr, &o, 1, &cnt, &e))
    return sl_err_set(err, "[net] ports: cannot tell whether another program holds them: %s", e.msg);
  if (!cnt) return 0;
  char who[320];
  sl_port_owner_describe(&o, cnt, who, sizeof who);
  return sl_err_set(err,
                    "[net] ports: UDP port %u is already bound by %s: the io_uring provider would join it "
                    "with SO_REUSEPORT and the kernel would give that program some or all of the traffic; "
                    "stop that program, or capture another port",
                    o.port, who);
}

uint32_t sl_port_owner_diverted(const uint16_t *ports, uint32_t port_cnt, uint32_t bind_addr, const char *ifname,
                                char *msg, size_t msgsz) {
  sl_port_owner_t o;
  uint32_t cnt;
  msg[0] = 0;
  if (sl_port_owners(ports, port_cnt, bind_addr, &o, 1, &cnt, NULL) || !cnt) return 0;
  char who[320];
  sl_port_owner_describe(&o, cnt, who, sizeof who);
  snprintf(msg, msgsz,
           "[net] ports: UDP port %u has a local socket, %s: XDP on %s diverts every IPv4 packet to that "
           "port to sluice, so that socket will receive nothing from %s; stop that program, or capture "
           "another port",
           o.port, who, ifname, ifname);
  return cnt;
}
