/* One AF_XDP socket over the raw kernel API. See xsk.h. */
#include "tiles/net/xsk.h"

#include "tiles/net/iface.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

/* The ring the kernel sizes for a socket without one of ours: the kernel
   insists on a fill and a completion ring on every UMEM. */
#define XSK_MIN_RING 64u
#define XSK_BUSY_MS_DEFAULT 500u

static int is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

void sl_xsk_init(sl_xsk_t *x) {
  memset(x, 0, sizeof *x);
  x->fd = -1;
}

static int map_ring(sl_xsk_t *x, sl_xsk_ring_t *r, uint32_t size, const struct xdp_ring_offset *off,
                    uint64_t desc_sz, uint64_t pgoff, int user_produces, const char *what,
                    sl_err_t *err) {
  r->map_sz = off->desc + (uint64_t)size * desc_sz;
  void *m = mmap(NULL, r->map_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd, (off_t)pgoff);
  if (m == MAP_FAILED) {
    r->map_sz = 0;
    return sl_err_set(err, "AF_XDP socket on %s queue %u: mmap of the %s ring (%u entries) failed: %s",
                      x->ifname, x->queue_id, what, size, strerror(errno));
  }
  uint8_t *b = m;
  r->map = m;
  r->size = size;
  r->mask = size - 1;
  r->producer = (uint32_t *)(b + off->producer);
  r->consumer = (uint32_t *)(b + off->consumer);
  r->flags = (uint32_t *)(b + off->flags);
  r->desc = b + off->desc;
  r->cached_prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
  r->cached_cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
  if (user_produces) r->cached_cons += size;
  return 0;
}

static int set_ring(sl_xsk_t *x, int opt, uint32_t size, const char *what, sl_err_t *err) {
  int v = (int)size;
  if (setsockopt(x->fd, SOL_XDP, opt, &v, sizeof v))
    return sl_err_set(err, "AF_XDP socket on %s queue %u: cannot size the %s ring to %u entries: %s",
                      x->ifname, x->queue_id, what, size, strerror(errno));
  return 0;
}

static void sleep_ms(uint32_t ms) {
  struct timespec ts = {0, (long)ms * 1000000L};
  while (nanosleep(&ts, &ts) && errno == EINTR) {
  }
}

static int bind_error(const sl_xsk_t *x, const sl_xsk_params_t *p, int e, uint32_t waited_ms,
                      sl_err_t *err) {
  const char *ifn = x->ifname;
  uint32_t q = x->queue_id;
  if (e == EOPNOTSUPP && p->zero_copy)
    return sl_err_set(err,
                      "AF_XDP socket on %s queue %u: the driver of %s has no zero-copy AF_XDP (or XDP runs in "
                      "generic mode); set [net] xdp_zero_copy = false",
                      ifn, q, ifn);
  if (e == EINVAL) {
    /* The queue count as the kernel checks it at bind: the larger of the
       RX and TX queue counts (0 if unknown). */
    sl_iface_t ifc;
    uint32_t qc = 0;
    if (!sl_iface_probe(ifn, &ifc, NULL)) qc = ifc.rxq_cnt > ifc.txq_cnt ? ifc.rxq_cnt : ifc.txq_cnt;
    if (qc && q >= qc)
      return sl_err_set(err,
                        "AF_XDP socket on %s queue %u: %s has only %u queue%s (0..%u); raise them with "
                        "`ethtool -L %s combined %u` or use at most %u net tile%s",
                        ifn, q, ifn, qc, qc == 1 ? "" : "s", qc - 1, ifn, q + 1, qc, qc == 1 ? "" : "s");
    return sl_err_set(err, "AF_XDP socket on %s queue %u: the kernel refused the bind (EINVAL)", ifn, q);
  }
  if (e == EBUSY)
    return sl_err_set(err,
                      "AF_XDP socket on %s queue %u: the queue is still held by another AF_XDP socket after "
                      "%u ms (another sluice instance, or a program using AF_XDP on %s?)",
                      ifn, q, waited_ms, ifn);
  if (e == EPERM || e == EACCES)
    return sl_err_set(err, "AF_XDP socket on %s queue %u: bind not permitted; run as root or with "
                      "CAP_NET_RAW and CAP_NET_ADMIN", ifn, q);
  if (e == ENODEV || e == ENXIO)
    return sl_err_set(err, "AF_XDP socket on %s queue %u: interface %s is gone", ifn, q, ifn);
  return sl_err_set(err, "AF_XDP socket on %s queue %u: bind failed: %s", ifn, q, strerror(e));
}

int sl_xsk_open(sl_xsk_t *x, const sl_xsk_params_t *p, sl_err_t *err) {
  sl_xsk_init(x);
  x->queue_id = p->queue_id;
  if (p->ifindex) {
    x->ifindex = p->ifindex;
    if (!if_indextoname(p->ifindex, x->ifname))
      return sl_err_set(err, "AF_XDP socket: no interface with index %u", p->ifindex);
  } else {
    if (!p->ifname || !p->ifname[0]) return sl_err_set(err, "AF_XDP socket: no interface given");
    snprintf(x->ifname, sizeof x->ifname, "%s", p->ifname);
    x->ifindex = if_nametoindex(p->ifname);
    if (!x->ifindex)
      return sl_err_set(err, "AF_XDP socket: interface %s does not exist (see `ip link`)", p->ifname);
  }
  const char *ifn = x->ifname;
  uint32_t q = x->queue_id;

  /* Parameters the kernel would refuse with a bare EINVAL. */
  long page = sysconf(_SC_PAGESIZE);
  if (!p->umem || ((uintptr_t)p->umem & (uintptr_t)(page - 1)))
    return sl_err_set(err, "AF_XDP socket on %s queue %u: UMEM at %p is not page aligned", ifn, q, p->umem);
  if (!is_pow2(p->frame_sz) || p->frame_sz < 2048 || p->frame_sz > 65536 || !p->frame_cnt)
    return sl_err_set(err, "AF_XDP socket on %s queue %u: bad UMEM geometry (%u frames of %u bytes; frames "
                      "must be a power of two >= 2048)", ifn, q, p->frame_cnt, p->frame_sz);
  uint32_t rx_sz = p->rx_size, tx_sz = p->tx_size;
  uint32_t fill_sz = p->fill_size ? p->fill_size : rx_sz ? 2 * rx_sz : XSK_MIN_RING;
  uint32_t comp_sz = p->comp_size ? p->comp_size : tx_sz ? tx_sz : XSK_MIN_RING;
  if (!rx_sz && !tx_sz)
    return sl_err_set(err, "AF_XDP socket on %s queue %u: neither an RX nor a TX ring asked for", ifn, q);
  if ((rx_sz && !is_pow2(rx_sz)) || (tx_sz && !is_pow2(tx_sz)) || !is_pow2(fill_sz) || !is_pow2(comp_sz))
    return sl_err_set(err, "AF_XDP socket on %s queue %u: ring sizes must be powers of two (rx %u, tx %u, "
                      "fill %u, completion %u)", ifn, q, rx_sz, tx_sz, fill_sz, comp_sz);

  x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (x->fd < 0) {
    int e = errno;
    if (e == EPERM || e == EACCES)
      return sl_err_set(err, "AF_XDP socket on %s queue %u: not permitted; run as root or with CAP_NET_RAW "
                        "(and CAP_NET_ADMIN for XDP)", ifn, q);
    if (e == EAFNOSUPPORT)
      return sl_err_set(err, "AF_XDP socket on %s queue %u: this kernel has no AF_XDP (CONFIG_XDP_SOCKETS); "
                        "use [net] provider = \"io_uring\"", ifn, q);
    return sl_err_set(err, "AF_XDP socket on %s queue %u: socket() failed: %s", ifn, q, strerror(e));
  }
  x->umem = p->umem;
  x->frame_sz = p->frame_sz;
  x->frame_cnt = p->frame_cnt;
  x->umem_sz = (uint64_t)p->frame_sz * p->frame_cnt;

  struct xdp_umem_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.addr = (uint64_t)(uintptr_t)p->umem;
  reg.len = x->umem_sz;
  reg.chunk_size = p->frame_sz;
  reg.headroom = 0;
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof reg)) {
    int e = errno;
    sl_xsk_close(x);
    if (e == ENOMEM || e == EPERM)
      return sl_err_set(err, "AF_XDP socket on %s queue %u: cannot pin the UMEM (%llu bytes): %s; raise "
                        "RLIMIT_MEMLOCK (ulimit -l, LimitMEMLOCK=) or run with CAP_IPC_LOCK", ifn, q,
                        (unsigned long long)reg.len, strerror(e));
    return sl_err_set(err, "AF_XDP socket on %s queue %u: UMEM registration (%u frames of %u bytes at %p) "
                      "failed: %s", ifn, q, p->frame_cnt, p->frame_sz, p->umem, strerror(e));
  }

  if (set_ring(x, XDP_UMEM_FILL_RING, fill_sz, "fill", err) ||
      set_ring(x, XDP_UMEM_COMPLETION_RING, comp_sz, "completion", err) ||
      (rx_sz && set_ring(x, XDP_RX_RING, rx_sz, "RX", err)) ||
      (tx_sz && set_ring(x, XDP_TX_RING, tx_sz, "TX", err))) {
    sl_xsk_close(x);
    return -1;
  }

  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  memset(&off, 0, sizeof off);
  if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) || ol != sizeof off) {
    int e = errno;
    sl_xsk_close(x);
    return sl_err_set(err, "AF_XDP socket on %s queue %u: XDP_MMAP_OFFSETS failed (kernel older than 5.4?): %s",
                      ifn, q, strerror(e));
  }
  if (map_ring(x, &x->fill, fill_sz, &off.fr, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING, 1, "fill", err) ||
      map_ring(x, &x->comp, comp_sz, &off.cr, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING, 0, "completion",
               err) ||
      (rx_sz && map_ring(x, &x->rx, rx_sz, &off.rx, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING, 0, "RX", err)) ||
      (tx_sz && map_ring(x, &x->tx, tx_sz, &off.tx, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING, 1, "TX", err))) {
    sl_xsk_close(x);
    return -1;
  }

  struct sockaddr_xdp sa;
  memset(&sa, 0, sizeof sa);
  sa.sxdp_family = AF_XDP;
  sa.sxdp_ifindex = x->ifindex;
  sa.sxdp_queue_id = q;
  x->bind_flags = (p->zero_copy ? XDP_ZEROCOPY : XDP_COPY) | XDP_USE_NEED_WAKEUP;
  sa.sxdp_flags = (uint16_t)x->bind_flags;
  /* EBUSY right after a socket on this queue closed: the kernel releases
     the queue from deferred work, ~10-20 ms later. Bounded retry. */
  uint32_t busy_ms = p->bind_busy_ms ? p->bind_busy_ms : XSK_BUSY_MS_DEFAULT;
  uint32_t waited = 0;
  for (;;) {
    if (!bind(x->fd, (struct sockaddr *)&sa, sizeof sa)) break;
    int e = errno;
    if (e == EBUSY && waited < busy_ms) {
      sleep_ms(1);
      waited++;
      x->busy_retries++;
      continue;
    }
    sl_xsk_close(x);
    return bind_error(x, p, e, waited, err);
  }

  if (tx_sz) {
    /* Probe: a TX kick on an empty ring must succeed or report a transient
       condition; ENXIO/EINVAL here is a driver bug (seen with some drivers
       in generic mode) that would silently lose every frame later. */
    int e = sl_xsk_kick_tx(x);
    if (e == ENXIO || e == EINVAL) {
      sl_xsk_close(x);
      return sl_err_set(err, "AF_XDP socket on %s queue %u: the driver fails AF_XDP transmit (%s on a probe "
                        "send); try the other [net] xdp_mode, or provider = \"io_uring\"", ifn, q, strerror(e));
    }
  }
  return 0;
}

void sl_xsk_close(sl_xsk_t *x) {
  sl_xsk_ring_t *rings[4] = {&x->rx, &x->tx, &x->fill, &x->comp};
  for (int i = 0; i < 4; i++) {
    if (rings[i]->map) munmap(rings[i]->map, rings[i]->map_sz);
    memset(rings[i], 0, sizeof *rings[i]);
  }
  if (x->fd >= 0) close(x->fd);
  x->fd = -1;
}

int sl_xsk_stats(const sl_xsk_t *x, sl_xsk_stats_t *s, sl_err_t *err) {
  struct xdp_statistics st;
  memset(&st, 0, sizeof st);
  memset(s, 0, sizeof *s);
  socklen_t ol = sizeof st;
  if (x->fd < 0) return sl_err_set(err, "AF_XDP socket on %s queue %u: closed", x->ifname, x->queue_id);
  if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &st, &ol))
    return sl_err_set(err, "AF_XDP socket on %s queue %u: XDP_STATISTICS failed: %s", x->ifname, x->queue_id,
                      strerror(errno));
  s->rx_dropped = st.rx_dropped;
  s->rx_invalid_descs = st.rx_invalid_descs;
  s->tx_invalid_descs = st.tx_invalid_descs;
  s->has_ext = ol >= sizeof st;
  if (s->has_ext) {
    s->rx_ring_full = st.rx_ring_full;
    s->rx_fill_ring_empty_descs = st.rx_fill_ring_empty_descs;
    s->tx_ring_empty_descs = st.tx_ring_empty_descs;
  }
  return 0;
}

int sl_xsk_kick_rx(const sl_xsk_t *x) {
  return recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) < 0 ? errno : 0;
}

int sl_xsk_kick_tx(const sl_xsk_t *x) {
  return sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 ? errno : 0;
}
