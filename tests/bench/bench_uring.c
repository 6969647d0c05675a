/* bench_uring: the io_uring provider (rx_burst + release) vs a plain
   recvmmsg loop, on the same loopback UDP traffic.

   A sender process pinned to CPU 0 sends --count datagrams of a fixed
   payload size to 127.0.0.1 with sendmmsg (64 per call); the receiver,
   pinned to CPU 1, is one of:
     recvmmsg/block   blocking recvmmsg, 64 per call
     recvmmsg/busy    non-blocking recvmmsg, 64 per call, spinning on EAGAIN
     uring            the provider as the net tile runs it (auto: DEFER_TASKRUN,
                      kernel kick only when IORING_SQ_TASKRUN says so)
     uring/submit     the same, kicked with io_uring_submit instead of
                      io_uring_get_events (the auto choice)
     uring/wait0      the same, kick forced to min_complete + zero timeout
                      (blocks ~20 us per partial burst: shown, not used)
     uring/plain      no DEFER_TASKRUN: receive work runs from IPIs
   Each receiver holds a 16 MiB SO_RCVBUF, like the net tile.

   Two measures, each on fresh sockets, receivers interleaved per round:
   - stream: sender and receiver run together; received packets per second
     (first to last packet) and loss. On loopback the SENDER's CPU runs the
     kernel receive path (softirq: IP, UDP, socket enqueue), so a receiver
     that keeps up just sees the sender's rate: the ratio then says little.
   - drain: the sender first fills the receiver's socket (1 GiB buffer, root
     needed for SO_RCVBUFFORCE), then the receiver empties it: packets per
     second of the receive side alone (syscall, copy to user memory, and for
     the provider header synthesis), i.e. what the receiver costs per packet.
     uring/plain is left out: its receive work runs during the fill.
   Best of --runs rounds (highest rx rate; lowest CPU per packet). Prints a table and the provider/recvmmsg ratio
   (best of blocking and busy recvmmsg). Columns: rx Mpps; loss (of what
   the sender sent); receiver CPU ns per packet (getrusage; for the
   spinning receivers in stream mode that is just wall time per packet);
   receiver syscalls per packet (recvmmsg calls, or the provider's
   SL_M_NET_SYSCALLS); tx Mpps, the sender's own rate (in drain mode: the
   sender alone, the ceiling of every stream row).

   usage: bench_uring [--count N] [--drain N] [--runs R] [--sizes 200,1232]
                      [--only RECEIVER]   (a name from the table, e.g. uring) */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmem/metrics.h"
#include "tiles/frame.h"
#include "tiles/net/uring_rx.h"
#include "util/log.h"
#include "util/time.h"

enum { R_MMSG_BLOCK, R_MMSG_BUSY, R_URING, R_URING_SUBMIT, R_URING_WAIT0, R_URING_PLAIN, R_CNT };
static const char *const rname[R_CNT] = {"recvmmsg/block", "recvmmsg/busy", "uring",
                                         "uring/submit", "uring/wait0", "uring/plain"};

#define BATCH 64u
#define MAX_RUNS 15
#define MAX_SIZES 4
#define IDLE_END_NS (300ull * 1000000ull) /* stream: the receiver stops after this long without a packet */
#define RUN_CAP_NS (30ull * 1000000000ull)
#define FRAME_SZ 2048u
#define POOL_FRAMES 32768u /* about the default topology: ring_depth 16384 + slack */
#define QUEUE_SIZE 4096u   /* default rx_queue_size: an 8192-entry buffer ring */

/* Shared between the parent and the two children of one run. */
typedef struct {
  volatile uint32_t rx_ready, rx_go, tx_done;
  uint64_t tx_sent, tx_ns;
  uint64_t rx_cnt, rx_first, rx_last, rx_start, rx_cpu_ns, rx_calls, rx_syscalls, rx_bad;
  int rx_err;
  char msg[SL_ERR_MAX];
} ctl_t;

typedef struct {
  double pps;  /* received per second */
  double loss; /* fraction */
  double cpu_ns; /* receiver CPU per packet */
  double sys_per_pkt;
  double tx_pps; /* the sender's rate over its own run */
} res_t;

static int g_ncpu;

static void pin(int cpu) {
  if (g_ncpu < 2) return;
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  if (sched_setaffinity(0, sizeof s, &s)) perror("sched_setaffinity");
}

static uint64_t cpu_ns_self(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
    perror("bind");
    exit(1);
  }
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  close(fd);
  return ntohs(sa.sin_port);
}

static void sender(ctl_t *c, uint16_t port, uint64_t count, uint32_t size) {
  pin(0);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  static uint8_t buf[BATCH][2048];
  struct mmsghdr mm[BATCH];
  struct iovec iov[BATCH];
  memset(mm, 0, sizeof mm);
  for (uint32_t i = 0; i < BATCH; i++) {
    memset(buf[i], 0x5a, size);
    iov[i] = (struct iovec){buf[i], size};
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
    mm[i].msg_hdr.msg_name = &to;
    mm[i].msg_hdr.msg_namelen = sizeof to;
  }
  uint64_t t0 = sl_now_ns(), sent = 0;
  while (sent < count && sl_now_ns() - t0 < RUN_CAP_NS) {
    uint32_t n = count - sent < BATCH ? (uint32_t)(count - sent) : BATCH;
    for (uint32_t i = 0; i < n; i++) memcpy(buf[i], &(uint64_t){sent + i}, 8);
    int r = sendmmsg(fd, mm, n, 0);
    if (r > 0) sent += (uint64_t)r;
    else if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) break;
  }
  c->tx_ns = sl_now_ns() - t0;
  c->tx_sent = sent;
  __atomic_store_n(&c->tx_done, 1, __ATOMIC_RELEASE);
  _exit(0);
}

/* Receive loop end: drain mode stops at count or once the socket is empty
   (idle 50 ms); stream mode after IDLE_END_NS without a packet. */
static int rx_should_stop(const ctl_t *c, int drain, uint64_t count, uint64_t now) {
  if (c->rx_cnt >= count) return 1;
  if (now - c->rx_start > RUN_CAP_NS) return 1;
  uint64_t last = c->rx_cnt ? c->rx_last : c->rx_start;
  return now - last > (drain ? 50000000ull : IDLE_END_NS);
}

static void wait_go(ctl_t *c) {
  __atomic_store_n(&c->rx_ready, 1, __ATOMIC_RELEASE);
  uint64_t t0 = sl_now_ns();
  while (!__atomic_load_n(&c->rx_go, __ATOMIC_ACQUIRE) && sl_now_ns() - t0 < RUN_CAP_NS) sl_sleep_ns(100000, NULL);
}

static void rx_mmsg(ctl_t *c, uint16_t port, int busy, int drain, uint64_t count, uint32_t rcvbuf) {
  int fd = socket(AF_INET, SOCK_DGRAM | (busy ? SOCK_NONBLOCK : 0), 0);
  int one = 1, rb = (int)rcvbuf;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof rb)) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
  struct timeval tv = {0, 20000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
    c->rx_err = 1;
    snprintf(c->msg, sizeof c->msg, "bind: %s", strerror(errno));
    _exit(1);
  }
  static uint8_t buf[BATCH][2048];
  static struct sockaddr_in from[BATCH];
  struct mmsghdr mm[BATCH];
  struct iovec iov[BATCH];
  memset(mm, 0, sizeof mm);
  for (uint32_t i = 0; i < BATCH; i++) {
    iov[i] = (struct iovec){buf[i], sizeof buf[i]};
    mm[i].msg_hdr.msg_iov = &iov[i];
    mm[i].msg_hdr.msg_iovlen = 1;
    mm[i].msg_hdr.msg_name = &from[i];
  }
  wait_go(c);
  uint64_t cpu0 = cpu_ns_self();
  c->rx_start = sl_now_ns();
  for (;;) {
    for (uint32_t i = 0; i < BATCH; i++) mm[i].msg_hdr.msg_namelen = sizeof from[i];
    int n = recvmmsg(fd, mm, BATCH, busy ? 0 : MSG_WAITFORONE, NULL);
    c->rx_calls++;
    uint64_t now = sl_now_ns();
    if (n > 0) {
      if (!c->rx_cnt) c->rx_first = now;
      c->rx_cnt += (uint64_t)n;
      c->rx_last = now;
    }
    if ((n <= 0 || drain) && rx_should_stop(c, drain, count, now)) break;
  }
  c->rx_syscalls = c->rx_calls;
  c->rx_cpu_ns = cpu_ns_self() - cpu0;
  _exit(0);
}

static void rx_uring(ctl_t *c, uint16_t port, int kind, int drain, uint64_t count, uint32_t rcvbuf) {
  size_t psz = (size_t)POOL_FRAMES * FRAME_SZ;
  uint8_t *base = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (base == MAP_FAILED) _exit(1);
  sl_net_pool_t pool = {.wksp_base = base, .pool_off = 0, .frame_sz = FRAME_SZ, .frame_cnt = POOL_FRAMES};
  sl_net_uring_params_t p;
  memset(&p, 0, sizeof p);
  p.ports[0] = port;
  p.port_cnt = 1;
  p.bind_addr = htonl(INADDR_LOOPBACK);
  p.queue_size = QUEUE_SIZE;
  p.rcvbuf = rcvbuf;
  if (kind == R_URING_SUBMIT) p.kick = SL_NET_URING_KICK_SUBMIT;
  if (kind == R_URING_WAIT0) p.kick = SL_NET_URING_KICK_WAIT0;
  if (kind == R_URING_PLAIN) p.taskrun = SL_NET_URING_TASKRUN_PLAIN;
  sl_net_rx_t rx;
  sl_err_t err;
  sl_net_uring_prep_t *prep;
  if (sl_net_uring_prepare(&prep, &pool, &p, &err) || sl_net_uring_rx_open(&rx, prep, &err)) {
    c->rx_err = 1;
    snprintf(c->msg, sizeof c->msg, "%s", err.msg);
    _exit(1);
  }
  static uint8_t mbuf[sizeof(sl_metrics_t)] __attribute__((aligned(128)));
  sl_metrics_t *m = sl_metrics_join(sl_metrics_new(mbuf, SL_TILE_NET, 0));
  rx.ops->housekeep(&rx, m);
  uint64_t sys0 = sl_metrics_get(m, SL_M_NET_SYSCALLS);
  wait_go(c);
  uint64_t cpu0 = cpu_ns_self();
  c->rx_start = sl_now_ns();
  sl_net_pkt_t pk[BATCH];
  uint32_t fr[BATCH];
  uint32_t spins = 0;
  for (;;) {
    uint32_t n = rx.ops->rx_burst(&rx, pk, BATCH);
    c->rx_calls++;
    if (n) {
      uint64_t now = sl_now_ns();
      if (!c->rx_cnt) c->rx_first = now;
      for (uint32_t i = 0; i < n; i++) fr[i] = pk[i].frame;
      rx.ops->release(&rx, fr, n);
      c->rx_cnt += n;
      c->rx_last = now;
      if (c->rx_cnt >= count) break;
      continue;
    }
    /* Clock reads only while idle: the loaded path stays as the tile's. */
    if (++spins & 255) continue;
    if (rx_should_stop(c, drain, count, sl_now_ns())) break;
  }
  c->rx_cpu_ns = cpu_ns_self() - cpu0;
  rx.ops->housekeep(&rx, m);
  c->rx_syscalls = sl_metrics_get(m, SL_M_NET_SYSCALLS) - sys0;
  rx.ops->stop(&rx);
  _exit(0);
}

static int wait_flag(volatile uint32_t *f, uint64_t ns) {
  uint64_t t0 = sl_now_ns();
  while (!__atomic_load_n(f, __ATOMIC_ACQUIRE))
    if (sl_now_ns() - t0 > ns) return -1;
    else sl_sleep_ns(200000, NULL);
  return 0;
}

static void reap(pid_t pid) {
  int st;
  for (int i = 0; i < 6000 && waitpid(pid, &st, WNOHANG) == 0; i++) sl_sleep_ns(10000000, NULL);
  if (waitpid(pid, &st, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
}

/* One run of receiver kind on fresh sockets. */
static int run_one(ctl_t *c, int kind, int drain, uint64_t count, uint32_t size, res_t *out) {
  memset(c, 0, sizeof *c);
  uint16_t port = free_port();
  uint32_t rcvbuf = drain ? (1u << 30) : (16u << 20);
  pid_t rx = fork();
  if (rx == 0) {
    pin(1);
    if (kind <= R_MMSG_BUSY) rx_mmsg(c, port, kind == R_MMSG_BUSY, drain, count, rcvbuf);
    rx_uring(c, port, kind, drain, count, rcvbuf);
  }
  if (wait_flag(&c->rx_ready, 5000000000ull)) {
    reap(rx);
    fprintf(stderr, "%s: receiver did not start: %s\n", rname[kind], c->msg);
    return -1;
  }
  if (!drain) __atomic_store_n(&c->rx_go, 1, __ATOMIC_RELEASE);
  pid_t tx = fork();
  if (tx == 0) sender(c, port, count, size);
  reap(tx);
  if (drain) {
    sl_sleep_ns(20000000, NULL); /* let the softirq finish queueing */
    __atomic_store_n(&c->rx_go, 1, __ATOMIC_RELEASE);
  }
  reap(rx);
  if (c->rx_err) {
    fprintf(stderr, "%s: %s\n", rname[kind], c->msg);
    return -1;
  }
  uint64_t span = drain ? c->rx_last - c->rx_start : c->rx_last - c->rx_first;
  out->pps = span ? (double)c->rx_cnt * 1e9 / (double)span : 0;
  out->loss = c->tx_sent ? 1.0 - (double)c->rx_cnt / (double)c->tx_sent : 1.0;
  out->cpu_ns = c->rx_cnt ? (double)c->rx_cpu_ns / (double)c->rx_cnt : 0;
  out->sys_per_pkt = c->rx_cnt ? (double)c->rx_syscalls / (double)c->rx_cnt : 0;
  out->tx_pps = c->tx_ns ? (double)c->tx_sent * 1e9 / (double)c->tx_ns : 0;
  return 0;
}

/* Best of the runs: the least disturbed one (other processes share the
   two CPUs; a run can only be slowed down by them, never sped up). */
static res_t best_of(const res_t *r, int n) {
  res_t b = r[0];
  for (int i = 1; i < n; i++) {
    if (r[i].pps > b.pps) {
      double cpu = b.cpu_ns < r[i].cpu_ns ? b.cpu_ns : r[i].cpu_ns;
      b = r[i];
      b.cpu_ns = cpu;
    } else if (r[i].cpu_ns < b.cpu_ns) {
      b.cpu_ns = r[i].cpu_ns;
    }
  }
  return b;
}

int main(int argc, char **argv) {
  uint64_t count = 500000, drain_count = 200000;
  int runs = 3;
  uint32_t sizes[MAX_SIZES] = {200, 1232};
  int nsizes = 2;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--drain") && i + 1 < argc) drain_count = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
      nsizes = 0;
      for (char *s = strtok(argv[++i], ","); s && nsizes < MAX_SIZES; s = strtok(NULL, ","))
        sizes[nsizes++] = (uint32_t)atoi(s);
    } else {
      fprintf(stderr, "usage: bench_uring [--count N] [--drain N] [--runs R] [--sizes 200,1232] [--only RECEIVER]\n");
      return 2;
    }
  }
  if (runs < 1) runs = 1;
  if (runs > MAX_RUNS) runs = MAX_RUNS;
  for (int s = 0; s < nsizes; s++)
    if (!sizes[s] || sizes[s] > SL_FRAME_PAYLOAD_MAX) {
      fprintf(stderr, "sizes must be 1..%u\n", SL_FRAME_PAYLOAD_MAX);
      return 2;
    }
  sl_log_set_level(SL_LOG_WARN);
  g_ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
  ctl_t *c = mmap(NULL, sizeof(ctl_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (c == MAP_FAILED) return 1;
  printf("bench_uring: loopback UDP, sender CPU 0 (sendmmsg x%u), receiver CPU 1%s; best of %d runs\n",
         BATCH, g_ncpu < 2 ? " (1 CPU: not pinned)" : "", runs);
  printf("stream: %llu datagrams sent together with receiving; drain: %llu datagrams queued first%s\n",
         (unsigned long long)count, (unsigned long long)drain_count,
         geteuid() ? " (not root: the 1 GiB drain buffer is capped, expect drain loss)" : "");
  printf("%-6s %-5s %-16s %10s %8s %12s %12s %10s\n", "mode", "bytes", "receiver", "rx Mpps", "loss %",
         "rx CPU ns/p", "syscalls/p", "tx Mpps");
  int failed = 0;
  for (int drain = 0; drain < 2; drain++) {
    for (int s = 0; s < nsizes; s++) {
      res_t r[R_CNT][MAX_RUNS];
      int ok[R_CNT] = {0};
      for (int k = 0; k < runs; k++)
        for (int kind = 0; kind < R_CNT; kind++) {
          if (drain && kind == R_URING_PLAIN) continue;
          if (only && strcmp(only, rname[kind])) continue;
          if (run_one(c, kind, drain, drain ? drain_count : count, sizes[s], &r[kind][ok[kind]]) == 0) ok[kind]++;
          else failed = 1;
        }
      res_t med[R_CNT]; /* best of the runs */
      for (int kind = 0; kind < R_CNT; kind++) {
        if (!ok[kind]) continue;
        med[kind] = best_of(r[kind], ok[kind]);
        printf("%-6s %-5u %-16s %10.3f %8.2f %12.0f %12.4f %10.3f\n", drain ? "drain" : "stream",
               sizes[s], rname[kind], med[kind].pps / 1e6, med[kind].loss * 100, med[kind].cpu_ns,
               med[kind].sys_per_pkt, med[kind].tx_pps / 1e6);
      }
      if (ok[R_MMSG_BLOCK] && ok[R_MMSG_BUSY] && ok[R_URING]) {
        double base = med[R_MMSG_BLOCK].pps > med[R_MMSG_BUSY].pps ? med[R_MMSG_BLOCK].pps : med[R_MMSG_BUSY].pps;
        printf("%-6s %-5u ratio uring/recvmmsg (best of block, busy): %.2fx packets/s (target >= 1.10x)",
               drain ? "drain" : "stream", sizes[s], base > 0 ? med[R_URING].pps / base : 0);
        if (drain) {
          /* Receive-side CPU per packet: lower is better, so baseline / uring. */
          double cb = med[R_MMSG_BLOCK].cpu_ns < med[R_MMSG_BUSY].cpu_ns ? med[R_MMSG_BLOCK].cpu_ns
                                                                         : med[R_MMSG_BUSY].cpu_ns;
          printf(", %.2fx CPU/packet", med[R_URING].cpu_ns > 0 ? cb / med[R_URING].cpu_ns : 0);
        }
        printf("\n");
      }
    }
  }
  printf("note: on loopback the sender's CPU runs the kernel receive path (softirq); the receivers\n"
         "mostly pay the syscall and the copy to user memory, which the drain rows isolate.\n");
  munmap(c, sizeof *c);
  return failed;
}
