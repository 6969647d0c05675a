#!/usr/bin/env bash
# Every tile runs in its sandbox (DESIGN.md "Sandbox"), checked on real
# processes for every tile kind under both providers: not root, no
# capability (effective, permitted, bounding), no_new_privs, seccomp filter,
# exactly its descriptors (an fd 42 on /etc/shadow and a SECRET_TOKEN in the
# environment of the invoking shell reach none), an empty environment, its
# own session, private namespaces, an empty root. Then a tile behaving as a
# compromised one would (driven from outside with gdb, not by a hook in the
# binary): a system call off its list kills it and the instance, naming the
# tile and the call; a write to memory it does not own faults. Last, random
# bytes scribbled over everything tiles may write, while the instance runs:
# the supervisor and the monitor neither crash nor hang, and the instance
# still goes down cleanly.
SUITE=sandbox
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  if [ "${SLUICE_ALLOW_SKIP_PRIVILEGED:-0}" = 1 ]; then echo "sandbox: skipped (not root)"; finish; exit; fi
  not_ok "needs root (the tiles drop to nobody; gdb attaches to them)"; finish; exit 1
fi

PORT=$((20000 + ($$ + 11) % 20000))
MPORT=$((PORT + 1))
chmod 755 "$TMP"; mkdir -p "$TMP/cap" && chown nobody "$TMP/cap" # the sink opens it as nobody

# tile_fds PID: the targets of its descriptors, one per line, sorted.
tile_fds() { for f in /proc/$1/fd/*; do readlink "$f"; done 2>/dev/null | sort; }
status_of() { awk -v k="$2:" '$1 == k {print $2, $3, $4, $5}' /proc/$1/status; }

check_tile() { # check_tile LABEL PID KIND PROVIDER SUP_PID
  local l=$1 p=$2 kind=$3 prov=$4 sup=$5
  eq "$l: uid (real, effective, saved, fs) is nobody's" "65534 65534 65534 65534" "$(status_of "$p" Uid)"
  for c in CapEff CapPrm CapBnd CapInh CapAmb; do
    eq "$l: $c is empty" "0000000000000000" "$(status_of "$p" $c | awk '{print $1}')"
  done
  eq "$l: NoNewPrivs" 1 "$(status_of "$p" NoNewPrivs | awk '{print $1}')"
  eq "$l: nice 19 (the config's [layout] nice)" 19 "$(awk '{print $19}' /proc/$p/stat)"
  eq "$l: scheduling policy SCHED_BATCH (3)" 3 "$(awk '{print $41}' /proc/$p/stat)"
  eq "$l: seccomp filter mode" 2 "$(status_of "$p" Seccomp | awk '{print $1}')"
  eq "$l: environment empty" 0 "$(tr -d '\0' < /proc/$p/environ | wc -c)"
  local fds; fds=$(tile_fds "$p")
  check "$l: no fd 42 inherited" test ! -e /proc/$p/fd/42
  check "$l: no descriptor on /etc/shadow" bash -c "! grep -q shadow <<< '$fds'"
  check "$l: no BPF program, map or link descriptor" bash -c "! grep -q bpf <<< '$fds'"
  local want
  case $kind/$prov in
    net/io_uring) want="anon_inode:[io_uring] log socket" ;;
    net/xdp) want="log socket" ;;
    verify/*) want="log" ;;
    sink/*) want="dir log pcap" ;;
    metric/*) want="log socket" ;;
  esac
  local got; got=$(sed -e "s|^$TMP/$NAME.log\$|log|" -e "s|^$TMP/cap\$|dir|" -e "s|^$TMP/cap/cap.pcap\$|pcap|" \
    -e 's|^socket:.*|socket|' <<< "$fds" | sort | tr '\n' ' ' | sed 's/ $//')
  eq "$l: descriptors are exactly its own" "$want" "$got"
  eq "$l: its own session" "$p" "$(awk '{print $6}' /proc/$p/stat)"
  for ns in net mnt ipc uts; do
    check "$l: private $ns namespace" test "$(readlink /proc/$p/ns/$ns)" != "$(readlink /proc/$sup/ns/$ns)"
  done
  eq "$l: an empty root" "" "$(ls -A /proc/$p/root 2>&1)"
}

start_sb() { # start_sb PROVIDER: an instance of every tile kind, started from a shell holding fd 42 and a secret
  NAME=$(uniq_name sb)
  write_config "$TMP/$NAME.toml" "$NAME" "$PORT" "net.provider = \"$1\"" "layout.nice = 19" \
    "sink.pcap = \"$TMP/cap/cap.pcap\"" "monitor.prometheus_listen = \"127.0.0.1:$MPORT\""
  sed -i '1a user = "nobody"' "$TMP/$NAME.toml"
  (exec 42</etc/shadow; SECRET_TOKEN=x exec "$SLUICE_BIN" run --config "$TMP/$NAME.toml") > "$TMP/$NAME.log" 2>&1 &
  INST_PID=$!; PIDS+=("$INST_PID")
  wait_running "$NAME" 20
}

# tile_gdb PID COMMAND: runs COMMAND inside the tile, as code the tile
# executes itself (its own system calls, its own memory accesses). The
# tile's root is empty: gdb reads the program and its libraries from ours.
tile_gdb() { gdb -q -nx -batch -ex 'set sysroot /' -ex "$2" "$SLUICE_BIN" -p "$1" >/dev/null 2>&1; }

tile_pid() { # tile_pid NAME TILE
  python3 -c 'import json,sys
print([t["pid"] for t in json.loads(sys.argv[1])["tiles"] if t["name"]==sys.argv[2]][0])' "$(mon "$1")" "$2"
}

for prov in io_uring xdp; do
  if ! start_sb $prov; then not_ok "$prov: instance did not start"; cat "$TMP/$NAME.log"; continue; fi
  "$SLUICE_BIN" gen --dst 127.0.0.1:$PORT --count 300 --rate 1000 >/dev/null 2>&1
  j=$(mon "$NAME")
  kinds=$(python3 -c 'import json,sys
print(" ".join("%s/%s/%s" % (t["name"], t["pid"], t["kind"]) for t in json.loads(sys.argv[1])["tiles"]))' "$j")
  eq "$prov: every tile kind runs" "net verify sink metric" "$(tr ' ' '\n' <<< "$kinds" | cut -d/ -f3 | uniq | tr '\n' ' ' | sed 's/ $//')"
  for t in $kinds; do
    IFS=/ read -r tn pid kind <<< "$t"
    check_tile "$prov $tn" "$pid" "$kind" "$prov" "$INST_PID"
  done
  check "$prov: /metrics is served by the sandboxed metric tile" \
    bash -c "curl -s --max-time 2 http://127.0.0.1:$MPORT/metrics | grep -q '^sluice_build_info'"
  kill -TERM "$INST_PID"; wait_gone "$INST_PID" 20
  eq "$prov: stops cleanly" 0 "$EXIT_CODE"
done

# A system call off a tile's list: the tile dies of SIGSYS, the instance
# with it, and the log names the tile and the call.
if start_sb io_uring; then
  v=$(tile_pid "$NAME" verify:0)
  tile_gdb "$v" 'call (long)syscall(41, 2, 2, 0)'
  wait_gone "$INST_PID" 10
  eq "a forbidden system call: the instance exits 1" 1 "$EXIT_CODE"
  check "the log names the tile and the call" \
    grep -q "tile verify:0 (pid $v) was killed by its sandbox (SIGSYS): it made system call socket (41)" "$TMP/$NAME.log"
  check "workspace removed" bash -c "$(declare -f wksp_exists); ! wksp_exists $NAME &>/dev/null"
else
  not_ok "SIGSYS instance did not start"
fi

# A write to memory the tile does not own (the workspace header, the
# supervisor's) faults; the instance goes down.
if start_sb io_uring; then
  v=$(tile_pid "$NAME" verify:0)
  base=$(awk -v n="$NAME.wksp" 'index($6, n) {print $1; exit}' /proc/$v/maps | cut -d- -f1)
  tile_gdb "$v" "call (void *)memset((void *)0x$base, 0, 8)"
  wait_gone "$INST_PID" 10
  eq "a write outside its region: the instance exits 1" 1 "$EXIT_CODE"
  check "the log says the tile faulted" grep -q "tile verify:0 (pid $v) was killed by signal 11" "$TMP/$NAME.log"
else
  not_ok "write-fault instance did not start"
fi

# Random bytes over every object tiles may write (all but the header and
# the topology, which only the supervisor writes), for 2 s, under traffic.
if start_sb io_uring; then
  "$SLUICE_BIN" gen --dst 127.0.0.1:$PORT --count 4000 --rate 2000 >/dev/null 2>&1 &
  PIDS+=($!)
  wk=$(ls /dev/shm/sluice-0/"$NAME".wksp $(awk '$3=="hugetlbfs"{print $2"/sluice-0/'"$NAME"'.wksp"}' /proc/mounts) 2>/dev/null | head -1)
  python3 - "$wk" <<'PY' &
import mmap, os, random, struct, sys, time
f = open(sys.argv[1], "r+b")
m = mmap.mmap(f.fileno(), 0)
ver, = struct.unpack_from("<I", m, 8)
assert ver == 2, "workspace layout %d: update this test" % ver
cnt, = struct.unpack_from("<I", m, 160)
objs = []
for i in range(cnt):
    name = m[232 + 72 * i: 232 + 72 * i + 48].split(b"\0")[0]
    off, sz = struct.unpack_from("<QQ", m, 232 + 72 * i + 56)
    if name != b"topo": objs.append((off, sz))
rnd = random.Random(1)
end = time.time() + 2
while time.time() < end:
    off, sz = rnd.choice(objs)
    n = min(sz, rnd.choice([8, 64, 4096]))
    at = off + rnd.randrange(0, max(1, sz - n + 1))
    m[at:at + n] = os.urandom(n)
PY
  scr=$!; PIDS+=("$scr")
  bad=0
  for i in 1 2 3 4 5 6; do
    timeout 5 "$SLUICE_BIN" monitor --name "$NAME" --json --once >/dev/null 2>&1; rc=$?
    [ $rc -le 1 ] || bad=$((bad + 1)); sleep 0.3
  done
  wait "$scr" 2>/dev/null
  eq "scribbled: the monitor never crashed or hung" 0 "$bad"
  kill -TERM "$INST_PID" 2>/dev/null; wait_gone "$INST_PID" 20
  check "scribbled: the supervisor exited by itself, not by a signal or a timeout ($EXIT_CODE)" \
    test "$EXIT_CODE" = 0 -o "$EXIT_CODE" = 1
  check "scribbled: the log ends with a clear line" \
    bash -c "tail -1 '$TMP/$NAME.log' | grep -qE 'stopped cleanly|stopped: the instance failed'"
  check "scribbled: workspace removed" bash -c "$(declare -f wksp_exists); ! wksp_exists $NAME &>/dev/null"
  eq "scribbled: no tile left running" 0 "$(pgrep -c -f "sluice run --config $TMP/$NAME.toml" || true)"
else
  not_ok "scribble instance did not start"
fi

# The supervisor killed outright: every tile dies with it, although each
# changed its credentials (which clears a parent-death signal) and the
# sink's capture was opened under another file-system uid.
if start_sb io_uring; then
  tiles=$(python3 -c 'import json,sys
print(" ".join(str(t["pid"]) for t in json.loads(sys.argv[1])["tiles"]))' "$(mon "$NAME")")
  kill -KILL "$INST_PID"; wait_gone "$INST_PID" 10
  left=$tiles
  for ((i = 0; i < 200 && ${#left}; i++)); do
    left=$(for p in $tiles; do kill -0 "$p" 2>/dev/null && echo "$p"; done)
    sleep 0.01
  done
  eq "supervisor killed: no tile outlives it (left: ${left:-none})" "" "$left"
  for p in $left; do kill -KILL "$p" 2>/dev/null; done
  rm -f /dev/shm/sluice-0/"$NAME".wksp $(awk '$3=="hugetlbfs"{print $2"/sluice-0/'"$NAME"'.wksp"}' /proc/mounts)
else
  not_ok "supervisor-kill instance did not start"
fi

finish
