/* Unit tests for tiles/net/xsk.{h,c} and tiles/net/xdp_rx.{h,c}.

   "fake": the provider's ring logic over in-memory rings standing in for
   the kernel (no privilege needed).
   "kernel": the real thing. A pair of network namespaces made here
   (sl-xsk-<pid>-a/-b, removed by the fixture's teardown and atexit, and
   stale ones of dead runs swept at start), a 4-queue veth pair va (A,
   10.99.0.1) <-> vb (B, 10.99.0.2). Each test (Check forks one process per
   test) enters A with /sys remounted so sysfs shows A's interfaces; sockets
   it creates while in B before that stay in B, which is how traffic is sent
   from the peer. Needs root: without it the suite fails with a message,
   unless SLUICE_ALLOW_SKIP_PRIVILEGED=1. */

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/gen/gen_engine.h"
#include "app/gen/gen_xsk.h"
#include "tiles/frame.h"
#include "tiles/net/net_rx.h"
#include "tiles/net/xdp_rx.h"
#include "tiles/net/xsk.h"
#include "util/time.h"

#define IP_A "10.99.0.1"
#define IP_B "10.99.0.2"
#define PORT 9001
#define PORT_OTHER 9002
#define QCNT 4u
#define FRAME_SZ 2048u

/* ======================= fake kernel rings ======================= */

/* Rings the test plays the kernel on. */
typedef struct {
  uint32_t prod, cons, flags, _pad;
  uint64_t fill[64];
  uint32_t fprod, fcons, fflags, _pad2;
  struct xdp_desc rx[32];
  uint32_t cprod, ccons, cflags, _pad3;
  uint64_t comp[8];
} fake_rings_t;

static void fake_ring(sl_xsk_ring_t *r, uint32_t *prod, uint32_t *cons, uint32_t *flags, void *desc,
                      uint32_t size, int user_produces) {
  memset(r, 0, sizeof *r);
  r->producer = prod;
  r->consumer = cons;
  r->flags = flags;
  r->desc = desc;
  r->size = size;
  r->mask = size - 1;
  r->cached_prod = *prod;
  r->cached_cons = *cons + (user_produces ? size : 0);
}

typedef struct {
  fake_rings_t k;
  sl_xdp_t xdp; /* stands in for the installed filter: only its counters are read */
  sl_xdp_counters_t counters[1];
  sl_net_xdp_t s;
  uint8_t *wksp;
  sl_net_pool_t pool;
  sl_net_rx_t rx;
} fake_t;

/* A fake socket: fill ring 64, RX ring 32, 100 frames of 2048 bytes at
   workspace offset 8192 (so the offsets delivered must include it). */
static void fake_open(fake_t *f, uint32_t frame_cnt) {
  memset(&f->k, 0, sizeof f->k);
  memset(&f->s, 0, sizeof f->s);
  for (uint32_t i = 0; i < SL_NET_TILE_MAX; i++) sl_xsk_init(&f->s.xsk[i]);
  f->wksp = aligned_alloc(4096, 8192 + (size_t)frame_cnt * FRAME_SZ);
  ck_assert_ptr_nonnull(f->wksp);
  sl_xsk_t *x = &f->s.xsk[0];
  x->fd = socket(AF_UNIX, SOCK_DGRAM, 0); /* stands in: kicks and stats fail harmlessly */
  x->umem = f->wksp + 8192;
  x->frame_sz = FRAME_SZ;
  x->frame_cnt = frame_cnt;
  fake_ring(&x->fill, &f->k.fprod, &f->k.fcons, &f->k.fflags, f->k.fill, 64, 1);
  fake_ring(&x->rx, &f->k.prod, &f->k.cons, &f->k.flags, f->k.rx, 32, 0);
  fake_ring(&x->comp, &f->k.cprod, &f->k.ccons, &f->k.cflags, f->k.comp, 8, 0);
  f->s.xsk_cnt = 1;
  f->s.queue_cnt = 1;
  f->s.pool_off[0] = 8192;
  memset(f->counters, 0, sizeof f->counters);
  f->xdp.counters = f->counters;
  f->xdp.map_entries = 1;
  f->s.xdp = &f->xdp;
  snprintf(f->s.ifname, sizeof f->s.ifname, "fake0");
  f->pool = (sl_net_pool_t){.wksp_base = f->wksp, .pool_off = 8192, .frame_sz = FRAME_SZ, .frame_cnt = frame_cnt};
  sl_err_t err;
  ck_assert_msg(sl_net_xdp_rx_open(&f->rx, &f->s, 0, &f->pool, &err) == 0, "%s", err.msg);
}

static void fake_close(fake_t *f) {
  f->rx.ops->stop(&f->rx);
  free(f->wksp);
}

/* The kernel takes one fill entry and delivers a len-byte packet in that
   frame at offset `at` (256 in copy mode). Returns the UMEM offset. */
static uint64_t fake_deliver(fake_t *f, uint32_t at, uint32_t len, uint8_t tag) {
  ck_assert_uint_ne(f->k.fprod, f->k.fcons);
  uint64_t base = f->k.fill[f->k.fcons & 63];
  f->k.fcons++;
  ck_assert_uint_eq(base % FRAME_SZ, 0);
  uint64_t off = base + at;
  memset(f->wksp + 8192 + off, tag, len);
  struct xdp_desc *d = &f->k.rx[f->k.prod & 31];
  d->addr = off;
  d->len = len;
  d->options = 0;
  __atomic_store_n(&f->k.prod, f->k.prod + 1, __ATOMIC_RELEASE);
  return off;
}

START_TEST(fake_open_fills_the_fill_ring_and_keeps_the_rest_free) {
  fake_t f;
  fake_open(&f, 100);
  /* 64 fill slots, 100 frames: 64 go to the kernel, distinct frame bases. */
  ck_assert_uint_eq(f.k.fprod, 64);
  uint8_t seen[100] = {0};
  for (uint32_t i = 0; i < 64; i++) {
    uint64_t a = f.k.fill[i];
    ck_assert_uint_eq(a % FRAME_SZ, 0);
    ck_assert_uint_lt(a / FRAME_SZ, 100);
    ck_assert_uint_eq(seen[a / FRAME_SZ]++, 0);
  }
  ck_assert_str_eq(f.rx.mode, "xdp/none");
  /* The kernel fills the RX ring while the tile naps: its 32 slots. */
  ck_assert_uint_eq(f.rx.nap_depth, 32);
  fake_close(&f);
}
END_TEST

START_TEST(fake_rx_burst_delivers_workspace_offset_and_frame) {
  fake_t f;
  fake_open(&f, 100);
  uint64_t off[3];
  for (int i = 0; i < 3; i++) off[i] = fake_deliver(&f, SL_XSK_RX_HEADROOM, 60 + i, (uint8_t)i);
  sl_net_pkt_t pk[8];
  uint32_t n = f.rx.ops->rx_burst(&f.rx, pk, 8);
  ck_assert_uint_eq(n, 3);
  for (int i = 0; i < 3; i++) {
    ck_assert_uint_eq(pk[i].addr, 8192 + off[i]);
    ck_assert_uint_eq(pk[i].addr % 64, 0);
    ck_assert_uint_eq(pk[i].sz, 60u + i);
    ck_assert_uint_eq(pk[i].frame, off[i] / FRAME_SZ);
  }
  /* RX slots went back to the kernel; the 3 consumed fill entries were
     topped up from the free stack (36 free frames). */
  ck_assert_uint_eq(f.k.cons, 3);
  ck_assert_uint_eq(f.k.fprod - f.k.fcons, 64);
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 8), 0);
  fake_close(&f);
}
END_TEST

START_TEST(fake_rx_burst_honours_max) {
  fake_t f;
  fake_open(&f, 100);
  for (int i = 0; i < 5; i++) fake_deliver(&f, SL_XSK_RX_HEADROOM, 100, 1);
  sl_net_pkt_t pk[8];
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 2), 2);
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 8), 3);
  fake_close(&f);
}
END_TEST

START_TEST(fake_release_goes_to_fill_ring_then_free_stack_and_no_frame_is_lost) {
  /* 64 frames = exactly the fill ring: after 10 deliveries and no free
     frame left, released frames must refill the ring; nothing may be
     duplicated or lost across many cycles. */
  fake_t f;
  fake_open(&f, 64);
  ck_assert_uint_eq(f.k.fprod, 64);
  for (int round = 0; round < 200; round++) {
    uint32_t k = 1 + (uint32_t)(round % 31);
    for (uint32_t i = 0; i < k; i++) fake_deliver(&f, SL_XSK_RX_HEADROOM, 64, (uint8_t)round);
    sl_net_pkt_t pk[32];
    uint32_t n = f.rx.ops->rx_burst(&f.rx, pk, 32);
    ck_assert_uint_eq(n, k);
    /* Nothing free: the fill ring lacks exactly the n frames in our hands. */
    ck_assert_uint_eq(f.k.fprod - f.k.fcons, 64 - n);
    uint32_t frames[32];
    for (uint32_t i = 0; i < n; i++) frames[i] = pk[i].frame;
    f.rx.ops->release(&f.rx, frames, n);
    ck_assert_uint_eq(f.k.fprod - f.k.fcons, 64);
  }
  /* Every frame is in the fill ring exactly once. */
  uint8_t seen[64] = {0};
  for (uint32_t i = f.k.fcons; i != f.k.fprod; i++) seen[f.k.fill[i & 63] / FRAME_SZ]++;
  for (int i = 0; i < 64; i++) ck_assert_uint_eq(seen[i], 1);
  fake_close(&f);
}
END_TEST

START_TEST(fake_release_beyond_fill_room_keeps_frames_for_later) {
  fake_t f;
  fake_open(&f, 100); /* 64 in the ring, 36 free */
  sl_net_pkt_t pk[32];
  for (int i = 0; i < 20; i++) fake_deliver(&f, SL_XSK_RX_HEADROOM, 64, 0);
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 32), 20);
  ck_assert_uint_eq(f.k.fprod - f.k.fcons, 64); /* topped up: 16 free left */
  uint32_t frames[20];
  for (int i = 0; i < 20; i++) frames[i] = pk[i].frame;
  f.rx.ops->release(&f.rx, frames, 20); /* ring full: all 20 to the free stack */
  ck_assert_uint_eq(f.k.fprod - f.k.fcons, 64);
  /* The kernel takes 40 (delivering them); rx_burst tops up from the 36
     free frames, so the ring holds 24 + 36 = 60. */
  for (int i = 0; i < 30; i++) fake_deliver(&f, SL_XSK_RX_HEADROOM, 64, 0);
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 32), 30);
  for (int i = 0; i < 10; i++) fake_deliver(&f, SL_XSK_RX_HEADROOM, 64, 0);
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 32), 10);
  ck_assert_uint_eq(f.k.fprod - f.k.fcons, 60);
  fake_close(&f);
}
END_TEST

START_TEST(fake_fill_ring_dry_is_counted_once_per_episode) {
  fake_t f;
  fake_open(&f, 64);
  sl_metrics_t m;
  memset(&m, 0, sizeof m);
  sl_net_pkt_t pk[32];
  uint32_t held[64];
  uint32_t h = 0;
  for (int b = 0; b < 2; b++) {
    for (int i = 0; i < 32; i++) fake_deliver(&f, SL_XSK_RX_HEADROOM, 64, 0);
    uint32_t n = f.rx.ops->rx_burst(&f.rx, pk, 32);
    for (uint32_t i = 0; i < n; i++) held[h++] = pk[i].frame;
  }
  ck_assert_uint_eq(f.k.fprod, f.k.fcons); /* the kernel has nothing */
  f.rx.ops->housekeep(&f.rx, &m);
  f.rx.ops->housekeep(&f.rx, &m);
  ck_assert_uint_eq(m.v[SL_M_NET_FILL_RING_EMPTY], 1);
  f.rx.ops->release(&f.rx, held, h);
  f.rx.ops->housekeep(&f.rx, &m);
  ck_assert_uint_eq(m.v[SL_M_NET_FILL_RING_EMPTY], 1);
  fake_close(&f);
}
END_TEST

START_TEST(fake_misaligned_packet_is_moved_to_64_byte_boundary_and_counted) {
  fake_t f;
  fake_open(&f, 100);
  uint64_t off = fake_deliver(&f, SL_XSK_RX_HEADROOM + 2, 100, 0xab);
  sl_net_pkt_t pk[1];
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 1), 1);
  ck_assert_uint_eq(pk[0].addr % 64, 0);
  ck_assert_uint_eq(pk[0].addr, 8192 + off - 2);
  ck_assert_uint_eq(pk[0].frame, off / FRAME_SZ);
  for (int i = 0; i < 100; i++) ck_assert_uint_eq(f.wksp[pk[0].addr + i], 0xab);
  ck_assert_uint_eq(sl_net_xdp_misaligned_cnt(&f.rx), 1);
  fake_close(&f);
}
END_TEST

START_TEST(fake_kick_only_when_idle_and_need_wakeup_set) {
  fake_t f;
  fake_open(&f, 100);
  sl_metrics_t m;
  memset(&m, 0, sizeof m);
  sl_net_pkt_t pk[4];
  f.rx.ops->rx_burst(&f.rx, pk, 4);
  f.rx.ops->housekeep(&f.rx, &m);
  ck_assert_uint_eq(m.v[SL_M_NET_SYSCALLS], 0);
  f.k.fflags = XDP_RING_NEED_WAKEUP;
  fake_deliver(&f, SL_XSK_RX_HEADROOM, 64, 0);
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 4), 1); /* busy: no kick */
  f.rx.ops->housekeep(&f.rx, &m);
  ck_assert_uint_eq(m.v[SL_M_NET_SYSCALLS], 0);
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 4), 0); /* idle + flag: one kick */
  f.rx.ops->housekeep(&f.rx, &m);
  ck_assert_uint_eq(m.v[SL_M_NET_SYSCALLS], 1);
  fake_close(&f);
}
END_TEST

START_TEST(fake_stop_leaves_harmless_ops) {
  fake_t f;
  fake_open(&f, 100);
  fake_deliver(&f, SL_XSK_RX_HEADROOM, 64, 0);
  f.rx.ops->stop(&f.rx);
  sl_net_pkt_t pk[4];
  ck_assert_uint_eq(f.rx.ops->rx_burst(&f.rx, pk, 4), 0);
  uint32_t fr = 3;
  f.rx.ops->release(&f.rx, &fr, 1);
  f.rx.ops->stop(&f.rx);
  ck_assert_int_eq(f.s.xsk[0].fd, -1);
  free(f.wksp);
}
END_TEST

START_TEST(fake_rx_open_refuses_another_pool) {
  fake_t f;
  fake_open(&f, 100);
  sl_net_pool_t other = f.pool;
  other.pool_off += 4096;
  sl_net_rx_t rx2;
  sl_err_t err;
  ck_assert_int_eq(sl_net_xdp_rx_open(&rx2, &f.s, 0, &other, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "not the UMEM"));
  ck_assert_int_eq(sl_net_xdp_rx_open(&rx2, &f.s, 1, &f.pool, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "no AF_XDP socket"));
  fake_close(&f);
}
END_TEST

/* ======================= real kernel ======================= */

static char ns_a[40], ns_b[40];
static pid_t main_pid;
static int env_up;

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

static void env_down(void) {
  if (getpid() != main_pid || !env_up) return;
  sh("ip netns del %s 2>/dev/null", ns_a);
  sh("ip netns del %s 2>/dev/null", ns_b);
  env_up = 0;
}

static void on_fatal_signal(int sig) {
  env_down();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Namespaces of earlier runs that died before cleaning up. */
static void sweep_stale(void) {
  DIR *d = opendir("/run/netns");
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    int pid;
    char side;
    if (sscanf(e->d_name, "sl-xsk-%d-%c", &pid, &side) == 2 && pid != getpid() && kill(pid, 0) && errno == ESRCH)
      sh("ip netns del %s 2>/dev/null", e->d_name);
  }
  closedir(d);
}

static void env_setup(void) {
  if (env_up) return;
  snprintf(ns_a, sizeof ns_a, "sl-xsk-%d-a", (int)main_pid);
  snprintf(ns_b, sizeof ns_b, "sl-xsk-%d-b", (int)main_pid);
  sweep_stale();
  env_up = 1;
  int bad = sh("ip netns add %s", ns_a) || sh("ip netns add %s", ns_b) ||
            sh("ip link add va netns %s numrxqueues %u numtxqueues %u type veth peer name vb netns %s "
               "numrxqueues %u numtxqueues %u", ns_a, QCNT, QCNT, ns_b, QCNT, QCNT) ||
            sh("ip -n %s addr add " IP_A "/24 dev va && ip -n %s link set va up && ip -n %s link set lo up",
               ns_a, ns_a, ns_a) ||
            sh("ip -n %s addr add " IP_B "/24 dev vb && ip -n %s link set vb up && ip -n %s link set lo up",
               ns_b, ns_b, ns_b);
  /* AF_XDP TX frames gen sends out of vb are delivered by veth only when
     the receiving side runs NAPI: va gets it from our XDP program; GRO on
     both sides also turns it on when a test has no program attached. */
  sh("ip netns exec %s ethtool -K va gro on >/dev/null 2>&1", ns_a);
  sh("ip netns exec %s ethtool -K vb gro on >/dev/null 2>&1", ns_b);
  /* Resolves ARP both ways before any test sends a burst. */
  if (!bad) bad = sh("ip netns exec %s ping -c 1 -W 2 " IP_A " >/dev/null 2>&1", ns_b);
  if (bad) {
    env_down();
    ck_abort_msg("could not build the veth pair between namespaces %s and %s", ns_a, ns_b);
  }
}

static void env_teardown(void) { env_down(); }

static void enter_ns(const char *name) {
  char path[128];
  snprintf(path, sizeof path, "/run/netns/%s", name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
  ck_assert_msg(setns(fd, CLONE_NEWNET) == 0, "setns %s: %s", name, strerror(errno));
  close(fd);
}

/* Enters a namespace for good: net namespace, and a private mount
   namespace with its own sysfs (queue counts and interface files are read
   there). */
static void enter_ns_sysfs(const char *name) {
  enter_ns(name);
  ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
  ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
  umount2("/sys", MNT_DETACH);
  ck_assert_msg(mount("sysfs", "/sys", "sysfs", 0, NULL) == 0, "mount sysfs: %s", strerror(errno));
}

static void enter_a(void) { enter_ns_sysfs(ns_a); }

/* A UDP socket in B (created there, then used from A). */
static int b_udp_socket(uint16_t src_port) {
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(self, 0);
  enter_ns(ns_b);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(src_port)};
  inet_pton(AF_INET, IP_B, &sa.sin_addr);
  ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind B:%u: %s", src_port, strerror(errno));
  ck_assert_int_eq(setns(self, CLONE_NEWNET), 0);
  close(self);
  return fd;
}

static void send_to_a(int fd, uint16_t port, const void *buf, size_t len) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, IP_A, &sa.sin_addr);
  ck_assert_msg(sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)len, "sendto: %s",
                strerror(errno));
}

/* "prog/xdp" in `ip link show va` (in A): a program is attached. */
static int xdp_attached(const char *kind_out, size_t kind_sz) {
  char cmd[256], line[512];
  snprintf(cmd, sizeof cmd, "ip -n %s -d link show dev va", ns_a);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  int found = 0;
  char *kind = (char *)kind_out;
  if (kind) kind[0] = 0;
  while (fgets(line, sizeof line, p)) {
    if (strstr(line, "prog/xdp")) found = 1;
    if (kind && strstr(line, "xdpgeneric")) snprintf(kind, kind_sz, "skb");
    else if (kind && !kind[0] && strstr(line, " xdp ")) snprintf(kind, kind_sz, "drv");
  }
  pclose(p);
  return found;
}

static int xdp_attached_within(int want, uint64_t ms) {
  uint64_t end = sl_now_ns() + ms * 1000000ull;
  for (;;) {
    int a = xdp_attached(NULL, 0);
    if (a == want || sl_now_ns() > end) return a;
    usleep(5000);
  }
}

/* Workspace stand-in: QCNT pools of frame_cnt frames, page aligned. */
typedef struct {
  uint8_t *base;
  size_t sz;
  uint32_t frame_cnt;
  sl_iface_t ifc;
  sl_net_xdp_params_t p;
  sl_net_xdp_t s;
  sl_net_rx_t rx[QCNT];
  uint32_t rx_cnt;
} rig_t;

static void rig_params(rig_t *r, uint32_t qcnt, uint32_t rxq, uint32_t frame_cnt, int mode) {
  memset(r, 0, sizeof *r);
  r->frame_cnt = frame_cnt;
  r->sz = (size_t)QCNT * frame_cnt * FRAME_SZ + 4096;
  r->base = mmap(NULL, r->sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(r->base, MAP_FAILED);
  sl_net_xdp_params_t *p = &r->p;
  sl_err_t err;
  ck_assert_msg(sl_iface_probe("va", &r->ifc, &err) == 0, "%s", err.msg);
  p->iface = &r->ifc;
  p->ports[0] = PORT;
  p->ports[1] = 9011;
  p->port_cnt = 2;
  p->bind_addr = inet_addr(IP_A);
  p->mode = mode;
  p->queue_cnt = qcnt;
  p->rx_queue_size = rxq;
  p->wksp_base = r->base;
  for (uint32_t i = 0; i < QCNT; i++) p->pool_off[i] = 4096 + (uint64_t)i * frame_cnt * FRAME_SZ;
  p->frame_sz = FRAME_SZ;
  p->frame_cnt = frame_cnt;
}

/* Sets up XDP on va and opens a provider per queue, as net tiles would. */
static void rig_up(rig_t *r, uint32_t qcnt, uint32_t rxq, uint32_t frame_cnt, int mode) {
  rig_params(r, qcnt, rxq, frame_cnt, mode);
  sl_err_t err;
  ck_assert_msg(sl_net_xdp_setup(&r->s, &r->p, &err) == 0, "setup: %s", err.msg);
  for (uint32_t i = 0; i < qcnt; i++) {
    sl_net_pool_t pool = {r->base, r->p.pool_off[i], FRAME_SZ, frame_cnt};
    ck_assert_msg(sl_net_xdp_rx_open(&r->rx[i], &r->s, i, &pool, &err) == 0, "rx_open %u: %s", i, err.msg);
  }
  r->rx_cnt = qcnt;
}

static void rig_down(rig_t *r) {
  for (uint32_t i = 0; i < r->rx_cnt; i++) r->rx[i].ops->stop(&r->rx[i]);
  sl_net_xdp_close(&r->s);
  munmap(r->base, r->sz);
}

typedef void (*pkt_fn)(void *arg, uint32_t q, const uint8_t *f, uint32_t sz);

/* Polls every queue until `want` packets arrived or ms passed, releasing
   each at once. Returns the count. */
static uint64_t rig_poll(rig_t *r, uint64_t want, uint64_t ms, uint64_t *per_q, pkt_fn fn, void *arg) {
  uint64_t got = 0, end = sl_now_ns() + ms * 1000000ull;
  while (got < want && sl_now_ns() < end) {
    uint32_t any = 0;
    for (uint32_t q = 0; q < r->rx_cnt; q++) {
      sl_net_pkt_t pk[64];
      uint32_t n = r->rx[q].ops->rx_burst(&r->rx[q], pk, 64);
      uint32_t fr[64];
      for (uint32_t i = 0; i < n; i++) {
        ck_assert_uint_eq(pk[i].addr % 64, 0);
        ck_assert_uint_eq(pk[i].addr / FRAME_SZ * FRAME_SZ, r->p.pool_off[q] + (uint64_t)pk[i].frame * FRAME_SZ);
        if (fn) fn(arg, q, r->base + pk[i].addr, pk[i].sz);
        fr[i] = pk[i].frame;
      }
      if (n) r->rx[q].ops->release(&r->rx[q], fr, n);
      if (per_q) per_q[q] += n;
      got += n;
      any += n;
    }
    if (!any) usleep(100);
  }
  return got;
}

/* Payload i: 200 bytes derived from i, so each datagram's bytes are known. */
static void payload(uint32_t i, uint8_t *buf, uint32_t len) {
  for (uint32_t j = 0; j < len; j++) buf[j] = (uint8_t)(i * 31u + j * 7u + (j >> 8));
  memcpy(buf, &i, sizeof i);
}

typedef struct {
  uint32_t len;
  uint32_t seen[512];
  uint32_t bad;
  char why[200];
  uint16_t src_port;
} exact_t;

static void check_exact(void *arg, uint32_t q, const uint8_t *f, uint32_t sz) {
  (void)q;
  exact_t *e = arg;
  sl_frame_t fr;
  int rc = sl_frame_parse(f, sz, &fr);
  uint8_t want[1232];
  uint32_t i;
  if (rc) {
    snprintf(e->why, sizeof e->why, "parse: %s", sl_frame_strerror(rc));
    e->bad++;
    return;
  }
  memcpy(&i, f + fr.payload_off, sizeof i);
  if (i >= 512 || fr.payload_sz != e->len) {
    snprintf(e->why, sizeof e->why, "payload index %u size %u", i, fr.payload_sz);
    e->bad++;
    return;
  }
  payload(i, want, e->len);
  if (memcmp(want, f + fr.payload_off, e->len) || fr.dst_port != PORT || fr.src_port != e->src_port ||
      fr.dst_ip4 != inet_addr(IP_A) || fr.src_ip4 != inet_addr(IP_B)) {
    snprintf(e->why, sizeof e->why, "packet %u: bytes or addresses differ", i);
    e->bad++;
    return;
  }
  e->seen[i]++;
}

#define REQUIRE_ENV() env_setup()

START_TEST(setup_attaches_in_drv_mode_by_default) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_up(&r, QCNT, 256, 1024, SL_XDP_ATTACH_AUTO);
  ck_assert_str_eq(sl_net_xdp_mode(&r.s), "drv");
  ck_assert_str_eq(r.rx[0].mode, "xdp/drv");
  char kind[8];
  ck_assert(xdp_attached(kind, sizeof kind));
  ck_assert_str_eq(kind, "drv");
  ck_assert_str_eq(r.s.warn, "");
  rig_down(&r);
}
END_TEST

START_TEST(setup_attaches_in_skb_mode_when_asked) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_up(&r, QCNT, 256, 1024, SL_XDP_ATTACH_SKB);
  ck_assert_str_eq(sl_net_xdp_mode(&r.s), "skb");
  ck_assert_str_eq(r.rx[0].mode, "xdp/skb");
  char kind[8];
  ck_assert(xdp_attached(kind, sizeof kind));
  ck_assert_str_eq(kind, "skb");
  /* And packets flow in generic mode too. */
  int fd = b_udp_socket(40000);
  exact_t *e = calloc(1, sizeof *e);
  e->len = 200;
  e->src_port = 40000;
  uint8_t buf[200];
  for (uint32_t i = 0; i < 50; i++) {
    payload(i, buf, 200);
    send_to_a(fd, PORT, buf, 200);
  }
  ck_assert_uint_eq(rig_poll(&r, 50, 2000, NULL, check_exact, e), 50);
  ck_assert_msg(e->bad == 0, "%s", e->why);
  close(fd);
  free(e);
  rig_down(&r);
}
END_TEST

START_TEST(udp_to_configured_port_arrives_with_exact_bytes) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_up(&r, QCNT, 256, 1024, SL_XDP_ATTACH_DRV);
  int fd = b_udp_socket(40001);
  exact_t *e = calloc(1, sizeof *e);
  e->len = 1232;
  e->src_port = 40001;
  uint8_t buf[1232];
  for (uint32_t i = 0; i < 200; i++) {
    payload(i, buf, e->len);
    send_to_a(fd, PORT, buf, e->len);
    if (i % 32 == 31) rig_poll(&r, 32, 50, NULL, check_exact, e);
  }
  rig_poll(&r, 200, 2000, NULL, check_exact, e);
  ck_assert_msg(e->bad == 0, "%u bad packets: %s", e->bad, e->why);
  for (uint32_t i = 0; i < 200; i++) ck_assert_msg(e->seen[i] == 1, "packet %u seen %u times", i, e->seen[i]);
  close(fd);
  free(e);
  rig_down(&r);
}
END_TEST

START_TEST(other_port_ping_and_tcp_still_reach_the_kernel_stack) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_up(&r, QCNT, 256, 1024, SL_XDP_ATTACH_DRV);
  /* UDP to a port we do not capture: a plain socket in A gets it. */
  int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT_OTHER)};
  inet_pton(AF_INET, IP_A, &sa.sin_addr);
  ck_assert_int_eq(bind(rx, (struct sockaddr *)&sa, sizeof sa), 0);
  struct timeval tv = {2, 0};
  setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int tx = b_udp_socket(40002);
  send_to_a(tx, PORT_OTHER, "not-ours", 8);
  char buf[64];
  ck_assert_int_eq(recv(rx, buf, sizeof buf, 0), 8);
  ck_assert_int_eq(memcmp(buf, "not-ours", 8), 0);
  /* Ping from B. */
  ck_assert_int_eq(sh("ip netns exec %s ping -c 2 -i 0.2 -W 1 " IP_A " >/dev/null 2>&1", ns_b), 0);
  /* TCP to the captured port number: only UDP is ours. */
  int lst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sa.sin_port = htons(PORT);
  ck_assert_int_eq(bind(lst, (struct sockaddr *)&sa, sizeof sa), 0);
  ck_assert_int_eq(listen(lst, 1), 0);
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  enter_ns(ns_b);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_eq(setns(self, CLONE_NEWNET), 0);
  close(self);
  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ck_assert_msg(connect(c, (struct sockaddr *)&sa, sizeof sa) == 0, "connect: %s", strerror(errno));
  int a = accept(lst, NULL, NULL);
  ck_assert_int_ge(a, 0);
  ck_assert_int_eq(send(c, "tcp-hello", 9, 0), 9);
  setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ck_assert_int_eq(recv(a, buf, sizeof buf, MSG_WAITALL), 9);
  ck_assert_int_eq(memcmp(buf, "tcp-hello", 9), 0);
  /* None of it was captured. */
  ck_assert_uint_eq(rig_poll(&r, 1, 100, NULL, NULL, NULL), 0);
  close(a);
  close(c);
  close(lst);
  close(tx);
  close(rx);
  rig_down(&r);
}
END_TEST

START_TEST(frames_recycle_through_many_more_packets_than_the_pool_holds) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  /* 128 frames per pool, fill ring 128: 20000 packets reuse each frame
     well over a hundred times. */
  rig_up(&r, QCNT, 64, 128, SL_XDP_ATTACH_DRV);
  int fd = b_udp_socket(40003);
  uint8_t buf[300];
  uint64_t got = 0;
  const uint32_t total = 20000;
  for (uint32_t i = 0; i < total; i++) {
    payload(i, buf, sizeof buf);
    send_to_a(fd, PORT, buf, sizeof buf);
    if (i % 32 == 31) got += rig_poll(&r, 32, 200, NULL, NULL, NULL);
  }
  got += rig_poll(&r, total - got, 2000, NULL, NULL, NULL);
  ck_assert_uint_eq(got, total);
  sl_xsk_stats_t st;
  ck_assert_int_eq(sl_xsk_stats(&r.s.xsk[0], &st, NULL), 0);
  ck_assert_uint_eq(st.rx_dropped, 0);
  close(fd);
  rig_down(&r);
}
END_TEST

START_TEST(multi_queue_traffic_arrives_on_several_queues) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_up(&r, QCNT, 256, 1024, SL_XDP_ATTACH_DRV);
  /* 32 flows (source ports): veth picks vb's TX queue, hence va's RX
     queue, by flow hash. */
  uint64_t per_q[QCNT] = {0};
  uint8_t buf[100];
  memset(buf, 1, sizeof buf);
  for (uint32_t f = 0; f < 32; f++) {
    int fd = b_udp_socket((uint16_t)(41000 + f));
    for (int k = 0; k < 4; k++) send_to_a(fd, PORT, buf, sizeof buf);
    close(fd);
    rig_poll(&r, 4, 500, per_q, NULL, NULL);
  }
  uint64_t tot = 0, used = 0;
  for (uint32_t q = 0; q < QCNT; q++) {
    tot += per_q[q];
    used += per_q[q] != 0;
  }
  fprintf(stderr, "# 32 flows over 4 queues: %lu %lu %lu %lu packets\n", (unsigned long)per_q[0],
          (unsigned long)per_q[1], (unsigned long)per_q[2], (unsigned long)per_q[3]);
  ck_assert_uint_eq(tot, 128);
  ck_assert_msg(used > 1, "all 32 flows arrived on one queue (%lu %lu %lu %lu)", (unsigned long)per_q[0],
                (unsigned long)per_q[1], (unsigned long)per_q[2], (unsigned long)per_q[3]);
  rig_down(&r);
}
END_TEST

START_TEST(zero_copy_on_veth_fails_with_the_remedy_and_leaves_nothing_attached) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_params(&r, QCNT, 256, 1024, SL_XDP_ATTACH_DRV);
  r.p.zero_copy = 1;
  sl_err_t err;
  ck_assert_int_eq(sl_net_xdp_setup(&r.s, &r.p, &err), -1);
  ck_assert_msg(strstr(err.msg, "xdp_zero_copy = false") && strstr(err.msg, "va"), "%s", err.msg);
  ck_assert_int_eq(xdp_attached_within(0, 1000), 0);
  sl_net_xdp_close(&r.s);
  munmap(r.base, r.sz);
}
END_TEST

START_TEST(more_queues_than_the_interface_has_fails_clearly) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_params(&r, QCNT + 1, 256, 256, SL_XDP_ATTACH_AUTO);
  sl_err_t err;
  ck_assert_int_eq(sl_net_xdp_setup(&r.s, &r.p, &err), -1);
  ck_assert_msg(strstr(err.msg, "4 RX queues") && strstr(err.msg, "ethtool -L va combined 5"), "%s", err.msg);
  ck_assert_int_eq(xdp_attached_within(0, 1000), 0);
  munmap(r.base, r.sz);
}
END_TEST

START_TEST(xsk_open_on_a_queue_beyond_the_interface_fails_clearly) {
  REQUIRE_ENV();
  enter_a();
  void *mem = mmap(NULL, 64 * FRAME_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  sl_xsk_params_t p = {.ifname = "va", .queue_id = 6, .umem = mem, .frame_sz = FRAME_SZ, .frame_cnt = 64,
                       .rx_size = 32};
  sl_xsk_t x;
  sl_err_t err;
  ck_assert_int_eq(sl_xsk_open(&x, &p, &err), -1);
  ck_assert_msg(strstr(err.msg, "only 4 queues") && strstr(err.msg, "ethtool -L va combined 7"), "%s", err.msg);
  ck_assert_int_eq(x.fd, -1);
  munmap(mem, 64 * FRAME_SZ);
}
END_TEST

START_TEST(xsk_open_with_tx_ring_passes_the_probe) {
  REQUIRE_ENV();
  enter_a();
  void *mem = mmap(NULL, 64 * FRAME_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  sl_xsk_params_t p = {.ifname = "va", .queue_id = 1, .umem = mem, .frame_sz = FRAME_SZ, .frame_cnt = 64,
                       .rx_size = 32, .tx_size = 32};
  sl_xsk_t x;
  sl_err_t err;
  ck_assert_msg(sl_xsk_open(&x, &p, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq(x.fill.size, 64);
  ck_assert_uint_eq(x.comp.size, 32);
  ck_assert_uint_eq(x.bind_flags, XDP_COPY | XDP_USE_NEED_WAKEUP);
  sl_xsk_stats_t st;
  ck_assert_int_eq(sl_xsk_stats(&x, &st, NULL), 0);
  ck_assert_int_eq(st.has_ext, 1);
  sl_xsk_close(&x);
  ck_assert_int_eq(x.fd, -1);
  munmap(mem, 64 * FRAME_SZ);
}
END_TEST

START_TEST(close_detaches_the_program) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_up(&r, QCNT, 256, 512, SL_XDP_ATTACH_AUTO);
  ck_assert(xdp_attached(NULL, 0));
  rig_down(&r);
  ck_assert_int_eq(xdp_attached_within(0, 1000), 0);
}
END_TEST

START_TEST(sigkill_of_the_holder_detaches_the_program) {
  REQUIRE_ENV();
  enter_a();
  int pfd[2];
  ck_assert_int_eq(pipe(pfd), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(pfd[0]);
    rig_t r;
    rig_params(&r, QCNT, 256, 512, SL_XDP_ATTACH_AUTO);
    sl_err_t err;
    char ok = sl_net_xdp_setup(&r.s, &r.p, &err) == 0 ? 'y' : 'n';
    if (write(pfd[1], &ok, 1) != 1) _exit(2);
    for (int i = 0; i < 100; i++) sleep(1); /* bounded: the parent kills us */
    _exit(0);
  }
  close(pfd[1]);
  char ok = 0;
  ck_assert_int_eq(read(pfd[0], &ok, 1), 1);
  close(pfd[0]);
  int attached = xdp_attached(NULL, 0);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  ck_assert_int_eq(ok, 'y');
  ck_assert(attached);
  ck_assert_int_eq(xdp_attached_within(0, 2000), 0);
}
END_TEST

START_TEST(reopen_right_after_close_succeeds) {
  REQUIRE_ENV();
  enter_a();
  for (int round = 0; round < 3; round++) {
    rig_t r;
    rig_up(&r, QCNT, 256, 512, SL_XDP_ATTACH_AUTO);
    rig_down(&r);
  }
  /* The same on one socket, immediately. */
  void *mem = mmap(NULL, 64 * FRAME_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  sl_xsk_params_t p = {.ifname = "va", .queue_id = 2, .umem = mem, .frame_sz = FRAME_SZ, .frame_cnt = 64,
                       .rx_size = 32};
  sl_err_t err;
  uint32_t retries = 0;
  for (int round = 0; round < 5; round++) {
    sl_xsk_t x;
    ck_assert_msg(sl_xsk_open(&x, &p, &err) == 0, "round %d: %s", round, err.msg);
    retries += x.busy_retries;
    sl_xsk_close(&x);
  }
  fprintf(stderr, "# re-open: %u EBUSY retries (1 ms each) over 5 rounds\n", retries);
  munmap(mem, 64 * FRAME_SZ);
}
END_TEST

/* ---- gen --interface: AF_XDP transmit ---- */

static void gen_opts(sl_gen_opts_t *o, uint64_t count) {
  sl_gen_opts_default(o);
  o->dst_ip4 = inet_addr(IP_A);
  o->dst_port[0] = PORT;
  o->dst_port_cnt = 1;
  o->count = count;
  o->rate = 20000;
  o->dup = 0.1;
  o->bad_sig = 0.1;
  o->malformed = 0.1;
  o->seed = 7;
  o->threads = 2;
}

static void mac_of(const char *ifname, uint8_t mac[6]) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  ck_assert_int_eq(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  close(fd);
}

START_TEST(gen_resolves_the_peer_mac_from_the_neighbor_table) {
  REQUIRE_ENV();
  enter_a();
  uint8_t va_mac[6];
  mac_of("va", va_mac);
  enter_ns_sysfs(ns_b);
  uint8_t vb_mac[6];
  mac_of("vb", vb_mac);
  sl_gen_opts_t o;
  gen_opts(&o, 1);
  sl_gen_xsk_opts_t x;
  sl_gen_xsk_opts_default(&x);
  x.ifname = "vb";
  sl_gen_xsk_addr_t a;
  sl_err_t err;
  /* Forget A's MAC first: resolution must trigger ARP itself. */
  sh("ip -n %s neigh flush dev vb >/dev/null 2>&1", ns_b);
  ck_assert_msg(sl_gen_xsk_resolve(&o, &x, &a, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(memcmp(a.dst_mac, va_mac, 6), 0);
  ck_assert_int_eq(memcmp(a.src_mac, vb_mac, 6), 0);
  ck_assert_uint_eq(a.src_ip4, inet_addr(IP_B));
  ck_assert_uint_eq(a.next_hop_ip4, inet_addr(IP_A));
  /* A destination off the subnet with no gateway: a clear error. */
  o.dst_ip4 = inet_addr("192.0.2.1");
  ck_assert_int_eq(sl_gen_xsk_resolve(&o, &x, &a, &err), -1);
  ck_assert_msg(strstr(err.msg, "no default gateway"), "%s", err.msg);
}
END_TEST

typedef struct {
  const sl_gen_pool_t *pool;
  uint64_t count;
  uint8_t *seen;
  uint64_t bad;
  char why[200];
} gen_check_t;

static void check_gen_frame(void *arg, uint32_t q, const uint8_t *f, uint32_t sz) {
  (void)q;
  gen_check_t *g = arg;
  sl_frame_t fr;
  int rc = sl_frame_parse(f, sz, &fr);
  if (rc || fr.dst_port != PORT || fr.dst_ip4 != inet_addr(IP_A) || fr.src_ip4 != inet_addr(IP_B)) {
    snprintf(g->why, sizeof g->why, "frame: %s, port %u", sl_frame_strerror(rc), fr.dst_port);
    g->bad++;
    return;
  }
  uint16_t id = (uint16_t)(f[18] << 8 | f[19]); /* IPv4 identification: the packet's index */
  const sl_gen_pkt_t *pk = &g->pool->pkt[id % g->pool->cnt];
  if (id >= g->count || fr.payload_sz != pk->sz || memcmp(f + fr.payload_off, pk->data, pk->sz)) {
    snprintf(g->why, sizeof g->why, "packet %u: payload differs from the pool's", id);
    g->bad++;
    return;
  }
  g->seen[id]++;
}

START_TEST(gen_over_af_xdp_tx_reaches_every_queue_with_exact_bytes) {
  REQUIRE_ENV();
  enter_a();
  rig_t r;
  rig_up(&r, QCNT, 1024, 2048, SL_XDP_ATTACH_DRV);
  const uint64_t count = 6000;
  sl_gen_opts_t o;
  gen_opts(&o, count);
  sl_gen_pool_t pool;
  sl_err_t err;
  ck_assert_msg(sl_gen_pool_new(&pool, &o, &err) == 0, "%s", err.msg);

  int pfd[2];
  ck_assert_int_eq(pipe(pfd), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(pfd[0]);
    enter_ns_sysfs(ns_b);
    sl_gen_xsk_opts_t x;
    sl_gen_xsk_opts_default(&x);
    x.ifname = "vb";
    struct {
      int rc;
      sl_gen_result_t res;
      sl_err_t err;
    } out;
    memset(&out, 0, sizeof out);
    out.rc = sl_gen_send_xsk(&pool, &o, &x, &out.res, &out.err);
    _exit(write(pfd[1], &out, sizeof out) == (ssize_t)sizeof out ? 0 : 3);
  }
  close(pfd[1]);
  gen_check_t g = {.pool = &pool, .count = count, .seen = calloc(count, 1)};
  uint64_t per_q[QCNT] = {0};
  uint64_t got = rig_poll(&r, count, 15000, per_q, check_gen_frame, &g);
  struct {
    int rc;
    sl_gen_result_t res;
    sl_err_t err;
  } out;
  ssize_t n = read(pfd[0], &out, sizeof out);
  int st;
  waitpid(pid, &st, 0);
  close(pfd[0]);
  ck_assert_int_eq(n, (ssize_t)sizeof out);
  ck_assert_msg(out.rc == 0, "gen: %s", out.err.msg);
  fprintf(stderr, "# gen --interface: %llu frames in %.3f s (%.0f pps); per queue %lu %lu %lu %lu\n",
          (unsigned long long)out.res.sent, out.res.seconds, out.res.pps, (unsigned long)per_q[0],
          (unsigned long)per_q[1], (unsigned long)per_q[2], (unsigned long)per_q[3]);
  ck_assert_uint_eq(out.res.sent, count);
  ck_assert_uint_eq(out.res.cat[0] + out.res.cat[1] + out.res.cat[2] + out.res.cat[3], count);
  ck_assert_msg(g.bad == 0, "%llu bad frames: %s", (unsigned long long)g.bad, g.why);
  ck_assert_uint_eq(got, count);
  for (uint64_t i = 0; i < count; i++) ck_assert_msg(g.seen[i] == 1, "packet %llu seen %u times",
                                                     (unsigned long long)i, g.seen[i]);
  for (uint32_t q = 0; q < QCNT; q++) ck_assert_msg(per_q[q] > 0, "queue %u received nothing", q);
  free(g.seen);
  sl_gen_pool_delete(&pool);
  rig_down(&r);
}
END_TEST

int main(void) {
  main_pid = getpid();
  Suite *s = suite_create("xsk");
  TCase *fake = tcase_create("fake");
  tcase_add_test(fake, fake_open_fills_the_fill_ring_and_keeps_the_rest_free);
  tcase_add_test(fake, fake_rx_burst_delivers_workspace_offset_and_frame);
  tcase_add_test(fake, fake_rx_burst_honours_max);
  tcase_add_test(fake, fake_release_goes_to_fill_ring_then_free_stack_and_no_frame_is_lost);
  tcase_add_test(fake, fake_release_beyond_fill_room_keeps_frames_for_later);
  tcase_add_test(fake, fake_fill_ring_dry_is_counted_once_per_episode);
  tcase_add_test(fake, fake_misaligned_packet_is_moved_to_64_byte_boundary_and_counted);
  tcase_add_test(fake, fake_kick_only_when_idle_and_need_wakeup_set);
  tcase_add_test(fake, fake_stop_leaves_harmless_ops);
  tcase_add_test(fake, fake_rx_open_refuses_another_pool);
  suite_add_tcase(s, fake);

  int root = geteuid() == 0;
  const char *skip = getenv("SLUICE_ALLOW_SKIP_PRIVILEGED");
  if (root) {
    atexit(env_down);
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);
    TCase *k = tcase_create("kernel");
    tcase_set_timeout(k, 60);
    tcase_add_unchecked_fixture(k, env_setup, env_teardown);
    tcase_add_test(k, setup_attaches_in_drv_mode_by_default);
    tcase_add_test(k, setup_attaches_in_skb_mode_when_asked);
    tcase_add_test(k, udp_to_configured_port_arrives_with_exact_bytes);
    tcase_add_test(k, other_port_ping_and_tcp_still_reach_the_kernel_stack);
    tcase_add_test(k, frames_recycle_through_many_more_packets_than_the_pool_holds);
    tcase_add_test(k, multi_queue_traffic_arrives_on_several_queues);
    tcase_add_test(k, zero_copy_on_veth_fails_with_the_remedy_and_leaves_nothing_attached);
    tcase_add_test(k, more_queues_than_the_interface_has_fails_clearly);
    tcase_add_test(k, xsk_open_on_a_queue_beyond_the_interface_fails_clearly);
    tcase_add_test(k, xsk_open_with_tx_ring_passes_the_probe);
    tcase_add_test(k, close_detaches_the_program);
    tcase_add_test(k, sigkill_of_the_holder_detaches_the_program);
    tcase_add_test(k, reopen_right_after_close_succeeds);
    tcase_add_test(k, gen_resolves_the_peer_mac_from_the_neighbor_table);
    tcase_add_test(k, gen_over_af_xdp_tx_reaches_every_queue_with_exact_bytes);
    suite_add_tcase(s, k);
  }
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  env_down();
  if (!root) {
    if (skip && !strcmp(skip, "1")) {
      printf("xsk: kernel tests skipped (not root; SLUICE_ALLOW_SKIP_PRIVILEGED=1)\n");
    } else {
      printf("xsk: FAIL: the kernel tests need root (network namespaces, XDP, AF_XDP); run as root or set "
             "SLUICE_ALLOW_SKIP_PRIVILEGED=1 to skip them\n");
      nf++;
    }
  }
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
