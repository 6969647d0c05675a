/* tiles/sink/sink_tile.h: the sink tile. Reads every verify ring (reliable:
   nothing verified is lost), counts transactions and bytes, measures the
   latency from arrival (tsorig) to here, and with [sink] pcap writes each
   verified transaction, as the frame it arrived in, to a pcap file. This is
   where a validator's next stage would plug in. */
#ifndef SL_TILES_SINK_SINK_TILE_H
#define SL_TILES_SINK_SINK_TILE_H

#include "tiles/tile.h"

extern const sl_tile_ops_t sl_sink_tile_ops;

#endif
