#!/usr/bin/env bash
# tests/run.sh BUILD [all|unit|integ]: runs the Check suites, then the
# integration scripts, and prints one closing line for the whole run.
# Exit status 0 only if every suite passed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
what=${2:-all}
export SLUICE_BIN=$PWD/$build/sluice
export SLUICE_BUILD=$PWD/$build
export SLUICE_SHARED=${SLUICE_SHARED:-$(cd .. && pwd)/shared}

state=$(mktemp /tmp/sluice-hp.XXXXXX)
./tests/hugepages.sh setup "$state"
trap './tests/hugepages.sh teardown "$state"' EXIT

pass=0 fail=0 failed=()
run_suite() { # name cmd...
  local name=$1; shift
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$name"); fi
  echo "=== $name: $((SECONDS - t0)) s"
}

if [ "$what" = all ] || [ "$what" = unit ]; then
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    run_suite "$(basename "$t")" env CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120} "$t"
  done
fi
if [ "$what" = all ] || [ "$what" = integ ]; then
  for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    case $(basename "$t") in lib.sh) continue ;; esac
    run_suite "$(basename "$t" .sh)" bash "$t"
  done
fi
[ $fail -eq 0 ] || echo "failed suites: ${failed[*]}"
echo "suites: $pass passed, $fail failed"
[ $fail -eq 0 ]
