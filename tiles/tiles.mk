# tiles/: the tile runtime, the topology, and the three tile loops. (Each
# tile folder's own fragment lists its building blocks: frame, providers,
# parser, sigverify.)
LIB_SRCS += tiles/topo.c tiles/tile.c tiles/net/net_rx.c tiles/net/net_tile.c tiles/verify/verify_tile.c tiles/sink/sink_tile.c
UNIT_TESTS += net_tile
BENCH_PROGS += verify_tile
