#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: runs every built libFuzzer harness
# (build/fuzz/fuzz_*) for SECONDS each (default 60), keeping each one's
# corpus in build/fuzz/corpus/NAME and crash inputs in build/fuzz/artifacts/NAME.
# Seeds come from $SLUICE_SHARED (never copied into the repo). Exits non-zero
# if any harness finds a crash, leak, timeout or sanitizer report.
# `make fuzz` builds the harnesses first.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
SLUICE_SHARED=${SLUICE_SHARED:-$(cd .. && pwd)/shared}

shopt -s nullglob
bins=(build/fuzz/fuzz_*)
if [ ${#bins[@]} -eq 0 ]; then
  echo "fuzz: no harness built (run: make fuzz)"
  exit 1
fi

pass=0 fail=0 failed=()
for bin in "${bins[@]}"; do
  [ -x "$bin" ] || continue
  name=${bin##*/fuzz_}
  corpus=build/fuzz/corpus/$name
  artifacts=build/fuzz/artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  case $name in
    toml)
      [ -d "$SLUICE_SHARED/toml-test/valid" ] && seeds+=("$SLUICE_SHARED/toml-test/valid")
      [ -d "$SLUICE_SHARED/toml-test/invalid" ] && seeds+=("$SLUICE_SHARED/toml-test/invalid")
      # The embedded default is the one input that reaches every config key.
      cp -n config/default.toml "$corpus/default.toml" 2>/dev/null
      ;;
    txn)
      # Six real mainnet-shaped transactions: the parser's deepest paths.
      [ -d "$SLUICE_SHARED/vectors/solana-txn" ] && seeds+=("$SLUICE_SHARED/vectors/solana-txn")
      ;;
    ed25519)
      # The 396 strict-ed25519 edge cases, one input each: flags 0, then
      # the 96-byte record (sig, pk), then their message "Zcash".
      for f in "$SLUICE_SHARED"/vectors/ed25519/malleability_should_*.bin; do
        [ -f "$f" ] || continue
        n=$(($(stat -c %s "$f") / 96))
        for ((i = 0; i < n; i++)); do
          out=$corpus/seed-$(basename "$f" .bin)-$i
          [ -f "$out" ] && continue
          { printf '\0'; dd if="$f" bs=96 skip=$i count=1 status=none; printf 'Zcash'; } >"$out"
        done
      done
      ;;
  esac
  echo "=== fuzz_$name: ${secs} s"
  log=build/fuzz/fuzz_$name.log
  # libFuzzer reads the seed dirs, writes new inputs only to the first dir.
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1))
    echo "fuzz_$name: ok, ${execs:-?} executions in ${secs} s, corpus $(ls "$corpus" | wc -l) inputs"
  else
    fail=$((fail + 1))
    failed+=("$name")
    grep -E 'ERROR|SUMMARY|^artifact_prefix|Test unit written' "$log" | head -20
    echo "fuzz_$name: FAILED (exit $rc); full log in $log, reproducer in $artifacts/"
  fi
done
[ $fail -eq 0 ] || echo "failed harnesses: ${failed[*]}"
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
