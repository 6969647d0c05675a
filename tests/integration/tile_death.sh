#!/usr/bin/env bash
# kill -9 of each tile kind (and of the supervisor): the instance goes down
# within a bound, the workspace is removed, the exit status is 1, the log
# names the tile and its signal, and no tile is left running.
SUITE=tile_death
. "$(dirname "$0")/lib.sh"

PORT=$((20000 + ($$ + 7) % 20000))

for kind in net verify sink; do
  name=$(uniq_name "$kind")
  write_config "$TMP/$kind.toml" "$name" "$PORT"
  start_instance "$TMP/$kind.toml" "$TMP/$kind.log"
  sup=$INST_PID
  if ! wait_running "$name" 20; then not_ok "$kind: instance did not start"; cat "$TMP/$kind.log"; continue; fi
  j=$(mon "$name")
  victim=$(python3 -c 'import json,sys
d=json.loads(sys.argv[1]); print([t["pid"] for t in d["tiles"] if t["kind"]==sys.argv[2]][0])' "$j" "$kind")
  tiles=$(python3 -c 'import json,sys
print(" ".join(str(t["pid"]) for t in json.loads(sys.argv[1])["tiles"]))' "$j")
  t0=$(date +%s%N)
  kill -9 "$victim"
  wait_gone "$sup" 5
  t1=$(date +%s%N)
  eq "$kind:0 killed: supervisor exits 1" 1 "$EXIT_CODE"
  ms=$(( (t1 - t0) / 1000000 ))
  check "$kind:0 killed: instance down in ${ms} ms (< 1000)" test "$ms" -lt 1000
  check "$kind:0 killed: log names the tile and the signal" grep -q "tile $kind:0 (pid $victim) was killed by signal 9" "$TMP/$kind.log"
  check "$kind:0 killed: workspace removed" bash -c "$(declare -f wksp_exists); ! wksp_exists $name &>/dev/null"
  eq "$kind:0 killed: no tile left running" 0 "$(wait_none_live 1 $tiles)"
done

# kill -9 of the supervisor itself: every tile dies with it (PDEATHSIG).
name=$(uniq_name sup)
write_config "$TMP/sup.toml" "$name" "$PORT"
start_instance "$TMP/sup.toml" "$TMP/sup.log"
sup=$INST_PID
if wait_running "$name" 20; then
  tiles=$(python3 -c 'import json,sys
print(" ".join(str(t["pid"]) for t in json.loads(sys.argv[1])["tiles"]))' "$(mon "$name")")
  kill -9 "$sup"; wait "$sup" 2>/dev/null
  eq "supervisor killed: every tile dies with it (within 1 s)" 0 "$(wait_none_live 1 $tiles)"
  # The stale workspace (its creator is dead) is replaced by the next start.
  start_instance "$TMP/sup.toml" "$TMP/sup2.log"
  check "supervisor killed: a new instance starts at once" wait_running "$name" 20
  kill -TERM "$INST_PID"; wait_gone "$INST_PID" 20
  eq "new instance stops cleanly" 0 "$EXIT_CODE"
else
  not_ok "supervisor test instance did not start"
fi

# A tile that stops heartbeating (SIGSTOP) for heartbeat_timeout_ms is
# treated as dead: the instance goes down, exit 1, naming it and its silence.
name=$(uniq_name hb)
write_config "$TMP/hb.toml" "$name" "$PORT" "layout.heartbeat_timeout_ms = 1000"
start_instance "$TMP/hb.toml" "$TMP/hb.log"
sup=$INST_PID
if wait_running "$name" 20; then
  victim=$(python3 -c 'import json,sys
print([t["pid"] for t in json.loads(sys.argv[1])["tiles"] if t["kind"]=="verify"][0])' "$(mon "$name")")
  t0=$(date +%s%N)
  kill -STOP "$victim"
  wait_gone "$sup" 10
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  eq "stalled tile: supervisor exits 1" 1 "$EXIT_CODE"
  check "stalled tile: down after the timeout, not before ($ms ms, 1000..4000)" test "$ms" -ge 1000 -a "$ms" -lt 4000
  check "stalled tile: the log names the tile and how long it was silent" \
    grep -qE "tile verify:0 \(pid $victim\) has been silent for [0-9.]+ s \(heartbeat_timeout_ms = 1000\)" "$TMP/hb.log"
  check "stalled tile: workspace removed" bash -c "$(declare -f wksp_exists); ! wksp_exists $name &>/dev/null"
  eq "stalled tile: no tile left running" 0 "$(wait_none_live 1 "$victim")"
else
  not_ok "heartbeat test instance did not start"
fi

finish
