#!/usr/bin/env bash
# tests/integration/preflight.sh: `sluice config check` reports what this
# host makes of a config (user, interface, CPUs, hugepages, memory, a port
# another program holds) at the FILE:LINE:COL of the value that caused it,
# exit 0 with warnings only and 2 with any error; `sluice run` and `sluice
# demo` refuse the same errors with exit 2 before any workspace exists.
# Loopback only; the one process it starts (a python3 socket holder) is
# ended by pid in the trap.
source "$(dirname "$0")/lib.sh"

NAME=$(uniq_name pf)

# conf FILE LINE...: the lines, after the instance name (line 1).
conf() { local f=$1; shift; { echo "name = \"$NAME\""; printf '%s\n' "$@"; } > "$f"; }
# check_cfg FILE: OUT = stdout and stderr of `config check FILE`, RC = its status.
check_cfg() { RC=0; OUT=$("$SLUICE_BIN" config check "$1" 2>&1) || RC=$?; }
has() { grep -qF -- "$1" <<<"$OUT"; }
expect() { # expect DESCRIPTION RC TEXT...: the exit status, and each text in the output
  local d=$1 rc=$2 ok=1; shift 2
  [ "$RC" = "$rc" ] || ok=0
  for p in "$@"; do grep -qF -- "$p" <<<"$OUT" || ok=0; done
  if [ $ok = 1 ]; then ok "$d"; else not_ok "$d (exit $RC, want $rc)"; sed 's/^/#   /' <<<"$OUT"; fi
}
# no_workspace: the run never built one (its log has no workspace line: the
# supervisor logs one as soon as it exists) and none is left in /dev/shm or
# any hugetlbfs mount.
no_workspace() {
  ! has "workspace" || return 1
  local dirs
  dirs=$(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts)
  # shellcheck disable=SC2086
  [ -z "$(find /dev/shm $dirs -maxdepth 1 -name "*$NAME*" 2>/dev/null)" ]
}

F=$TMP/c.toml

# ---- user ------------------------------------------------------------------
conf "$F" 'user = "sl-no-such-user"'
check_cfg "$F"
expect "user that does not exist: exit 2 at its value" 2 \
  "$F:2:8: error: user: \"sl-no-such-user\" does not exist on this host" "$F: 1 error"

# ---- interface, for every provider ----------------------------------------
for prov in auto xdp io_uring; do
  conf "$F" '[net]' "provider = \"$prov\"" 'interface = "nosuchif0"'
  check_cfg "$F"
  expect "interface that does not exist ($prov): exit 2 at its value" 2 \
    "$F:4:13: error: net.interface: \"nosuchif0\" does not exist on this host (interfaces here: lo"
done

# ---- CPUs -----------------------------------------------------------------
conf "$F" '[layout]' 'affinity = "0,1000"'
check_cfg "$F"
expect "offline CPU in affinity: exit 2 at its value" 2 "$F:3:12: error: layout.affinity: CPU 1000 is not online"
conf "$F" '[layout]' 'affinity = "0"'
check_cfg "$F"
expect "fewer CPUs than tiles: a warning, exit 0" 0 \
  "$F:3:12: warning: layout.affinity: 3 tiles (1 net, 1 verify, 1 sink) on 1 CPU: tiles will share CPUs" \
  "$F: ok with 1 warning"

# ---- hugepages (a mount that is no hugetlbfs has none) ----------------------
conf "$F" '[layout]' 'affinity = "auto"' '[shmem]' 'hugetlbfs_mount = "/tmp"' 'require_hugepages = true'
check_cfg "$F"
expect "no hugepages, required: exit 2 at require_hugepages, with the pages needed" 2 \
  "$F:6:21: error: shmem.require_hugepages: the workspace needs "
has " x 2M hugepages" && ok "says how many 2M pages" || not_ok "says how many 2M pages"
conf "$F" '[shmem]' 'hugetlbfs_mount = "/tmp"'
check_cfg "$F"
expect "no hugepages, not required: a warning at page_size (embedded default), exit 0" 0 \
  "$F: warning: shmem.page_size (embedded default): the workspace needs "
if grep -q '^flags.* pdpe1gb' /proc/cpuinfo; then
  echo "# this CPU has pdpe1gb: the 1G check is not exercised here"
else
  conf "$F" '[shmem]' 'page_size = "1G"' 'require_hugepages = true'
  check_cfg "$F"
  expect "page_size 1G on a CPU without pdpe1gb: exit 2, says so" 2 \
    "$F:3:13: error: shmem.page_size: this CPU has no 1 GiB pages (the kernel's CPU flags lack pdpe1gb)"
fi

# ---- memory -----------------------------------------------------------------
conf "$F" '[layout]' 'net_tile_count = 64' '[net]' 'frame_size = 4096' '[shmem]' 'ring_depth = 1048576'
check_cfg "$F"
expect "a workspace larger than memory: exit 2 at the key that grew it" 2 \
  "$F:3:18: error: layout.net_tile_count: the workspace needs " "more than this machine's"

# ---- a port another program holds --------------------------------------------
coproc HOLD { exec /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
sys.stdin.read()'; }
HOLD_PID=$HOLD_PID
PIDS+=("$HOLD_PID")
read -r -u "${HOLD[0]}" HPORT
conf "$F" '[net]' 'provider = "io_uring"' "ports = [$HPORT]" 'bind_address = "127.0.0.1"'
check_cfg "$F"
expect "a port held by python3 (io_uring): a warning naming it and its pid, exit 0" 0 \
  "$F:4:9: warning: net.ports: UDP port $HPORT is held by python3 (pid $HOLD_PID, user " \
  "sluice run will refuse to share it"
conf "$F" '[net]' 'provider = "io_uring"' "ports = [$HPORT]" 'bind_address = "127.0.0.2"'
check_cfg "$F"
if has "net.ports"; then not_ok "a port held on another address: no warning"; sed 's/^/#   /' <<<"$OUT"
else ok "a port held on another address: no warning"; fi
kill "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null

# ---- run and demo refuse before building anything ----------------------------------
conf "$F" 'user = "sl-no-such-user"' '[net]' 'provider = "io_uring"'
RC=0; OUT=$(timeout 20 "$SLUICE_BIN" run --config "$F" 2>&1) || RC=$?
expect "run with a user that does not exist: exit 2 at its value" 2 \
  "sluice: $F:2:8: error: user: \"sl-no-such-user\" does not exist" "sluice: not started"
check "run refused: no workspace left behind" no_workspace
conf "$F" '[net]' 'provider = "io_uring"' 'interface = "nosuchif0"'
RC=0; OUT=$(timeout 20 "$SLUICE_BIN" run --config "$F" 2>&1) || RC=$?
expect "run with an interface that does not exist (io_uring): exit 2 at its value" 2 \
  "sluice: $F:4:13: error: net.interface: \"nosuchif0\" does not exist"
check "run refused: no workspace left behind" no_workspace
conf "$F" 'user = "sl-no-such-user"'
RC=0; OUT=$(timeout 30 "$SLUICE_BIN" demo --seconds 1 --config "$F" 2>&1) || RC=$?
expect "demo with a user that does not exist: exit 2 at its value" 2 "sluice: $F:2:8: error: user:"
check "demo refused: no workspace left behind" no_workspace

finish
