/* The AF_XDP provider and the supervisor's XDP setup. See xdp_rx.h. */
#include "tiles/net/xdp_rx.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* ---- Interface checks (setup) ---- */

/* The interface's IFF_* flags (SIOCGIFFLAGS: right in any network
   namespace, unlike a sysfs mounted elsewhere); -1 if unreadable. */
static long if_flags(const char *ifname) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  long v = ioctl(fd, SIOCGIFFLAGS, &ifr) ? -1 : (long)(uint16_t)ifr.ifr_flags;
  close(fd);
  return v;
}

/* RX queues per sysfs; 0 if sysfs does not show the interface (mounted in
   another network namespace), in which case the kernel's bind decides. */
static uint32_t if_rxq_cnt(const char *ifname) {
  char path[128];
  uint32_t n = 0;
  for (;; n++) {
    snprintf(path, sizeof path, "/sys/class/net/%s/queues/rx-%u", ifname, n);
    if (access(path, F_OK)) break;
  }
  return n;
}

/* Whether ethtool feature `name` is active on ifname: 1, 0, or -1 when the
   driver or kernel does not say (ETHTOOL_GSSET_INFO / GSTRINGS / GFEATURES
   through SIOCETHTOOL; no ethtool binary needed). */
static int if_feature_active(const char *ifname, const char *name) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int ret = -1;
  struct ethtool_gstrings *gs = NULL;
  struct ethtool_gfeatures *gf = NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);

  struct {
    struct ethtool_sset_info hdr;
    uint32_t buf[1];
  } si;
  memset(&si, 0, sizeof si);
  si.hdr.cmd = ETHTOOL_GSSET_INFO;
  si.hdr.sset_mask = 1ull << ETH_SS_FEATURES;
  ifr.ifr_data = (char *)&si;
  if (ioctl(fd, SIOCETHTOOL, &ifr) || !(si.hdr.sset_mask & (1ull << ETH_SS_FEATURES))) goto out;
  uint32_t n = si.hdr.data[0];
  if (!n || n > 4096) goto out;

  gs = calloc(1, sizeof *gs + (size_t)n * ETH_GSTRING_LEN);
  if (!gs) goto out;
  gs->cmd = ETHTOOL_GSTRINGS;
  gs->string_set = ETH_SS_FEATURES;
  gs->len = n;
  ifr.ifr_data = (char *)gs;
  if (ioctl(fd, SIOCETHTOOL, &ifr)) goto out;
  uint32_t bit = UINT32_MAX;
  for (uint32_t i = 0; i < gs->len && i < n; i++)
    if (!strncmp((const char *)gs->data + (size_t)i * ETH_GSTRING_LEN, name, ETH_GSTRING_LEN)) bit = i;
  if (bit == UINT32_MAX) goto out;

  uint32_t blocks = (n + 31) / 32;
  gf = calloc(1, sizeof *gf + blocks * sizeof(struct ethtool_get_features_block));
  if (!gf) goto out;
  gf->cmd = ETHTOOL_GFEATURES;
  gf->size = blocks;
  ifr.ifr_data = (char *)gf;
  if (ioctl(fd, SIOCETHTOOL, &ifr)) goto out;
  ret = (gf->features[bit / 32].active >> (bit % 32)) & 1u;
out:
  free(gs);
  free(gf);
  close(fd);
  return ret;
}

static void add_warn(sl_net_xdp_t *s, const char *msg) {
  SL_WARN("%s", msg);
  size_t l = strlen(s->warn);
  if (l + 3 < sizeof s->warn) snprintf(s->warn + l, sizeof s->warn - l, "%s%s", l ? "; " : "", msg);
}

static int check_interface(sl_net_xdp_t *s, const sl_net_xdp_params_t *p, sl_err_t *err) {
  const char *ifn = p->ifname;
  if (!if_nametoindex(ifn))
    return sl_err_set(err, "interface %s does not exist (see `ip link`; set [net] interface)", ifn);
  long fl = if_flags(ifn);
  if (fl >= 0 && !(fl & IFF_UP))
    return sl_err_set(err, "interface %s is down; bring it up with `ip link set dev %s up`", ifn, ifn);
  uint32_t rxq = if_rxq_cnt(ifn);
  if (rxq && p->queue_cnt > rxq)
    return sl_err_set(err,
                      "interface %s has %u RX queue%s but %u net tiles need queues 0..%u; raise them with "
                      "`ethtool -L %s combined %u` or set [layout] net_tile_count = %u",
                      ifn, rxq, rxq == 1 ? "" : "s", p->queue_cnt, p->queue_cnt - 1, ifn, p->queue_cnt, rxq);
  char msg[200];
  if (fl >= 0 && (fl & IFF_LOOPBACK)) {
    snprintf(msg, sizeof msg,
             "%s is a loopback: its tx-udp-segmentation is incompatible with AF_XDP (large local sends "
             "may not arrive); prefer a real interface or provider = \"io_uring\"", ifn);
    add_warn(s, msg);
  }
  if (if_feature_active(ifn, "rx-udp-gro-forwarding") == 1) {
    snprintf(msg, sizeof msg,
             "%s has rx-udp-gro-forwarding on: AF_XDP may receive GRO super-packets; turn it off with "
             "`ethtool -K %s rx-udp-gro-forwarding off` (or `sluice configure init ethtool`)", ifn, ifn);
    add_warn(s, msg);
  }
  return 0;
}

/* ---- Setup ---- */

int sl_net_xdp_setup(sl_net_xdp_t *s, const sl_net_xdp_params_t *p, sl_err_t *err) {
  memset(s, 0, sizeof *s);
  for (uint32_t i = 0; i < SL_NET_XDP_QUEUE_MAX; i++) sl_xsk_init(&s->xsk[i]);
  if (!p->ifname || !p->ifname[0]) return sl_err_set(err, "XDP: no interface given ([net] interface)");
  snprintf(s->ifname, sizeof s->ifname, "%s", p->ifname);
  if (!p->queue_cnt || p->queue_cnt > SL_NET_XDP_QUEUE_MAX)
    return sl_err_set(err, "XDP on %s: %u net tiles; 1..%u supported", p->ifname, p->queue_cnt,
                      SL_NET_XDP_QUEUE_MAX);
  if (!p->port_cnt || p->port_cnt > SL_NET_XDP_PORTS_MAX)
    return sl_err_set(err, "XDP on %s: %u ports; 1..%u supported", p->ifname, p->port_cnt,
                      SL_NET_XDP_PORTS_MAX);
  if (check_interface(s, p, err)) return -1;

  s->xdp = malloc(sizeof *s->xdp);
  if (!s->xdp) return sl_err_set(err, "XDP on %s: out of memory", p->ifname);
  sl_xdp_init(s->xdp);
  sl_xdp_filter_t f;
  memset(&f, 0, sizeof f);
  memcpy(f.ports, p->ports, p->port_cnt * sizeof f.ports[0]);
  f.port_cnt = p->port_cnt;
  f.dst_addr = p->bind_addr;
  f.xskmap_fd = -1;
  f.fallback = XDP_PASS;
  if (sl_xdp_install(s->xdp, p->ifname, &f, p->queue_cnt, p->mode, p->debug, err)) {
    if (s->xdp->log[0]) SL_DEBUG("eBPF verifier log for the XDP filter on %s:\n%s", p->ifname, s->xdp->log);
    free(s->xdp);
    s->xdp = NULL;
    return -1;
  }
  if (s->xdp->drv_why[0])
    SL_INFO("XDP on %s: driver mode unavailable (%s); using generic (skb) mode", p->ifname, s->xdp->drv_why);

  for (uint32_t i = 0; i < p->queue_cnt; i++) {
    sl_xsk_params_t xp;
    memset(&xp, 0, sizeof xp);
    xp.ifindex = s->xdp->ifindex;
    xp.queue_id = i;
    xp.umem = p->wksp_base + p->pool_off[i];
    xp.frame_sz = p->frame_sz;
    xp.frame_cnt = p->frame_cnt;
    xp.rx_size = p->rx_queue_size;
    xp.fill_size = 2 * p->rx_queue_size;
    xp.zero_copy = p->zero_copy;
    s->pool_off[i] = p->pool_off[i];
    if (sl_xsk_open(&s->xsk[i], &xp, err) ||
        sl_xdp_register(s->xdp, i, s->xsk[i].fd, err)) {
      sl_err_prefix(err, "net:%u", i);
      sl_net_xdp_close(s);
      return -1;
    }
    s->xsk_cnt = i + 1;
    if (s->xsk[i].busy_retries)
      SL_DEBUG("AF_XDP socket on %s queue %u bound after %u EBUSY retries", p->ifname, i, s->xsk[i].busy_retries);
  }
  return 0;
}

const char *sl_net_xdp_mode(const sl_net_xdp_t *s) { return s->xdp ? sl_xdp_mode_str(s->xdp) : "none"; }

void sl_net_xdp_close(sl_net_xdp_t *s) {
  for (uint32_t i = 0; i < SL_NET_XDP_QUEUE_MAX; i++)
    if (s->xsk[i].fd >= 0 || s->xsk[i].fill.map) sl_xsk_close(&s->xsk[i]);
  s->xsk_cnt = 0;
  if (s->xdp) {
    sl_xdp_close(s->xdp);
    free(s->xdp);
    s->xdp = NULL;
  }
}

/* ---- The provider ---- */

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
  if (tile_idx >= s->xsk_cnt)
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

  rx->ops = &xdp_ops;
  rx->impl = p;
  snprintf(rx->mode, sizeof rx->mode, "xdp/%s", sl_net_xdp_mode(s));
  return 0;
}

uint64_t sl_net_xdp_misaligned_cnt(const sl_net_rx_t *rx) {
  if (rx->ops != &xdp_ops) return 0;
  return ((const xdp_rx_t *)rx->impl)->misaligned;
}
