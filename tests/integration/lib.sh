# tests/integration/lib.sh: shared helpers for the integration scripts.
# Source it; set NAME_PREFIX first if you like. Every process started here is
# recorded and ended by pid in the EXIT trap; every namespace made is removed.

set -uo pipefail
: "${SLUICE_BIN:?run through tests/run.sh (SLUICE_BIN unset)}"
SUITE=${SUITE:-$(basename "$0" .sh)}
PASS=0
FAIL=0
PIDS=()
NETNS=()
TMP=$(mktemp -d /tmp/sluice-$SUITE.XXXXXX)
# CAP: where an instance may write its capture. The tiles run as another
# user (nobody, when root starts them), so it is world-writable and sticky,
# and TMP (private otherwise) lets that user reach it without listing it.
CAP=$TMP/cap
mkdir -m 1777 "$CAP" && chmod 711 "$TMP"

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { # check "description" command...
  local d=$1; shift
  if "$@"; then ok "$d"; else not_ok "$d"; fi
}
eq() { # eq "description" expected actual
  if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: expected $2, got $3"; fi
}

cleanup() {
  [ -n "${KEEP_TMP:-}" ] && cp -r "$TMP" /tmp/kept-$SUITE-$$ 2>/dev/null
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$TMP"
}
finish() {
  echo "$SUITE: $PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}
trap cleanup EXIT

uniq_name() { echo "t$$-$1-$RANDOM"; }

# write_config FILE NAME PORT [section.key = value ...]: a small test
# instance. Extra lines override the test defaults of their section.
write_config() {
  local f=$1 name=$2 port=$3; shift 3
  python3 - "$f" "$name" "$port" "$@" <<'PY'
import sys
f, name, port, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
cfg = {
    "layout": {"idle": '"adaptive"'},
    "net": {"interface": '"lo"', "provider": '"io_uring"', "ports": "[%s]" % port, "rx_queue_size": "1024"},
    "shmem": {"ring_depth": "4096"},
    "verify": {"dedup_cache_size": "65536"},
    "sink": {},
}
for line in extra:
    key, val = [x.strip() for x in line.split("=", 1)]
    sec, k = key.split(".", 1)
    cfg.setdefault(sec, {})[k] = val
with open(f, "w") as out:
    out.write('name = "%s"\n' % name)
    for sec, kv in cfg.items():
        out.write("[%s]\n" % sec)
        for k, v in kv.items():
            out.write("%s = %s\n" % (k, v))
PY
}

# start_instance CONFIG LOG: runs `sluice run` in the background; sets INST_PID.
start_instance() {
  "$SLUICE_BIN" run --config "$1" > "$2" 2>&1 &
  INST_PID=$!
  PIDS+=("$INST_PID")
}

# mon NAME: one JSON snapshot on stdout (empty if the instance is not there).
mon() { "$SLUICE_BIN" monitor --name "$1" --json --once 2>/dev/null; }

# jget JSON PATH: a value from the snapshot, e.g. jget "$j" totals.verify.verified
jget() {
  python3 -c 'import json,sys
d=json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$1" "$2" 2>/dev/null
}

# wait_running NAME TIMEOUT_S: every tile in state running.
wait_running() {
  local name=$1 t=$(( $2 * 10 )) j
  for ((i = 0; i < t; i++)); do
    j=$(mon "$name")
    if [ -n "$j" ] && python3 -c 'import json,sys
d=json.loads(sys.argv[1]); sys.exit(0 if d["tiles"] and all(t["state"]=="running" for t in d["tiles"]) else 1)' "$j" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# wait_quiet NAME TIMEOUT_S: packet counters unchanged for 0.5 s; prints the last snapshot.
wait_quiet() {
  local name=$1 t=$(( $2 * 10 )) prev="" cur j n=0
  for ((i = 0; i < t; i++)); do
    j=$(mon "$name")
    cur=$(python3 -c 'import json,sys
d=json.loads(sys.argv[1])["totals"]
keys={"net":["rx_pkts","published","rx_malformed"],"verify":["in_frags","verified","dedup_drop","sigverify_fail","parse_fail","overrun"],"sink":["txns"]}
print([d[k][n] for k in keys for n in keys[k]])' "$j" 2>/dev/null)
    if [ -n "$cur" ] && [ "$cur" = "$prev" ]; then n=$((n + 1)); else n=0; fi
    prev=$cur
    if [ $n -ge 5 ]; then echo "$j"; return 0; fi
    sleep 0.1
  done
  echo "$j"
  return 1
}

# wait_gone PID TIMEOUT_S: waits for our child to exit; sets EXIT_CODE.
wait_gone() {
  local pid=$1 t=$(( $2 * 100 ))
  for ((i = 0; i < t; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"; EXIT_CODE=$?; return 0
    fi
    sleep 0.01
  done
  EXIT_CODE=timeout
  return 1
}

# wksp_exists NAME: the instance's workspace file is present somewhere.
# (Each user's workspaces live in its private BASE/sluice-UID[.x] directories.)
wksp_exists() {
  local n=$1 f
  for f in /dev/shm/sluice-*/"$n".wksp; do [ -e "$f" ] && return 0; done
  for m in $(awk '$3=="hugetlbfs"{print $2}' /proc/mounts); do
    for f in "$m"/sluice-*/"$n".wksp; do [ -e "$f" ] && return 0; done
  done
  return 1
}

# pcap_count FILE: number of packets in a pcap file.
pcap_count() { tcpdump -nr "$1" 2>/dev/null | wc -l; }

# live_count PIDS...: how many of these processes still run (a zombie, dead
# but not yet reaped by its new parent, does not count).
live_count() {
  local n=0 st
  for p in "$@"; do
    st=$(ps -o stat= -p "$p" 2>/dev/null) || continue
    case $st in Z*) ;; *) n=$((n + 1)) ;; esac
  done
  echo $n
}

# wait_none_live TIMEOUT_S PIDS...: until none of them runs; prints the count left.
wait_none_live() {
  local t=$(( $1 * 20 )); shift
  for ((i = 0; i < t; i++)); do
    [ "$(live_count "$@")" = 0 ] && { echo 0; return 0; }
    sleep 0.05
  done
  live_count "$@"
}
