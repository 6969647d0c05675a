LIB_SRCS += tiles/net/frame.c
UNIT_TESTS += frame
FUZZ_TARGETS += frame
LIB_SRCS += tiles/net/uring_rx.c
UNIT_TESTS += uring_rx
BENCH_PROGS += uring
LIB_SRCS += tiles/net/xsk.c tiles/net/xdp_rx.c
UNIT_TESTS += xsk
