LIB_SRCS += util/err.c util/log.c util/time.c util/cpuset.c util/priv.c
UNIT_TESTS += util
