/* tiles/net/xsk.h: one AF_XDP socket over the raw kernel API
   (<linux/if_xdp.h>; no libbpf, no libxdp), and the four rings it shares
   with the kernel.

   A socket owns its UMEM (one region of frame_cnt frames of frame_sz bytes,
   given by the caller: a net tile's pool in the workspace, or gen's own
   buffer) and up to four single-producer/single-consumer rings mapped from
   the kernel:
     fill        user -> kernel  UMEM offsets of frames the kernel may fill
     rx          kernel -> user  received packets (struct xdp_desc)
     tx          user -> kernel  packets to send (struct xdp_desc)
     completion  kernel -> user  UMEM offsets of frames the kernel has sent
   UMEM offsets ("addr") are bytes from the start of the UMEM. With headroom
   0 in aligned mode the kernel writes a received packet at frame base +
   XDP_PACKET_HEADROOM (256) and reports that offset in the RX descriptor.

   The ring helpers below are the hot path: static inlines over cached
   indices, so a burst touches the shared producer/consumer words once.
   Each ring has exactly one user-space side (the process that called
   sl_xsk_open, or the one forked child that took the socket over). */
#ifndef SL_TILES_NET_XSK_H
#define SL_TILES_NET_XSK_H

#include <stdint.h>

#include <linux/if_xdp.h>
#include <net/if.h>

#include "util/err.h"

/* Where the kernel puts a received packet in its frame (copy mode and
   every zero-copy driver that does not move the head): frame + this. */
#define SL_XSK_RX_HEADROOM 256u

/* One mapped ring. For a ring user space produces into (fill, tx),
   cached_cons is kept as the kernel's consumer index + size, so free slots
   are cached_cons - cached_prod without a wrap test (libxdp's trick). */
typedef struct {
  uint32_t cached_prod;
  uint32_t cached_cons;
  uint32_t mask; /* size - 1; size is a power of two */
  uint32_t size; /* 0: the ring does not exist */
  uint32_t *producer;
  uint32_t *consumer;
  uint32_t *flags; /* XDP_RING_NEED_WAKEUP */
  void *desc;      /* uint64_t[size] (fill, completion) or struct xdp_desc[size] (rx, tx) */
  void *map;       /* the mmap()ed region, for munmap */
  uint64_t map_sz;
} sl_xsk_ring_t;

typedef struct {
  const char *ifname; /* interface to bind; ignored when ifindex != 0 */
  uint32_t ifindex;   /* 0: resolve ifname */
  uint32_t queue_id;  /* the interface's RX/TX queue */

  /* UMEM: frame_cnt frames of frame_sz bytes at umem (page aligned, 4 KiB
     at least; frame_sz a power of two in [2048, page size]). Headroom is
     always 0. */
  void *umem;
  uint32_t frame_sz;
  uint32_t frame_cnt;

  /* Ring sizes in entries, powers of two. 0 = no such ring, except:
     fill_size 0 = 2 * rx_size (or 64 when there is no RX ring: the kernel
     requires a fill ring on every UMEM); comp_size 0 = tx_size (or 64).
     At least one of rx_size, tx_size is non-zero. */
  uint32_t rx_size;
  uint32_t tx_size;
  uint32_t fill_size;
  uint32_t comp_size;

  int zero_copy; /* 1: bind with XDP_ZEROCOPY (fails if the driver has none);
                    0: XDP_COPY. Always explicit, never the kernel's pick. */
  uint32_t bind_busy_ms; /* bounded retry of bind on EBUSY (a socket on the
                            same queue closed moments ago); 0 = 500 ms */
} sl_xsk_params_t;

typedef struct {
  int fd; /* -1 when closed */
  uint32_t ifindex;
  uint32_t queue_id;
  char ifname[IF_NAMESIZE];
  uint8_t *umem;
  uint64_t umem_sz; /* frame_sz * frame_cnt */
  uint32_t frame_sz;
  uint32_t frame_cnt;
  uint32_t bind_flags; /* as bound: XDP_COPY|XDP_ZEROCOPY, XDP_USE_NEED_WAKEUP */
  uint32_t busy_retries; /* bind attempts that got EBUSY before success */
  sl_xsk_ring_t rx, tx, fill, comp;
} sl_xsk_t;

/* XDP_STATISTICS. The last three exist since Linux 5.9; has_ext says
   whether the kernel filled them (else they are 0). */
typedef struct {
  uint64_t rx_dropped;               /* dropped for other reasons (e.g. too long for a frame) */
  uint64_t rx_invalid_descs;         /* bad fill-ring addresses */
  uint64_t tx_invalid_descs;         /* bad TX descriptors */
  uint64_t rx_ring_full;             /* dropped: the RX ring was full */
  uint64_t rx_fill_ring_empty_descs; /* the kernel found the fill ring empty */
  uint64_t tx_ring_empty_descs;      /* a TX kick found the TX ring empty */
  int has_ext;
} sl_xsk_stats_t;

/* sl_xsk_init marks x as holding nothing (fd -1, no rings), so sl_xsk_close
   is safe on it. sl_xsk_open calls it itself. */
void sl_xsk_init(sl_xsk_t *x);

/* sl_xsk_open creates the socket in the order the kernel wants: socket ->
   XDP_UMEM_REG -> ring sizes -> XDP_MMAP_OFFSETS -> mmap each ring -> bind
   (XDP_COPY or XDP_ZEROCOPY, plus XDP_USE_NEED_WAKEUP). On EBUSY the bind
   is retried every ms for up to bind_busy_ms. When a TX ring exists, a
   zero-length non-blocking sendto probes the bound socket (ENXIO/EINVAL
   there is a driver bug, reported as such).

   Assumes x is not open (or was sl_xsk_init'ed). The UMEM memory must stay
   mapped until the socket is closed: the kernel pins those pages.
   Returns 0 with every ring mapped and its cached indices set (fill and tx
   empty and fully free, rx and completion empty). On failure returns -1
   with nothing left open, and err names the interface and queue and the
   remedy: interface missing; queue beyond the interface's queue count
   (EINVAL: how many it has, `ethtool -L IF combined N` or fewer net tiles);
   zero copy refused (EOPNOTSUPP: set [net] xdp_zero_copy = false); missing
   CAP_NET_RAW/CAP_NET_ADMIN (EPERM); queue still held by another socket
   after the retry (EBUSY); UMEM not lockable (ENOMEM/EFAULT: RLIMIT_MEMLOCK
   or a bad region); bad parameters (non power-of-two ring, misaligned UMEM). */
int sl_xsk_open(sl_xsk_t *x, const sl_xsk_params_t *p, sl_err_t *err);

/* sl_xsk_close unmaps the rings and closes this process's copy of the fd
   (the socket dies, leaving the XSKMAP and unpinning the UMEM, when the
   last copy is closed). Idempotent; x is as after sl_xsk_init. */
void sl_xsk_close(sl_xsk_t *x);

/* sl_xsk_stats reads XDP_STATISTICS (cumulative since bind). Returns 0, or
   -1 with err (socket closed). No privilege needed. */
int sl_xsk_stats(const sl_xsk_t *x, sl_xsk_stats_t *s, sl_err_t *err);

/* sl_xsk_kick_rx wakes the kernel to process the fill ring: a zero-length
   recvfrom(MSG_DONTWAIT). sl_xsk_kick_tx makes it send what the TX ring
   holds: a zero-length sendto(MSG_DONTWAIT). Both return 0 or an errno
   value; EAGAIN/EBUSY/ENOBUFS/ENETDOWN are transient (try again later).
   Callers kick only when sl_xsk_need_wakeup_* says so: they are syscalls. */
int sl_xsk_kick_rx(const sl_xsk_t *x);
int sl_xsk_kick_tx(const sl_xsk_t *x);

/* ---- Ring helpers (hot path) ----

   Memory ordering, the one place it matters: the index words are shared
   with the kernel, which pairs them the same way (kernel xsk_queue.h).
   - A producer writes its entries, then publishes them with a release
     store of *producer, so the kernel never sees an index ahead of the
     entries it covers.
   - A consumer reads *producer with an acquire load before reading the
     entries it covers; and gives slots back with a release store of
     *consumer, so its reads of those entries are done before the kernel
     may overwrite them.
   - A producer reads *consumer with an acquire load, so it does not
     overwrite a slot the kernel is still reading.
   On x86 these are plain moves (compiler barriers only); the builtins make
   the code right on weaker CPUs too. */

/* sl_xsk_prod_reserve reserves up to n slots of a ring user space produces
   into (fill, tx). Returns how many (0..n) and sets *idx to the first; fill
   them through sl_xsk_fill_addr / sl_xsk_tx_desc, then sl_xsk_prod_submit
   exactly that many. Refreshes the kernel's consumer index only when the
   cached free count is short of n. */
static inline uint32_t sl_xsk_prod_reserve(sl_xsk_ring_t *r, uint32_t n, uint32_t *idx) {
  uint32_t free_cnt = r->cached_cons - r->cached_prod;
  if (free_cnt < n) {
    r->cached_cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE) + r->size;
    free_cnt = r->cached_cons - r->cached_prod;
  }
  if (n > free_cnt) n = free_cnt;
  *idx = r->cached_prod;
  r->cached_prod += n;
  return n;
}

/* sl_xsk_prod_submit publishes n reserved slots to the kernel. */
static inline void sl_xsk_prod_submit(sl_xsk_ring_t *r, uint32_t n) {
  __atomic_store_n(r->producer, *r->producer + n, __ATOMIC_RELEASE);
}

/* sl_xsk_prod_pending: entries produced that the kernel has not consumed
   yet (as of the last refresh of the consumer index; a fresh read here). */
static inline uint32_t sl_xsk_prod_pending(sl_xsk_ring_t *r) {
  r->cached_cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE) + r->size;
  return r->size - (r->cached_cons - r->cached_prod);
}

/* sl_xsk_cons_peek returns how many entries (0..n) are ready in a ring
   user space consumes (rx, completion) and sets *idx to the first; read
   them through sl_xsk_rx_desc / sl_xsk_comp_addr, then sl_xsk_cons_release
   that many. Refreshes the kernel's producer index only when the cached
   count is short of n. */
static inline uint32_t sl_xsk_cons_peek(sl_xsk_ring_t *r, uint32_t n, uint32_t *idx) {
  uint32_t ready = r->cached_prod - r->cached_cons;
  if (ready < n) {
    r->cached_prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
    ready = r->cached_prod - r->cached_cons;
  }
  if (n > ready) n = ready;
  *idx = r->cached_cons;
  r->cached_cons += n;
  return n;
}

/* sl_xsk_cons_release gives n peeked entries back to the kernel. */
static inline void sl_xsk_cons_release(sl_xsk_ring_t *r, uint32_t n) {
  __atomic_store_n(r->consumer, *r->consumer + n, __ATOMIC_RELEASE);
}

static inline uint64_t *sl_xsk_fill_addr(sl_xsk_ring_t *fill, uint32_t idx) {
  return &((uint64_t *)fill->desc)[idx & fill->mask];
}
static inline const uint64_t *sl_xsk_comp_addr(const sl_xsk_ring_t *comp, uint32_t idx) {
  return &((const uint64_t *)comp->desc)[idx & comp->mask];
}
static inline struct xdp_desc *sl_xsk_tx_desc(sl_xsk_ring_t *tx, uint32_t idx) {
  return &((struct xdp_desc *)tx->desc)[idx & tx->mask];
}
static inline const struct xdp_desc *sl_xsk_rx_desc(const sl_xsk_ring_t *rx, uint32_t idx) {
  return &((const struct xdp_desc *)rx->desc)[idx & rx->mask];
}

/* sl_xsk_need_wakeup_fill / _tx: 1 if the kernel asked to be kicked
   (XDP_RING_NEED_WAKEUP) before it processes that ring again. The flag is
   only a hint in time: read it after submitting, kick if set. */
static inline int sl_xsk_need_wakeup_fill(const sl_xsk_t *x) {
  return (__atomic_load_n(x->fill.flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP) != 0;
}
static inline int sl_xsk_need_wakeup_tx(const sl_xsk_t *x) {
  return (__atomic_load_n(x->tx.flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP) != 0;
}

#endif
