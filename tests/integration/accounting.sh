#!/usr/bin/env bash
# Exact accounting with 1, 2 and 4 verify tiles under overload (io_uring on
# loopback): gen sends distinct valid transactions as fast as it can, far
# more than the verify tiles can check, so the net->verify rings are lapped.
# At rest, what the net tile published is, exactly, the sum over the verify
# tiles of what each judged (in_frags) and what each lost (overrun while
# polling + reads voided while reading), each frag counted once, by its
# owner; and every verify tile's judgements add up. Each verify tile runs
# (monitor mode, log line) the configured ed25519 backend: "auto" (the
# fastest the CPU's flags allow) with 1 and 4 tiles, "libsodium" with 2.
SUITE=accounting
. "$(dirname "$0")/lib.sh"

PORT=$((20000 + ($$ + 7) % 20000))

# What "auto" must pick here, from the kernel's view of the CPU.
flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { [[ " $flags " == *" $1 "* ]]; }
if has avx512f && has avx512ifma && has avx512bw; then auto=avx512
elif has avx2; then auto=avx2
else auto=libsodium; fi

for v in 1 2 4; do
  name=$(uniq_name acct$v)
  if [ $v -eq 2 ]; then backend=libsodium; else backend=auto; fi
  want=$backend; [ "$backend" = auto ] && want=$auto
  write_config "$TMP/a$v.toml" "$name" "$PORT" "layout.verify_tile_count = $v" "shmem.ring_depth = 1024" \
    "verify.ed25519 = \"$backend\""
  start_instance "$TMP/a$v.toml" "$TMP/a$v.log"
  if ! wait_running "$name" 20; then
    not_ok "$v verify: instance did not start"; cat "$TMP/a$v.log"; continue
  fi
  sum=$("$SLUICE_BIN" gen --dst 127.0.0.1:$PORT --count 40000 --rate 0 --seed $((30 + v)) 2>/dev/null)
  echo "# $v verify tiles, gen: $sum"
  j=$(wait_quiet "$name" 60) || not_ok "$v verify: counters never settled"
  python3 - "$j" "$v" "$want" <<'PY'
import json, sys
d, v, want = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
net = sum(t["published"] for t in d["tiles"] if t["kind"] == "net")
ver = [t for t in d["tiles"] if t["kind"] == "verify"]
judged = sum(t["in_frags"] for t in ver)
lost = sum(t["overrun"] + t["overrun_read"] for t in ver)
ok = True
def check(cond, what):
    global ok
    print(("ok - " if cond else "not ok - ") + what)
    ok &= cond
check(len(ver) == v, "%d verify: %d verify tiles reported" % (v, len(ver)))
check(net == judged + lost, "%d verify: published %d == judged %d + lost %d" % (v, net, judged, lost))
check(lost > 0, "%d verify: overloaded (lost %d > 0), so the rule was tested under loss" % (v, lost))
for t in ver:
    parts = t["parse_fail"] + t["dedup_drop"] + t["sigverify_fail"] + t["verified"]
    check(t["in_frags"] == parts, "%d verify: %s in_frags %d == its verdicts %d" % (v, t["name"], t["in_frags"], parts))
    check(t["in_frags"] > 0, "%d verify: %s judged its share (%d)" % (v, t["name"], t["in_frags"]))
    check(t["mode"] == want, "%d verify: %s runs ed25519 backend %r (want %r)" % (v, t["name"], t["mode"], want))
sink = sum(t["txns"] for t in d["tiles"] if t["kind"] == "sink")
verified = sum(t["verified"] for t in ver)
check(sink == verified, "%d verify: sink txns %d == verified %d" % (v, sink, verified))
sys.exit(0 if ok else 1)
PY
  if [ $? -eq 0 ]; then ok "$v verify: exact accounting"; else not_ok "$v verify: exact accounting"; fi
  eq "$v verify: each verify tile logs its backend" "$v" \
    "$(grep -c "checking signatures with the $want ed25519 backend" "$TMP/a$v.log")"
  kill -TERM "$INST_PID"
  wait_gone "$INST_PID" 30
  eq "$v verify: SIGTERM exits 0" 0 "$EXIT_CODE"
done

finish
