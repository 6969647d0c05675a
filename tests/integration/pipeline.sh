#!/usr/bin/env bash
# End to end on loopback with the io_uring provider: gen's mix through the
# whole pipeline; after quiescence the counters match gen's summary exactly
# and the pcap holds exactly the verified transactions. Then the same with
# two net and two verify tiles, a drain under load, and a second instance.
SUITE=pipeline
. "$(dirname "$0")/lib.sh"

PORT=$((20000 + $$ % 20000))
GEN_MIX=(--dup 0.1 --bad-sig 0.1 --malformed 0.1)

# run_mix NAME CONFIG COUNT RATE LABEL [layout lines]: start, send, check, stop.
run_mix() {
  local name=$1 cfg=$2 count=$3 rate=$4 label=$5
  local log=$TMP/$name.log
  start_instance "$cfg" "$log"
  if ! wait_running "$name" 20; then
    not_ok "$label: instance did not start"; cat "$log"; return
  fi
  local sum
  sum=$("$SLUICE_BIN" gen --dst 127.0.0.1:$PORT --count "$count" --rate "$rate" "${GEN_MIX[@]}" --seed 7 2>/dev/null)
  echo "# gen: $sum"
  local j
  j=$(wait_quiet "$name" 30) || not_ok "$label: counters never settled"
  local valid dups bad mal
  valid=$(jget "$sum" valid_unique); dups=$(jget "$sum" duplicates)
  bad=$(jget "$sum" bad_sig); mal=$(jget "$sum" malformed)
  eq "$label: sink.txns == valid_unique" "$valid" "$(jget "$j" totals.sink.txns)"
  eq "$label: dedup_drop == duplicates" "$dups" "$(jget "$j" totals.verify.dedup_drop)"
  eq "$label: sigverify_fail == bad_sig" "$bad" "$(jget "$j" totals.verify.sigverify_fail)"
  eq "$label: parse_fail + rx_malformed == malformed" "$mal" \
    "$(( $(jget "$j" totals.verify.parse_fail) + $(jget "$j" totals.net.rx_malformed) ))"
  eq "$label: no overrun" 0 "$(jget "$j" totals.verify.overrun)"
  local in_frags sumparts
  in_frags=$(jget "$j" totals.verify.in_frags)
  sumparts=$(( $(jget "$j" totals.verify.parse_fail) + $(jget "$j" totals.verify.dedup_drop) + \
    $(jget "$j" totals.verify.sigverify_fail) + $(jget "$j" totals.verify.verified) ))
  eq "$label: in_frags adds up" "$in_frags" "$sumparts"
  kill -TERM "$INST_PID"
  wait_gone "$INST_PID" 20
  eq "$label: SIGTERM exits 0" 0 "$EXIT_CODE"
  check "$label: workspace removed" bash -c "$(declare -f wksp_exists); ! wksp_exists $name &>/dev/null"
  LAST_VALID=$valid
}

# 1. One tile of each kind, pcap on.
N1=$(uniq_name one)
write_config "$TMP/one.toml" "$N1" "$PORT" "sink.pcap = \"$CAP/one.pcap\""
run_mix "$N1" "$TMP/one.toml" 3000 3000 "1 net, 1 verify"
eq "pcap holds exactly the verified transactions" "$LAST_VALID" "$(pcap_count "$CAP/one.pcap")"
# Every pcap record is a UDP datagram to our port (readable by tcpdump).
eq "pcap records are UDP to port $PORT" "$LAST_VALID" \
  "$(tcpdump -nr "$CAP/one.pcap" "udp dst port $PORT" 2>/dev/null | wc -l)"

# 2. Two net tiles (SO_REUSEPORT) and two verify tiles: same exact accounting,
#    duplicates caught whichever net tile they came through.
N2=$(uniq_name two)
write_config "$TMP/two.toml" "$N2" "$PORT" "layout.net_tile_count = 2" "layout.verify_tile_count = 2"
run_mix "$N2" "$TMP/two.toml" 3000 3000 "2 net, 2 verify"

# 3. A second instance with the same name is refused while the first runs.
N3=$(uniq_name dup)
write_config "$TMP/dup.toml" "$N3" "$PORT"
start_instance "$TMP/dup.toml" "$TMP/dup1.log"
first=$INST_PID
if wait_running "$N3" 20; then
  "$SLUICE_BIN" run --config "$TMP/dup.toml" > "$TMP/dup2.log" 2>&1
  eq "second instance exits 1" 1 "$?"
  check "second instance names the holder's pid" grep -q "already running (pid $first" "$TMP/dup2.log"
  check "first instance still running" kill -0 "$first"
else
  not_ok "first instance did not start"
fi
kill -TERM "$first"; wait_gone "$first" 20

# 4. SIGTERM under load: exit 0 and nothing verified is lost (every verified
#    transaction reached the sink and the pcap).
N4=$(uniq_name drain)
write_config "$TMP/drain.toml" "$N4" "$PORT" "sink.pcap = \"$CAP/drain.pcap\""
start_instance "$TMP/drain.toml" "$TMP/drain.log"
drain_pid=$INST_PID
if wait_running "$N4" 20; then
  "$SLUICE_BIN" gen --dst 127.0.0.1:$PORT --count 20000 --rate 8000 --seed 9 > /dev/null 2>&1 &
  gen_pid=$!; PIDS+=("$gen_pid")
  # SIGTERM once transactions are flowing through every stage (bounded).
  for i in $(seq 300); do
    t=$(jget "$(mon "$N4")" totals.sink.txns); [ "${t:-0}" -gt 200 ] && break; sleep 0.1
  done
  kill -TERM "$drain_pid"
  wait_gone "$drain_pid" 20
  eq "SIGTERM under load exits 0" 0 "$EXIT_CODE"
  kill "$gen_pid" 2>/dev/null; wait "$gen_pid" 2>/dev/null
  verified=$(sed -n 's/.*verify: .* verified \([0-9]*\).*/\1/p' "$TMP/drain.log" | tail -1)
  txns=$(sed -n 's/.*sink: txns \([0-9]*\).*/\1/p' "$TMP/drain.log" | tail -1)
  check "drain: something was verified ($verified)" test "${verified:-0}" -gt 0
  eq "drain: sink.txns == verified" "$verified" "$txns"
  eq "drain: pcap == verified" "$verified" "$(pcap_count "$CAP/drain.pcap")"
else
  not_ok "drain instance did not start"; cat "$TMP/drain.log"
fi

finish
