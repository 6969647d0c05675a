/* tiles/net/net_tile.h: the net tile: takes packets from its provider
   (AF_XDP socket or io_uring UDP sockets, tiles/net/net_rx.h) and publishes
   each well-formed frame, in place, to its output ring. */
#ifndef SL_TILES_NET_NET_TILE_H
#define SL_TILES_NET_NET_TILE_H

#include "tiles/tile.h"

extern const sl_tile_ops_t sl_net_tile_ops;

#endif
