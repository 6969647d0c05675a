#!/usr/bin/env bash
# tests/bench/e2e.sh BUILD: end to end on loopback (io_uring provider), one
# net, one verify, one sink tile on this machine's CPUs, traffic from
# `sluice gen` (valid, distinct transactions).
#  1. capacity: gen offers OFFER distinct valid transactions/s for 4 s (by
#     default more than one verify tile can check); over the middle 2 s of
#     the send: the sink's sustained rate, and beside it what the net tile
#     published, what the verify tile judged and what it could not keep up
#     with (counted as overrun, never lost silently); then the accounting
#     of the whole run at rest;
#  2. latency: gen paced at RATE (below capacity): p50/p99 from tsorig (packet
#     taken off the socket) to the sink, and exact accounting.
# E2E_ED25519 picks [verify] ed25519 (default "auto"); make bench runs it
# with "libsodium" and "auto", so the gain of our own backends shows end to
# end, and so does what gathering signatures does to the latency.
set -uo pipefail
build=${1:-build}
bin=$PWD/$build/sluice
OFFER=${E2E_OFFER:-150000}  # above what one verify tile checks, with any backend
ED25519=${E2E_ED25519:-auto}
RATE=${E2E_RATE:-4000}
SECS=${E2E_SECONDS:-5}
name=bench-e2e-$$
port=$((30000 + $$ % 20000))
tmp=$(mktemp -d /tmp/sluice-e2e.XXXXXX)
pid='' mpid=''
cleanup() {
  [ -n "$mpid" ] && kill "$mpid" 2>/dev/null
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
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
#    window in the middle of the run, when every stage is busy. Every packet
#    must be distinct (--pool = --count): gen's default pool is 131072, and
#    beyond it packets repeat byte for byte, which the verify tile rightly
#    drops as duplicates, so past 131072 / OFFER s nothing new reaches the
#    sink. gen signs the whole pool before it sends (about 20 s for 600000
#    on two cores). The window is read from a 100 ms series of snapshots,
#    timed by the snapshots' own clock (taken_ns), not by when a `monitor
#    --once` run happened to be scheduled.
count=$((OFFER * 4))
run_instance || exit 1
"$bin" monitor --name "$name" --json --interval 100 > "$tmp/cap.ndjson" 2>/dev/null &
mpid=$!
if ! "$bin" gen --dst 127.0.0.1:$port --count "$count" --pool "$count" --rate "$OFFER" --seed 1 \
    > "$tmp/cap.json" 2> "$tmp/gen.log"; then
  echo "e2e: gen failed:"; cat "$tmp/gen.log"; exit 1
fi
wait_quiet > /dev/null
sleep 0.3 # one more sample of the settled counters
kill -TERM "$mpid"; wait "$mpid"; mpid=
python3 - "$tmp/cap.ndjson" "$tmp/cap.json" "$OFFER" "$tmp/cap" <<'PY' || exit 1
import json, sys
series, gen, offer, out = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3]), sys.argv[4]
rows = []
for line in open(series):
    try:
        d = json.loads(line)
    except ValueError:
        continue  # a line cut short when the monitor stopped
    ver = [t for t in d["tiles"] if t["kind"] == "verify"]
    rows.append({"t": d["instance"]["taken_ns"],
                 "published": sum(t["published"] for t in d["tiles"] if t["kind"] == "net"),
                 "judged": sum(t["in_frags"] for t in ver),
                 "overrun": sum(t["overrun"] for t in ver),
                 "voided": sum(t["overrun_read"] for t in ver),
                 "verified": sum(t["verified"] for t in ver),
                 "txns": sum(t["txns"] for t in d["tiles"] if t["kind"] == "sink")})
if gen["duplicates"] or gen["valid_unique"] != gen["sent"]:
    sys.exit("e2e: gen repeated packets (%s): the capacity would count dedup, not verification" % json.dumps(gen))
if not rows or not rows[-1]["published"]:
    sys.exit("e2e: the net tile published nothing (%d snapshots)" % len(rows))
end = rows[-1]
depth = max(l["depth"] for l in d["links"] if not l["reliable"])  # the net->verify rings
# The send interval as the net tile saw it: from the last snapshot before
# its first frag to the first with all of them; the window is its middle 2 s.
first = max(next(i for i, r in enumerate(rows) if r["published"]) - 1, 0)
last = next(i for i, r in enumerate(rows) if r["published"] == end["published"])
span = (rows[last]["t"] - rows[first]["t"]) / 1e9
mid = (rows[first]["t"] + rows[last]["t"]) / 2
lo = max((r for r in rows if r["t"] <= mid - 1e9), key=lambda r: r["t"], default=rows[first])
hi = min((r for r in rows if r["t"] >= mid + 1e9), key=lambda r: r["t"], default=rows[last])
dt = (hi["t"] - lo["t"]) / 1e9
rate = {k: int((hi[k] - lo[k]) / dt) for k in ("published", "judged", "overrun", "voided", "txns")}
lost = rate["overrun"] + rate["voided"]
run_lost = end["overrun"] + end["voided"]
print("  capacity: offered %d txn/s for %.0f s; gen sent %d distinct valid at %.0f/s; the net tile received for %.1f s"
      % (offer, gen["sent"] / offer, gen["sent"], gen["pps"], span))
# A verify tile that falls behind loses nothing until its ring is lapped,
# then a whole ring at once: so the window shows how far it fell short of
# its input, and the run shows what that cost.
print("  over %.1f s mid-run: net published %d/s -> verify judged %d/s, %d/s short of its input (overrun counted"
      " %d/s in the window: its %d-deep ring queues the deficit, a lap loses the whole ring) -> sink sustained %d txn/s"
      % (dt, rate["published"], rate["judged"], max(rate["published"] - rate["judged"], 0), lost, depth,
         rate["txns"]))
print("  verify overrun over the run: %d of %d published (%.1f %%)%s"
      % (run_lost, end["published"], 100.0 * run_lost / end["published"],
         "" if run_lost else ": none lost, so the offer did not exceed what the verify tile checks (with its ring's slack): the sink's rate is bounded by the offer, not a capacity"))
acct = end["published"] == end["judged"] + end["overrun"] + end["voided"] and end["txns"] == end["verified"]
print("  accounting at rest: published %d = judged %d + overrun %d + voided reads %d; sink.txns %d = verified %d: %s"
      % (end["published"], end["judged"], end["overrun"], end["voided"], end["txns"], end["verified"],
         "exact" if acct else "MISMATCH"))
open(out, "w").write("%d %d\n" % (rate["txns"], lost))
PY
read -r cap lost < "$tmp/cap"
stop_instance

run_instance || exit 1
sum=$("$bin" gen --dst 127.0.0.1:$port --count $((RATE * SECS)) --rate "$RATE" --seed 2 --dup 0.1 --bad-sig 0.05 2>/dev/null)
j=$(wait_quiet)
printf '  latency at %s txn/s (%s%% of capacity): p50 %s us, p99 %s us (tsorig -> sink)\n' "$RATE" \
  "$(python3 -c "print(round(100 * $RATE / max($cap, 1)))")" \
  "$(( $(val "$j" sink.latency_p50_ns) / 1000 ))" "$(( $(val "$j" sink.latency_p99_ns) / 1000 ))"
ok=$([ "$(val "$j" totals.sink.txns)" = "$(val "$sum" valid_unique)" ] && echo exact || echo MISMATCH)
echo "  accounting at that rate: sink.txns $(val "$j" totals.sink.txns) vs valid_unique $(val "$sum" valid_unique): $ok"
echo "RESULT bench=e2e ed25519=$ED25519 offer_txn_per_s=$OFFER capacity_txn_per_s=$cap overrun_per_s=$lost p50_us=$(( $(val "$j" sink.latency_p50_ns) / 1000 )) p99_us=$(( $(val "$j" sink.latency_p99_ns) / 1000 ))"
stop_instance
