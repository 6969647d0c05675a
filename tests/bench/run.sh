#!/usr/bin/env bash
# tests/bench/run.sh BUILD: runs every benchmark, in order, each printing its
# own table and its ratio against the baseline measured in the same run.
# To add a benchmark: build it as BENCH_PROGS in your folder's fragment, then
# add one `run_bench NAME args...` line below (NAME -> BUILD/bench/bench_NAME).
# Exit status 0 only if every benchmark ran (a missed target is reported in
# its output, not as a failure).
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
export SLUICE_SHARED=${SLUICE_SHARED:-$(cd .. && pwd)/shared}

# Benchmarks on hugepages when root (same setup as the tests), else /dev/shm.
state=$(mktemp /tmp/sluice-hp.XXXXXX)
./tests/hugepages.sh setup "$state"
trap './tests/hugepages.sh teardown "$state"' EXIT

ran=0 failed=()
results=$(mktemp /tmp/sluice-bench.XXXXXX)
trap './tests/hugepages.sh teardown "$state"; rm -f "$results"' EXIT
run_bench() { # name args...
  local name=$1; shift
  local bin=$build/bench/bench_$name
  echo "=== bench $name"
  if [ ! -x "$bin" ]; then echo "=== bench $name: not built ($bin)"; failed+=("$name"); return; fi
  if "$bin" "$@" | tee -a "$results"; then ran=$((ran + 1)); else failed+=("$name"); fi
}

run_script() { # name script args...
  local name=$1; shift
  echo "=== bench $name"
  if "$@"; then ran=$((ran + 1)); else failed+=("$name"); fi
}

run_bench ring --runs 5 --count 20000000
run_bench verify
run_bench ed25519
run_bench verify_tile --count 42000 --rounds 7
run_bench sandbox --rounds 7
run_bench uring --runs 3 --count 500000 --drain 200000
run_bench net
# The pipeline with libsodium and with the fastest backend this CPU runs.
E2E_ED25519=libsodium run_script e2e ./tests/bench/e2e.sh "$build"
E2E_ED25519=auto run_script e2e ./tests/bench/e2e.sh "$build"

# The signature-check targets of issue 10, side by side: the check alone
# (>= 2.0x libsodium with avx512, >= 1.4x with avx2, at 200 and 1232 bytes)
# and the whole verify tile (>= 1.9x the bare libsodium loop with avx512).
echo "=== ed25519 ratios (median over interleaved rounds, p10-p90)"
sed -n 's/^RESULT bench=\(ed25519\|verify_tile\) \(.*\)$/\1 \2/p' "$results" |
  sed -e 's/ [a-z_]*sig_per_s=[0-9]*//g'

[ ${#failed[@]} -eq 0 ] || echo "benchmarks that failed: ${failed[*]}"
echo "benchmarks: $ran ran, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
