/* tiles/metric/metric_tile.h: the metric tile. Serves GET /metrics
   (tiles/metric/metric_http.h) on the listening socket the supervisor
   opened before forking it (sl_tile_t.listen_fd), from snapshots of the
   workspace (tiles/snapshot.h) rendered as Prometheus text
   (tiles/metric/metric_prom.h). It only ever reads the workspace, except
   its own metrics block, and treats everything it reads as hostile: the
   snapshot checks every offset, count and name before use.

   Not on the data path: it is not pinned (the topology gives it no CPU of
   the plan) and it always idles adaptively whatever [layout] idle says:
   idle, it sleeps in ppoll until a client or the next housekeeping (its
   wait op), and looks at its sockets only when that wait saw something.

   System calls of its loop: ppoll, accept4, recvfrom, sendto, shutdown,
   close, clock_gettime, plus the tile runtime's (getrusage). Nothing is
   allocated after init. */
#ifndef SL_TILES_METRIC_METRIC_TILE_H
#define SL_TILES_METRIC_METRIC_TILE_H

#include "tiles/tile.h"

extern const sl_tile_ops_t sl_metric_tile_ops;

#endif
