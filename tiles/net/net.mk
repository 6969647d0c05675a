LIB_SRCS += tiles/net/uring_rx.c
UNIT_TESTS += uring_rx
BENCH_PROGS += uring
LIB_SRCS += tiles/net/xsk.c tiles/net/xdp_rx.c
UNIT_TESTS += xsk
