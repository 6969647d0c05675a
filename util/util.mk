LIB_SRCS += util/err.c util/log.c util/time.c util/cpuset.c util/proc.c util/version.c util/notify.c
UNIT_TESTS += util notify

# The version is compiled into util/version.o alone; the stamp changes (and
# that object is rebuilt) only when VERSION does.
$(BUILD)/util/version.o: $(BUILD)/version.stamp
$(BUILD)/util/version.o: CPPFLAGS += -DSL_VERSION='"$(VERSION)"'
