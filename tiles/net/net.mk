LIB_SRCS += tiles/net/frame.c
UNIT_TESTS += frame
FUZZ_TARGETS += frame
