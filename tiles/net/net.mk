LIB_SRCS += tiles/net/uring_rx.c
UNIT_TESTS += uring_rx
BENCH_PROGS += uring
LIB_SRCS += tiles/net/iface.c tiles/net/xsk.c tiles/net/xdp_setup.c tiles/net/xdp_rx.c
UNIT_TESTS += xsk
