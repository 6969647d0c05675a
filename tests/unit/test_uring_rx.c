/* Unit tests for tiles/net/uring_rx: the io_uring provider on real sockets
   on 127.0.0.1 (no root needed). The pool is an mmap'd region standing in
   for the workspace, with the frames at a non-zero offset. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <liburing.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmem/metrics.h"
#include "tiles/frame.h"
#include "tiles/net/uring_rx.h"
#include "util/time.h"

#define LOCALHOST htonl(INADDR_LOOPBACK)
#define POOL_OFF 8192ull
#define WAIT_NS (3ull * 1000000000ull)

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
  uint8_t *base;
  size_t sz;
  sl_net_pool_t pool;
} pool_t;

static void pool_new(pool_t *p, uint32_t frame_cnt, uint32_t frame_sz) {
  p->sz = POOL_OFF + (size_t)frame_cnt * frame_sz;
  p->base = mmap(NULL, p->sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(p->base, MAP_FAILED);
  p->pool = (sl_net_pool_t){.wksp_base = p->base, .pool_off = POOL_OFF, .frame_sz = frame_sz,
                            .frame_cnt = frame_cnt};
}

static void pool_del(pool_t *p) { munmap(p->base, p->sz); }

/* A port nobody uses right now (bound, read back, closed). */
static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = LOCALHOST};
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  close(fd);
  return ntohs(sa.sin_port);
}

static sl_net_uring_params_t params1(uint16_t port, uint32_t queue_size) {
  sl_net_uring_params_t p;
  memset(&p, 0, sizeof p);
  p.ports[0] = port;
  p.port_cnt = 1;
  p.bind_addr = LOCALHOST;
  p.queue_size = queue_size;
  p.rcvbuf = 4u << 20;
  return p;
}

/* What the supervisor and the net tile do, in one process: prepare, then
   take over. */
static int uring_open(sl_net_rx_t *rx, const sl_net_pool_t *pool, const sl_net_uring_params_t *p, sl_err_t *err) {
  sl_net_uring_prep_t *prep;
  if (sl_net_uring_prepare(&prep, pool, p, err)) return -1;
  return sl_net_uring_rx_open(rx, prep, err);
}

static void open_ok(sl_net_rx_t *rx, const pool_t *pl, const sl_net_uring_params_t *p) {
  sl_err_t err = {{0}};
  int r = uring_open(rx, &pl->pool, p, &err);
  ck_assert_msg(r == 0, "open failed: %s", err.msg);
}

/* A sender socket bound to 127.0.0.1 (so its port is known). */
static int sender(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = LOCALHOST};
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  if (port) *port = ntohs(sa.sin_port);
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  return fd;
}

/* Payload of datagram seq: seq in the first 4 bytes (when there is room),
   then a pattern that depends on seq and position. */
static void fill(uint8_t *b, uint32_t seq, uint32_t len) {
  for (uint32_t i = 0; i < len; i++) b[i] = (uint8_t)(seq * 7u + i * 13u + 1u);
  if (len >= 4) memcpy(b, &seq, 4);
}

static void send_seq(int fd, uint16_t port, uint32_t seq, uint32_t len) {
  uint8_t b[4096];
  fill(b, seq, len);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = LOCALHOST};
  ck_assert_int_eq(sendto(fd, b, len, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)len);
}

/* Polls rx_burst until want packets came or WAIT_NS passed; keeps them
   (no release). Returns the count. */
static uint32_t rx_wait(sl_net_rx_t *rx, sl_net_pkt_t *out, uint32_t want) {
  uint32_t got = 0;
  uint64_t t0 = sl_now_ns();
  while (got < want && sl_now_ns() - t0 < WAIT_NS)
    got += rx->ops->rx_burst(rx, out + got, want - got);
  return got;
}

/* Polls for up to ns and counts what arrives (for "nothing arrives"). */
static uint32_t rx_for(sl_net_rx_t *rx, uint64_t ns) {
  sl_net_pkt_t pk[64];
  uint32_t got = 0;
  uint64_t t0 = sl_now_ns();
  while (sl_now_ns() - t0 < ns) {
    uint32_t n = rx->ops->rx_burst(rx, pk, 64);
    for (uint32_t i = 0; i < n; i++) rx->ops->release(rx, &pk[i].frame, 1);
    got += n;
  }
  return got;
}

/* Checks a delivered frame: position in the pool, a frame that parses,
   the expected addresses (src_port 0: any), and the exact payload of
   datagram seq; returns the seq read from the payload. Plain compares, one
   ck_abort on failure: Check's assertions cost a write each even when they
   pass, too slow for loops that must keep up with a sender. */
static uint32_t check_pkt(const pool_t *pl, const sl_net_pkt_t *p, uint32_t len, uint32_t src_ip,
                          uint16_t src_port, uint32_t dst_ip, uint16_t dst_port) {
  const sl_net_pool_t *po = &pl->pool;
  if (p->addr % 64 || p->frame >= po->frame_cnt ||
      p->addr != po->pool_off + (uint64_t)p->frame * po->frame_sz + SL_NET_URING_FRAME_OFF)
    ck_abort_msg("frame %u delivered at offset %llu", p->frame, (unsigned long long)p->addr);
  if (p->sz != SL_FRAME_HDR_SZ + len) ck_abort_msg("frame of %u bytes, expected %u", p->sz, SL_FRAME_HDR_SZ + len);
  const uint8_t *f = po->wksp_base + p->addr;
  sl_frame_t fr;
  int r = sl_frame_parse(f, p->sz, &fr);
  if (r) ck_abort_msg("frame does not parse: %s", sl_frame_strerror(r));
  if (fr.src_ip4 != src_ip || fr.dst_ip4 != dst_ip || (src_port && fr.src_port != src_port) ||
      fr.dst_port != dst_port)
    ck_abort_msg("addresses %08x:%u -> %08x:%u, expected %08x:%u -> %08x:%u", fr.src_ip4, fr.src_port,
                 fr.dst_ip4, fr.dst_port, src_ip, src_port, dst_ip, dst_port);
  if (fr.payload_off != SL_FRAME_HDR_SZ || fr.payload_sz != len)
    ck_abort_msg("payload at %u, %u bytes", fr.payload_off, fr.payload_sz);
  uint32_t seq = 0;
  if (len >= 4) memcpy(&seq, f + SL_FRAME_HDR_SZ, 4);
  uint8_t want[4096];
  fill(want, seq, len);
  if (memcmp(f + SL_FRAME_HDR_SZ, want, len)) ck_abort_msg("payload of datagram %u differs", seq);
  return seq;
}

static void want_seq(uint32_t got, uint32_t want) {
  if (got != want) ck_abort_msg("got datagram %u, expected %u", got, want);
}

static sl_metrics_t *metrics_new(void) {
  void *mem = aligned_alloc(sl_metrics_align(), sl_metrics_footprint());
  ck_assert_ptr_nonnull(mem);
  return sl_metrics_join(sl_metrics_new(mem, SL_TILE_NET, 0));
}

/* A child that waits for a byte on go, then sends cnt datagrams of len
   bytes to port at about pps per second, then exits. */
static pid_t paced_sender(uint16_t port, uint32_t cnt, uint32_t len, uint32_t pps, int *go) {
  int pfd[2];
  ck_assert_int_eq(pipe(pfd), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(pfd[1]);
    char c;
    if (read(pfd[0], &c, 1) != 1) _exit(2);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = LOCALHOST};
    uint8_t b[4096];
    uint64_t t0 = sl_now_ns();
    for (uint32_t i = 0; i < cnt; i++) {
      fill(b, i, len);
      if (sendto(fd, b, len, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)len) _exit(3);
      if ((i & 15) == 15) {
        uint64_t due = t0 + (uint64_t)(i + 1) * 1000000000ull / pps;
        uint64_t now = sl_now_ns();
        if (due > now) sl_sleep_ns(due - now, NULL);
      }
    }
    _exit(0);
  }
  close(pfd[0]);
  *go = pfd[1];
  return pid;
}

static void sender_go(int go) {
  ck_assert_int_eq(write(go, "g", 1), 1);
  close(go);
}

static void sender_reap(pid_t pid) {
  int st = 0;
  for (int i = 0; i < 1000 && waitpid(pid, &st, WNOHANG) == 0; i++) sl_sleep_ns(10000000, NULL);
  if (waitpid(pid, &st, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sender failed (status %d)", st);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(open_on_free_port_reports_io_uring_mode) {
  pool_t pl;
  pool_new(&pl, 256, 2048);
  sl_net_rx_t rx;
  memset(&rx, 0xff, sizeof rx); /* open sets every field the tile reads */
  sl_net_uring_params_t p = params1(free_port(), 64);
  open_ok(&rx, &pl, &p);
  ck_assert_str_eq(rx.mode, "io_uring");
  ck_assert_uint_eq(rx.nap_depth, 0); /* receive work runs in our own calls: never nap on it */
  ck_assert_uint_eq(rx.ops->rx_burst(&rx, NULL, 0), 0);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

/* The seam: the supervisor prepares, a forked net tile takes over and
   receives; the supervisor then drops its copies and the tile still
   receives. The pool is shared memory, as the workspace is. */
START_TEST(a_forked_tile_takes_a_prepared_provider_over_and_receives_alone) {
  pool_t pl;
  pl.sz = POOL_OFF + 64 * 2048;
  pl.base = mmap(NULL, pl.sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(pl.base, MAP_FAILED);
  pl.pool = (sl_net_pool_t){.wksp_base = pl.base, .pool_off = POOL_OFF, .frame_sz = 2048, .frame_cnt = 64};
  uint16_t port = free_port();
  sl_net_uring_params_t p = params1(port, 32);
  sl_net_uring_prep_t *prep;
  sl_err_t err = {{0}};
  ck_assert_msg(sl_net_uring_prepare(&prep, &pl.pool, &p, &err) == 0, "%s", err.msg);
  int go[2], done[2];
  ck_assert_int_eq(pipe(go), 0);
  ck_assert_int_eq(pipe(done), 0);
  pid_t kid = fork();
  ck_assert_int_ge(kid, 0);
  if (kid == 0) {
    sl_net_rx_t rx;
    if (sl_net_uring_rx_open(&rx, prep, &err)) _exit(2);
    char c;
    if (write(done[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) _exit(3);
    sl_net_pkt_t pk[3];
    uint32_t got = rx_wait(&rx, pk, 3);
    rx.ops->stop(&rx);
    _exit(got == 3 ? 0 : 4);
  }
  char c;
  ck_assert_int_eq(read(done[0], &c, 1), 1); /* the tile enabled the ring */
  sl_net_uring_prep_close(prep);              /* the supervisor's copies go */
  int fd = sender(NULL);
  for (uint32_t i = 0; i < 3; i++) send_seq(fd, port, i, 100);
  ck_assert_int_eq(write(go[1], "g", 1), 1);
  int st;
  ck_assert_int_eq(waitpid(kid, &st, 0), kid);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the tile's provider failed (status 0x%x)", st);
  close(fd);
  munmap(pl.base, pl.sz);
}
END_TEST

START_TEST(sockets_are_held_to_the_configured_interface) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port();
  sl_net_uring_params_t p = params1(port, 32);
  p.ifname = "lo";
  sl_net_rx_t rx;
  open_ok(&rx, &pl, &p);
  ck_assert_uint_eq(rx.fd_cnt, 2); /* the ring and the one socket */
  char dev[IF_NAMESIZE] = "";
  socklen_t len = sizeof dev;
  ck_assert_int_eq(getsockopt(rx.fds[1], SOL_SOCKET, SO_BINDTODEVICE, dev, &len), 0);
  if (geteuid() == 0) ck_assert_str_eq(dev, "lo"); /* without CAP_NET_RAW: a warning, any interface */
  int fd = sender(NULL);
  send_seq(fd, port, 7, 64);
  sl_net_pkt_t pk[1];
  ck_assert_uint_eq(rx_wait(&rx, pk, 1), 1);
  close(fd);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(datagrams_arrive_in_order_with_exact_bytes_and_addresses) {
  pool_t pl;
  pool_new(&pl, 256, 2048);
  uint16_t port = free_port(), sport;
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 64);
  open_ok(&rx, &pl, &p);
  int fd = sender(&sport);
  enum { N = 100 };
  for (uint32_t i = 0; i < N; i++) send_seq(fd, port, i, 4 + (i * 97) % (SL_FRAME_PAYLOAD_MAX - 3));
  sl_net_pkt_t pk[N];
  ck_assert_uint_eq(rx_wait(&rx, pk, N), N);
  for (uint32_t i = 0; i < N; i++)
    want_seq(check_pkt(&pl, &pk[i], 4 + (i * 97) % (SL_FRAME_PAYLOAD_MAX - 3), LOCALHOST, sport,
                                LOCALHOST, port), i);
  close(fd);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(bound_to_any_address_frames_carry_the_destination_address) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port(), sport;
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32);
  p.bind_addr = 0;
  open_ok(&rx, &pl, &p);
  int fd = sender(&sport);
  send_seq(fd, port, 7, 300);
  /* 127.0.0.2 is on lo too: the destination comes from the packet, not from
     the sender's address. */
  uint8_t b[64];
  fill(b, 8, sizeof b);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
                           .sin_addr.s_addr = htonl(0x7f000002)};
  ck_assert_int_eq(sendto(fd, b, sizeof b, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)sizeof b);
  sl_net_pkt_t pk[2];
  ck_assert_uint_eq(rx_wait(&rx, pk, 2), 2);
  want_seq(check_pkt(&pl, &pk[0], 300, LOCALHOST, sport, LOCALHOST, port), 7);
  want_seq(check_pkt(&pl, &pk[1], 64, LOCALHOST, sport, htonl(0x7f000002), port), 8);
  close(fd);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(frames_are_64_byte_aligned_and_liburing_helpers_agree_with_the_layout) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port();
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32);
  open_ok(&rx, &pl, &p);
  int fd = sender(NULL);
  for (uint32_t i = 0; i < 40; i++) send_seq(fd, port, i, 1 + i * 31);
  sl_net_pkt_t pk[40];
  ck_assert_uint_eq(rx_wait(&rx, pk, 40), 40);
  struct msghdr mh = {.msg_namelen = sizeof(struct sockaddr_in),
                      .msg_controllen = SL_NET_URING_PAYLOAD_OFF - 32};
  for (uint32_t i = 0; i < 40; i++) {
    ck_assert_uint_eq(pk[i].addr % 64, 0);
    uint8_t *buf = pl.base + pk[i].addr - SL_NET_URING_FRAME_OFF;
    int res = (int)(SL_NET_URING_PAYLOAD_OFF + 1 + i * 31); /* what the CQE reported */
    struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, res, &mh);
    ck_assert_ptr_eq(o, buf);
    ck_assert_ptr_eq(io_uring_recvmsg_payload(o, &mh), buf + SL_NET_URING_PAYLOAD_OFF);
    ck_assert_uint_eq(io_uring_recvmsg_payload_length(o, res, &mh), 1 + i * 31);
    ck_assert_uint_eq(o->payloadlen, 1 + i * 31);
    ck_assert_uint_eq(o->namelen, sizeof(struct sockaddr_in));
    ck_assert_uint_eq(pk[i].sz, SL_FRAME_HDR_SZ + 1 + i * 31);
  }
  close(fd);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(many_more_datagrams_than_frames_all_arrive_when_released) {
  enum { N = 50000, LEN = 200 };
  pool_t pl;
  pool_new(&pl, 512, 2048);
  uint16_t port = free_port();
  int go;
  pid_t pid = paced_sender(port, N, LEN, 100000, &go);
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 128); /* 256 frames in the ring, 256 on the free list */
  p.rcvbuf = 16u << 20;
  open_ok(&rx, &pl, &p);
  sender_go(go);
  uint32_t got = 0;
  uint64_t t0 = sl_now_ns();
  sl_net_pkt_t pk[64];
  while (got < N && sl_now_ns() - t0 < 20ull * 1000000000ull) {
    uint32_t n = rx.ops->rx_burst(&rx, pk, 64);
    uint32_t fr[64];
    for (uint32_t i = 0; i < n; i++) {
      want_seq(check_pkt(&pl, &pk[i], LEN, LOCALHOST, 0, LOCALHOST, port), got + i);
      fr[i] = pk[i].frame;
    }
    rx.ops->release(&rx, fr, n);
    got += n;
  }
  ck_assert_uint_eq(got, N);
  sender_reap(pid);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(pool_beyond_65536_frames_is_used_through_buffer_ids) {
  /* Buffer ids are 16 bits; a held pool of 70000 frames must still be
     reachable: hold everything received so the free list keeps refilling
     the ring with frames of ever higher index. */
  enum { CNT = 70000, N = 68000, LEN = 100 };
  pool_t pl;
  pool_new(&pl, CNT, 512);
  uint16_t port = free_port();
  int go;
  pid_t pid = paced_sender(port, N, LEN, 150000, &go);
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 65536);
  p.rcvbuf = 64u << 20;
  open_ok(&rx, &pl, &p);
  sender_go(go);
  sl_net_pkt_t *pk = malloc(N * sizeof *pk);
  uint8_t *seen = calloc(CNT, 1);
  uint32_t got = 0, max_frame = 0;
  uint64_t t0 = sl_now_ns();
  while (got < N && sl_now_ns() - t0 < 20ull * 1000000000ull) got += rx.ops->rx_burst(&rx, pk + got, N - got);
  ck_assert_uint_eq(got, N);
  for (uint32_t i = 0; i < N; i++) {
    want_seq(check_pkt(&pl, &pk[i], LEN, LOCALHOST, 0, LOCALHOST, port), i);
    if (seen[pk[i].frame]) ck_abort_msg("frame %u delivered twice while held", pk[i].frame);
    seen[pk[i].frame] = 1;
    if (pk[i].frame > max_frame) max_frame = pk[i].frame;
  }
  ck_assert_uint_ge(max_frame, 65536);
  free(seen);
  free(pk);
  sender_reap(pid);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(held_frames_make_the_kernel_drop_counted_then_the_provider_recovers) {
  enum { FRAMES = 64, MORE = 500, LEN = 200 };
  pool_t pl;
  pool_new(&pl, FRAMES, 2048);
  uint16_t port = free_port();
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32); /* ring = all 64 frames */
  p.rcvbuf = 64u << 10;                        /* a small socket queue fills fast */
  open_ok(&rx, &pl, &p);
  sl_metrics_t *m = metrics_new();
  int fd = sender(NULL);
  for (uint32_t i = 0; i < FRAMES; i++) send_seq(fd, port, i, LEN);
  sl_net_pkt_t held[FRAMES];
  ck_assert_uint_eq(rx_wait(&rx, held, FRAMES), FRAMES);
  for (uint32_t i = 0; i < MORE; i++) send_seq(fd, port, FRAMES + i, LEN);
  sl_net_pkt_t none[8];
  uint64_t t0 = sl_now_ns();
  while (sl_now_ns() - t0 < 100000000ull)
    if (rx.ops->rx_burst(&rx, none, 8)) ck_abort_msg("a packet arrived with every frame held");
  rx.ops->housekeep(&rx, m);
  ck_assert_uint_ge(sl_metrics_get(m, SL_M_NET_FILL_RING_EMPTY), 1);
  for (uint32_t i = 0; i < FRAMES; i++)
    want_seq(check_pkt(&pl, &held[i], LEN, LOCALHOST, 0, LOCALHOST, port), i);

  uint32_t fr[FRAMES];
  for (uint32_t i = 0; i < FRAMES; i++) fr[i] = held[i].frame;
  rx.ops->release(&rx, fr, FRAMES);
  /* What the socket queued arrives intact, in order; the rest was dropped
     by the kernel (the queue holds far fewer than MORE). */
  uint32_t got = 0, last = FRAMES - 1;
  sl_net_pkt_t pk[64];
  t0 = sl_now_ns();
  while (sl_now_ns() - t0 < 300000000ull) {
    uint32_t n = rx.ops->rx_burst(&rx, pk, 64);
    for (uint32_t i = 0; i < n; i++) {
      uint32_t s = check_pkt(&pl, &pk[i], LEN, LOCALHOST, 0, LOCALHOST, port);
      if (s <= last) ck_abort_msg("datagram %u after %u", s, last);
      last = s;
      rx.ops->release(&rx, &pk[i].frame, 1);
    }
    got += n;
  }
  ck_assert_uint_gt(got, 0);
  ck_assert_uint_lt(got, MORE);
  /* Nothing lost silently: every datagram the socket could not queue is in
     sock_rx_dropped (read once per 1024 housekeeping rounds). */
  uint32_t queued = got;
  for (int i = 0; i < 1024; i++) rx.ops->housekeep(&rx, m);
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_NET_SOCK_RX_DROPPED), MORE - queued);
  /* Recovered: new traffic flows again, all of it. */
  for (uint32_t i = 0; i < 100; i++) send_seq(fd, port, 100000 + i, LEN);
  got = 0;
  t0 = sl_now_ns();
  while (got < 100 && sl_now_ns() - t0 < WAIT_NS) {
    uint32_t n = rx.ops->rx_burst(&rx, pk, 64);
    for (uint32_t i = 0; i < n; i++) {
      want_seq(check_pkt(&pl, &pk[i], LEN, LOCALHOST, 0, LOCALHOST, port), 100000 + got + i);
      rx.ops->release(&rx, &pk[i].frame, 1);
    }
    got += n;
  }
  ck_assert_uint_eq(got, 100);
  close(fd);
  rx.ops->stop(&rx);
  free(m);
  pool_del(&pl);
}
END_TEST

START_TEST(oversize_datagram_is_counted_truncated_not_delivered) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port();
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32);
  open_ok(&rx, &pl, &p);
  sl_metrics_t *m = metrics_new();
  int fd = sender(NULL);
  uint32_t max = 2048 - SL_NET_URING_PAYLOAD_OFF;
  send_seq(fd, port, 1, max + 1);
  send_seq(fd, port, 2, max);
  send_seq(fd, port, 3, 10);
  sl_net_pkt_t pk[3];
  ck_assert_uint_eq(rx_wait(&rx, pk, 2), 2);
  ck_assert_uint_eq(rx_for(&rx, 50000000ull), 0);
  /* The exact-fit datagram parses as a frame only up to SL_FRAME_PAYLOAD_MAX, so
     check its bytes directly. */
  ck_assert_uint_eq(pk[0].sz, SL_FRAME_HDR_SZ + max);
  uint8_t want[2048];
  fill(want, 2, max);
  ck_assert_int_eq(memcmp(pl.base + pk[0].addr + SL_FRAME_HDR_SZ, want, max), 0);
  want_seq(check_pkt(&pl, &pk[1], 10, LOCALHOST, 0, LOCALHOST, port), 3);
  rx.ops->housekeep(&rx, m);
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_NET_RX_TRUNCATED), 1);
  close(fd);
  rx.ops->stop(&rx);
  free(m);
  pool_del(&pl);
}
END_TEST

START_TEST(empty_datagram_is_counted_not_delivered) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port();
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32);
  open_ok(&rx, &pl, &p);
  int fd = sender(NULL);
  send_seq(fd, port, 0, 0);
  send_seq(fd, port, 5, 5);
  send_seq(fd, port, 0, 0);
  send_seq(fd, port, 6, 6);
  sl_net_pkt_t pk[2];
  ck_assert_uint_eq(rx_wait(&rx, pk, 2), 2);
  want_seq(check_pkt(&pl, &pk[0], 5, LOCALHOST, 0, LOCALHOST, port), 5);
  want_seq(check_pkt(&pl, &pk[1], 6, LOCALHOST, 0, LOCALHOST, port), 6);
  sl_metrics_t m;
  memset(&m, 0, sizeof m);
  rx.ops->housekeep(&rx, &m);
  ck_assert_uint_eq(sl_metrics_get(&m, SL_M_NET_RX_EMPTY), 2);
  close(fd);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(two_ports_deliver_with_their_own_destination_port) {
  pool_t pl;
  pool_new(&pl, 128, 2048);
  uint16_t a = free_port(), b = free_port();
  if (a == b) b = (uint16_t)(a + 1);
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(a, 32);
  p.ports[1] = b;
  p.port_cnt = 2;
  open_ok(&rx, &pl, &p);
  int fd = sender(NULL);
  for (uint32_t i = 0; i < 20; i++) send_seq(fd, (i & 1) ? b : a, i, 50);
  sl_net_pkt_t pk[20];
  ck_assert_uint_eq(rx_wait(&rx, pk, 20), 20);
  uint32_t per[2] = {0, 0};
  for (uint32_t i = 0; i < 20; i++) {
    const uint8_t *f = pl.base + pk[i].addr;
    uint32_t seq;
    memcpy(&seq, f + SL_FRAME_HDR_SZ, 4);
    want_seq(check_pkt(&pl, &pk[i], 50, LOCALHOST, 0, LOCALHOST, (seq & 1) ? b : a), seq);
    per[seq & 1]++;
  }
  ck_assert_uint_eq(per[0], 10);
  ck_assert_uint_eq(per[1], 10);
  close(fd);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(reuseport_lets_two_providers_share_a_port) {
  enum { FLOWS = 32, PER = 10 };
  pool_t pa, pb;
  pool_new(&pa, 512, 2048);
  pool_new(&pb, 512, 2048);
  uint16_t port = free_port();
  sl_net_rx_t ra, rb;
  sl_net_uring_params_t p = params1(port, 128);
  open_ok(&ra, &pa, &p);
  p.tile_idx = 1;
  open_ok(&rb, &pb, &p);
  int fds[FLOWS];
  for (uint32_t f = 0; f < FLOWS; f++) fds[f] = sender(NULL);
  for (uint32_t i = 0; i < PER; i++)
    for (uint32_t f = 0; f < FLOWS; f++) send_seq(fds[f], port, f * PER + i, 80);
  uint32_t got_a = 0, got_b = 0;
  sl_net_pkt_t pk[64];
  uint64_t t0 = sl_now_ns();
  while (got_a + got_b < FLOWS * PER && sl_now_ns() - t0 < WAIT_NS) {
    uint32_t n = ra.ops->rx_burst(&ra, pk, 64);
    for (uint32_t i = 0; i < n; i++) check_pkt(&pa, &pk[i], 80, LOCALHOST, 0, LOCALHOST, port);
    got_a += n;
    n = rb.ops->rx_burst(&rb, pk, 64);
    for (uint32_t i = 0; i < n; i++) check_pkt(&pb, &pk[i], 80, LOCALHOST, 0, LOCALHOST, port);
    got_b += n;
  }
  ck_assert_uint_eq(got_a + got_b, FLOWS * PER);
  /* 32 flows hashed over two sockets: both get some. */
  ck_assert_uint_gt(got_a, 0);
  ck_assert_uint_gt(got_b, 0);
  for (uint32_t f = 0; f < FLOWS; f++) close(fds[f]);
  ra.ops->stop(&ra);
  rb.ops->stop(&rb);
  pool_del(&pa);
  pool_del(&pb);
}
END_TEST

START_TEST(port_held_without_reuseport_fails_with_a_clear_message) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port();
  int holder = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = LOCALHOST};
  ck_assert_int_eq(bind(holder, (struct sockaddr *)&sa, sizeof sa), 0);
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32);
  sl_err_t err = {{0}};
  uint64_t t0 = sl_now_ns();
  ck_assert_int_eq(uring_open(&rx, &pl.pool, &p, &err), -1);
  uint64_t dt = sl_now_ns() - t0;
  char want[64];
  snprintf(want, sizeof want, "port %u is in use by another program (not SO_REUSEPORT", port);
  ck_assert_msg(strstr(err.msg, want) != NULL, "message: %s", err.msg);
  ck_assert_msg(strstr(err.msg, "127.0.0.1") != NULL, "message lacks the address: %s", err.msg);
  /* It retried (a just-exited instance may hold the port briefly), boundedly. */
  ck_assert_uint_ge(dt, 150000000ull);
  ck_assert_uint_lt(dt, 2000000000ull);
  close(holder);
  pool_del(&pl);
}
END_TEST

START_TEST(port_freed_during_the_retry_window_is_taken) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port();
  int holder = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = LOCALHOST};
  ck_assert_int_eq(bind(holder, (struct sockaddr *)&sa, sizeof sa), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    sl_sleep_ns(40000000ull, NULL); /* the holder "exits" 40 ms later */
    _exit(0);
  }
  close(holder); /* the child's copy keeps the port until it exits */
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32);
  open_ok(&rx, &pl, &p);
  sender_reap(pid);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(stop_closes_the_sockets_so_the_port_is_free_again) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port();
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32);
  open_ok(&rx, &pl, &p);
  rx.ops->stop(&rx);
  sl_net_pkt_t pk[4];
  ck_assert_uint_eq(rx.ops->rx_burst(&rx, pk, 4), 0); /* harmless after stop */
  /* A socket without SO_REUSEPORT can bind only if nothing holds the port. */
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = LOCALHOST};
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  close(fd);
  open_ok(&rx, &pl, &p);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

/* Counts io_uring_enter calls trapped by the seccomp filter below. */
static volatile sig_atomic_t enter_cnt;

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)si, (void)uc;
  enter_cnt++;
}

/* Traps io_uring_enter (SIGSYS, the call is not made) in this process.
   Returns 0, or -1 if the filter could not be installed. */
static int trap_io_uring_enter(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  if (sigaction(SIGSYS, &sa, NULL)) return -1;
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? -1 : 0;
}

/* The body of idle_rx_burst_and_housekeep_make_no_syscall, in a child of
   its own (the seccomp filter cannot be removed, and must not outlive the
   test even with CK_FORK=no). Returns the index of the failed check. */
static int idle_child(void) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  uint16_t port = free_port();
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 32);
  if (uring_open(&rx, &pl.pool, &p, NULL)) return 1;
  sl_metrics_t *m = metrics_new();
  rx.ops->housekeep(&rx, m);
  uint64_t sys0 = sl_metrics_get(m, SL_M_NET_SYSCALLS);
  int fd = sender(NULL);
  if (trap_io_uring_enter()) return 7;
  sl_net_pkt_t pk[8];
  for (int i = 0; i < 100000; i++)
    if (rx.ops->rx_burst(&rx, pk, 8)) return 2;
  for (int i = 0; i < 100; i++) rx.ops->housekeep(&rx, m);
  if (enter_cnt) return 3;
  if (sl_metrics_get(m, SL_M_NET_SYSCALLS) != sys0) return 4;
  /* Control: with a datagram waiting, rx_burst does enter the kernel (and
     the filter catches it), once, and counts it. */
  send_seq(fd, port, 1, 10);
  uint64_t t0 = sl_now_ns();
  while (!enter_cnt && sl_now_ns() - t0 < WAIT_NS) rx.ops->rx_burst(&rx, pk, 8);
  if (enter_cnt != 1) return 5;
  rx.ops->housekeep(&rx, m);
  if (sl_metrics_get(m, SL_M_NET_SYSCALLS) != sys0 + 1) return 6;
  return 0;
}

START_TEST(idle_rx_burst_and_housekeep_make_no_syscall) {
#if !defined(__x86_64__)
  return; /* the filter checks the x86-64 syscall number */
#endif
  static const char *const what[] = {
      "ok", "open failed", "a packet arrived with no traffic",
      "an idle rx_burst or housekeep called io_uring_enter", "the syscall counter moved while idle",
      "a waiting datagram did not make exactly one io_uring_enter (the filter missed it?)",
      "the syscall counter did not count the kick", "setup failed"};
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) _exit(idle_child());
  int st = 0;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFEXITED(st), "child died (status %d)", st);
  int code = WEXITSTATUS(st);
  ck_assert_msg(code == 0, "%s", code < 8 ? what[code] : "child failed a setup assertion");
}
END_TEST

START_TEST(a_backlog_takes_one_kernel_kick_per_32_datagrams_at_most) {
  pool_t pl;
  pool_new(&pl, 256, 2048);
  uint16_t port = free_port();
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 128);
  open_ok(&rx, &pl, &p);
  sl_metrics_t *m = metrics_new();
  rx.ops->housekeep(&rx, m);
  uint64_t sys0 = sl_metrics_get(m, SL_M_NET_SYSCALLS);
  int fd = sender(NULL);
  for (uint32_t i = 0; i < 200; i++) send_seq(fd, port, i, 100);
  sl_net_pkt_t pk[200];
  ck_assert_uint_eq(rx_wait(&rx, pk, 200), 200);
  for (uint32_t i = 0; i < 200; i++) check_pkt(&pl, &pk[i], 100, LOCALHOST, 0, LOCALHOST, port);
  rx.ops->housekeep(&rx, m);
  /* One io_uring_enter runs up to 32 receives per socket (the kernel's
     multishot retry limit, then it requeues): 200 queued datagrams need 7
     kicks; allow one spare, not one per packet. */
  ck_assert_uint_le(sl_metrics_get(m, SL_M_NET_SYSCALLS) - sys0, 200 / 32 + 2);
  close(fd);
  rx.ops->stop(&rx);
  free(m);
  pool_del(&pl);
}
END_TEST

START_TEST(plain_taskrun_mode_delivers_too) {
  pool_t pl;
  pool_new(&pl, 128, 2048);
  uint16_t port = free_port();
  sl_net_rx_t rx;
  sl_net_uring_params_t p = params1(port, 64);
  p.taskrun = SL_NET_URING_TASKRUN_PLAIN;
  open_ok(&rx, &pl, &p);
  int fd = sender(NULL);
  for (uint32_t i = 0; i < 300; i++) {
    send_seq(fd, port, i, 64);
    if ((i & 31) == 31) sl_sleep_ns(1000000, NULL); /* stay within 128 frames */
  }
  uint32_t got = 0;
  sl_net_pkt_t pk[64];
  uint64_t t0 = sl_now_ns();
  while (got < 300 && sl_now_ns() - t0 < WAIT_NS) {
    uint32_t n = rx.ops->rx_burst(&rx, pk, 64);
    for (uint32_t i = 0; i < n; i++) {
      want_seq(check_pkt(&pl, &pk[i], 64, LOCALHOST, 0, LOCALHOST, port), got + i);
      rx.ops->release(&rx, &pk[i].frame, 1);
    }
    got += n;
  }
  ck_assert_uint_eq(got, 300);
  close(fd);
  rx.ops->stop(&rx);
  pool_del(&pl);
}
END_TEST

START_TEST(bad_parameters_are_rejected_with_a_message) {
  pool_t pl;
  pool_new(&pl, 64, 2048);
  sl_net_rx_t rx;
  sl_err_t err = {{0}};
  sl_net_uring_params_t p = params1(free_port(), 32);
  p.port_cnt = 0;
  ck_assert_int_eq(uring_open(&rx, &pl.pool, &p, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "ports"));
  p.port_cnt = 2;
  p.ports[1] = p.ports[0];
  ck_assert_int_eq(uring_open(&rx, &pl.pool, &p, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
  p.port_cnt = 1;
  sl_net_pool_t bad = pl.pool;
  bad.frame_sz = 100;
  ck_assert_int_eq(uring_open(&rx, &bad, &p, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "frame pool"));
  pool_del(&pl);
}
END_TEST

int main(void) {
  Suite *s = suite_create("uring_rx");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, open_on_free_port_reports_io_uring_mode);
  tcase_add_test(tc, datagrams_arrive_in_order_with_exact_bytes_and_addresses);
  tcase_add_test(tc, a_forked_tile_takes_a_prepared_provider_over_and_receives_alone);
  tcase_add_test(tc, sockets_are_held_to_the_configured_interface);
  tcase_add_test(tc, bound_to_any_address_frames_carry_the_destination_address);
  tcase_add_test(tc, frames_are_64_byte_aligned_and_liburing_helpers_agree_with_the_layout);
  tcase_add_test(tc, many_more_datagrams_than_frames_all_arrive_when_released);
  tcase_add_test(tc, pool_beyond_65536_frames_is_used_through_buffer_ids);
  tcase_add_test(tc, held_frames_make_the_kernel_drop_counted_then_the_provider_recovers);
  tcase_add_test(tc, oversize_datagram_is_counted_truncated_not_delivered);
  tcase_add_test(tc, empty_datagram_is_counted_not_delivered);
  tcase_add_test(tc, two_ports_deliver_with_their_own_destination_port);
  tcase_add_test(tc, reuseport_lets_two_providers_share_a_port);
  tcase_add_test(tc, port_held_without_reuseport_fails_with_a_clear_message);
  tcase_add_test(tc, port_freed_during_the_retry_window_is_taken);
  tcase_add_test(tc, stop_closes_the_sockets_so_the_port_is_free_again);
  tcase_add_test(tc, idle_rx_burst_and_housekeep_make_no_syscall);
  tcase_add_test(tc, a_backlog_takes_one_kernel_kick_per_32_datagrams_at_most);
  tcase_add_test(tc, plain_taskrun_mode_delivers_too);
  tcase_add_test(tc, bad_parameters_are_rejected_with_a_message);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
