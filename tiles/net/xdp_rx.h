/* tiles/net/xdp_rx.h: the AF_XDP packet provider (net_rx.h), the net
   tile's half: it takes over the socket the supervisor set up for its queue
   (tiles/net/xdp_setup.h).

   Frames: every pool frame starts free; rx_open gives the fill ring as many
   as it takes (2 x rx_queue_size), the rest wait on the provider's free
   stack. A packet arrives at frame base + 256 (the kernel's XDP headroom,
   UMEM headroom 0) and is delivered as addr = pool_off + that offset,
   frame = offset / frame_sz. */
#ifndef SL_TILES_NET_XDP_RX_H
#define SL_TILES_NET_XDP_RX_H

#include <stdint.h>

#include "tiles/net/net_rx.h"
#include "tiles/net/xdp_setup.h"
#include "util/err.h"

/* sl_net_xdp_rx_open (net tile tile_idx, after fork; or the same process)
   makes socket s->xsk[tile_idx] the provider in rx (ops, impl, mode =
   "xdp/drv" or "xdp/skb", fds = the socket). pool must be the pool the
   socket's UMEM was registered on (pool->wksp_base + pool->pool_off == the
   UMEM; checked). Gives the fill ring min(its size, frame_cnt) frames; the
   rest go on the free stack. Allocates the free stack (frame_cnt x 4
   bytes). Returns 0, or -1 with err (tile index beyond the sockets, socket
   closed, pool mismatch, out of memory). s is only read.

   The ops then behave as net_rx.h says, plus:
   - rx_burst: peeks up to max RX descriptors, delivers them (a packet
     whose offset is not 64-byte aligned, which copy mode never produces,
     is moved down to the frame's 64-byte boundary and counted, never
     dropped), releases the RX slots, tops the fill ring up from the free
     stack, and kicks the kernel (recvfrom MSG_DONTWAIT, counted in
     SL_M_NET_SYSCALLS) only if the fill ring says NEED_WAKEUP. Counts a
     fill-ring-dry episode (the kernel has consumed every fill entry and
     the free stack is empty) once in SL_M_NET_FILL_RING_EMPTY.
   - wait: ppoll on the socket until the RX ring has packets.
   - release: frames to the fill ring while it has room (one submit per
     call), the rest onto the free stack. Never a syscall. Assumes each
     frame came from rx_burst and is released once.
   - housekeep: stores into m (absolute values) SL_M_NET_XDP_RX_DROPPED,
     _XDP_RX_RING_FULL, _XDP_RX_INVALID_DESCS, _XDP_FILL_EMPTY_DESCS (from
     XDP_STATISTICS), SL_M_NET_SYSCALLS, SL_M_NET_FILL_RING_EMPTY, and the
     filter's counters of this queue (SL_M_NET_XDP_PASS_*; net:0 adds
     those of the queues without a net tile); tops the fill ring up.
   - stop: closes this process's copy of the socket and unmaps its rings;
     rx keeps no-op ops afterwards. */
int sl_net_xdp_rx_open(sl_net_rx_t *rx, sl_net_xdp_t *s, uint32_t tile_idx,
                       const sl_net_pool_t *pool, sl_err_t *err);

/* sl_net_xdp_misaligned_cnt: packets delivered that the kernel had put at
   an offset that is not a multiple of 64 (moved; expected 0). */
uint64_t sl_net_xdp_misaligned_cnt(const sl_net_rx_t *rx);

#endif
