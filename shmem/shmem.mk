# shmem/: workspace, rings, tag cache, metrics.
LIB_SRCS += shmem/wksp.c shmem/ring.c shmem/tcache.c shmem/metrics.c
UNIT_TESTS += wksp ring tcache metrics ring_stress
