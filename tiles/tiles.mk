LIB_SRCS += tiles/topo.c tiles/tile.c tiles/verify/verify_tile.c tiles/sink/sink_tile.c
BENCH_PROGS += verify_tile
