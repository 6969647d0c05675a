#!/usr/bin/env bash
# tests/integration/notify.sh: `sluice run` speaks the service manager's
# notify protocol (what systemd's Type=notify and WatchdogSec rely on), to a
# NOTIFY_SOCKET this test binds: READY=1 once, when every tile runs;
# WATCHDOG=1 every half WATCHDOG_USEC; STOPPING=1 on SIGTERM; an abstract
# socket works the same; a watchdog meant for another pid is not fed.
source "$(dirname "$0")/lib.sh"

# receiver SOCKET LOG: stands in for systemd; one line per datagram,
# "MONOTONIC_SECONDS MESSAGE" with the message's newlines as '|'.
receiver() {
  python3 - "$1" "$2" <<'PY' &
import os, socket, sys, time
name, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
with open(log + ".tmp", "w"):
    pass
os.rename(log + ".tmp", log)  # bound: the log appears
with open(log, "a", buffering=1) as f:
    while True:
        m = s.recv(4096).decode()
        f.write("%.3f %s\n" % (time.monotonic(), m.replace("\n", "|")))
PY
  PIDS+=($!)
  for _ in $(seq 100); do [ -e "$2" ] && return 0; sleep 0.05; done
  return 1
}

# wait_msg LOG PATTERN TIMEOUT_S: until a line matches.
wait_msg() {
  for ((i = 0; i < $3 * 20; i++)); do grep -q "$2" "$1" && return 0; sleep 0.05; done
  return 1
}

# all_running NAME: every tile of the instance reports running, now.
all_running() {
  python3 -c 'import json,sys
d=json.loads(sys.argv[1]); sys.exit(0 if d["tiles"] and all(t["state"]=="running" for t in d["tiles"]) else 1)' "$(mon "$1")"
}

port=$((20000 + RANDOM % 20000))
name=$(uniq_name notify)
cfg=$TMP/notify.toml
write_config "$cfg" "$name" "$port"

# 1. A path socket with a 400 ms watchdog: pings every 200 ms.
log=$TMP/path.log
receiver "$TMP/notify.sock" "$log" || not_ok "receiver did not bind $TMP/notify.sock"
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=400000 "$SLUICE_BIN" run --config "$cfg" > "$TMP/run1.log" 2>&1 &
pid=$!
PIDS+=($pid)
if wait_msg "$log" 'READY=1' 20; then
  check "READY=1 arrives once every tile runs" all_running "$name"
else
  not_ok "READY=1 did not arrive within 20 s"
fi
check "READY=1 carries a STATUS" grep -q 'READY=1|STATUS=running' "$log"
sleep 1.2
python3 - "$log" > "$TMP/gaps" <<'PY'
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.split()[1] == "WATCHDOG=1"]
gaps = [b - a for a, b in zip(t, t[1:])]
print(len(t), "%.3f" % max(gaps) if gaps else "inf")
PY
read -r wd_cnt wd_gap < "$TMP/gaps"
check "WATCHDOG=1 arrives periodically ($wd_cnt pings)" test "$wd_cnt" -ge 5
check "no two WATCHDOG=1 are further apart than the watchdog interval (max gap $wd_gap s)" \
  python3 -c "import sys; sys.exit(0 if $wd_gap < 0.4 else 1)"
kill -TERM "$pid"
wait_gone "$pid" 20
eq "SIGTERM drains and exits 0" 0 "$EXIT_CODE"
check "STOPPING=1 arrives on SIGTERM" grep -q 'STOPPING=1' "$log"
eq "READY=1 was sent exactly once" 1 "$(grep -c 'READY=1' "$log")"
check "STOPPING=1 comes after READY=1" python3 -c 'import sys
l=[x.split()[1] for x in open(sys.argv[1])]
sys.exit(0 if l.index(next(m for m in l if m.startswith("STOPPING=1"))) > l.index(next(m for m in l if m.startswith("READY=1"))) else 1)' "$log"
check "no warning about the notify socket" bash -c "! grep -q 'notify socket\\|NOTIFY_SOCKET' '$TMP/run1.log'"

# 2. An abstract socket; the watchdog is for another pid, so not ours.
log=$TMP/abstract.log
abs="@sluice-test-notify-$$-$RANDOM"
receiver "$abs" "$log" || not_ok "receiver did not bind $abs"
NOTIFY_SOCKET=$abs WATCHDOG_USEC=200000 WATCHDOG_PID=1 "$SLUICE_BIN" run --config "$cfg" > "$TMP/run2.log" 2>&1 &
pid=$!
PIDS+=($pid)
check "READY=1 arrives on an abstract socket" wait_msg "$log" 'READY=1' 20
sleep 0.5
eq "no WATCHDOG=1 for a watchdog meant for another pid" 0 "$(grep -c 'WATCHDOG=1' "$log")"
kill -TERM "$pid"
wait_gone "$pid" 20
eq "SIGTERM exits 0 (abstract socket)" 0 "$EXIT_CODE"
check "STOPPING=1 arrives on the abstract socket" grep -q 'STOPPING=1' "$log"

finish
