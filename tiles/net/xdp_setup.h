/* tiles/net/xdp_setup.h: the supervisor's half of the AF_XDP provider:
   the XDP filter on the interface and one AF_XDP socket per net tile.

   The supervisor (privileged, before fork) calls sl_net_xdp_setup: it
   checks the interface (probed once by the caller, tiles/net/iface.h),
   installs the XDP filter (bpf/xdp_install.h) for the configured ports and
   address, opens one AF_XDP socket per net tile (tile i on queue i, UMEM =
   tile i's pool in the workspace) and puts each in the XSKMAP. Net tile i
   (forked, inheriting the sockets and their ring mappings) then takes
   socket i over with sl_net_xdp_rx_open (tiles/net/xdp_rx.h). Once the net
   tiles run, the supervisor closes its copies of the sockets
   (sl_net_xdp_release_sockets), so that only each net tile holds its own;
   on the way out it calls sl_net_xdp_close. Nothing is pinned: the program
   detaches when the supervisor, the only process holding the link fd,
   exits, however it exits. */
#ifndef SL_TILES_NET_XDP_SETUP_H
#define SL_TILES_NET_XDP_SETUP_H

#include <stdint.h>

#include <net/if.h>

#include "bpf/xdp_install.h"
#include "tiles/net/iface.h"
#include "tiles/net/xsk.h"
#include "util/err.h"
#include "util/limits.h"

typedef struct {
  const sl_iface_t *iface;                /* [net] interface, probed */
  uint16_t ports[SL_PORTS_MAX];           /* UDP destination ports, host order */
  uint32_t port_cnt;                      /* 1..16 */
  uint32_t bind_addr;                     /* IPv4 destination, network order; 0 = any */
  int mode;                               /* SL_XDP_ATTACH_* (= config's SL_XDP_MODE_*) */
  int zero_copy;                          /* [net] xdp_zero_copy */
  uint32_t queue_cnt;                     /* net tiles: queues 0..queue_cnt-1 */
  uint32_t rx_queue_size;                 /* RX ring entries (power of two); fill ring 2x */
  uint8_t *wksp_base;                     /* local address of the workspace */
  uint64_t pool_off[SL_NET_TILE_MAX];     /* tile i's pool: workspace offset, page aligned */
  uint32_t frame_sz;                      /* 2048 or 4096 */
  uint32_t frame_cnt;                     /* frames in each pool */
  int debug;                              /* verifier log at level 2, kept (debug logging) */
} sl_net_xdp_params_t;

typedef struct {
  sl_xdp_t *xdp;  /* the installed filter (heap: it is ~70 KiB); NULL when closed */
  uint32_t xsk_cnt;
  sl_xsk_t xsk[SL_NET_TILE_MAX]; /* xsk[i]: bound to queue i, UMEM = pool i */
  uint64_t pool_off[SL_NET_TILE_MAX];
  uint32_t queue_cnt; /* net tiles; queues at and above it have no socket */
  char ifname[IF_NAMESIZE];
  char warn[256]; /* setup's warnings, also logged ("" if none) */
} sl_net_xdp_t;

/* sl_net_xdp_setup (supervisor, privileged, before forking the tiles).

   Checks the interface first: it is up (a down interface is an error: "ip
   link set dev IF up"); it has at least queue_cnt RX queues (else: how many
   it has, `ethtool -L IF combined N` or fewer net tiles); warns (log +
   s->warn) if rx-udp-gro-forwarding is on (AF_XDP would get GRO super-
   packets: `ethtool -K IF rx-udp-gro-forwarding off`) and if IF is a
   loopback (tx-udp-segmentation is incompatible with AF_XDP).
   Then installs the filter in p->mode (auto: driver mode, else generic; the
   reason is logged) with its maps covering every RX queue of the interface
   (a queue without a net tile is counted, not silently passed), opens
   queue_cnt AF_XDP sockets (socket i: queue i, UMEM = frame_cnt frames at
   wksp_base + pool_off[i], RX ring rx_queue_size, fill ring 2x, tiny
   completion ring, no TX ring, copy or zero copy as asked) and registers
   each in the XSKMAP. The fill rings are left empty: rx_open fills them, in
   the tile.

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

/* sl_net_xdp_release_sockets closes this process's copies of the sockets
   and unmaps their rings (the net tiles keep theirs; the filter and its
   maps stay). Idempotent. */
void sl_net_xdp_release_sockets(sl_net_xdp_t *s);

/* sl_net_xdp_close releases the sockets, then closes the link, the program
   and the maps held by this process, and frees s->xdp: the program
   detaches once no process holds the link. Idempotent. */
void sl_net_xdp_close(sl_net_xdp_t *s);

#endif
