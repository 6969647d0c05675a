# shmem/: workspace, rings, tag cache, metrics.
LIB_SRCS += shmem/wksp.c shmem/ring.c shmem/tcache.c shmem/metrics.c
UNIT_TESTS += wksp ring tcache metrics ring_stress
BENCH_PROGS += ring
BENCH_LIBS_ring := -lrte_ring -lrte_eal
# DPDK headers without pkg-config's -march: both rings get the same flags.
$(BUILD)/tests/bench/bench_ring.o: CPPFLAGS += -I/usr/include/dpdk -I/usr/include/$(shell gcc -print-multiarch)/dpdk -include rte_config.h
