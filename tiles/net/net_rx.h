/* tiles/net/net_rx.h: what a net tile needs from a packet provider (AF_XDP
   socket or io_uring UDP sockets), so one tile loop (net_tile.c) serves both.

   Frames live in the net tile's pool, in the workspace: pool_cnt frames of
   frame_sz bytes at workspace offset pool_off. Every frame is always in
   exactly one place: the kernel (fill/RX ring, or the provided-buffer ring),
   the provider's free list, or the caller's hands (returned by rx_burst,
   not yet released: in flight in the net tile or published in a ring slot).
   The caller gives a frame back with release when it no longer needs it
   (when the ring slot that published it is reused, or at once for a dropped
   packet).

   Each packet is delivered as an Ethernet/IPv4/UDP frame starting at a
   64-byte aligned workspace offset (so a frag can point at it: chunk =
   addr / 64): AF_XDP delivers it as is; io_uring synthesizes the 42-byte
   header in front of the datagram (tiles/frame.h). */
#ifndef SL_TILES_NET_NET_RX_H
#define SL_TILES_NET_NET_RX_H

#include <stdint.h>

#include "shmem/metrics.h"
#include "tiles/sandbox.h"
#include "util/err.h"
#include "util/limits.h"

typedef struct {
  uint64_t addr;  /* workspace offset of the frame's first byte; multiple of 64 */
  uint32_t sz;    /* frame bytes */
  uint32_t frame; /* pool frame index, handed back with release */
} sl_net_pkt_t;

typedef struct sl_net_rx sl_net_rx_t;

typedef struct {
  /* rx_burst returns up to max received packets in arrival order, never
     blocking. It may make one syscall when the kernel needs a kick (the
     provider counts it in SL_M_NET_SYSCALLS). */
  uint32_t (*rx_burst)(sl_net_rx_t *rx, sl_net_pkt_t *pkts, uint32_t max);
  /* wait sleeps in the kernel until packets may be ready or timeout_ns
     passes (the tile's adaptive idle: tiles/tile.h). Counted in
     SL_M_NET_SYSCALLS. Returns early on a signal; spurious returns are
     allowed (the caller just polls again). */
  void (*wait)(sl_net_rx_t *rx, uint64_t timeout_ns);
  /* release gives frames back (to the kernel when it has room, else to the
     free list). Never blocks. */
  void (*release)(sl_net_rx_t *rx, const uint32_t *frames, uint32_t cnt);
  /* housekeep refreshes the provider's counters in the tile's metrics
     (XDP_STATISTICS, syscalls, fill ring empty) and re-arms what the kernel
     ended (io_uring multishot). */
  void (*housekeep)(sl_net_rx_t *rx, sl_metrics_t *m);
  /* stop ends intake: closes sockets / unbinds. Frames already delivered
     stay valid (they are workspace memory). */
  void (*stop)(sl_net_rx_t *rx);
} sl_net_rx_ops_t;

#define SL_NET_RX_FD_MAX (1u + SL_PORTS_MAX) /* io_uring: the ring and a socket per port */
#define SL_NET_RX_RULE_MAX 8u

struct sl_net_rx {
  const sl_net_rx_ops_t *ops;
  void *impl;
  char mode[16]; /* "io_uring", "xdp/drv", "xdp/skb" (for the monitor) */
  /* The file descriptors the provider keeps (set by its open): all the net
     tile's sandbox lets it keep besides the workspace's. */
  int fds[SL_NET_RX_FD_MAX];
  uint32_t fd_cnt;
  /* The system calls its ops make (tiles/sandbox.h rules, descriptors
     pinned where they can be), set by its open likewise. */
  sl_sandbox_rule_t rules[SL_NET_RX_RULE_MAX];
  uint32_t rule_cnt;
  /* Packets the kernel queues for the tile on its own while the tile
     sleeps, set by open: the AF_XDP RX ring's slots (NAPI fills it
     whatever the tile does), so a flowing input may be taken after naps
     (tiles/tile.h, sl_tile_waits). 0 for io_uring: under DEFER_TASKRUN the
     receive work itself runs only inside the tile's own io_uring_enter,
     so a nap would hold the datagrams back in the socket rather than let
     the kernel queue them (measured no better, bench_net at 450 k pkt/s,
     four 2 s probes each: 0.3-12.6 % lost past the veth napping against
     0-10.9 % waiting, 1858-2421 ns of CPU per packet against 1729-2186). */
  uint32_t nap_depth;
};

/* Ops of a provider after its stop: rx_burst returns 0, the rest do
   nothing, so calls that come late are harmless. Every provider's stop
   leaves these in rx->ops. */
extern const sl_net_rx_ops_t sl_net_rx_stopped_ops;

/* Where a provider's frames are: passed to every provider's open. */
typedef struct {
  uint8_t *wksp_base; /* local address of the workspace */
  uint64_t pool_off;  /* workspace offset of frame 0 (64-byte aligned; page aligned) */
  uint32_t frame_sz;  /* 2048 or 4096 */
  uint32_t frame_cnt;
} sl_net_pool_t;

#endif
