/* tiles/net/xdp_rx.h: the AF_XDP packet provider (net_rx.h) and the
   supervisor's XDP setup that comes before it.

   Two halves, two processes:
   - The supervisor (privileged, before fork) calls sl_net_xdp_setup: it
     checks the interface, installs the XDP filter (bpf/xdp_install.h) for
     the configured ports and address, opens one AF_XDP socket per net tile
     (tile i on queue i, UMEM = tile i's pool in the workspace) and puts
     each in the XSKMAP.
   - Net tile i (forked, inheriting the sockets and their ring mappings)
     calls sl_net_xdp_rx_open, which takes socket i over as its provider.
   On the way out the supervisor calls sl_net_xdp_close. Nothing is pinned:
   the program detaches when the last process holding the link fd exits,
   however it exits.

   Frames: every pool frame starts free; rx_open gives the fill ring as many
   as it takes (2 x rx_queue_size), the rest wait on the provider's free
   stack. A packet arrives at frame base + 256 (the kernel's XDP headroom,
   UMEM headroom 0) and is delivered as addr = pool_off + that offset,
   frame = offset / frame_sz. */
#ifndef SL_TILES_NET_XDP_RX_H
#define SL_TILES_NET_XDP_RX_H

#include <stdint.h>

#include <net/if.h>

#include "bpf/xdp_install.h"
#include "tiles/net/net_rx.h"
#include "tiles/net/xsk.h"
#include "util/err.h"

#define SL_NET_XDP_QUEUE_MAX 64u /* = SL_TOPO_NET_MAX */
#define SL_NET_XDP_PORTS_MAX 16u /* = SL_XDP_PORTS_MAX = SL_CFG_PORTS_MAX */

typedef struct {
  const char *ifname;                     /* [net] interface */
  uint16_t ports[SL_NET_XDP_PORTS_MAX];   /* UDP destination ports, host order */
  uint32_t port_cnt;                      /* 1..16 */
  uint32_t bind_addr;                     /* IPv4 destination, network order; 0 = any */
  int mode;                               /* SL_XDP_ATTACH_* (= config's SL_XDP_MODE_*) */
  int zero_copy;                          /* [net] xdp_zero_copy */
  uint32_t queue_cnt;                     /* net tiles: queues 0..queue_cnt-1 */
  uint32_t rx_queue_size;                 /* RX ring entries (power of two); fill ring 2x */
  uint8_t *wksp_base;                     /* local address of the workspace */
  uint64_t pool_off[SL_NET_XDP_QUEUE_MAX]; /* tile i's pool: workspace offset, page aligned */
  uint32_t frame_sz;                      /* 2048 or 4096 */
  uint32_t frame_cnt;                     /* frames in each pool */
  int debug;                              /* verifier log at level 2, kept (debug logging) */
} sl_net_xdp_params_t;

typedef struct {
  sl_xdp_t *xdp;  /* the installed filter (heap: it is ~70 KiB); NULL when closed */
  uint32_t xsk_cnt;
  sl_xsk_t xsk[SL_NET_XDP_QUEUE_MAX]; /* xsk[i]: bound to queue i, UMEM = pool i */
  uint64_t pool_off[SL_NET_XDP_QUEUE_MAX];
  char ifname[IF_NAMESIZE];
  char warn[256]; /* setup's warnings, also logged ("" if none) */
} sl_net_xdp_t;

/* sl_net_xdp_setup (supervisor, privileged, before forking the tiles).

   Checks the interface first: it exists; it is up (a down interface is an
   error: "ip link set dev IF up"); at least queue_cnt RX queues (else: how
   many it has, `ethtool -L IF combined N` or fewer net tiles); warns (log +
   s->warn) if rx-udp-gro-forwarding is on (AF_XDP would get GRO super-
   packets: `ethtool -K IF rx-udp-gro-forwarding off`) and if IF is a
   loopback (tx-udp-segmentation is incompatible with AF_XDP).
   Then installs the filter in p->mode (auto: driver mode, else generic; the
   reason is logged), opens queue_cnt AF_XDP sockets (socket i: queue i,
   UMEM = frame_cnt frames at wksp_base + pool_off[i], RX ring
   rx_queue_size, fill ring 2x, tiny completion ring, no TX ring, copy or
   zero copy as asked) and registers each in the XSKMAP. The fill rings are
   left empty: rx_open fills them, in the tile.

   Returns 0 with everything attached. On failure returns -1 with nothing
   attached or open (so the caller can fall back to io_uring with err's
   reason), and err says what and the remedy (sl_xdp_install's and
   sl_xsk_open's messages, prefixed with the interface/queue; for a
   verifier rejection its summary line; the full log goes to the debug
   log). Never pins. Assumes s is not set up (its previous content is
   ignored). */
int sl_net_xdp_setup(sl_net_xdp_t *s, const sl_net_xdp_params_t *p, sl_err_t *err);

/* sl_net_xdp_mode: "drv" or "skb" once set up, "none" otherwise. */
const char *sl_net_xdp_mode(const sl_net_xdp_t *s);

/* sl_net_xdp_close closes every socket, the link, the program and the map
   held by this process, and frees s->xdp. The program detaches once no
   other process (a tile) holds a copy of the link fd. Idempotent. */
void sl_net_xdp_close(sl_net_xdp_t *s);

/* sl_net_xdp_rx_open (net tile tile_idx, after fork; or the same process)
   makes socket s->xsk[tile_idx] the provider in rx (ops, impl, mode =
   "xdp/drv" or "xdp/skb"). pool must be the pool the socket's UMEM was
   registered on (pool->wksp_base + pool->pool_off == the UMEM; checked).
   Gives the fill ring min(its size, frame_cnt) frames; the rest go on the
   free stack. Allocates the free stack (frame_cnt x 4 bytes). Returns 0,
   or -1 with err (tile index beyond the sockets, socket closed, pool
   mismatch, out of memory). s is only read; the socket stays s's too
   (sl_net_xdp_close in the supervisor closes its copy).

   The ops then behave as net_rx.h says, plus:
   - rx_burst: peeks up to max RX descriptors, delivers them (a packet
     whose offset is not 64-byte aligned, which copy mode never produces,
     is moved down to the frame's 64-byte boundary and counted, never
     dropped), releases the RX slots, tops the fill ring up from the free
     stack, and kicks the kernel (recvfrom MSG_DONTWAIT, counted in
     SL_M_NET_SYSCALLS) only if the fill ring says NEED_WAKEUP. Counts a
     fill-ring-dry episode (the kernel has consumed every fill entry and
     the free stack is empty) once in SL_M_NET_FILL_RING_EMPTY.
   - release: frames to the fill ring while it has room (one submit per
     call), the rest onto the free stack. Never a syscall. Assumes each
     frame came from rx_burst and is released once.
   - housekeep: stores into m (absolute values) SL_M_NET_XDP_RX_DROPPED,
     _XDP_RX_RING_FULL, _XDP_RX_INVALID_DESCS, _XDP_FILL_EMPTY_DESCS (from
     XDP_STATISTICS), SL_M_NET_SYSCALLS, SL_M_NET_FILL_RING_EMPTY; tops the
     fill ring up.
   - stop: closes this process's copy of the socket and unmaps its rings;
     rx keeps no-op ops afterwards. */
int sl_net_xdp_rx_open(sl_net_rx_t *rx, sl_net_xdp_t *s, uint32_t tile_idx,
                       const sl_net_pool_t *pool, sl_err_t *err);

/* sl_net_xdp_misaligned_cnt: packets delivered that the kernel had put at
   an offset that is not a multiple of 64 (moved; expected 0). */
uint64_t sl_net_xdp_misaligned_cnt(const sl_net_rx_t *rx);

#endif
