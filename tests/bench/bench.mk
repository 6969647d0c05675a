# tests/bench/: benchmarks that measure a whole layer rather than one folder's
# object. bench_net: net tile (AF_XDP) vs recvmmsg vs a bare AF_XDP loop on a
# veth pair (root; tests/bench/run.sh runs it).
BENCH_PROGS += net
BENCH_LIBS_net := -lxdp
