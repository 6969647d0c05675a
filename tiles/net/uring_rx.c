/* The io_uring provider: UDP sockets, multishot recvmsg, pool frames as the
   provided buffers (tiles/net/uring_rx.h has the frame layout).

   Buffer ids: the kernel hands a buffer back as a 16-bit id, and a pool may
   hold more frames than that (ring_depth is up to 2^20), so a buffer id is
   a slot in bid_frame[] (the frame it currently carries), taken from a
   free-id stack when a frame goes into the ring and returned when its
   completion is reaped. Frames in the kernel (in the ring, or consumed but
   not yet reaped) = ids taken <= ring entries, so a free id exists exactly
   when the ring has room: bid_free_cnt is also the ring's free space, and
   the kernel's head (not readable with liburing 2.3) is never needed.

   Cache-hot posting: the kernel takes buffers in ring order, so a ring
   kept full cycles through all its frames (8192 x 2 KiB = 16 MiB with the
   default rx_queue_size) and every datagram lands in a cold frame. Under
   DEFER_TASKRUN the kernel only fills buffers inside our own io_uring_enter
   calls, and one call receives at most 32 datagrams per socket (the
   kernel's multishot retry limit) before it requeues, so a few hundred
   posted frames are never exhausted between two bursts. Only post_max are
   posted at a time; the rest wait on the free stack, which is LIFO, so the
   frames just released are the ones reused. If the ring still runs dry
   while frames were held back (a kernel that receives more per call),
   post_max doubles, up to the whole ring. Measured: +5..15% packets/s on
   the receive side (tests/bench/bench_uring.c, drain rows). Without
   DEFER_TASKRUN the kernel fills buffers asynchronously: the whole ring is
   posted. */
#include "tiles/net/uring_rx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tiles/frame.h"
#include "util/log.h"
#include "util/time.h"

#define URING_BR_MAX 32768u     /* kernel limit on provided-buffer ring entries */
#define URING_BGID 0u
#define URING_CANCEL_UD UINT64_MAX
#define URING_CTRL_LEN (SL_NET_URING_PAYLOAD_OFF - sizeof(struct io_uring_recvmsg_out) - \
                        sizeof(struct sockaddr_in))
#define URING_BIND_RETRY_NS (200ull * 1000000ull)
#define URING_MIN_FRAME_SZ 512u
/* Frames posted at once under DEFER_TASKRUN: twice what one kernel entry
   can take (32 per socket) plus a burst of completions not yet reaped. */
#define URING_POST_BASE 128u
#define URING_POST_PER_SOCK 64u

_Static_assert(SL_NET_URING_FRAME_OFF + SL_FRAME_HDR_SZ == SL_NET_URING_PAYLOAD_OFF, "frame layout");
_Static_assert(sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_in) +
                       CMSG_SPACE(sizeof(struct in_pktinfo)) <= SL_NET_URING_FRAME_OFF,
               "IP_PKTINFO must end before the header slot");

/* Socket states. A multishot ended by ENOBUFS waits for frames (DRY); one
   ended by another error is re-armed from housekeeping only (ERR), so a
   persistent error costs one syscall per housekeeping round, not one per
   burst. */
enum { SOCK_ARMED = 0, SOCK_NEED_ARM = 1, SOCK_DRY = 2, SOCK_ERR = 3 };

typedef struct {
  int fd;
  uint16_t port;
  uint8_t state;     /* SOCK_* */
  uint64_t dry_mark; /* frames the kernel had taken when it ran dry: re-arm once
                        more than that went into the ring */
} uring_sock_t;

struct sl_net_uring_prep {
  struct io_uring ring;
  int ring_ok;
  struct io_uring_buf_ring *br;
  size_t br_sz;
  uint32_t br_entries;
  uint32_t br_mask;
  uint8_t *frame0;  /* local address of pool frame 0 */
  uint64_t off0;    /* its workspace offset */
  uint32_t frame_sz;
  uint32_t frame_cnt;
  uint32_t *bid_frame; /* [br_entries] */
  uint16_t *bid_free;  /* [br_entries] */
  uint32_t bid_free_cnt;
  uint32_t post_reserve; /* ids kept back: at most br_entries - post_reserve frames posted */
  uint32_t *free_stk;  /* [frame_cnt] frames waiting for ring room */
  uint32_t free_cnt;
  uint64_t added;      /* frames ever put into the ring */
  struct msghdr msgh;  /* template of every multishot recvmsg */
  uint32_t bind_addr;
  int pktinfo;         /* bound to any address: destination from IP_PKTINFO */
  uint32_t tile_idx;
  uint32_t kick;       /* SL_NET_URING_KICK_* */
  uint32_t not_armed;  /* sockets not in SOCK_ARMED */
  int resubmit;        /* an earlier submit failed: SQEs still queued */
  uint64_t syscalls, fill_empty, truncated, empty, cqe_errors;
  uint64_t sock_drops; /* SO_MEMINFO drops over the sockets, as last read */
  uint64_t hk_rounds;  /* housekeeping calls, to pace read_drops */
  int last_err;        /* the latest error that ended a multishot (for stop's log) */
  uint32_t sock_cnt;
  uring_sock_t sock[SL_PORTS_MAX];
};
typedef struct sl_net_uring_prep uring_t;

/* Housekeeping rounds between two reads of the sockets' drop counters
   (~1 s at the tile's 1 ms housekeeping). */
#define SL_NET_URING_DROPS_EVERY 1024u

static inline uint8_t *frame_mem(const uring_t *u, uint32_t frame) {
  return u->frame0 + (uint64_t)frame * u->frame_sz;
}

/* Puts frames[0..cnt) into the buffer ring; cnt <= bid_free_cnt. One
   release store of the tail makes them all visible. */
static void ring_add(uring_t *u, const uint32_t *frames, uint32_t cnt) {
  for (uint32_t i = 0; i < cnt; i++) {
    uint16_t bid = u->bid_free[--u->bid_free_cnt];
    u->bid_frame[bid] = frames[i];
    io_uring_buf_ring_add(u->br, frame_mem(u, frames[i]), u->frame_sz, bid, (int)u->br_mask, (int)i);
  }
  io_uring_buf_ring_advance(u->br, (int)cnt);
  u->added += cnt;
}

/* How many more frames may be posted to the kernel now. */
static inline uint32_t ring_room(const uring_t *u) {
  return u->bid_free_cnt > u->post_reserve ? u->bid_free_cnt - u->post_reserve : 0;
}

static void refill(uring_t *u) {
  uint32_t room = ring_room(u);
  uint32_t k = u->free_cnt < room ? u->free_cnt : room;
  if (!k) return;
  u->free_cnt -= k;
  ring_add(u, u->free_stk + u->free_cnt, k);
}

static void prep_arm(uring_t *u, uint32_t i, struct io_uring_sqe *sqe) {
  io_uring_prep_recvmsg_multishot(sqe, u->sock[i].fd, &u->msgh, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = URING_BGID;
  io_uring_sqe_set_data64(sqe, i);
}

/* Re-arms every socket whose multishot the kernel ended (a dry one only
   once frames went back into the ring, else it would fail at once again;
   an errored one only from housekeeping), in one submit. The submit is a
   syscall: the only way to hand the kernel a new request. */
static void arm_pending(uring_t *u, int housekeeping) {
  uint32_t armed = 0;
  for (uint32_t i = 0; i < u->sock_cnt; i++) {
    uring_sock_t *s = &u->sock[i];
    if (s->state == SOCK_ARMED || (s->state == SOCK_DRY && u->added <= s->dry_mark) ||
        (s->state == SOCK_ERR && !housekeeping))
      continue;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) break; /* SQ sized for every socket: cannot happen */
    prep_arm(u, i, sqe);
    s->state = SOCK_ARMED;
    u->not_armed--;
    armed++;
  }
  if (!armed && !u->resubmit) return;
  u->syscalls++;
  u->resubmit = io_uring_submit(&u->ring) < 0;
}

/* Ran dry while frames were held back: post twice as many from now on. */
static void grow_post(uring_t *u) {
  uint32_t post = 2 * (u->br_entries - u->post_reserve);
  u->post_reserve = post >= u->br_entries ? 0 : u->br_entries - post;
  SL_DEBUG("net:%u: buffer ring ran dry with frames held back: posting up to %u", u->tile_idx,
           u->br_entries - u->post_reserve);
}

/* Handles one completion; returns 1 if it produced pkt. */
static inline uint32_t reap_one(uring_t *u, const struct io_uring_cqe *cqe, sl_net_pkt_t *pkt) {
  uint32_t fl = cqe->flags;
  int res = cqe->res;
  if (__builtin_expect(!(fl & IORING_CQE_F_MORE), 0)) {
    uring_sock_t *s = &u->sock[cqe->user_data < u->sock_cnt ? cqe->user_data : 0];
    if (s->state == SOCK_ARMED) u->not_armed++;
    if (res == -ENOBUFS) {
      /* Completions come in the order buffers were taken, so every buffer
         the kernel took before running dry has been reaped by now: the
         ring was empty at added - (frames the kernel holds). Frames added
         since (possibly already, before this completion was seen) let the
         re-armed receive proceed. */
      s->state = SOCK_DRY;
      s->dry_mark = u->added - (u->br_entries - u->bid_free_cnt);
      u->fill_empty++;
      if (u->free_cnt && u->post_reserve) grow_post(u);
    } else if (res < 0) {
      s->state = SOCK_ERR;
      u->cqe_errors++;
      u->last_err = -res;
    } else {
      s->state = SOCK_NEED_ARM; /* e.g. after an empty datagram */
    }
  }
  if (__builtin_expect(!(fl & IORING_CQE_F_BUFFER), 0)) return 0;

  uint16_t bid = (uint16_t)(fl >> IORING_CQE_BUFFER_SHIFT);
  uint32_t frame = u->bid_frame[bid];
  u->bid_free[u->bid_free_cnt++] = bid;
  uint8_t *b = frame_mem(u, frame);
  const struct io_uring_recvmsg_out *o = (const struct io_uring_recvmsg_out *)b;
  if (__builtin_expect(res < (int)SL_NET_URING_PAYLOAD_OFF || (o->flags & MSG_TRUNC) ||
                           o->payloadlen == 0, 0)) {
    if (res >= (int)SL_NET_URING_PAYLOAD_OFF && (o->flags & MSG_TRUNC))
      u->truncated++;
    else
      u->empty++;
    u->free_stk[u->free_cnt++] = frame;
    return 0;
  }
  const struct sockaddr_in *from = (const struct sockaddr_in *)(b + sizeof *o);
  sl_frame_addr_t a;
  memset(a.dst_mac, 0, sizeof a.dst_mac);
  memset(a.src_mac, 0, sizeof a.src_mac);
  a.src_ip4 = from->sin_addr.s_addr;
  a.src_port = ntohs(from->sin_port);
  a.dst_port = u->sock[cqe->user_data < u->sock_cnt ? cqe->user_data : 0].port;
  a.ip_id = 0;
  a.dst_ip4 = u->bind_addr;
  if (u->pktinfo) {
    /* The only control message asked for, so it is the first one. */
    const struct cmsghdr *c = (const struct cmsghdr *)(b + sizeof *o + sizeof *from);
    if (o->controllen >= CMSG_LEN(sizeof(struct in_pktinfo)) && c->cmsg_level == IPPROTO_IP &&
        c->cmsg_type == IP_PKTINFO)
      a.dst_ip4 = ((const struct in_pktinfo *)CMSG_DATA(c))->ipi_addr.s_addr;
  }
  sl_frame_build_hdr(b + SL_NET_URING_FRAME_OFF, &a, o->payloadlen);
  pkt->addr = u->off0 + (uint64_t)frame * u->frame_sz + SL_NET_URING_FRAME_OFF;
  pkt->sz = SL_FRAME_HDR_SZ + o->payloadlen;
  pkt->frame = frame;
  return 1;
}

static uint32_t uring_rx_burst(sl_net_rx_t *rx, sl_net_pkt_t *pkts, uint32_t max) {
  uring_t *u = rx->impl;
  struct io_uring *r = &u->ring;
  /* Kernel kick, only when the kernel says it has receive work for us
     (DEFER_TASKRUN raises IORING_SQ_TASKRUN) or completions overflowed the
     CQ, and what is already in the CQ does not fill the burst. */
  uint32_t ready;
  if (__builtin_expect(IO_URING_READ_ONCE(*r->sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW), 0) &&
      (ready = io_uring_cq_ready(r)) < max) {
    u->syscalls++;
    if (u->kick == SL_NET_URING_KICK_WAIT0) {
      struct __kernel_timespec ts0 = {0, 0};
      struct io_uring_getevents_arg arg = {.sigmask = 0, .sigmask_sz = _NSIG / 8, .ts = (uint64_t)(uintptr_t)&ts0};
      syscall(__NR_io_uring_enter, r->ring_fd, 0, max - ready, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    } else if (u->kick == SL_NET_URING_KICK_SUBMIT) {
      io_uring_submit(r);
    } else {
      io_uring_get_events(r);
    }
  }
  uint32_t head = *r->cq.khead;
  uint32_t tail = io_uring_smp_load_acquire(r->cq.ktail);
  uint32_t n = 0, seen = 0;
  while (head + seen != tail && n < max) {
    n += reap_one(u, &r->cq.cqes[(head + seen) & r->cq.ring_mask], &pkts[n]);
    seen++;
  }
  if (seen) io_uring_cq_advance(r, seen);
  if (u->free_cnt) refill(u);
  if (__builtin_expect(u->not_armed != 0 || u->resubmit, 0)) arm_pending(u, 0);
  return n;
}

/* Idle: sleep in io_uring_enter until one completion is posted or the
   timeout passes. Under DEFER_TASKRUN the wait itself runs the sockets'
   receive work, so nothing else has to wake the tile. */
static void uring_wait(sl_net_rx_t *rx, uint64_t timeout_ns) {
  uring_t *u = rx->impl;
  struct io_uring *r = &u->ring;
  if (io_uring_cq_ready(r)) return;
  struct __kernel_timespec ts = {(long long)(timeout_ns / 1000000000ull), (long long)(timeout_ns % 1000000000ull)};
  struct io_uring_getevents_arg arg = {.sigmask = 0, .sigmask_sz = _NSIG / 8, .ts = (uint64_t)(uintptr_t)&ts};
  long rc = syscall(__NR_io_uring_enter, r->ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg,
                    sizeof arg);
  u->syscalls++;
  if (rc < 0 && errno == EINVAL) { /* a kernel without EXT_ARG (< 5.11): nap instead of spinning */
    struct timespec nap = {(time_t)ts.tv_sec, (long)ts.tv_nsec};
    nanosleep(&nap, NULL);
  }
}

static void uring_release(sl_net_rx_t *rx, const uint32_t *frames, uint32_t cnt) {
  uring_t *u = rx->impl;
  uint32_t room = ring_room(u);
  uint32_t k = cnt < room ? cnt : room;
  if (k) ring_add(u, frames, k);
  for (uint32_t i = k; i < cnt; i++) u->free_stk[u->free_cnt++] = frames[i];
}

/* Datagrams the kernel dropped on our sockets before we could take them
   (receive buffer full): SO_MEMINFO's drop count, summed over the sockets.
   One getsockopt per socket, so only every SL_NET_URING_DROPS_EVERY
   housekeeping rounds. */
static void read_drops(uring_t *u) {
  uint64_t drops = 0;
  for (uint32_t i = 0; i < u->sock_cnt; i++) {
    uint32_t mi[SK_MEMINFO_VARS];
    socklen_t len = sizeof mi;
    if (u->sock[i].fd >= 0 && !getsockopt(u->sock[i].fd, SOL_SOCKET, SO_MEMINFO, mi, &len) &&
        len > SK_MEMINFO_DROPS * sizeof(uint32_t))
      drops += mi[SK_MEMINFO_DROPS];
  }
  u->sock_drops = drops;
}

static void uring_housekeep(sl_net_rx_t *rx, sl_metrics_t *m) {
  uring_t *u = rx->impl;
  if (u->free_cnt) refill(u);
  if (u->not_armed || u->resubmit) arm_pending(u, 1);
  if (++u->hk_rounds % SL_NET_URING_DROPS_EVERY == 0) read_drops(u);
  if (!m) return;
  sl_metrics_set(m, SL_M_NET_SOCK_RX_DROPPED, u->sock_drops);
  sl_metrics_set(m, SL_M_NET_SYSCALLS, u->syscalls);
  sl_metrics_set(m, SL_M_NET_FILL_RING_EMPTY, u->fill_empty);
  sl_metrics_set(m, SL_M_NET_RX_TRUNCATED, u->truncated);
  sl_metrics_set(m, SL_M_NET_RX_EMPTY, u->empty);
}

/* Ends every armed receive and waits (up to 200 ms) for its last
   completion. A pending request holds a reference to its socket, and the
   ring's own teardown is asynchronous (a kernel worker), so without this
   the socket would stay bound for a while after stop: a later instance
   joining the SO_REUSEPORT group would lose some flows to it. */
static void cancel_all(uring_t *u) {
  uint32_t live = 0;
  for (uint32_t i = 0; i < u->sock_cnt; i++) {
    if (u->sock[i].state != SOCK_ARMED) continue;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) break;
    io_uring_prep_cancel_fd(sqe, u->sock[i].fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, URING_CANCEL_UD);
    live++;
  }
  if (!live || io_uring_submit(&u->ring) < 0) return;
  uint64_t t0 = sl_now_ns();
  while (live && sl_now_ns() - t0 < URING_BIND_RETRY_NS) {
    struct io_uring_cqe *cqe;
    struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 10000000};
    if (io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts) < 0) continue;
    if (cqe->user_data < u->sock_cnt && !(cqe->flags & IORING_CQE_F_MORE) &&
        u->sock[cqe->user_data].state == SOCK_ARMED) {
      u->sock[cqe->user_data].state = SOCK_NEED_ARM;
      live--;
    }
    io_uring_cqe_seen(&u->ring, cqe);
  }
}

static void uring_free(uring_t *u) {
  if (u->ring_ok) {
    cancel_all(u);
    io_uring_queue_exit(&u->ring); /* also unregisters the buffer ring */
  }
  if (u->br) munmap(u->br, u->br_sz);
  for (uint32_t i = 0; i < u->sock_cnt; i++)
    if (u->sock[i].fd >= 0) close(u->sock[i].fd);
  free(u->bid_frame);
  free(u->bid_free);
  free(u->free_stk);
  free(u);
}


static void uring_stop(sl_net_rx_t *rx) {
  uring_t *u = rx->impl;
  if (u->cqe_errors)
    SL_WARN("net:%u: %llu receives ended with an error (last: %s) and were re-armed", u->tile_idx,
            (unsigned long long)u->cqe_errors, strerror(u->last_err));
  uring_free(u);
  rx->impl = NULL;
  rx->ops = &sl_net_rx_stopped_ops;
}

static const sl_net_rx_ops_t uring_ops = {
    .rx_burst = uring_rx_burst,
    .wait = uring_wait,
    .release = uring_release,
    .housekeep = uring_housekeep,
    .stop = uring_stop,
};


/* Setup. */

static void set_rcvbuf(int fd, uint32_t want, uint32_t tile, uint16_t port) {
  static int warned;
  if (!want) return;
  int v = want > (uint32_t)(INT32_MAX / 2) ? INT32_MAX / 2 : (int)want;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) == 0) return;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  int got = 0;
  socklen_t len = sizeof got;
  /* The kernel reports twice the usable size it granted. */
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got / 2 < v && !warned) {
    warned = 1;
    SL_WARN("net:%u: UDP receive buffer of port %u is %d bytes, asked for %d: bursts may be "
            "dropped; raise sysctl net.core.rmem_max (sluice configure init) or run with "
            "CAP_NET_ADMIN",
            tile, port, got / 2, v);
  }
}

static int bind_err(int e, uint32_t tile, const char *addr, uint16_t port, sl_err_t *err) {
  switch (e) {
  case EADDRINUSE:
    return sl_err_set(err,
                      "net:%u: bind %s:%u: port %u is in use by another program (not "
                      "SO_REUSEPORT, or another user): stop it or choose another port",
                      tile, addr, port, port);
  case EACCES:
    return sl_err_set(err,
                      "net:%u: bind %s:%u: ports below 1024 need root or CAP_NET_BIND_SERVICE "
                      "(or lower sysctl net.ipv4.ip_unprivileged_port_start)",
                      tile, addr, port);
  case EADDRNOTAVAIL:
    return sl_err_set(err,
                      "net:%u: bind %s:%u: address %s is not configured on any interface: "
                      "fix net.bind_address",
                      tile, addr, port, addr);
  default:
    return sl_err_set(err, "net:%u: bind %s:%u: %s", tile, addr, port, strerror(e));
  }
}

static int open_socket(uring_t *u, uring_sock_t *s, const sl_net_uring_params_t *p, sl_err_t *err) {
  char addr[INET_ADDRSTRLEN];
  struct in_addr ia = {.s_addr = p->bind_addr};
  inet_ntop(AF_INET, &ia, addr, sizeof addr);
  s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0)
    return sl_err_set(err, "net:%u: UDP socket for port %u: %s", p->tile_idx, s->port, strerror(errno));
  int one = 1;
  if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one))
    return sl_err_set(err, "net:%u: SO_REUSEPORT on port %u: %s", p->tile_idx, s->port, strerror(errno));
  if (u->pktinfo && setsockopt(s->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one))
    return sl_err_set(err, "net:%u: IP_PKTINFO on port %u: %s", p->tile_idx, s->port, strerror(errno));
  set_rcvbuf(s->fd, p->rcvbuf, p->tile_idx, s->port);
  if (p->ifname && p->ifname[0] &&
      setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, p->ifname, (socklen_t)strlen(p->ifname) + 1)) {
    static int warned;
    if (errno != EPERM)
      return sl_err_set(err, "net:%u: SO_BINDTODEVICE %s on port %u: %s", p->tile_idx, p->ifname, s->port,
                        strerror(errno));
    if (!warned++)
      SL_WARN("net:%u: cannot hold the UDP sockets to interface %s (SO_BINDTODEVICE needs CAP_NET_RAW): "
              "they receive from every interface; run with CAP_NET_RAW to capture from %s only",
              p->tile_idx, p->ifname, p->ifname);
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(s->port), .sin_addr = ia};
  uint64_t t0 = sl_now_ns();
  for (;;) {
    if (bind(s->fd, (struct sockaddr *)&sa, sizeof sa) == 0) return 0;
    int e = errno;
    /* A process that just exited may hold the port for a few ms. */
    if (e != EADDRINUSE || sl_now_ns() - t0 > URING_BIND_RETRY_NS)
      return bind_err(e, p->tile_idx, addr, s->port, err);
    sl_sleep_ns(5000000, NULL);
  }
}

static int ring_err(int e, uint32_t tile, sl_err_t *err) {
  if (e == EPERM) {
    FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
    int v = -1;
    if (f) {
      if (fscanf(f, "%d", &v) != 1) v = -1;
      fclose(f);
    }
    if (v > 0)
      return sl_err_set(err,
                        "net:%u: io_uring is disabled by sysctl kernel.io_uring_disabled=%d: set "
                        "it to 0 (or 1 and add the user to kernel.io_uring_group), or use "
                        "net.provider = \"xdp\"",
                        tile, v);
    return sl_err_set(err, "net:%u: io_uring_setup: permission denied (seccomp or LSM policy?)", tile);
  }
  if (e == ENOSYS)
    return sl_err_set(err, "net:%u: this kernel has no io_uring (needs Linux >= 6.0 for the io_uring "
                      "provider): use net.provider = \"xdp\"", tile);
  if (e == ENOMEM)
    return sl_err_set(err, "net:%u: io_uring_setup: out of memory (locked-memory limit? raise "
                      "ulimit -l)", tile);
  return sl_err_set(err, "net:%u: io_uring_setup: %s", tile, strerror(e));
}

static int setup_ring(uring_t *u, const sl_net_uring_params_t *p, sl_err_t *err) {
  struct io_uring_params ip;
  memset(&ip, 0, sizeof ip);
  /* Disabled until the tile enables it: a single-issuer ring belongs to the
     task that enables it. */
  ip.flags = IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
  /* Room for every buffer's completion plus the error ones: no overflow in
     steady state. */
  ip.cq_entries = 2 * u->br_entries < 64 ? 64 : 2 * u->br_entries;
  uint32_t defer = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  if (p->taskrun != SL_NET_URING_TASKRUN_PLAIN) ip.flags |= defer;
  int r = io_uring_queue_init_params(SL_PORTS_MAX, &u->ring, &ip);
  if (r == -EINVAL && p->taskrun == SL_NET_URING_TASKRUN_AUTO) {
    SL_DEBUG("net:%u: io_uring without SINGLE_ISSUER|DEFER_TASKRUN (kernel < 6.1): receive work "
             "runs from interrupts", p->tile_idx);
    memset(&ip, 0, sizeof ip);
    ip.flags = IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
    ip.cq_entries = 2 * u->br_entries < 64 ? 64 : 2 * u->br_entries;
    r = io_uring_queue_init_params(SL_PORTS_MAX, &u->ring, &ip);
  }
  if (r < 0) return ring_err(-r, p->tile_idx, err);
  u->ring_ok = 1;
  if (ip.flags & IORING_SETUP_DEFER_TASKRUN) {
    uint32_t post = URING_POST_BASE + URING_POST_PER_SOCK * u->sock_cnt;
    u->post_reserve = post >= u->br_entries ? 0 : u->br_entries - post;
  }

  long pg = sysconf(_SC_PAGESIZE);
  u->br_sz = ((size_t)u->br_entries * sizeof(struct io_uring_buf) + (size_t)pg - 1) & ~((size_t)pg - 1);
  /* Shared, so the tile that forks off the process registering it and then
     refills it writes the very pages the kernel reads. */
  void *m = mmap(NULL, u->br_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return sl_err_set(err, "net:%u: buffer ring (%zu bytes): %s", p->tile_idx, u->br_sz, strerror(errno));
  u->br = m;
  io_uring_buf_ring_init(u->br);
  struct io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = (uint64_t)(uintptr_t)u->br;
  reg.ring_entries = u->br_entries;
  reg.bgid = URING_BGID;
  r = io_uring_register_buf_ring(&u->ring, &reg, 0);
  if (r == -EINVAL)
    return sl_err_set(err, "net:%u: kernel lacks io_uring provided-buffer rings (needs Linux >= 5.19; "
                      "multishot recvmsg needs >= 6.0): use net.provider = \"xdp\"", p->tile_idx);
  if (r < 0)
    return sl_err_set(err, "net:%u: io_uring_register_buf_ring (%u entries): %s", p->tile_idx,
                      u->br_entries, strerror(-r));
  return 0;
}

/* Arms every socket and checks that the kernel took multishot recvmsg: an
   older kernel fails it at once with EINVAL. Completions are only looked
   at, never consumed: data ones stay for rx_burst. */
static int arm_all(uring_t *u, uint32_t tile, sl_err_t *err) {
  arm_pending(u, 1);
  if (u->resubmit) return sl_err_set(err, "net:%u: io_uring_submit failed arming the receives", tile);
  uint32_t head = *u->ring.cq.khead, tail = io_uring_smp_load_acquire(u->ring.cq.ktail);
  for (; head != tail; head++) {
    const struct io_uring_cqe *c = &u->ring.cq.cqes[head & u->ring.cq.ring_mask];
    if (c->res == -EINVAL || c->res == -ENOSYS || c->res == -EOPNOTSUPP)
      return sl_err_set(err, "net:%u: kernel lacks io_uring multishot recvmsg (needs Linux >= 6.0): "
                        "use net.provider = \"xdp\"", tile);
  }
  return 0;
}

int sl_net_uring_prepare(sl_net_uring_prep_t **out, const sl_net_pool_t *pool, const sl_net_uring_params_t *p,
                         sl_err_t *err) {
  *out = NULL;
  if (p->port_cnt < 1 || p->port_cnt > SL_PORTS_MAX)
    return sl_err_set(err, "net:%u: %u ports: the io_uring provider takes 1..%u", p->tile_idx,
                      p->port_cnt, SL_PORTS_MAX);
  for (uint32_t i = 0; i < p->port_cnt; i++) {
    if (!p->ports[i]) return sl_err_set(err, "net:%u: port 0 is not a port to listen on", p->tile_idx);
    for (uint32_t j = 0; j < i; j++)
      if (p->ports[j] == p->ports[i])
        return sl_err_set(err, "net:%u: port %u listed twice", p->tile_idx, p->ports[i]);
  }
  if (pool->frame_sz < URING_MIN_FRAME_SZ || pool->frame_sz % 64 || !pool->frame_cnt ||
      (pool->pool_off % 64))
    return sl_err_set(err, "net:%u: frame pool (offset %llu, %u frames of %u bytes) unusable: frames "
                      "must be >= %u bytes, multiples of 64, 64-byte aligned", p->tile_idx,
                      (unsigned long long)pool->pool_off, pool->frame_cnt, pool->frame_sz,
                      URING_MIN_FRAME_SZ);

  uring_t *u = calloc(1, sizeof *u);
  if (!u) return sl_err_set(err, "net:%u: out of memory", p->tile_idx);
  for (uint32_t i = 0; i < SL_PORTS_MAX; i++) {
    u->sock[i].fd = -1;
    u->sock[i].state = SOCK_NEED_ARM;
  }
  uint64_t want = 2ull * (p->queue_size ? p->queue_size : 1);
  if (want > pool->frame_cnt) want = pool->frame_cnt;
  if (want > URING_BR_MAX) want = URING_BR_MAX;
  u->br_entries = 1;
  while ((uint64_t)u->br_entries * 2 <= want) u->br_entries *= 2;
  u->br_mask = u->br_entries - 1;
  u->frame0 = pool->wksp_base + pool->pool_off;
  u->off0 = pool->pool_off;
  u->frame_sz = pool->frame_sz;
  u->frame_cnt = pool->frame_cnt;
  u->bind_addr = p->bind_addr;
  u->pktinfo = p->bind_addr == 0;
  u->tile_idx = p->tile_idx;
  u->kick = p->kick;
  u->bid_frame = malloc(u->br_entries * sizeof *u->bid_frame);
  u->bid_free = malloc(u->br_entries * sizeof *u->bid_free);
  u->free_stk = malloc((size_t)u->frame_cnt * sizeof *u->free_stk);
  if (!u->bid_frame || !u->bid_free || !u->free_stk) {
    uring_free(u);
    return sl_err_set(err, "net:%u: out of memory", p->tile_idx);
  }
  /* Ids handed out from 0 up (the stack pops from its end). */
  for (uint32_t i = 0; i < u->br_entries; i++) u->bid_free[i] = (uint16_t)(u->br_entries - 1 - i);
  u->bid_free_cnt = u->br_entries;
  /* The ring gets frames 0..entries-1; the rest wait on the free stack. */
  for (uint32_t i = 0; i < u->frame_cnt; i++) u->free_stk[i] = u->frame_cnt - 1 - i;
  u->free_cnt = u->frame_cnt;

  u->msgh.msg_namelen = sizeof(struct sockaddr_in);
  u->msgh.msg_controllen = URING_CTRL_LEN;

  u->sock_cnt = p->port_cnt;
  u->not_armed = p->port_cnt;
  for (uint32_t i = 0; i < p->port_cnt; i++) {
    u->sock[i].port = p->ports[i];
    if (open_socket(u, &u->sock[i], p, err)) {
      uring_free(u);
      return -1;
    }
  }
  if (setup_ring(u, p, err)) {
    uring_free(u);
    return -1;
  }
  *out = u;
  return 0;
}

int sl_net_uring_rx_open(sl_net_rx_t *rx, sl_net_uring_prep_t *prep, sl_err_t *err) {
  uring_t *u = prep;
  /* liburing 2.3 declares io_uring_enable_rings but does not export it. */
  if (syscall(__NR_io_uring_register, u->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0) {
    int e = errno;
    uring_free(u);
    return sl_err_set(err, "net:%u: enabling the io_uring: %s", u->tile_idx, strerror(e));
  }
  refill(u);
  if (arm_all(u, u->tile_idx, err)) {
    uring_free(u);
    return -1;
  }
  rx->ops = &uring_ops;
  rx->impl = u;
  rx->nap_depth = 0; /* the receive work runs in our own calls: net_rx.h */
  snprintf(rx->mode, sizeof rx->mode, "io_uring");
  rx->fd_cnt = 0;
  rx->fds[rx->fd_cnt++] = u->ring.ring_fd;
  for (uint32_t i = 0; i < u->sock_cnt; i++) rx->fds[rx->fd_cnt++] = u->sock[i].fd;
  const sl_sandbox_rule_t rules[] = {
      SL_SB_ALLOW(io_uring_enter, SL_SB_EQ(0, u->ring.ring_fd)), /* kicks, waits, re-arms, cancels */
      SL_SB_ALLOW(getsockopt, SL_SB_EQ(1, SOL_SOCKET), SL_SB_EQ(2, SO_MEMINFO)), /* drop counts */
      SL_SB_ALLOW(close), /* stop: the sockets and the ring */
  };
  rx->rule_cnt = sizeof rules / sizeof rules[0];
  memcpy(rx->rules, rules, sizeof rules);
  SL_DEBUG("net:%u: io_uring provider: %u sockets, %u-entry buffer ring, %u frames of %u bytes",
           u->tile_idx, u->sock_cnt, u->br_entries, u->frame_cnt, u->frame_sz);
  return 0;
}

void sl_net_uring_prep_close(sl_net_uring_prep_t *prep) {
  uring_t *u = prep;
  if (!u) return;
  /* This process's copies only: the rings stay mapped and the fds open in
     the tile that took the provider over. Nothing was armed here. */
  if (u->ring_ok) io_uring_queue_exit(&u->ring);
  if (u->br) munmap(u->br, u->br_sz);
  for (uint32_t i = 0; i < u->sock_cnt; i++)
    if (u->sock[i].fd >= 0) close(u->sock[i].fd);
  free(u->bid_frame);
  free(u->bid_free);
  free(u->free_stk);
  free(u);
}
