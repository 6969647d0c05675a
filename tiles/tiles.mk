# tiles/: what every tile shares (the runtime, the topology, the frame
# format) and the three tile loops. Each tile folder's own fragment lists its
# building blocks: providers, parser, sigverify.
LIB_SRCS += tiles/sandbox.c tiles/topo.c tiles/tile.c tiles/frame.c tiles/snapshot.c tiles/net/net_rx.c tiles/net/net_tile.c tiles/verify/verify_tile.c tiles/sink/sink_tile.c tiles/sink/pcap_out.c
UNIT_TESTS += tile net_tile frame topo pcap_out sandbox links verify_tile
FUZZ_TARGETS += frame
BENCH_PROGS += verify_tile sandbox
