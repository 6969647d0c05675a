#!/usr/bin/env bash
# tests/bench/e2e.sh BUILD: end to end on loopback (io_uring provider), one
# net, one verify, one sink tile on this machine's CPUs, traffic from
# `sluice gen` (valid, distinct transactions).
#  1. capacity: gen offers OFFER distinct valid transactions/s (more than one
#     verify tile can check); the sink's sustained rate over a 2 s window in
#     the middle of the run, and what the verify tile could not keep up with
#     (counted as overrun, never lost silently);
#  2. latency: gen paced at RATE (below capacity): p50/p99 from tsorig (packet
#     taken off the socket) to the sink, and exact accounting.
# E2E_ED25519 picks [verify] ed25519 (default "auto"); make bench runs it
# with "libsodium" and "auto", so the gain of our own backends shows end to
# end, and so does what gathering signatures does to the latency.
set -uo pipefail
build=${1:-build}
bin=$PWD/$build/sluice
OFFER=${E2E_OFFER:-25000}
ED25519=${E2E_ED25519:-auto}
RATE=${E2E_RATE:-4000}
SECS=${E2E_SECONDS:-5}
name=bench-e2e-$$
port=$((30000 + $$ % 20000))
tmp=$(mktemp -d /tmp/sluice-e2e.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

cat > "$tmp/e2e.toml" <<TOML
name = "$name"
[layout]
idle = "adaptive"
[net]
provider = "io_uring"
ports = [$port]
[verify]
dedup_cache_size = 1048576
ed25519 = "$ED25519"
TOML

snap() { "$bin" monitor --name "$name" --json --once 2>/dev/null; }
val() { python3 -c 'import json,sys
d=json.loads(sys.argv[1])
if sys.argv[2].startswith("sink."):   # gauges live on the tile, not in totals
    d=[t for t in d["tiles"] if t["name"]=="sink:0"][0]; sys.argv[2]=sys.argv[2][5:]
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2"; }
wait_quiet() { # prints the settled snapshot
  local prev="" cur j n=0
  for ((i = 0; i < 600; i++)); do
    j=$(snap); cur=$(val "$j" totals.sink.txns 2>/dev/null)
    if [ -n "$cur" ] && [ "$cur" = "$prev" ]; then n=$((n + 1)); else n=0; fi
    prev=$cur; [ $n -ge 5 ] && break; sleep 0.1
  done
  echo "$j"
}
run_instance() {
  "$bin" run --config "$tmp/e2e.toml" > "$tmp/run.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 200; i++)); do snap | grep -q '"state": *"running"' && return 0; sleep 0.1; done
  echo "e2e: instance did not start"; cat "$tmp/run.log"; return 1
}
stop_instance() { kill -TERM "$pid"; wait "$pid"; pid=; }

echo "end to end on loopback, io_uring provider, 1 net + 1 verify + 1 sink tile, $(nproc) CPUs, ed25519 = \"$ED25519\""
# 1. Capacity: offer more than the pipeline can verify (OFFER txn/s of
#    distinct valid transactions) and read the sink's sustained rate over a
#    window in the middle of the run, when every stage is busy.
run_instance || exit 1
"$bin" gen --dst 127.0.0.1:$port --count $((OFFER * 4)) --rate "$OFFER" --seed 1 > "$tmp/cap.json" 2>/dev/null &
gpid=$!
for ((i = 0; i < 300; i++)); do n0=$(val "$(snap)" totals.sink.txns 2>/dev/null); [ "${n0:-0}" -gt 0 ] && break; sleep 0.05; done
sleep 0.5
t1=$(date +%s%N); n1=$(val "$(snap)" totals.sink.txns)
sleep 2
t2=$(date +%s%N); j=$(snap); n2=$(val "$j" totals.sink.txns)
wait "$gpid"
cap=$(python3 -c "print(int(($n2 - $n1) / (($t2 - $t1) / 1e9)))")
j=$(wait_quiet)
printf '  capacity: offered %s txn/s for 4 s; sink sustained %s txn/s; verify overrun %s (counted, not lost silently)\n' \
  "$OFFER" "$cap" "$(val "$j" totals.verify.overrun)"
stop_instance

run_instance || exit 1
sum=$("$bin" gen --dst 127.0.0.1:$port --count $((RATE * SECS)) --rate "$RATE" --seed 2 --dup 0.1 --bad-sig 0.05 2>/dev/null)
j=$(wait_quiet)
printf '  latency at %s txn/s (%s%% of capacity): p50 %s us, p99 %s us (tsorig -> sink)\n' "$RATE" \
  "$(python3 -c "print(round(100 * $RATE / max($cap, 1)))")" \
  "$(( $(val "$j" sink.latency_p50_ns) / 1000 ))" "$(( $(val "$j" sink.latency_p99_ns) / 1000 ))"
ok=$([ "$(val "$j" totals.sink.txns)" = "$(val "$sum" valid_unique)" ] && echo exact || echo MISMATCH)
echo "  accounting at that rate: sink.txns $(val "$j" totals.sink.txns) vs valid_unique $(val "$sum" valid_unique): $ok"
echo "RESULT bench=e2e ed25519=$ED25519 capacity_txn_per_s=$cap p50_us=$(( $(val "$j" sink.latency_p50_ns) / 1000 )) p99_us=$(( $(val "$j" sink.latency_p99_ns) / 1000 ))"
stop_instance
