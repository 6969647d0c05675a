#!/usr/bin/env bash
# tests/integration/systemd_unit.sh: the installed systemd unit
# (deploy/sluice.service.in through `make install`).
#  - `systemd-analyze verify` is clean (no output) and
#    `systemd-analyze security --offline=true` scores it at most 4.0;
#  - what its sandbox allows is what sluice uses. systemd is not PID 1 here,
#    so the unit cannot be started; instead `sluice run` runs for real (XDP
#    and io_uring, with traffic, a pcap, a user switch and a /metrics scrape)
#    under strace, with only the unit's capabilities (setpriv), and every
#    system call, socket address family and memory protection it uses must be
#    allowed by SystemCallFilter, RestrictAddressFamilies and
#    MemoryDenyWriteExecute.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."
root=$PWD
build=${SLUICE_BUILD#"$root"/}

# Installed without DESTDIR into a scratch prefix, so that ExecStart names a
# binary that exists (verify checks it).
prefix=$TMP/prefix
make -s -C "$root" BUILD="$build" PREFIX="$prefix" install > "$TMP/install.log" 2>&1 ||
  { cat "$TMP/install.log"; not_ok "make install PREFIX=$prefix"; finish; exit; }
unit=$prefix/lib/systemd/system/sluice.service

# Documentation= names man pages: verify looks them up, in the prefix's man tree.
MANPATH=$prefix/share/man systemd-analyze verify "$unit" > "$TMP/verify" 2>&1
eq "systemd-analyze verify exits 0" 0 $?
check "systemd-analyze verify prints nothing" test ! -s "$TMP/verify"
cat "$TMP/verify"

systemd-analyze security --offline=true "$unit" > "$TMP/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for sluice.service: \([0-9.]*\).*/\1/p' "$TMP/security")
grep 'Overall exposure' "$TMP/security"
check "systemd-analyze security --offline=true scores the unit ${score:-?} <= 4.0" \
  python3 -c "import sys; sys.exit(0 if '$score' and float('$score') <= 4.0 else 1)"

if [ "$(id -u)" -ne 0 ] || ! command -v strace > /dev/null; then
  echo "skipping the run under the unit's limits: needs root and strace"
  finish
  exit
fi

# unit_values KEY: the values of every KEY= line of the unit, space-separated.
unit_values() { sed -n "s/^$1=//p" "$unit" | paste -sd ' '; }
caps=$(unit_values CapabilityBoundingSet)
bounding=-all$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)

# The idle loops' calls (tiles nap and yield, thousands of times a second)
# are not traced, which would slow the run down a hundredfold; they are
# checked against the filter all the same.
UNTRACED=clock_nanosleep,nanosleep,sched_yield

# run_traced NAME PROVIDER: one instance under strace with the unit's
# bounding set, traffic through it, a scrape, SIGTERM; the trace in
# $TMP/NAME.trace. Returns after the instance exited.
run_traced() {
  local name=$1 provider=$2 port=$((20000 + RANDOM % 20000)) mport=$((40000 + RANDOM % 20000))
  local inst cfg=$TMP/$1.toml
  inst=$(uniq_name "$1")
  write_config "$cfg" "$inst" "$port" "net.provider = \"$provider\"" 'net.xdp_mode = "skb"' \
    "sink.pcap = \"$CAP/$1.pcap\"" "monitor.prometheus_listen = \"127.0.0.1:$mport\""
  sed -i '1a user = "nobody"' "$cfg"
  # LeakSanitizer (SAN=1 builds) stops the world with ptrace at exit, which
  # it cannot while strace traces the process: leaks are checked elsewhere.
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
  strace -f -qq --seccomp-bpf -e trace="!$UNTRACED" -o "$TMP/$1.trace" \
    setpriv --bounding-set="$bounding" --inh-caps=-all --ambient-caps=-all \
    "$SLUICE_BIN" run --config "$cfg" > "$TMP/$1.log" 2>&1 &
  local pid=$! sup=
  PIDS+=("$pid")
  # The supervisor is strace's child once setpriv has exec'd it (strace may
  # fork a short-lived probe first): signals go to it. strace exits with its
  # exit status once every traced process is gone.
  for _ in $(seq 200); do
    sup=$(ps -o pid=,comm= --ppid "$pid" | awk '$2 == "sluice" {print $1; exit}')
    [ -n "$sup" ] && break
    sleep 0.05
  done
  # Should strace go first, its seccomp filter would fail the tracees' calls
  # (ENOSYS): the EXIT trap must end sluice's own processes, by pid.
  [ -n "$sup" ] && PIDS+=("$sup")
  if [ -z "$sup" ] || ! wait_running "$inst" 60; then
    not_ok "$name: the instance runs with only the unit's capabilities ($caps)"
    cat "$TMP/$1.log"
    [ -n "$sup" ] && kill -TERM "$sup"
    wait_gone "$pid" 30
    return
  fi
  ok "$name: the instance runs with only the unit's capabilities"
  # shellcheck disable=SC2207 # one pid per word
  PIDS+=($(ps -o pid= --ppid "$sup"))
  "$SLUICE_BIN" gen --dst "127.0.0.1:$port" --count 300 --rate 3000 --seed 7 > "$TMP/$1.gen" 2>&1
  python3 -c 'import sys, urllib.request
sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read() else 1)' "$mport"
  eq "$name: /metrics answers" 0 $?
  local j
  j=$(wait_quiet "$inst" 30)
  check "$name: verified transactions reach the sink ($(jget "$j" totals.sink.txns))" \
    test "$(jget "$j" totals.sink.txns)" -gt 0 2> /dev/null
  kill -TERM "$sup"
  wait_gone "$pid" 60
  eq "$name: SIGTERM drains and exits 0" 0 "$EXIT_CODE"
  check "$name: the tiles switched to user nobody (no 'cannot switch' in the log)" \
    bash -c "! grep -q 'cannot switch' '$TMP/$1.log'"
}

run_traced xdp xdp
run_traced uring io_uring

# A tile that dies takes the instance down under the unit's capabilities too:
# the supervisor (root) must be able to SIGKILL tiles that switched to a user.
inst=$(uniq_name death)
write_config "$TMP/death.toml" "$inst" $((20000 + RANDOM % 20000))
sed -i '1a user = "nobody"' "$TMP/death.toml"
setpriv --bounding-set="$bounding" --inh-caps=-all --ambient-caps=-all \
  "$SLUICE_BIN" run --config "$TMP/death.toml" > "$TMP/death.log" 2>&1 &
sup=$!
PIDS+=("$sup")
if wait_running "$inst" 30; then
  tiles=$(ps -o pid= --ppid "$sup")
  # shellcheck disable=SC2206 # one pid per word
  PIDS+=($tiles) # the EXIT trap ends them should the supervisor not
  verify=$(ps -o pid=,comm= --ppid "$sup" | awk '$2 ~ /verify/ {print $1; exit}')
  kill -KILL "$verify"
  wait_gone "$sup" 20
  eq "a killed tile takes the instance down (exit 1) with only the unit's capabilities" 1 "$EXIT_CODE"
  # shellcheck disable=SC2086 # one pid per word
  eq "no tile is left running" 0 "$(wait_none_live 10 $tiles)"
else
  not_ok "the tile-death instance runs"
  cat "$TMP/death.log"
fi

# What sluice did (from its own execve on, so setpriv's calls do not count):
# system calls, socket families, executable mappings.
python3 - "$unit" "$UNTRACED" "$TMP/xdp.trace" "$TMP/uring.trace" > "$TMP/usage" <<'PY'
import re, subprocess, sys
unit, untraced, traces = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = open(unit).read().splitlines()
def values(key):
    return [l.split("=", 1)[1] for l in lines if l.startswith(key + "=")]

groups = {}
def expand(item):
    if not item.startswith("@"):
        return {item}
    if item not in groups:
        out = subprocess.run(["systemd-analyze", "syscall-filter", item], capture_output=True, text=True).stdout
        names = set()
        for l in out.splitlines()[1:]:
            l = l.strip()
            if l and not l.startswith("#"):
                names |= expand(l)
        groups[item] = names
    return groups[item]

allow, deny = set(), set()
for v in values("SystemCallFilter"):
    neg = v.startswith("~")
    for item in v.lstrip("~").split():
        (deny if neg else allow).update(expand(item))
allowed = allow - deny
families = set(" ".join(values("RestrictAddressFamilies")).split())

used, fams, wx = set(untraced.split(",")), set(), []
for t in traces:
    started = set()
    for l in open(t):
        m = re.match(r"(\d+)\s+(.*)", l)
        if not m:
            continue
        pid, rest = m.groups()
        if not started:
            if re.match(r'execve\("[^"]*/sluice"', rest) and "= 0" in rest:
                started.add(pid)
            continue
        m = re.match(r"([a-z0-9_]+)\(", rest)
        if not m:
            continue
        name = m.group(1)
        used.add(name)
        m = re.match(r"socket(?:pair)?\((AF_\w+)", rest)
        if m:
            fams.add(m.group(1))
        if (name == "mprotect" and "PROT_EXEC" in rest) or \
           (name == "mmap" and "PROT_WRITE" in rest and "PROT_EXEC" in rest):
            wx.append(rest.strip()[:120])
for s in sorted(used - allowed):
    print("syscall", s)
for f in sorted(fams - families):
    print("family", f)
for w in wx:
    print("wx", w)
print("counts", len(used), len(fams))
PY
read -r _ ncalls nfams < <(grep '^counts' "$TMP/usage")
check "the runs were traced ($ncalls system calls, $nfams address families)" test "${ncalls:-0}" -gt 20
while read -r what v; do
  case $what in
    syscall) not_ok "SystemCallFilter allows $v, which sluice run calls" ;;
    family) not_ok "RestrictAddressFamilies allows $v, which sluice run opens" ;;
    wx) not_ok "MemoryDenyWriteExecute allows: $v" ;;
  esac
done < "$TMP/usage"
check "SystemCallFilter allows every system call sluice run makes" bash -c "! grep -q '^syscall' '$TMP/usage'"
check "RestrictAddressFamilies allows every socket family sluice run opens" bash -c "! grep -q '^family' '$TMP/usage'"
check "no mapping is made writable and executable (MemoryDenyWriteExecute)" bash -c "! grep -q '^wx' '$TMP/usage'"

finish
