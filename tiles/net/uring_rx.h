/* tiles/net/uring_rx.h: the io_uring packet provider (fallback mode): UDP
   sockets read with multishot recvmsg into the net tile's pool frames.

   One UDP socket per port (SO_REUSEPORT, so several net tiles share a port
   and the kernel spreads flows over them), one io_uring, one provided-buffer
   ring whose buffers ARE the pool frames (workspace memory: the kernel
   copies each datagram straight into the frame it is published from), and
   one multishot recvmsg per socket.

   Frame layout (frame_sz bytes, 64-byte aligned):
     [0, 16)    struct io_uring_recvmsg_out   written by the kernel
     [16, 32)   struct sockaddr_in (sender)   written by the kernel
     [32, 64)   IP_PKTINFO control message    written by the kernel, only
                                              when bind_addr is 0 (any)
     [64, 106)  Ethernet/IPv4/UDP header      written by the provider over
                                              the rest of the control area
     [106, ...) datagram payload              written by the kernel
   (msg_controllen = 74 puts the payload right behind the header slot.)
   The delivered packet is addr = frame offset + 64, sz = 42 + payload, an
   ordinary frame (tiles/frame.h: sl_frame_parse accepts it): source =
   the sender, destination = the address the datagram was sent to (bind_addr,
   or from IP_PKTINFO when bound to any address) and the socket's port, MACs
   zero, UDP checksum 0. A datagram longer than frame_sz - 106 bytes is
   truncated by the kernel; it is counted (SL_M_NET_RX_TRUNCATED) and never
   delivered.

   Completions: the ring is set up with IORING_SETUP_SINGLE_ISSUER |
   DEFER_TASKRUN | TASKRUN_FLAG when the kernel has them (else without, said
   at debug level). With DEFER_TASKRUN the sockets' receive work runs only
   inside the tile's own io_uring_enter (io_uring_get_events: up to 32
   datagrams per socket per call, the kernel's multishot retry limit), and
   the kernel raises IORING_SQ_TASKRUN in the shared SQ flags when there is
   such work: rx_burst reads that flag from user space and enters the
   kernel only when it is set (or the CQ overflowed, or a multishot must be
   re-armed). An idle rx_burst or housekeep therefore makes no syscall, and
   the softirq that queues a datagram never has to wake or interrupt the
   tile. Without DEFER_TASKRUN the kernel runs the receive work from an IPI
   to the tile's CPU: no syscall either, but measured 1.5-2x slower on
   loopback (the IPIs load the sending CPU). get_events vs an empty
   io_uring_submit as the kick: the same syscall in liburing 2.3 (enter
   with GETEVENTS), measured equal; see tests/bench/bench_uring.c. */
#ifndef SL_TILES_NET_URING_RX_H
#define SL_TILES_NET_URING_RX_H

#include <stdint.h>

#include "tiles/net/net_rx.h"
#include "util/err.h"
#include "util/limits.h"


/* Where payload starts within a frame: the 64-byte header slot + 42. */
#define SL_NET_URING_PAYLOAD_OFF 106u
/* Offset of the delivered frame within a pool frame. */
#define SL_NET_URING_FRAME_OFF 64u

/* Completion modes (sl_net_uring_params_t.taskrun). */
enum {
  SL_NET_URING_TASKRUN_AUTO = 0,  /* DEFER_TASKRUN if the kernel has it, else PLAIN */
  SL_NET_URING_TASKRUN_DEFER = 1, /* SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG, or fail */
  SL_NET_URING_TASKRUN_PLAIN = 2, /* no setup flags: the kernel runs the receive work
                                     from an IPI on the tile's CPU (for comparison) */
};

/* How rx_burst runs pending receive work under DEFER_TASKRUN (a bench
   knob; production uses AUTO = GETEVENTS, the cheapest measured). */
enum {
  SL_NET_URING_KICK_AUTO = 0,
  SL_NET_URING_KICK_GETEVENTS = 1, /* io_uring_get_events: enter(0, 0, GETEVENTS) */
  SL_NET_URING_KICK_SUBMIT = 2,    /* io_uring_submit with nothing queued: liburing 2.3
                                      then enters with GETEVENTS too */
  SL_NET_URING_KICK_WAIT0 = 3,     /* min_complete = room left in the burst, zero
                                      timeout: the kernel reruns receive work until the
                                      burst is full (fewer kicks on a backlog) but, when
                                      it is not, sleeps until its timer fires (~20 us
                                      measured, timer slack): it blocks, so never the
                                      default */
};

typedef struct {
  uint16_t ports[SL_PORTS_MAX]; /* host byte order, 1..65535, distinct */
  uint32_t port_cnt;                      /* 1..16 */
  uint32_t bind_addr;  /* IPv4, network byte order; 0 = any address */
  const char *ifname;  /* [net] interface: the sockets are held to it (SO_BINDTODEVICE);
                          NULL or "" = any interface */
  uint32_t queue_size; /* config rx_queue_size: the buffer ring gets 2x as many
                          entries, capped by the pool and by 32768 */
  uint32_t rcvbuf;     /* SO_RCVBUF bytes to ask for (0: keep the default);
                          SO_RCVBUFFORCE is tried first (needs CAP_NET_ADMIN) */
  uint32_t tile_idx;   /* for messages ("net:0") */
  uint32_t taskrun;    /* SL_NET_URING_TASKRUN_*; 0 (auto) in production */
  uint32_t kick;       /* SL_NET_URING_KICK_*; 0 (auto) in production */
} sl_net_uring_params_t;

/* A provider set up but not yet taken over by its net tile. */
typedef struct sl_net_uring_prep sl_net_uring_prep_t;

/* sl_net_uring_prepare (supervisor, privileged, before forking the net
   tile) opens the provider of one net tile over the frames of pool,
   receiving on p->ports, and returns it in *out, ready for
   sl_net_uring_rx_open in the tile.

   Assumes: pool frames are 64-byte aligned, frame_sz >= 512 and frame_cnt
   >= 1; nobody else uses the pool's frames; the tile is a fork of the
   caller (it inherits the fds and the shared mappings).

   Sockets: one per port, SO_REUSEPORT (several net tiles share a port and
   the kernel spreads flows over them), held to p->ifname with
   SO_BINDTODEVICE (without CAP_NET_RAW that is refused: a warning says the
   sockets then receive from every interface), bound to bind_addr:port;
   EADDRINUSE is retried for up to 200 ms (an instance that just exited may
   still hold the port). A receive buffer smaller than p->rcvbuf is logged
   once per process as a warning (raise net.core.rmem_max), not an error.

   Ring: created disabled (IORING_SETUP_R_DISABLED) with SINGLE_ISSUER |
   DEFER_TASKRUN | TASKRUN_FLAG when the kernel has them (else without,
   said at debug level), so it belongs to the task that enables it: the
   tile. Its provided-buffer ring (shared memory, so the tile's refills are
   what the kernel reads) has min(2 * queue_size, frame_cnt, 32768)
   entries, rounded down to a power of two, and is registered here.

   Returns 0, or -1 with err naming the port/address and the remedy (port
   in use by a program without SO_REUSEPORT, port < 1024 without privilege,
   io_uring disabled by sysctl kernel.io_uring_disabled, kernel too old for
   provided-buffer rings, out of memory); on failure nothing stays open. */
int sl_net_uring_prepare(sl_net_uring_prep_t **out, const sl_net_pool_t *pool, const sl_net_uring_params_t *p,
                         sl_err_t *err);

/* sl_net_uring_prep_close releases this process's copies of a prepared
   provider (the supervisor, once the tile has forked, or when setup fails
   before): it closes the fds and unmaps the rings here; the tile's copies
   stay. Safe on NULL. */
void sl_net_uring_prep_close(sl_net_uring_prep_t *prep);

/* sl_net_uring_rx_open (the net tile, after fork) takes prep over as the
   provider in rx (rx->ops, rx->impl, rx->mode = "io_uring", rx->fds = the
   ring and the sockets): enables the ring (the tile becomes its single
   issuer), posts frames and arms one multishot recvmsg per socket. With
   DEFER_TASKRUN only 128 + 64 * port_cnt frames are posted at a time
   (cache-hot frames; the kernel cannot take more between two bursts;
   doubled, up to the whole ring, if it ever runs dry while frames were
   held back); without it the whole ring. Frames not posted wait on the
   provider's free list (LIFO). From then on every frame is in the kernel,
   on the free list or in the caller's hands (net_rx.h). Returns 0, or -1
   with err (kernel without multishot recvmsg, < 6.0); on failure prep is
   freed and closed.

   The ops then behave as net_rx.h says, plus:
   - rx_burst: never blocks. Enters the kernel only when needed: to run
     pending receive work (IORING_SQ_TASKRUN set, or the CQ overflowed,
     and the CQ holds fewer than max completions), and to re-arm a
     multishot the kernel ended (rare); syscall-free when idle. Frames are
     delivered in arrival order per socket. Truncated and empty datagrams
     are counted and given straight back. A multishot ended by ENOBUFS
     (buffer ring ran dry: counted in SL_M_NET_FILL_RING_EMPTY; the kernel
     then queues, and past SO_RCVBUF drops, datagrams in the socket) is
     re-armed once frames have been given back; one ended by another error
     is re-armed by housekeep.
   - wait: io_uring_enter waiting for one completion, with a timeout (the
     wait runs the sockets' receive work itself under DEFER_TASKRUN).
   - release: pushes frames into the buffer ring while it has room (one
     tail store per call), else onto the free list, which refills the ring
     on later calls. Never a syscall. Assumes each frame came from rx_burst
     and is released once.
   - housekeep: stores SL_M_NET_SYSCALLS, SL_M_NET_FILL_RING_EMPTY,
     SL_M_NET_RX_TRUNCATED, SL_M_NET_RX_EMPTY and SL_M_NET_SOCK_RX_DROPPED
     into m (absolute values; m may be NULL); refills, and re-arms what is
     due (a syscall only then). Every 1024th call it also reads each
     socket's kernel drop count (one getsockopt SO_MEMINFO per socket):
     datagrams lost to a full receive buffer are counted, not silent.
   - stop: cancels the receives and waits for them (up to 200 ms, so the
     port is free when stop returns), closes the sockets and the ring,
     frees the provider; rx keeps no-op ops (rx_burst returns 0) so late
     calls are harmless. Frames already delivered stay valid. */
int sl_net_uring_rx_open(sl_net_rx_t *rx, sl_net_uring_prep_t *prep, sl_err_t *err);

#endif
