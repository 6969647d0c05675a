# tiles/verify: transaction parser and strict ed25519 sigverify.
LIB_SRCS += tiles/verify/txn.c tiles/verify/sigverify.c
UNIT_TESTS += txn sigverify
FUZZ_TARGETS += txn
BENCH_PROGS += verify
