#!/usr/bin/env bash
# tests/soak/kill_trials.sh [TRIALS]: how fast an instance goes down when a
# tile dies. Each trial starts an instance, waits until every tile runs,
# kill -9s one tile chosen at random and measures the time from the kill to
# the supervisor's exit (the target: under LIMIT_MS, default 100 ms). Prints
# every trial, then a summary; exits 1 if any trial missed the target or
# went wrong (exit status other than 1, the tile not named in the log, the
# workspace left behind).
#
# Not part of `make test`: it is a soak. It runs instances on loopback, so
# take the shared lock: flock /tmp/sluice-heavy.lock tests/soak/kill_trials.sh
#
# Environment: SLUICE_BIN (default build/sluice), LIMIT_MS (100),
# PROVIDER (io_uring; xdp needs root), VERIFY_TILES (1).
set -uo pipefail
cd "$(dirname "$0")/../.."
TRIALS=${1:-50}
LIMIT_MS=${LIMIT_MS:-100}
PROVIDER=${PROVIDER:-io_uring}
VERIFY_TILES=${VERIFY_TILES:-1}
export SLUICE_BIN=${SLUICE_BIN:-$PWD/build/sluice}
[ -x "$SLUICE_BIN" ] || { echo "kill_trials: no $SLUICE_BIN (make first)" >&2; exit 2; }
SUITE=kill_trials
. tests/integration/lib.sh

PORT=$((20000 + ($$ + 13) % 20000))
down_us=() bad=0 over=0

for ((trial = 1; trial <= TRIALS; trial++)); do
  name=$(uniq_name "k$trial")
  write_config "$TMP/$trial.toml" "$name" "$PORT" "net.provider = \"$PROVIDER\"" \
    "layout.verify_tile_count = $VERIFY_TILES"
  start_instance "$TMP/$trial.toml" "$TMP/$trial.log"
  sup=$INST_PID
  if ! wait_running "$name" 20; then
    echo "trial $trial: instance did not start"; sed 's/^/  | /' "$TMP/$trial.log"
    kill -9 "$sup" 2>/dev/null; wait "$sup" 2>/dev/null; PIDS=(); bad=$((bad + 1)); continue
  fi
  read -r -a tiles < <(python3 -c 'import json,sys
print(" ".join("%s=%d" % (t["name"], t["pid"]) for t in json.loads(sys.argv[1])["tiles"]))' "$(mon "$name")")
  pick=${tiles[RANDOM % ${#tiles[@]}]}
  tile=${pick%=*} pid=${pick#*=}
  # EPOCHREALTIME: no fork on either side of the measured span.
  t0=$EPOCHREALTIME
  kill -9 "$pid"
  wait "$sup"
  rc=$?
  t1=$EPOCHREALTIME
  PIDS=() # reaped: the EXIT trap must not signal a pid reused since
  us=$(( ${t1/./} - ${t0/./} ))
  down_us+=("$us")
  ms=$(printf '%d.%03d' $((us / 1000)) $((us % 1000)))
  note="" wrong=0
  [ "$rc" = 1 ] || { note+=" exit status $rc, not 1;"; wrong=1; }
  grep -q "tile $tile (pid $pid) was killed by signal 9" "$TMP/$trial.log" ||
    { note+=" the log does not name $tile;"; wrong=1; }
  wksp_exists "$name" > /dev/null && { note+=" workspace left behind;"; wrong=1; }
  [ "$us" -lt $((LIMIT_MS * 1000)) ] || { note+=" over ${LIMIT_MS} ms;"; over=$((over + 1)); }
  bad=$((bad + wrong))
  printf 'trial %3d: kill -9 %-9s (pid %d): supervisor down in %8s ms%s\n' "$trial" "$tile" "$pid" "$ms" "${note:+ --$note}"
done

python3 - "$LIMIT_MS" "${down_us[@]}" <<'PY'
import sys
limit = float(sys.argv[1])
v = sorted(int(x) / 1000 for x in sys.argv[2:])
if v:
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    print("%d trials: min %.3f  median %.3f  p90 %.3f  max %.3f ms; %d of %d under %g ms"
          % (len(v), v[0], q(0.5), q(0.9), v[-1], sum(x < limit for x in v), len(v), limit))
PY
[ "$over" -eq 0 ] && [ "$bad" -eq 0 ] && [ ${#down_us[@]} -eq "$TRIALS" ]
