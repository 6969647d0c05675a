LIB_SRCS += util/err.c util/log.c util/time.c util/cpuset.c util/priv.c util/proc.c
UNIT_TESTS += util
