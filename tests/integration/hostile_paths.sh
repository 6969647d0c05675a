#!/usr/bin/env bash
# Paths an operator (or another local user) may get wrong or plant: a FIFO
# given as the config is refused with exit 2 at once, by `config check` and
# by `run`; a symlink at the log path is not followed.
SUITE=hostile_paths
. "$(dirname "$0")/lib.sh"

PORT=$((20000 + ($$ + 11) % 20000))

# elapsed_ms CMD...: runs CMD (at most 5 s), sets RC and MS.
elapsed_ms() {
  local t0 t1
  t0=$(date +%s%N)
  timeout 5 "$@" > "$TMP/out" 2>&1
  RC=$?
  t1=$(date +%s%N)
  MS=$(( (t1 - t0) / 1000000 ))
}

mkfifo "$TMP/fifo.toml"
elapsed_ms "$SLUICE_BIN" config check "$TMP/fifo.toml"
eq "config check FIFO: exit 2" 2 "$RC"
check "config check FIFO: answers in ${MS} ms (< 1000)" test "$MS" -lt 1000
check "config check FIFO: says it is not a regular file" grep -q "fifo.toml: not a regular file" "$TMP/out"

elapsed_ms "$SLUICE_BIN" run --config "$TMP/fifo.toml"
eq "run --config FIFO: exit 2" 2 "$RC"
check "run --config FIFO: answers in ${MS} ms (< 1000)" test "$MS" -lt 1000

# [log] file names a symlink to a file the supervisor (root) could write:
# the instance runs, logs to stderr, and the target stays as it was.
echo keep > "$TMP/victim"
ln -s "$TMP/victim" "$TMP/sluice.log"
name=$(uniq_name log)
write_config "$TMP/log.toml" "$name" "$PORT" "log.file = \"$TMP/sluice.log\""
start_instance "$TMP/log.toml" "$TMP/run.log"
if wait_running "$name" 20; then
  kill -TERM "$INST_PID"; wait_gone "$INST_PID" 20
  eq "symlinked log: instance stops cleanly" 0 "$EXIT_CODE"
  eq "symlinked log: the link's target is untouched" keep "$(cat "$TMP/victim")"
  check "symlinked log: the refusal is logged" grep -q "sluice.log.*logging to stderr" "$TMP/run.log"
  check "symlinked log: the link is still a link" test -L "$TMP/sluice.log"
else
  not_ok "symlinked log: instance did not start"; cat "$TMP/run.log"
fi

finish
