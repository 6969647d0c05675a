# tiles/verify/ed25519/: strict ed25519 verification (libsodium's verdicts):
# field (fe*), point (ge*) and scalar (sc) arithmetic, multi-buffer SHA-512
# (sha512*), the shared front half (prep), the plain-C reference and the
# AVX2 / AVX-512 IFMA backends (verify_*), CPU dispatch (cpu, ed25519).
# Vector code is compiled by per-function target attributes, so no file
# needs special flags and the binary runs on any x86-64.
LIB_SRCS += tiles/verify/ed25519/fe.c tiles/verify/ed25519/ge.c tiles/verify/ed25519/sc.c \
  tiles/verify/ed25519/prep.c tiles/verify/ed25519/verify_ref.c \
  tiles/verify/ed25519/sha512.c tiles/verify/ed25519/sha512_avx2.c tiles/verify/ed25519/sha512_avx512.c \
  tiles/verify/ed25519/fe_avx2.c tiles/verify/ed25519/ge_avx2.c tiles/verify/ed25519/verify_avx2.c \
  tiles/verify/ed25519/fe_avx512.c tiles/verify/ed25519/ge_avx512.c tiles/verify/ed25519/verify_avx512.c \
  tiles/verify/ed25519/cpu.c tiles/verify/ed25519/ed25519.c
UNIT_TESTS += ed25519 ed25519_diff
FUZZ_TARGETS += ed25519
# Every input runs four verifications: optimize, and leave the branch-free
# arithmetic out of coverage, so millions of inputs fit in a run.
build/fuzz/fuzz_ed25519: FUZZ_FLAGS += -O2 -fsanitize-coverage-ignorelist=tests/fuzz/ed25519_coverage_ignore.txt
build/fuzz/fuzz_ed25519: tests/fuzz/ed25519_coverage_ignore.txt
BENCH_PROGS += ed25519
