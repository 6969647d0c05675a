/* bench_net: the net tile (AF_XDP) against a plain recvmmsg UDP receiver
   and a bare AF_XDP receive-and-drop loop, on the same traffic, over a
   single-queue veth pair between two network namespaces made here.

   Two CPUs. The traffic source runs in namespace B pinned to --tx-cpu; the
   receivers run in namespace A pinned to --rx-cpu, one at a time, on the
   same offered traffic:
     recvmmsg  a UDP socket, no XDP program attached (the kernel stack),
               16 MiB SO_RCVBUF, blocking recvmmsg of 64
     bare      the same XDP filter (sl_net_xdp_setup) and one AF_XDP socket:
               RX peek -> release -> fill ring refill, nothing parsed
     tile      the real net tile (sl_net_tile_ops, its provider opened with
               sl_net_xdp_rx_open as the supervisor does), publishing to its
               ring in a real workspace; this process consumes the ring (a
               cheap consumer that drains it every millisecond from the
               source's CPU) and checks every frag's size
   The receiver's rate is packets / time from its first to its last packet
   (the tile: the tspub of the first and last frag it published).

   veth runs the receiving end's RX work (NAPI: the XDP program and the copy
   into the AF_XDP socket, or GRO + IP + UDP + socket enqueue) on the
   sender's CPU unless threaded NAPI moves it. Here NAPI is threaded and
   its kthread pinned, by default, to the receiver's CPU: each receiver is
   then its whole receive path, kernel and user, on one core, and the
   source has the other core to itself. Nothing spins on a core shared with
   NAPI: recvmmsg blocks; bare and the tile idle adaptively (spin, yield,
   nap, as tiles/tile.c does). --napi-cpu tx puts NAPI on the source's core
   instead, and then bare and the tile spin.

   Sources (sender side, namespace B):
     live  (default for the capacity runs) an XDP program that redirects to
           the veth, run by BPF_PROG_TEST_RUN in live-frames mode: the
           kernel transmits --count copies of one pre-built frame (a
           gen-built transaction) through the veth's ndo_xdp_xmit, with no
           socket buffer per packet. It cannot be paced.
     xsk   sl_gen_send_xsk (`sluice gen --interface`): AF_XDP TX in copy
           mode, paced with sl_gen_opts_t.rate. Used for the no-loss run at
           80% of the tile's capacity, and for the capacity runs with
           --source xsk. Copy-mode AF_XDP TX builds a socket buffer per
           packet, which on a small machine makes it slower than every
           AF_XDP receiver: the output says when the source is the limit.

   Method. The machine's speed drifts from second to second on a shared
   host, so each round runs the three receivers back to back (order
   rotated), ratios are taken within a round, and the median over --rounds
   is reported; each receiver's row is its median round. Under the
   unpaced live source every receiver is overloaded: what it delivers is
   its capacity, and the surplus is dropped at the veth (counted). Then the
   no-loss check: the tile, and bare for comparison at the same rate, fed
   by gen's paced AF_XDP TX at 80% of the tile's median rate, for
   --paced-rounds runs each; an AF_XDP ring overflow there means the
   receiver was kept off its CPU longer than the ring lasts (bare's longest
   stall and the hypervisor's steal are printed next to it).

   Output: a table per payload size, the ratios tile/recvmmsg and tile/bare,
   the no-loss rounds, and one RESULT line. ~30 s with the defaults; every
   wait is bounded. Needs root (skipped, exit 0, otherwise). Makes and
   always removes (exit, signal; a run killed outright is swept by the next)
   namespaces sl-bnPID-a/b with veth bnPIDr/bnPIDs, and workspace
   bench-net-PID.

   usage: bench_net [--count N] [--rounds R] [--sizes 200,1232] [--tx-cpu C] [--rx-cpu C]
                    [--napi-cpu rx|tx] [--source live|xsk] [--paced-seconds S] [--paced-rounds R]
                    [--rx-queue N] [--ring-depth N] [--only recvmmsg|bare|tile] [--paced PPS]
                    [--verbose]
     --rx-queue, --ring-depth  the AF_XDP RX ring of bare and the tile, and the tile's ring
                               depth (defaults: the config's, 4096 and 16384)
     --only                    capacity rounds of one receiver, no summary
     --paced PPS               only no-loss rounds (tile and bare) at PPS */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <ifaddrs.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/gen/gen_engine.h"
#include "app/gen/gen_xsk.h"
#include "bpf/bpf_sys.h"
#include "config/config.h"
#include "shmem/metrics.h"
#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "tiles/frame.h"
#include "tiles/net/net_tile.h"
#include "tiles/net/xdp_rx.h"
#include "tiles/net/xsk.h"
#include "tiles/tile.h"
#include "tiles/topo.h"
#include "util/log.h"
#include "util/time.h"

#define IP_A "10.79.0.1"
#define IP_B "10.79.0.2"
#define PORT 9001u
#define FRAME_SZ 2048u /* [net] frame_size's default */
#define BATCH 64u
#define POOL_DISTINCT 256u
#define QUIET_NS 50000000ull     /* a receiver is done: no new packet for this long after the source ended */
#define READY_NS 10000000000ull  /* a receiver must be ready within this */
#define RUN_NS 30000000000ull    /* a source must finish within this */
#define STOP_NS 5000000000ull    /* a receiver must exit within this once told */
#define MAX_SIZES 4

/* Idle like a tile in adaptive mode (tiles/tile.c): spin a little, then
   yield, then nap, so a NAPI thread on the same CPU gets it when idle. */
#define IDLE_SPIN_POLLS 2048u
#define IDLE_YIELD_POLLS 256u
#define IDLE_NAP_NS 50000ull

enum { RX_MMSG = 0, RX_BARE = 1, RX_TILE = 2, RX_CNT = 3 };
static const char *const rx_name[RX_CNT] = {"recvmmsg", "bare AF_XDP", "net tile"};
enum { SRC_LIVE = 0, SRC_XSK = 1 };
static const char *const src_name[2] = {"live", "xsk"};

typedef struct {
  uint64_t count;
  int rounds;
  uint32_t sizes[MAX_SIZES];
  uint32_t size_cnt;
  int tx_cpu, rx_cpu;
  int napi_on_rx; /* 1: NAPI kthread on rx_cpu; 0: on tx_cpu */
  int source;     /* SRC_* for the capacity runs */
  double paced_secs;
  int verbose;         /* print every run */
  uint32_t ring_depth; /* the tile's [shmem] ring_depth; 0: the default */
  int only;            /* -1: every receiver; else RX_* alone (no ratios, no paced run) */
  uint64_t paced_only; /* >0: only the no-loss runs, at this rate */
  uint32_t rx_queue;   /* AF_XDP RX ring of bare and the tile ([net] rx_queue_size); fill ring 2x */
  int paced_rounds;    /* no-loss runs of each of tile and bare per size */
} opts_t;

static opts_t opt = {
    .count = 1000000,
    .rounds = 5,
    .sizes = {200, 1232},
    .size_cnt = 2,
    .tx_cpu = 0,
    .rx_cpu = 1,
    .napi_on_rx = 1,
    .source = SRC_LIVE,
    .paced_secs = 2.0,
    .only = -1,
    .rx_queue = 4096, /* [net] rx_queue_size's default */
    .paced_rounds = 2,
};

/* ---- the namespaces, the veth pair, and cleanup ---- */

static struct {
  char ns_a[32], ns_b[32], if_r[IF_NAMESIZE], if_s[IF_NAMESIZE];
  pid_t main_pid;
  int up;
  sl_wksp_t *wksp; /* the tile run's workspace while it exists */
  pid_t kid[4];    /* children alive (0: free slot) */
} env;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
  char cmd[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void kid_add(pid_t p) {
  for (int i = 0; i < 4; i++)
    if (!env.kid[i]) {
      env.kid[i] = p;
      return;
    }
}
static void kid_del(pid_t p) {
  for (int i = 0; i < 4; i++)
    if (env.kid[i] == p) env.kid[i] = 0;
}

/* Everything this run made, whatever the way out: children (by pid), the
   workspace file, the namespaces (their veth goes with them). */
static void cleanup(void) {
  if (getpid() != env.main_pid) return;
  for (int i = 0; i < 4; i++)
    if (env.kid[i] > 0) {
      kill(env.kid[i], SIGKILL);
      waitpid(env.kid[i], NULL, 0);
      env.kid[i] = 0;
    }
  if (env.wksp) {
    sl_wksp_remove(env.wksp);
    env.wksp = NULL;
  }
  if (env.up) {
    sh("ip netns del %s 2>/dev/null", env.ns_a);
    sh("ip netns del %s 2>/dev/null", env.ns_b);
    env.up = 0;
  }
}

static void on_signal(int sig) {
  cleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bench_net: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static int pid_dead(int pid) { return pid != getpid() && kill(pid, 0) && errno == ESRCH; }

/* Workspace files "bench-net-PID.wksp" of dead runs in this user's
   private directories under base (they would hold hugepages). */
static void sweep_wksp_dir(const char *base) {
  char pat[600];
  snprintf(pat, sizeof pat, "%s/sluice-%u*/bench-net-*.wksp", base, (unsigned)geteuid());
  glob_t g;
  if (glob(pat, 0, NULL, &g)) return;
  for (size_t i = 0; i < g.gl_pathc; i++) {
    const char *f = strrchr(g.gl_pathv[i], '/') + 1;
    int pid, end = 0;
    if (sscanf(f, "bench-net-%d.wksp%n", &pid, &end) == 1 && end && !f[end] && pid_dead(pid))
      unlink(g.gl_pathv[i]);
  }
  globfree(&g);
}

/* What earlier runs killed before their cleanup left: namespaces (with
   their veth) and workspace files, in /dev/shm and every hugetlbfs mount. */
static void sweep_stale(void) {
  DIR *d = opendir("/run/netns");
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      int pid;
      char side;
      if (sscanf(e->d_name, "sl-bn%d-%c", &pid, &side) == 2 && pid_dead(pid))
        sh("ip netns del %s 2>/dev/null", e->d_name);
    }
    closedir(d);
  }
  sweep_wksp_dir("/dev/shm");
  FILE *m = fopen("/proc/mounts", "r");
  if (!m) return;
  char line[1024], dir[512], type[64];
  while (fgets(line, sizeof line, m))
    if (sscanf(line, "%*s %511s %63s", dir, type) == 2 && !strcmp(type, "hugetlbfs")) sweep_wksp_dir(dir);
  fclose(m);
}

static void enter_ns(const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/run/netns/%s", name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET)) die("cannot enter network namespace %s: %s", name, strerror(errno));
  close(fd);
}

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  if (sched_setaffinity(0, sizeof s, &s)) die("cannot pin to CPU %d: %s", cpu, strerror(errno));
}

static void env_create(void) {
  int p = (int)env.main_pid;
  snprintf(env.ns_a, sizeof env.ns_a, "sl-bn%d-a", p);
  snprintf(env.ns_b, sizeof env.ns_b, "sl-bn%d-b", p);
  snprintf(env.if_r, sizeof env.if_r, "bn%dr", p);
  snprintf(env.if_s, sizeof env.if_s, "bn%ds", p);
  sweep_stale();
  env.up = 1;
  const char *a = env.ns_a, *b = env.ns_b, *r = env.if_r, *s = env.if_s;
  if (sh("ip netns add %s && ip netns add %s", a, b) ||
      sh("ip link add %s netns %s type veth peer name %s netns %s", r, a, s, b) ||
      sh("ip -n %s addr add " IP_A "/24 dev %s && ip -n %s link set %s up && ip -n %s link set lo up", a, r, a, r, a) ||
      sh("ip -n %s addr add " IP_B "/24 dev %s && ip -n %s link set %s up && ip -n %s link set lo up", b, s, b, s, b))
    die("could not make the veth pair %s (%s) - %s (%s)", r, a, s, b);
  /* GRO on the receiving end gives it NAPI with or without an XDP program,
     so the stack path (recvmmsg) runs in the same NAPI thread as XDP. */
  if (sh("ip netns exec %s ethtool -K %s gro on >/dev/null 2>&1", a, r))
    die("ethtool -K %s gro on failed (is ethtool installed?)", r);
  /* veth hands a sender's socket buffer to the peer's NAPI only when it is
     eligible for GRO, which AF_XDP TX buffers are not while the sender has
     TSO on: they would be received on the sender's CPU (netif_rx). */
  if (sh("ip netns exec %s ethtool -K %s tso off >/dev/null 2>&1", b, s)) die("ethtool -K %s tso off failed", s);
  if (sh("ip netns exec %s sh -c 'echo 1 > /sys/class/net/%s/threaded'", a, r))
    die("cannot enable threaded NAPI on %s (kernel without /sys/class/net/IF/threaded?)", r);
  /* Resolves the neighbors both ways before any source runs. */
  if (sh("ip netns exec %s ping -c 1 -W 2 " IP_A " >/dev/null 2>&1", b)) die("no ping across %s - %s", s, r);
}

/* The NAPI kthread of the receiving veth ("napi/<if>-<id>", the comm cut
   at 15 characters); 0 if none. */
static pid_t napi_pid(void) {
  char want[32];
  snprintf(want, sizeof want, "napi/%s-", env.if_r);
  size_t wl = strlen(want) < 15 ? strlen(want) : 15;
  DIR *d = opendir("/proc");
  if (!d) return 0;
  struct dirent *e;
  pid_t found = 0;
  while ((e = readdir(d)) && !found) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (fgets(comm, sizeof comm, f) && !strncmp(comm, want, wl)) found = (pid_t)atoi(e->d_name);
    fclose(f);
  }
  closedir(d);
  return found;
}

/* CPU time a task has run, from /proc/PID/schedstat (ns); 0 if gone. */
static uint64_t task_cpu_ns(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
  FILE *f = fopen(path, "r");
  unsigned long long ns = 0;
  if (f) {
    if (fscanf(f, "%llu", &ns) != 1) ns = 0;
    fclose(f);
  }
  return ns;
}

/* ---- counters of the kernel ---- */

/* Link counters of ifname in the caller's network namespace. */
static void link_drops(const char *ifname, uint64_t *rx_dropped, uint64_t *tx_dropped) {
  *rx_dropped = *tx_dropped = 0;
  struct ifaddrs *ifa = NULL;
  if (getifaddrs(&ifa)) return;
  for (struct ifaddrs *it = ifa; it; it = it->ifa_next)
    if (it->ifa_addr && it->ifa_addr->sa_family == AF_PACKET && it->ifa_data && !strcmp(it->ifa_name, ifname)) {
      const struct rtnl_link_stats *st = it->ifa_data;
      *rx_dropped = st->rx_dropped;
      *tx_dropped = st->tx_dropped;
    }
  freeifaddrs(ifa);
}

/* Udp RcvbufErrors of the caller's network namespace (/proc/net/snmp). */
static uint64_t udp_rcvbuf_errors(void) {
  FILE *f = fopen("/proc/net/snmp", "r");
  if (!f) return 0;
  char names[1024], vals[1024];
  uint64_t v = 0;
  while (fgets(names, sizeof names, f)) {
    if (strncmp(names, "Udp:", 4) || !fgets(vals, sizeof vals, f)) continue;
    char *sn, *sv;
    char *n = strtok_r(names, " \n", &sn), *x = strtok_r(vals, " \n", &sv);
    for (; n && x; n = strtok_r(NULL, " \n", &sn), x = strtok_r(NULL, " \n", &sv))
      if (!strcmp(n, "RcvbufErrors")) v = strtoull(x, NULL, 10);
    break;
  }
  fclose(f);
  return v;
}

/* Steal time of every CPU so far (/proc/stat, in USER_HZ ticks): the
   hypervisor ran something else on our CPUs. Figures of a run with much of
   it are not the machine's. */
static uint64_t steal_ticks(int cpu) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return 0;
  char line[512], want[16];
  if (cpu < 0) snprintf(want, sizeof want, "cpu ");
  else snprintf(want, sizeof want, "cpu%d ", cpu);
  unsigned long long v[8] = {0};
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, want, strlen(want)) &&
        sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) == 8)
      break;
  fclose(f);
  return v[7];
}

/* ---- shared state of one run ---- */

typedef struct {
  uint64_t pkts;            /* received */
  uint64_t t_first, t_last; /* sl_now_ns of the first and the last packet */
  uint64_t drops;           /* receiver-side: UDP RcvbufErrors, or XDP_STATISTICS rx_ring_full + rx_dropped */
  uint64_t ring_full;       /* XDP_STATISTICS rx_ring_full: the receiver was too late */
  uint64_t fill_empty;      /* XDP_STATISTICS rx_fill_ring_empty_descs */
  uint64_t busy_ns;         /* AF_XDP receivers: time in loop passes that received packets */
  uint64_t max_gap_ns;      /* bare: longest time between two passes (the CPU was taken away) */
  int rc;
  char err[SL_ERR_MAX];
} rx_res_t;

typedef struct {
  uint64_t sent;    /* frames the kernel took from the source (xsk: completed; live: the repeat count) */
  double secs;      /* source's first to last send */
  uint64_t tx_drop; /* the sending veth's tx_dropped over the run: frames its peer's NAPI ring had no room for */
  int rc;
  char err[SL_ERR_MAX];
} tx_res_t;

/* In a MAP_SHARED page: the parent reads what the children write. */
typedef struct {
  volatile uint64_t pkts; /* receiver's running count: the parent's quiet test */
  volatile int ready, stop;
  rx_res_t rx;
  tx_res_t tx;
} ctl_t;

typedef struct {
  uint64_t sent, pkts;
  double tx_pps, rx_pps, rx_secs;
  uint64_t veth_drop, rx_drop, ring_full, fill_empty;
  /* Per packet received: CPU of the NAPI thread; the receiver's work (CPU
     time of recvmmsg, which sleeps when idle; time in passes that received
     for bare and the tile, which spin when idle). */
  double napi_ns_pkt, work_ns_pkt;
  uint64_t overrun, bad_frags;              /* tile: ring consumer's lost frags; frags of a wrong size */
  double steal;                             /* share of the 2 CPUs' time the hypervisor took during the run */
  double rx_steal_ms;                       /* hypervisor's take of the receiver's CPU (10 ms granularity) */
  uint64_t max_gap_ns;                      /* bare: longest time between two passes of its loop */
} run_res_t;

/* ---- receivers ---- */

static void rx_fail(ctl_t *c, const char *msg) {
  c->rx.rc = -1;
  snprintf(c->rx.err, sizeof c->rx.err, "%.900s", msg);
  _exit(1);
}

/* Waits for the end: told to stop and nothing new for QUIET_NS. */
static int rx_done(const ctl_t *c, uint64_t now, uint64_t last_pkt, uint64_t deadline) {
  return (c->stop && now - last_pkt > QUIET_NS) || now > deadline;
}

static void rx_mmsg(ctl_t *c) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) rx_fail(c, "recvmmsg: socket failed");
  int big = 16 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big))
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
  inet_pton(AF_INET, IP_A, &sa.sin_addr);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) rx_fail(c, "recvmmsg: bind " IP_A " failed");
  /* Blocking with a short timeout: the wait for the first packet of a
     batch sleeps in the kernel (NAPI may share this CPU), and the loop
     still sees the stop flag. */
  struct timeval tv = {0, 10000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static uint8_t buf[BATCH][2048];
  struct mmsghdr m[BATCH];
  struct iovec iov[BATCH];
  memset(m, 0, sizeof m);
  for (uint32_t i = 0; i < BATCH; i++) {
    iov[i].iov_base = buf[i];
    iov[i].iov_len = sizeof buf[i];
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t drops0 = udp_rcvbuf_errors();
  uint64_t pkts = 0, first = 0, last = sl_now_ns(), deadline = last + RUN_NS;
  c->ready = 1;
  for (;;) {
    int n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
    uint64_t now = sl_now_ns();
    if (n > 0) {
      if (!pkts) first = now;
      pkts += (uint64_t)n;
      last = now;
      c->pkts = pkts;
      continue;
    }
    if (rx_done(c, now, last, deadline)) break;
  }
  c->rx.drops = udp_rcvbuf_errors() - drops0;
  c->rx.pkts = pkts;
  c->rx.t_first = first;
  c->rx.t_last = last;
  close(fd);
}

/* XDP setup parameters of the receiving veth, for bare and the tile. */
static void xdp_params(sl_net_xdp_params_t *p, uint8_t *base, uint64_t pool_off, uint32_t frame_cnt) {
  memset(p, 0, sizeof *p);
  p->ifname = env.if_r;
  p->ports[0] = PORT;
  p->port_cnt = 1;
  p->bind_addr = inet_addr(IP_A);
  p->mode = SL_XDP_ATTACH_DRV;
  p->queue_cnt = 1;
  p->rx_queue_size = opt.rx_queue;
  p->wksp_base = base;
  p->pool_off[0] = pool_off;
  p->frame_sz = FRAME_SZ;
  p->frame_cnt = frame_cnt;
}

static void rx_bare(ctl_t *c, int spin) {
  /* As many frames as the fill ring holds: a frame is in the fill ring,
     the kernel, or the RX ring, so a refill always finds room. */
  uint32_t frames = 2 * opt.rx_queue;
  uint64_t sz = (uint64_t)frames * FRAME_SZ;
  uint8_t *mem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mem == MAP_FAILED) rx_fail(c, "bare: cannot map the UMEM");
  sl_net_xdp_params_t p;
  xdp_params(&p, mem, 0, frames);
  static sl_net_xdp_t s;
  sl_err_t err = {{0}};
  if (sl_net_xdp_setup(&s, &p, &err)) rx_fail(c, err.msg);
  sl_xsk_t *x = &s.xsk[0];
  uint32_t idx;
  uint32_t k = sl_xsk_prod_reserve(&x->fill, frames, &idx);
  for (uint32_t j = 0; j < k; j++) *sl_xsk_fill_addr(&x->fill, idx + j) = (uint64_t)j * FRAME_SZ;
  sl_xsk_prod_submit(&x->fill, k);

  uint64_t pkts = 0, first = 0, last = sl_now_ns(), deadline = last + RUN_NS, busy = 0, gap = 0;
  uint32_t idle = 0;
  c->ready = 1;
  /* One clock read per pass, as the tile loop makes (tiles/tile.c): busy
     is the time in passes that received, measured the same way. */
  uint64_t now = sl_now_ns();
  for (;;) {
    uint32_t n = sl_xsk_cons_peek(&x->rx, BATCH, &idx);
    if (n) {
      uint32_t fidx;
      uint32_t f = sl_xsk_prod_reserve(&x->fill, n, &fidx);
      for (uint32_t i = 0; i < f; i++)
        *sl_xsk_fill_addr(&x->fill, fidx + i) = sl_xsk_rx_desc(&x->rx, idx + i)->addr & ~(uint64_t)(FRAME_SZ - 1);
      sl_xsk_cons_release(&x->rx, n);
      sl_xsk_prod_submit(&x->fill, f);
      uint64_t after = sl_now_ns();
      busy += after - now;
      if (after - now > gap) gap = after - now;
      now = after;
      if (!pkts) first = now;
      pkts += n;
      last = now;
      c->pkts = pkts;
      idle = 0;
      continue;
    }
    if (sl_xsk_need_wakeup_fill(x)) sl_xsk_kick_rx(x); /* the kernel asked: the one syscall */
    idle++;
    if (!spin && idle > IDLE_SPIN_POLLS) {
      if (idle > IDLE_SPIN_POLLS + IDLE_YIELD_POLLS) {
        struct timespec ts = {0, (long)IDLE_NAP_NS};
        nanosleep(&ts, NULL);
      } else {
        sched_yield();
      }
    } else {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    uint64_t after = sl_now_ns();
    /* Yields and naps give the CPU away on purpose; a long spin pass means
       it was taken (by NAPI on this CPU, an interrupt, or the hypervisor). */
    if ((spin || idle <= IDLE_SPIN_POLLS) && after - now > gap) gap = after - now;
    now = after;
    if ((idle & 255) == 0 && rx_done(c, now, last, deadline)) break;
  }
  sl_xsk_stats_t st;
  if (!sl_xsk_stats(x, &st, NULL)) {
    c->rx.ring_full = st.rx_ring_full;
    c->rx.drops = st.rx_ring_full + st.rx_dropped;
    c->rx.fill_empty = st.rx_fill_ring_empty_descs;
  }
  c->rx.busy_ns = busy;
  c->rx.max_gap_ns = gap;
  c->rx.pkts = pkts;
  c->rx.t_first = first;
  c->rx.t_last = last;
  sl_net_xdp_close(&s);
  munmap(mem, sz);
}

/* ---- the net tile ---- */

typedef struct {
  sl_config_t cfg;
  sl_wksp_t w;
  sl_topo_t *topo;
  sl_net_xdp_t xdp;
  sl_metrics_t *m;
  sl_ring_cons_t cons;
  pid_t pid;
  uint32_t len_min, len_max; /* frame sizes the source sends */
  /* Ring consumer state. */
  uint64_t frags, first_ns, last_ns, bad;
} tile_run_t;

static int open_xdp_rx(sl_net_rx_t *rx, void *arg, const sl_tile_t *t, const sl_net_pool_t *pool, sl_err_t *err) {
  return sl_net_xdp_rx_open(rx, (sl_net_xdp_t *)arg, t->idx, pool, err);
}

/* Builds the workspace and topology (one net tile; the verify and sink
   tiles exist in it but are not started), attaches XDP and opens the
   socket as the supervisor does, and forks the tile pinned to rx_cpu. */
static void tile_start(tile_run_t *tr, int idle, uint32_t len_min, uint32_t len_max) {
  sl_err_t err = {{0}};
  memset(tr, 0, sizeof *tr);
  tr->len_min = len_min;
  tr->len_max = len_max;
  sl_config_t *cfg = &tr->cfg;
  if (sl_config_load(cfg, NULL, &err)) die("config: %s", err.msg);
  snprintf(cfg->name, sizeof cfg->name, "bench-net-%d", (int)getpid()); /* sweep_stale knows this name */
  cfg->layout.idle = idle;
  snprintf(cfg->net.interface, sizeof cfg->net.interface, "%s", env.if_r);
  cfg->net.provider = SL_PROVIDER_XDP;
  cfg->net.ports[0] = PORT;
  cfg->net.port_cnt = 1;
  cfg->net.bind_address = inet_addr(IP_A);
  cfg->net.xdp_mode = SL_XDP_MODE_DRV;
  cfg->net.rx_queue_size = opt.rx_queue;
  cfg->net.frame_size = FRAME_SZ;
  cfg->verify.dedup_cache_size = 1024; /* no verify tile runs: keep the workspace small */
  if (opt.ring_depth) cfg->shmem.ring_depth = opt.ring_depth;
  sl_wksp_params_t wp;
  sl_wksp_params_default(&wp);
  wp.name = cfg->name;
  wp.size = sl_topo_footprint(cfg);
  if (sl_wksp_create(&tr->w, &wp, &err)) die("workspace: %s", err.msg);
  sl_log_set_level(SL_LOG_ERR); /* the backing's warning, if any, once: every run makes the same workspace */
  env.wksp = &tr->w;
  int32_t cpus[3] = {opt.rx_cpu, opt.tx_cpu, opt.tx_cpu};
  if (sl_topo_build(&tr->w, cfg, cpus, 3, &tr->topo, &err)) die("topology: %s", err.msg);
  sl_topo_t *topo = tr->topo;

  sl_net_xdp_params_t p;
  xdp_params(&p, tr->w.base, topo->pool[0], (uint32_t)topo->pool_frame_cnt);
  if (sl_net_xdp_setup(&tr->xdp, &p, &err)) die("net tile XDP setup on %s: %s", env.if_r, err.msg);
  topo->net_provider = SL_NET_XDP;
  snprintf(topo->net_mode[0], sizeof topo->net_mode[0], "xdp/%s", sl_net_xdp_mode(&tr->xdp));
  uint32_t id = sl_topo_tile_id(topo, SL_TILE_NET, 0);
  tr->m = sl_topo_metrics(&tr->w, topo, id);
  if (sl_ring_cons_init(&tr->cons, &tr->w, topo->net_ring[0], 0, &err)) die("net ring: %s", err.msg);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    pin(opt.rx_cpu);
    sl_tile_t t;
    memset(&t, 0, sizeof t);
    t.ops = &sl_net_tile_ops;
    t.kind = SL_TILE_NET;
    t.idx = 0;
    t.id = id;
    snprintf(t.name, sizeof t.name, "net:0");
    t.cpu = opt.rx_cpu;
    t.idle = idle;
    t.wksp = &tr->w;
    t.cfg = cfg;
    t.topo = topo;
    t.user = "";
    sl_net_provider_t prov = {open_xdp_rx, &tr->xdp};
    t.net_ctx = &prov;
    _exit(sl_tile_main(&t));
  }
  tr->pid = pid;
  kid_add(pid);
  uint64_t end = sl_now_ns() + READY_NS;
  for (;;) {
    uint64_t st = sl_metrics_get(tr->m, SL_M_STATE);
    if (st == SL_TILE_RUNNING) break;
    if (st == SL_TILE_FAILED || waitpid(pid, NULL, WNOHANG) == pid || sl_now_ns() > end)
      die("the net tile did not start (state %llu)", (unsigned long long)st);
    sl_sleep_ns(1000000, NULL);
  }
}

/* The cheap consumer: everything published so far. A frag's tspub (low 32
   bits of the tile's clock) is widened with this process's clock: it was
   published less than 4 s ago. */
static void tile_drain(tile_run_t *tr) {
  sl_frag_meta_t f[256];
  uint32_t n;
  while ((n = sl_ring_consume_burst(&tr->cons, f, 256))) {
    uint64_t now = sl_now_ns();
    for (uint32_t i = 0; i < n; i++) tr->bad += f[i].sz < tr->len_min || f[i].sz > tr->len_max;
    uint64_t t_first = now - (uint32_t)((uint32_t)now - f[0].tspub);
    uint64_t t_last = now - (uint32_t)((uint32_t)now - f[n - 1].tspub);
    if (!tr->frags) tr->first_ns = t_first;
    tr->last_ns = t_last;
    tr->frags += n;
  }
  sl_ring_cons_publish(&tr->cons);
}

static void tile_stop(tile_run_t *tr, ctl_t *c) {
  __atomic_store_n(&tr->topo->stop, 1, __ATOMIC_RELEASE);
  uint64_t end = sl_now_ns() + STOP_NS;
  int st = 0;
  while (waitpid(tr->pid, &st, WNOHANG) != tr->pid) {
    tile_drain(tr);
    if (sl_now_ns() > end) {
      kill(tr->pid, SIGKILL);
      waitpid(tr->pid, &st, 0);
      break;
    }
    sl_sleep_ns(1000000, NULL);
  }
  kid_del(tr->pid);
  tile_drain(tr);
  const sl_metrics_t *m = tr->m;
  c->rx.pkts = sl_metrics_get(m, SL_M_NET_RX_PKTS);
  c->rx.ring_full = sl_metrics_get(m, SL_M_NET_XDP_RX_RING_FULL);
  c->rx.drops = c->rx.ring_full + sl_metrics_get(m, SL_M_NET_XDP_RX_DROPPED);
  c->rx.busy_ns = sl_metrics_get(m, SL_M_BUSY_NS);
  c->rx.fill_empty = sl_metrics_get(m, SL_M_NET_XDP_FILL_EMPTY_DESCS);
  c->rx.t_first = tr->first_ns;
  c->rx.t_last = tr->last_ns;
  if (!WIFEXITED(st) || WEXITSTATUS(st)) {
    c->rx.rc = -1;
    snprintf(c->rx.err, sizeof c->rx.err, "the net tile exited with status 0x%x", st);
  }
  if (sl_metrics_get(m, SL_M_NET_PUBLISHED) != c->rx.pkts) {
    c->rx.rc = -1;
    snprintf(c->rx.err, sizeof c->rx.err, "net tile: %llu received but %llu published",
             (unsigned long long)c->rx.pkts, (unsigned long long)sl_metrics_get(m, SL_M_NET_PUBLISHED));
  }
  sl_net_xdp_close(&tr->xdp);
  sl_wksp_remove(&tr->w);
  env.wksp = NULL;
}

/* ---- sources ---- */

/* sent = copies of frame the kernel ran through the redirect program. The
   program: r1 = ifindex, r2 = 0, call bpf_redirect, exit. */
static int tx_live(const uint8_t *frame, uint32_t len, uint64_t count, tx_res_t *r) {
  struct bpf_insn prog[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = (int32_t)if_nametoindex(env.if_s)},
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = 0},
      {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect},
      {.code = BPF_JMP | BPF_EXIT},
  };
  static char log[8192];
  sl_err_t err = {{0}};
  int fd = sl_bpf_prog_load(BPF_PROG_TYPE_XDP, 0, prog, 4, "bench_net_tx", log, sizeof log, 1, &err);
  if (fd < 0) {
    snprintf(r->err, sizeof r->err, "live source: %.900s", err.msg);
    return -1;
  }
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.test.prog_fd = (uint32_t)fd;
  a.test.data_in = (uint64_t)(uintptr_t)frame;
  a.test.data_size_in = len;
  a.test.repeat = (uint32_t)count;
  a.test.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
  a.test.batch_size = BATCH;
  uint64_t t0 = sl_now_ns();
  /* One syscall: the kernel sends all count frames inside it. */
  long rc = syscall(__NR_bpf, BPF_PROG_TEST_RUN, &a, sizeof a);
  uint64_t t1 = sl_now_ns();
  close(fd);
  if (rc) {
    snprintf(r->err, sizeof r->err, "live source: BPF_PROG_TEST_RUN (live frames, kernel >= 5.18): %s",
             strerror(errno));
    return -1;
  }
  r->sent = count;
  r->secs = (double)(t1 - t0) / 1e9;
  return 0;
}

typedef struct {
  const sl_gen_pool_t *pool;
  sl_gen_opts_t go;          /* destination, size */
  uint32_t len_min, len_max; /* frame sizes of the pool's packets (the builder is within a byte of go.size) */
} src_t;

static void tx_child(ctl_t *c, const src_t *src, int source, uint64_t count, uint64_t rate) {
  pin(opt.tx_cpu);
  enter_ns(env.ns_b);
  uint64_t rxd, txd0, txd1;
  link_drops(env.if_s, &rxd, &txd0);
  tx_res_t *r = &c->tx;
  sl_gen_xsk_opts_t x;
  sl_gen_xsk_opts_default(&x);
  x.ifname = env.if_s;
  x.queue_cnt = 1;
  sl_gen_opts_t o = src->go;
  o.count = count;
  o.rate = rate;
  sl_err_t err = {{0}};
  if (source == SRC_LIVE) {
    sl_gen_xsk_addr_t ad;
    if (sl_gen_xsk_resolve(&o, &x, &ad, &err)) {
      snprintf(r->err, sizeof r->err, "%s", err.msg);
      r->rc = -1;
      _exit(1);
    }
    static uint8_t frame[FRAME_SZ];
    sl_frame_addr_t fa;
    memset(&fa, 0, sizeof fa);
    memcpy(fa.src_mac, ad.src_mac, 6);
    memcpy(fa.dst_mac, ad.dst_mac, 6);
    fa.src_ip4 = ad.src_ip4;
    fa.dst_ip4 = ad.dst_ip4;
    fa.src_port = 20000;
    fa.dst_port = PORT;
    const sl_gen_pkt_t *pk = &src->pool->pkt[0];
    uint32_t h = sl_frame_build_hdr(frame, &fa, pk->sz);
    memcpy(frame + h, pk->data, pk->sz);
    r->rc = tx_live(frame, h + pk->sz, count, r);
  } else {
    sl_gen_result_t res;
    r->rc = sl_gen_send_xsk(src->pool, &o, &x, &res, &err);
    if (r->rc) snprintf(r->err, sizeof r->err, "%s", err.msg);
    r->sent = res.sent;
    r->secs = res.seconds;
  }
  link_drops(env.if_s, &rxd, &txd1);
  r->tx_drop = txd1 - txd0;
  _exit(r->rc ? 1 : 0);
}

/* ---- one run: one receiver, one source, one size ---- */

static pid_t fork_or_die(void) {
  pid_t p = fork();
  if (p < 0) die("fork: %s", strerror(errno));
  if (p == 0) prctl(PR_SET_PDEATHSIG, SIGKILL);
  else kid_add(p);
  return p;
}

/* Waits for pid to exit, up to ns (then kills it). Returns its status. */
static int reap(pid_t pid, uint64_t ns, tile_run_t *tr) {
  uint64_t end = sl_now_ns() + ns;
  int st = 0;
  while (waitpid(pid, &st, WNOHANG) != pid) {
    if (tr) tile_drain(tr);
    if (sl_now_ns() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      break;
    }
    sl_sleep_ns(1000000, NULL);
  }
  kid_del(pid);
  return st;
}

static run_res_t run_one(int kind, int source, const src_t *src, uint64_t count, uint64_t rate) {
  ctl_t *c = mmap(NULL, sizeof(ctl_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (c == MAP_FAILED) die("mmap: %s", strerror(errno));
  memset(c, 0, sizeof *c);
  int spin = !opt.napi_on_rx;
  tile_run_t *tr = NULL;
  static tile_run_t tile;
  pid_t rx = 0;
  uint64_t end = sl_now_ns() + READY_NS;
  if (kind == RX_TILE) {
    tr = &tile;
    tile_start(tr, spin ? SL_IDLE_SPIN : SL_IDLE_ADAPTIVE, src->len_min, src->len_max);
    rx = tr->pid;
  } else {
    rx = fork_or_die();
    if (rx == 0) {
      pin(opt.rx_cpu);
      if (kind == RX_MMSG) rx_mmsg(c);
      else rx_bare(c, spin);
      _exit(0);
    }
    while (!c->ready) {
      if (waitpid(rx, NULL, WNOHANG) == rx) {
        kid_del(rx);
        die("%s receiver failed to start: %s", rx_name[kind], c->rx.err[0] ? c->rx.err : "(no message)");
      }
      if (sl_now_ns() > end) die("%s receiver not ready after %.0f s", rx_name[kind], READY_NS / 1e9);
      sl_sleep_ns(1000000, NULL);
    }
  }
  /* After the receiver's setup: attaching or detaching XDP may give the
     veth a new NAPI thread. */
  pid_t napi = napi_pid();
  if (!napi) die("no NAPI thread for %s (threaded NAPI off?)", env.if_r);
  cpu_set_t cs;
  CPU_ZERO(&cs);
  CPU_SET(opt.napi_on_rx ? opt.rx_cpu : opt.tx_cpu, &cs);
  if (sched_setaffinity(napi, sizeof cs, &cs)) die("cannot pin the NAPI thread %d: %s", (int)napi, strerror(errno));
  if (opt.verbose) printf("  [NAPI thread %d]\n", (int)napi);
  uint64_t napi0 = task_cpu_ns(napi), rxcpu0 = task_cpu_ns(rx), steal0 = steal_ticks(-1), t0 = sl_now_ns();
  uint64_t rx_steal0 = steal_ticks(opt.rx_cpu);

  pid_t tx = fork_or_die();
  if (tx == 0) tx_child(c, src, source, count, rate);
  int st = reap(tx, RUN_NS, tr);
  if (!WIFEXITED(st) || WEXITSTATUS(st) || c->tx.rc)
    die("%s source failed: %s", src_name[source], c->tx.err[0] ? c->tx.err : "killed or timed out");

  /* The source is done: wait until the receiver has seen nothing new for
     QUIET_NS, then take the CPU figures and stop it. */
  uint64_t prev = UINT64_MAX, quiet_since = sl_now_ns();
  end = quiet_since + STOP_NS;
  for (;;) {
    if (tr) tile_drain(tr);
    uint64_t now = sl_now_ns();
    uint64_t cur = tr ? sl_metrics_get(tr->m, SL_M_NET_RX_PKTS) : c->pkts;
    if (cur != prev) {
      prev = cur;
      quiet_since = now;
    } else if (now - quiet_since > QUIET_NS || now > end) {
      break;
    }
    sl_sleep_ns(1000000, NULL);
  }
  uint64_t napi_ns = task_cpu_ns(napi) - napi0, rx_ns = task_cpu_ns(rx) - rxcpu0;
  double steal = (double)(steal_ticks(-1) - steal0) / (double)sysconf(_SC_CLK_TCK) /
                 ((double)(sl_now_ns() - t0) / 1e9 * 2);
  double rx_steal_ms = (double)(steal_ticks(opt.rx_cpu) - rx_steal0) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
  if (tr) {
    tile_stop(tr, c);
  } else {
    c->stop = 1;
    st = reap(rx, STOP_NS, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) || c->rx.rc)
      die("%s receiver failed: %s", rx_name[kind], c->rx.err[0] ? c->rx.err : "killed or timed out");
  }
  if (c->rx.rc) die("%s: %s", rx_name[kind], c->rx.err);

  run_res_t r;
  memset(&r, 0, sizeof r);
  r.sent = c->tx.sent;
  r.pkts = c->rx.pkts;
  r.tx_pps = c->tx.secs > 0 ? (double)c->tx.sent / c->tx.secs : 0;
  r.rx_secs = c->rx.t_last > c->rx.t_first ? (double)(c->rx.t_last - c->rx.t_first) / 1e9 : 0;
  r.rx_pps = r.rx_secs > 0 && r.pkts > 1 ? (double)(r.pkts - 1) / r.rx_secs : 0;
  r.veth_drop = c->tx.tx_drop;
  r.rx_drop = c->rx.drops;
  r.fill_empty = c->rx.fill_empty;
  r.napi_ns_pkt = r.pkts ? (double)napi_ns / (double)r.pkts : 0;
  uint64_t work = kind == RX_MMSG ? rx_ns : c->rx.busy_ns;
  r.work_ns_pkt = r.pkts ? (double)work / (double)r.pkts : 0;
  r.ring_full = c->rx.ring_full;
  r.steal = steal;
  r.rx_steal_ms = rx_steal_ms;
  r.max_gap_ns = c->rx.max_gap_ns;
  if (tr) {
    r.overrun = tr->cons.overrun_poll + tr->cons.overrun_read;
    r.bad_frags = tr->bad;
    if (tr->frags + r.overrun != r.pkts || tr->bad)
      die("net tile: the ring consumer saw %llu frags (+%llu overrun, %llu of a wrong size) of %llu received",
          (unsigned long long)tr->frags, (unsigned long long)r.overrun, (unsigned long long)tr->bad,
          (unsigned long long)r.pkts);
  }
  munmap(c, sizeof *c);
  return r;
}

/* ---- report ---- */

static double pct(uint64_t part, uint64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0; }

static void print_head(void) {
  printf("  %-12s %10s %9s %9s %7s %10s %9s %10s %10s\n", "receiver", "rx pkt/s", "sent", "received", "loss",
         "veth full", "rx drop", "napi ns/p", "work ns/p");
}

static void print_row(const char *name, const run_res_t *r) {
  uint64_t loss = r->sent > r->pkts ? r->sent - r->pkts : 0;
  printf("  %-12s %10.0f %9llu %9llu %6.2f%% %10llu %9llu %10.0f %10.0f\n", name, r->rx_pps,
         (unsigned long long)r->sent, (unsigned long long)r->pkts, pct(loss, r->sent),
         (unsigned long long)r->veth_drop, (unsigned long long)r->rx_drop, r->napi_ns_pkt, r->work_ns_pkt);
}

#define MAX_ROUNDS 15
#define MAX_PACED 5

typedef struct {
  run_res_t run[RX_CNT][MAX_ROUNDS];
  const run_res_t *med[RX_CNT]; /* each receiver's median round (by rate) */
  double lo[RX_CNT], hi[RX_CNT];
  double ratio_mmsg, ratio_bare;  /* medians of the per-round ratios */
  double rmin_mmsg, rmax_mmsg, rmin_bare, rmax_bare;
  run_res_t paced[MAX_PACED][2];  /* per paced round: tile, bare */
  uint64_t paced_rate;
} size_res_t;

static uint64_t loss_of(const run_res_t *r) { return r->sent > r->pkts ? r->sent - r->pkts : 0; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The machine's speed drifts from second to second (a shared host): a
   round's three receivers run back to back, so ratios are taken within a
   round and their median reported. */
static void summarize(size_res_t *s) {
  int n = opt.rounds;
  double v[MAX_ROUNDS];
  for (int j = 0; j < RX_CNT; j++) {
    s->lo[j] = s->hi[j] = s->run[j][0].rx_pps;
    for (int r = 0; r < n; r++) {
      v[r] = s->run[j][r].rx_pps;
      if (v[r] < s->lo[j]) s->lo[j] = v[r];
      if (v[r] > s->hi[j]) s->hi[j] = v[r];
    }
    double m = median(v, n);
    s->med[j] = &s->run[j][0];
    for (int r = 0; r < n; r++) /* the round closest to the median */
      if (fabs(s->run[j][r].rx_pps - m) < fabs(s->med[j]->rx_pps - m)) s->med[j] = &s->run[j][r];
  }
  double a[MAX_ROUNDS], b[MAX_ROUNDS];
  for (int r = 0; r < n; r++) {
    a[r] = s->run[RX_MMSG][r].rx_pps > 0 ? s->run[RX_TILE][r].rx_pps / s->run[RX_MMSG][r].rx_pps : 0;
    b[r] = s->run[RX_BARE][r].rx_pps > 0 ? s->run[RX_TILE][r].rx_pps / s->run[RX_BARE][r].rx_pps : 0;
  }
  s->ratio_mmsg = median(a, n);
  s->ratio_bare = median(b, n);
  s->rmin_mmsg = a[0], s->rmax_mmsg = a[n - 1], s->rmin_bare = b[0], s->rmax_bare = b[n - 1];
}

static void print_paced(const char *name, const run_res_t *p) {
  printf("    %-12s sent %8llu at %7.0f pkt/s, loss %5llu (%.3f%%: AF_XDP ring full %llu, other %llu, veth %llu); "
         "steal on CPU %d %.0f ms",
         name, (unsigned long long)p->sent, p->tx_pps, (unsigned long long)loss_of(p), pct(loss_of(p), p->sent),
         (unsigned long long)p->ring_full, (unsigned long long)(p->rx_drop - p->ring_full),
         (unsigned long long)p->veth_drop, opt.rx_cpu, p->rx_steal_ms);
  if (p->max_gap_ns) printf(", longest stall of the loop %.1f ms", (double)p->max_gap_ns / 1e6);
  printf("\n");
}

static void print_size(uint32_t size, const size_res_t *s) {
  printf("\npayload %u B (frame %u B), %d rounds; each receiver's median round, its range over the rounds:\n", size,
         size + SL_FRAME_HDR_SZ, opt.rounds);
  print_head();
  for (int j = 0; j < RX_CNT; j++) {
    print_row(rx_name[j], s->med[j]);
    printf("  %-12s %10s range %.0f..%.0f pkt/s, offered %.0f pkt/s\n", "", "", s->lo[j], s->hi[j],
           s->med[j]->tx_pps);
  }
  printf("  ratio tile/recvmmsg %.2f (rounds %.2f..%.2f; target >= 3)\n", s->ratio_mmsg, s->rmin_mmsg,
         s->rmax_mmsg);
  printf("  ratio tile/bare     %.3f (rounds %.3f..%.3f; target >= 0.95)\n", s->ratio_bare, s->rmin_bare,
         s->rmax_bare);
  /* What limits the figures: a receiver that took (nearly) all that was
     offered measured the source, not itself. */
  char by_src[64] = "", by_core[64] = "";
  for (int j = 0; j < RX_CNT; j++) {
    const run_res_t *m = s->med[j];
    int src_bound = m->rx_pps > 0.97 * m->tx_pps || loss_of(m) < m->sent / 200;
    char *l = src_bound ? by_src : by_core;
    snprintf(l + strlen(l), 64 - strlen(l), "%s%s", l[0] ? ", " : "", rx_name[j]);
  }
  if (by_core[0])
    printf("  limited by %s: %s\n", opt.napi_on_rx ? "their core (NAPI and receiver share it; the source offered more)"
                                                : "NAPI's share of the source's core (the receivers kept up)",
           by_core);
  if (by_src[0]) printf("  limited by the source (took all it offered, the ratio says little): %s\n", by_src);
  printf("  no-loss check at 80%% of the tile's median rate: %llu pkt/s for %.1f s, gen AF_XDP TX (paced), "
         "%d rounds; bare at the same rate shows what the core allows without the tile's work:\n",
         (unsigned long long)s->paced_rate, opt.paced_secs, opt.paced_rounds);
  int clean = 0, slow = 0;
  for (int r = 0; r < opt.paced_rounds; r++) {
    print_paced("net tile", &s->paced[r][0]);
    print_paced("bare AF_XDP", &s->paced[r][1]);
    clean += loss_of(&s->paced[r][0]) == 0;
    slow += s->paced[r][0].tx_pps < 0.95 * (double)s->paced_rate;
  }
  printf("  net tile lossless in %d of %d paced rounds (target: all)\n", clean, opt.paced_rounds);
  if (slow)
    printf("  (in %d round(s) the generator could not reach the rate: the check ran at its maximum)\n", slow);
  if (clean < opt.paced_rounds)
    printf("  an AF_XDP ring of %u packets overflows when its receiver is off its CPU for %.1f ms or more (NAPI's\n"
           "  turn on a shared core, the hypervisor: see bare's longest stall and the steal); a larger ring rides\n"
           "  that out: --rx-queue 16384 ([net] rx_queue_size)\n",
           opt.rx_queue, (double)opt.rx_queue / (double)s->paced_rate * 1e3);
}

static void usage(void) {
  fprintf(stderr,
          "usage: bench_net [--count N] [--rounds R] [--sizes 200,1232] [--tx-cpu C] [--rx-cpu C]\n"
          "                 [--napi-cpu rx|tx] [--source live|xsk] [--paced-seconds S] [--paced-rounds R]\n"
          "                 [--rx-queue N] [--ring-depth N] [--only recvmmsg|bare|tile] [--paced PPS]\n"
          "                 [--verbose]\n");
  exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--verbose")) {
      opt.verbose = 1;
      continue;
    }
    if (!v) usage();
    i++;
    if (!strcmp(a, "--count")) opt.count = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--rounds")) opt.rounds = atoi(v);
    else if (!strcmp(a, "--tx-cpu")) opt.tx_cpu = atoi(v);
    else if (!strcmp(a, "--rx-cpu")) opt.rx_cpu = atoi(v);
    else if (!strcmp(a, "--paced-seconds")) opt.paced_secs = atof(v);
    else if (!strcmp(a, "--ring-depth")) opt.ring_depth = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--paced")) opt.paced_only = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--rx-queue")) opt.rx_queue = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--paced-rounds")) opt.paced_rounds = atoi(v);
    else if (!strcmp(a, "--only") && (!strcmp(v, "recvmmsg") || !strcmp(v, "bare") || !strcmp(v, "tile")))
      opt.only = !strcmp(v, "recvmmsg") ? RX_MMSG : !strcmp(v, "bare") ? RX_BARE : RX_TILE;
    else if (!strcmp(a, "--napi-cpu") && (!strcmp(v, "rx") || !strcmp(v, "tx"))) opt.napi_on_rx = !strcmp(v, "rx");
    else if (!strcmp(a, "--source") && (!strcmp(v, "live") || !strcmp(v, "xsk"))) opt.source = !strcmp(v, "xsk");
    else if (!strcmp(a, "--sizes")) {
      opt.size_cnt = 0;
      char buf[128];
      snprintf(buf, sizeof buf, "%s", v);
      char *sp;
      for (char *t = strtok_r(buf, ",", &sp); t && opt.size_cnt < MAX_SIZES; t = strtok_r(NULL, ",", &sp))
        opt.sizes[opt.size_cnt++] = (uint32_t)atoi(t);
    } else usage();
  }
  if (opt.rounds < 1 || opt.rounds > MAX_ROUNDS || opt.paced_rounds < 1 || opt.paced_rounds > MAX_PACED || opt.count < 1000 || opt.rx_queue < 64 || opt.rx_queue > 65536 || (opt.rx_queue & (opt.rx_queue - 1)) || opt.count > UINT32_MAX || !opt.size_cnt || opt.tx_cpu == opt.rx_cpu ||
      opt.paced_secs <= 0 || opt.paced_secs > 10)
    usage();
  for (uint32_t k = 0; k < opt.size_cnt; k++)
    if (opt.sizes[k] < 100 || opt.sizes[k] > SL_TXN_BUILD_MTU) die("--sizes: %u is not in 100..%u", opt.sizes[k], SL_TXN_BUILD_MTU);

  if (geteuid() != 0) {
    printf("bench_net: skipped (needs root: network namespaces, XDP, AF_XDP sockets)\n");
    return 0;
  }
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (opt.tx_cpu >= ncpu || opt.rx_cpu >= ncpu) {
    printf("bench_net: skipped (needs CPUs %d and %d; %ld online)\n", opt.tx_cpu, opt.rx_cpu, ncpu);
    return 0;
  }
  sl_log_set_level(SL_LOG_WARN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  uint64_t t_start = sl_now_ns();

  /* Pre-built transactions, one pool per size (1 signature each). */
  static sl_gen_pool_t pool[MAX_SIZES];
  static src_t src[MAX_SIZES];
  for (uint32_t k = 0; k < opt.size_cnt; k++) {
    sl_gen_opts_t *o = &src[k].go;
    sl_gen_opts_default(o);
    o->dst_ip4 = inet_addr(IP_A);
    o->dst_port[0] = PORT;
    o->dst_port_cnt = 1;
    o->count = POOL_DISTINCT;
    o->pool = POOL_DISTINCT;
    o->sigs = 1;
    o->size = (uint16_t)opt.sizes[k];
    o->seed = 4;
    sl_err_t err = {{0}};
    if (sl_gen_pool_new(&pool[k], o, &err)) die("gen pool: %s", err.msg);
    src[k].pool = &pool[k];
    src[k].len_min = UINT32_MAX;
    for (uint64_t i = 0; i < pool[k].cnt; i++) {
      uint32_t len = SL_FRAME_HDR_SZ + pool[k].pkt[i].sz;
      if (len < src[k].len_min) src[k].len_min = len;
      if (len > src[k].len_max) src[k].len_max = len;
    }
  }

  env.main_pid = getpid();
  atexit(cleanup);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
  env_create();
  pin(opt.tx_cpu);
  enter_ns(env.ns_a);

  int ncpu_napi = opt.napi_on_rx ? opt.rx_cpu : opt.tx_cpu;
  printf("net tile (AF_XDP) vs recvmmsg vs bare AF_XDP loop, veth %s -> %s (1 queue; XDP in driver mode), %ld CPUs\n",
         env.if_s, env.if_r, ncpu);
  printf("  source: CPU %d (namespace B); receivers, one at a time: CPU %d (namespace A)\n", opt.tx_cpu, opt.rx_cpu);
  if (opt.napi_on_rx)
    printf("  threaded NAPI of %s pinned to CPU %d, the receivers' CPU: each receiver is its whole receive path\n"
           "  (kernel NAPI work + user loop) on one core, and the source has the other core alone. Nothing spins\n"
           "  beside NAPI: recvmmsg blocks; bare and the tile idle adaptively (spin 2048 passes, yield, nap 50 us)\n",
           env.if_r, ncpu_napi);
  else
    printf("  threaded NAPI of %s pinned to CPU %d, the source's CPU: the receivers have their core alone and bare\n"
           "  and the tile spin; the kernel's receive work shares the source's core (it sets the pace)\n",
           env.if_r, ncpu_napi);
  printf("  capacity runs: %s, %llu packets per run, %d rounds, receivers interleaved\n",
         opt.source == SRC_LIVE ? "XDP live-frames source (BPF_PROG_TEST_RUN redirecting one gen-built frame into "
                                  "the veth, unpaced: it offers more than any receiver takes)"
                                : "gen AF_XDP TX (sl_gen_send_xsk, copy mode, unpaced)",
         (unsigned long long)opt.count, opt.rounds);
  printf("  columns: rx pkt/s = received / (last - first packet); veth full = frames the veth could not queue for\n"
         "  NAPI (source faster than the receiver); rx drop = receiver-side drops (AF_XDP ring full, UDP socket\n"
         "  buffer full); napi ns/p = NAPI thread CPU per packet received; work ns/p = receiver CPU per packet\n"
         "  (recvmmsg: process CPU time; bare and tile: time in loop passes that received, which on a CPU\n"
         "  shared with NAPI includes NAPI's preemptions of those passes)\n");

  static size_res_t sr[MAX_SIZES];
  for (uint32_t k = 0; k < opt.size_cnt; k++) {
    size_res_t *s = &sr[k];
    if (opt.paced_only) {
      uint64_t n = (uint64_t)((double)opt.paced_only * opt.paced_secs);
      for (int r = 0; r < opt.rounds; r++) {
        printf("  [%u B, paced at %llu pkt/s, round %d]\n", opt.sizes[k], (unsigned long long)opt.paced_only, r);
        for (int j = 0; j < 2; j++) {
          run_res_t p = run_one(j ? RX_BARE : RX_TILE, SRC_XSK, &src[k], n, opt.paced_only);
          print_paced(rx_name[j ? RX_BARE : RX_TILE], &p);
        }
      }
      continue;
    }
    for (int r = 0; r < opt.rounds; r++)
      for (int j = 0; j < RX_CNT; j++) {
        int kind = (j + r) % RX_CNT; /* rotate the order: no receiver always runs first */
        if (opt.only >= 0 && kind != opt.only) continue;
        s->run[kind][r] = run_one(kind, opt.source, &src[k], opt.count, 0);
        if (opt.verbose) {
          printf("  [%u B, round %d, offered %.0f pkt/s, steal %.0f%%]\n", opt.sizes[k], r, s->run[kind][r].tx_pps,
                 100 * s->run[kind][r].steal);
          print_row(rx_name[kind], &s->run[kind][r]);
        }
      }
    if (opt.only >= 0) continue; /* exploring one receiver: its rows were printed */
    summarize(s);

    /* No loss at 80% of the tile's capacity (its median rate): gen's AF_XDP
       TX, paced; bare at the same rate says what the core allows without
       the tile's work. */
    s->paced_rate = (uint64_t)(0.8 * s->med[RX_TILE]->rx_pps);
    uint64_t n = (uint64_t)((double)s->paced_rate * opt.paced_secs);
    if (n < 1000) n = 1000;
    for (int r = 0; r < opt.paced_rounds; r++) {
      s->paced[r][0] = run_one(RX_TILE, SRC_XSK, &src[k], n, s->paced_rate);
      s->paced[r][1] = run_one(RX_BARE, SRC_XSK, &src[k], n, s->paced_rate);
    }
    print_size(opt.sizes[k], s);
  }

  if (opt.only >= 0 || opt.paced_only) {
    for (uint32_t k = 0; k < opt.size_cnt; k++) sl_gen_pool_delete(&pool[k]);
    return 0;
  }
  printf("\nRESULT bench=net napi_cpu=%s source=%s", opt.napi_on_rx ? "rx" : "tx", src_name[opt.source]);
  for (uint32_t k = 0; k < opt.size_cnt; k++) {
    const size_res_t *s = &sr[k];
    uint32_t z = opt.sizes[k];
    uint64_t tl = 0, bl = 0;
    int clean = 0;
    for (int r = 0; r < opt.paced_rounds; r++) {
      tl += loss_of(&s->paced[r][0]);
      bl += loss_of(&s->paced[r][1]);
      clean += loss_of(&s->paced[r][0]) == 0;
    }
    printf(" recvmmsg_pps_%u=%.0f bare_pps_%u=%.0f tile_pps_%u=%.0f tile_vs_recvmmsg_%u=%.2f tile_vs_bare_%u=%.3f "
           "paced_pps_%u=%.0f paced_lossless_%u=%d/%d paced_loss_%u=%llu paced_bare_loss_%u=%llu",
           z, s->med[RX_MMSG]->rx_pps, z, s->med[RX_BARE]->rx_pps, z, s->med[RX_TILE]->rx_pps, z, s->ratio_mmsg, z,
           s->ratio_bare, z, s->paced[0][0].tx_pps, z, clean, opt.paced_rounds, z, (unsigned long long)tl, z,
           (unsigned long long)bl);
  }
  printf(" seconds=%.0f\n", (double)(sl_now_ns() - t_start) / 1e9);
  for (uint32_t k = 0; k < opt.size_cnt; k++) sl_gen_pool_delete(&pool[k]);
  return 0;
}
