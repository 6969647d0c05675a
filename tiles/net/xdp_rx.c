/* The AF_XDP provider (the net tile's half). See xdp_rx.h. */
#include "tiles/net/xdp_rx.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  sl_xsk_t *x;       /* the socket, in the sl_net_xdp_t it came from */
  uint64_t pool_off; /* workspace offset of UMEM offset 0 */
  uint8_t *umem;
  uint32_t frame_shift; /* log2(frame_sz) */
  uint32_t frame_cnt;
  uint32_t free_cnt;
  uint32_t *free_stk; /* frame indices not in the kernel nor in the caller's hands */
  int dry;            /* inside a fill-ring-dry episode (counted once) */
  uint64_t syscalls;
  uint64_t fill_dry;
  uint64_t misaligned;
  /* The filter's counters (a read-only mapping, one entry per queue): this
     tile reports entry `queue`, and net:0 also extra_lo..extra_hi-1, the
     queues without a net tile. */
  const volatile sl_xdp_counters_t *counters;
  uint32_t queue, extra_lo, extra_hi;
} xdp_rx_t;

/* Counts one dry episode: the kernel has consumed every entry we gave it
   and we have none left to give (packets are being dropped now). */
static void check_dry(xdp_rx_t *p) {
  if (!p->dry && !sl_xsk_prod_pending(&p->x->fill)) {
    p->dry = 1;
    p->fill_dry++;
  }
}

/* Moves frames from the free stack into the fill ring while it has room. */
static void refill(xdp_rx_t *p) {
  if (!p->free_cnt) {
    check_dry(p);
    return;
  }
  sl_xsk_ring_t *fill = &p->x->fill;
  uint32_t idx;
  uint32_t k = sl_xsk_prod_reserve(fill, p->free_cnt, &idx);
  if (!k) return;
  for (uint32_t j = 0; j < k; j++)
    *sl_xsk_fill_addr(fill, idx + j) = (uint64_t)p->free_stk[--p->free_cnt] << p->frame_shift;
  sl_xsk_prod_submit(fill, k);
  p->dry = 0;
}

/* A packet the kernel put at an offset that is not 64-aligned (no driver
   does with headroom 0, but a frag must point at a 64-byte unit): move it
   down to the 64-byte boundary below, still inside its frame. */
static uint64_t realign(xdp_rx_t *p, uint64_t off, uint32_t len) {
  uint64_t to = off & ~63ull;
  memmove(p->umem + to, p->umem + off, len);
  p->misaligned++;
  return to;
}

static uint32_t xdp_rx_burst(sl_net_rx_t *rx, sl_net_pkt_t *pkts, uint32_t max) {
  xdp_rx_t *p = rx->impl;
  sl_xsk_t *x = p->x;
  uint32_t idx;
  uint32_t n = sl_xsk_cons_peek(&x->rx, max, &idx);
  if (!n) {
    /* Idle: only now may the kernel need a kick to look at the fill ring
       again (zero-copy drivers set NEED_WAKEUP when they ran out of fill
       entries and stopped; copy mode never sets it). The one syscall. */
    if (__builtin_expect(sl_xsk_need_wakeup_fill(x), 0)) {
      sl_xsk_kick_rx(x);
      p->syscalls++;
    }
    return 0;
  }
  for (uint32_t i = 0; i < n; i++) {
    const struct xdp_desc *d = sl_xsk_rx_desc(&x->rx, idx + i);
    uint64_t off = d->addr;
    uint32_t len = d->len;
    if (__builtin_expect(off & 63, 0)) off = realign(p, off, len);
    pkts[i].addr = p->pool_off + off;
    pkts[i].sz = len;
    pkts[i].frame = (uint32_t)(off >> p->frame_shift);
  }
  sl_xsk_cons_release(&x->rx, n);
  /* The kernel consumed n fill entries to deliver these: top up. */
  refill(p);
  return n;
}

/* Idle: sleep until the RX ring has packets (the socket's wait queue is
   woken when the kernel flushes a batch into it). poll also kicks the
   kernel if the fill ring needs it. */
static void xdp_wait(sl_net_rx_t *rx, uint64_t timeout_ns) {
  xdp_rx_t *p = rx->impl;
  struct pollfd pfd = {.fd = p->x->fd, .events = POLLIN};
  struct timespec ts = {(time_t)(timeout_ns / 1000000000ull), (long)(timeout_ns % 1000000000ull)};
  ppoll(&pfd, 1, &ts, NULL);
  p->syscalls++;
}

static void xdp_release(sl_net_rx_t *rx, const uint32_t *frames, uint32_t cnt) {
  xdp_rx_t *p = rx->impl;
  sl_xsk_ring_t *fill = &p->x->fill;
  uint32_t idx;
  uint32_t k = sl_xsk_prod_reserve(fill, cnt, &idx);
  for (uint32_t j = 0; j < k; j++) *sl_xsk_fill_addr(fill, idx + j) = (uint64_t)frames[j] << p->frame_shift;
  if (k) {
    sl_xsk_prod_submit(fill, k);
    p->dry = 0;
  }
  for (uint32_t j = k; j < cnt; j++) p->free_stk[p->free_cnt++] = frames[j];
}

static void xdp_housekeep(sl_net_rx_t *rx, sl_metrics_t *m) {
  xdp_rx_t *p = rx->impl;
  refill(p);
  sl_xsk_stats_t st;
  if (!sl_xsk_stats(p->x, &st, NULL)) {
    sl_metrics_set(m, SL_M_NET_XDP_RX_DROPPED, st.rx_dropped);
    sl_metrics_set(m, SL_M_NET_XDP_RX_RING_FULL, st.rx_ring_full);
    sl_metrics_set(m, SL_M_NET_XDP_RX_INVALID_DESCS, st.rx_invalid_descs);
    sl_metrics_set(m, SL_M_NET_XDP_FILL_EMPTY_DESCS, st.rx_fill_ring_empty_descs);
  }
  sl_metrics_set(m, SL_M_NET_SYSCALLS, p->syscalls);
  sl_metrics_set(m, SL_M_NET_FILL_RING_EMPTY, p->fill_dry);
  const volatile sl_xdp_counters_t *c = &p->counters[p->queue];
  uint64_t frag = c->frag, ipv6 = c->ipv6, no_sock = c->no_socket;
  for (uint32_t q = p->extra_lo; q < p->extra_hi; q++) {
    frag += p->counters[q].frag;
    ipv6 += p->counters[q].ipv6;
    no_sock += p->counters[q].no_socket;
  }
  sl_metrics_set(m, SL_M_NET_XDP_PASS_FRAG, frag);
  sl_metrics_set(m, SL_M_NET_XDP_PASS_IPV6, ipv6);
  sl_metrics_set(m, SL_M_NET_XDP_PASS_NO_SOCKET, no_sock);
}


static void xdp_stop(sl_net_rx_t *rx) {
  xdp_rx_t *p = rx->impl;
  sl_xsk_close(p->x);
  free(p->free_stk);
  free(p);
  rx->impl = NULL;
  rx->ops = &sl_net_rx_stopped_ops;
}

static const sl_net_rx_ops_t xdp_ops = {
    .rx_burst = xdp_rx_burst,
    .wait = xdp_wait,
    .release = xdp_release,
    .housekeep = xdp_housekeep,
    .stop = xdp_stop,
};

int sl_net_xdp_rx_open(sl_net_rx_t *rx, sl_net_xdp_t *s, uint32_t tile_idx, const sl_net_pool_t *pool,
                       sl_err_t *err) {
  if (!s->xdp || tile_idx >= s->xsk_cnt)
    return sl_err_set(err, "net:%u: no AF_XDP socket for this tile (%u set up on %s)", tile_idx, s->xsk_cnt,
                      s->ifname);
  sl_xsk_t *x = &s->xsk[tile_idx];
  if (x->fd < 0 || !x->rx.size)
    return sl_err_set(err, "net:%u: the AF_XDP socket on %s queue %u is closed", tile_idx, s->ifname, tile_idx);
  if (pool->wksp_base + pool->pool_off != x->umem || pool->frame_sz != x->frame_sz ||
      pool->frame_cnt != x->frame_cnt || pool->pool_off != s->pool_off[tile_idx])
    return sl_err_set(err, "net:%u: the pool (offset %llu, %u frames of %u bytes) is not the UMEM the AF_XDP "
                      "socket on %s queue %u was set up with", tile_idx, (unsigned long long)pool->pool_off,
                      pool->frame_cnt, pool->frame_sz, s->ifname, tile_idx);
  xdp_rx_t *p = calloc(1, sizeof *p);
  if (!p) return sl_err_set(err, "net:%u: out of memory", tile_idx);
  p->free_stk = malloc((size_t)pool->frame_cnt * sizeof *p->free_stk);
  if (!p->free_stk) {
    free(p);
    return sl_err_set(err, "net:%u: out of memory (free list of %u frames)", tile_idx, pool->frame_cnt);
  }
  p->x = x;
  p->pool_off = pool->pool_off;
  p->umem = x->umem;
  p->frame_cnt = pool->frame_cnt;
  p->frame_shift = (uint32_t)__builtin_ctz(pool->frame_sz);
  /* Every frame starts free; stacked so the lowest frames go to the
     kernel first. */
  for (uint32_t i = 0; i < pool->frame_cnt; i++) p->free_stk[i] = pool->frame_cnt - 1 - i;
  p->free_cnt = pool->frame_cnt;
  refill(p);
  p->dry = 0;
  p->counters = s->xdp->counters;
  p->queue = tile_idx;
  if (tile_idx == 0) {
    p->extra_lo = s->queue_cnt;
    p->extra_hi = s->xdp->map_entries;
  }

  rx->ops = &xdp_ops;
  rx->fd_cnt = 1;
  rx->fds[0] = x->fd;
  const sl_sandbox_rule_t rules[] = {
      SL_SB_ALLOW(recvfrom, SL_SB_EQ(0, x->fd), SL_SB_EQ(3, MSG_DONTWAIT)), /* the RX kick */
      SL_SB_ALLOW(ppoll),                                                    /* wait */
      SL_SB_ALLOW(getsockopt, SL_SB_EQ(0, x->fd), SL_SB_EQ(1, SOL_XDP), SL_SB_EQ(2, XDP_STATISTICS)),
      SL_SB_ALLOW(close, SL_SB_EQ(0, x->fd)), /* stop */
  };
  rx->rule_cnt = sizeof rules / sizeof rules[0];
  memcpy(rx->rules, rules, sizeof rules);
  rx->impl = p;
  rx->nap_depth = x->rx.size;
  snprintf(rx->mode, sizeof rx->mode, "xdp/%s", sl_net_xdp_mode(s));
  return 0;
}

uint64_t sl_net_xdp_misaligned_cnt(const sl_net_rx_t *rx) {
  if (rx->ops != &xdp_ops) return 0;
  return ((const xdp_rx_t *)rx->impl)->misaligned;
}
