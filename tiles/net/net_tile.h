/* tiles/net/net_tile.h: the net tile: takes packets from its provider
   (AF_XDP socket or io_uring UDP sockets, tiles/net/net_rx.h) and publishes
   each well-formed frame, in place, to its output ring. */
#ifndef SL_TILES_NET_NET_TILE_H
#define SL_TILES_NET_NET_TILE_H

#include "tiles/net/net_rx.h"
#include "tiles/tile.h"

extern const sl_tile_ops_t sl_net_tile_ops;

/* How a net tile gets its provider. The supervisor hands one to each net
   tile through sl_tile_t.net_ctx (the XDP provider over the sockets it
   opened before forking); with net_ctx NULL the tile opens io_uring UDP
   sockets itself. Tests hand in a fake. open runs in the tile's process,
   in init. */
typedef struct {
  int (*open)(sl_net_rx_t *rx, void *arg, const sl_tile_t *t, const sl_net_pool_t *pool, sl_err_t *err);
  void *arg;
} sl_net_provider_t;

#endif
