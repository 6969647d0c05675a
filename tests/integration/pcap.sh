#!/usr/bin/env bash
# The sink's capture keeps: a second run with the same config keeps the
# first run's capture (PATH.1) and tcpdump reads both, their packet counts
# equal what the sink counted in each run; a symlink at the pcap path is
# refused and not followed; rotation by size gives files within the limit,
# each readable, together holding every transaction; as root with a user,
# the files belong to that user.
SUITE=pcap
. "$(dirname "$0")/lib.sh"

PORT=$((20000 + $$ % 20000))

# run NAME CONFIG COUNT: one instance, COUNT generated transactions, SIGTERM;
# sets TXNS to what the sink counted and RUN_EXIT to the exit status.
run() {
  local name=$1 cfg=$2 count=$3 log=$TMP/$1.log
  TXNS=""
  start_instance "$cfg" "$log"
  if ! wait_running "$name" 20; then
    wait_gone "$INST_PID" 10; RUN_EXIT=$EXIT_CODE; return
  fi
  "$SLUICE_BIN" gen --dst 127.0.0.1:$PORT --count "$count" --rate 4000 --dup 0.1 --bad-sig 0.1 --seed $RANDOM > /dev/null 2>&1
  wait_quiet "$name" 20 > /dev/null
  kill -TERM "$INST_PID"; wait_gone "$INST_PID" 20
  RUN_EXIT=$EXIT_CODE
  TXNS=$(sed -n 's/.*sink: txns \([0-9]*\).*/\1/p' "$log" | tail -1)
}

# count FILE: packets tcpdump reads; fails (prints -1) if tcpdump complains.
count() {
  local n
  n=$(tcpdump -nr "$1" 2> "$TMP/tcpdump.err" | wc -l)
  if grep -qiv '^reading from file' "$TMP/tcpdump.err"; then echo -1; cat "$TMP/tcpdump.err" >&2; else echo "$n"; fi
}

# 1. A restart keeps the capture.
N1=$(uniq_name keep)
write_config "$TMP/keep.toml" "$N1" "$PORT" "sink.pcap = \"$CAP/keep.pcap\""
run "$N1" "$TMP/keep.toml" 1500
eq "first run exits 0" 0 "$RUN_EXIT"
first=$TXNS
run "$N1" "$TMP/keep.toml" 1000
eq "second run exits 0" 0 "$RUN_EXIT"
second=$TXNS
check "the second run says where it kept the first capture" grep -q "kept the previous capture as $CAP/keep.pcap.1" "$TMP/$N1.log"
check "both runs verified something ($first, $second)" test "${first:-0}" -gt 0 -a "${second:-0}" -gt 0
eq "the first capture is intact as keep.pcap.1 (tcpdump reads what the sink counted)" "$first" "$(count "$CAP/keep.pcap.1")"
eq "the second capture is keep.pcap" "$second" "$(count "$CAP/keep.pcap")"
eq "together they hold both runs" "$((first + second))" \
  "$(( $(count "$CAP/keep.pcap.1") + $(count "$CAP/keep.pcap") ))"

# 2. A symlink at the pcap path is refused; its target is untouched.
N2=$(uniq_name link)
echo precious > "$TMP/victim"
ln -s "$TMP/victim" "$CAP/link.pcap"
write_config "$TMP/link.toml" "$N2" "$PORT" "sink.pcap = \"$CAP/link.pcap\""
start_instance "$TMP/link.toml" "$TMP/link.log"
wait_gone "$INST_PID" 20
eq "a symlinked pcap path fails the start (exit 1)" 1 "$EXIT_CODE"
check "the log says it is a symlink and names it" grep -q "pcap = \"$CAP/link.pcap\": is a symlink, not a regular file: refusing to write through it" "$TMP/link.log"
eq "the symlink's target is untouched" precious "$(cat "$TMP/victim")"
check "the symlink is still there, nothing rotated" bash -c "test -L '$CAP/link.pcap' && ! test -e '$CAP/link.pcap.1'"

# 3. Rotation by size.
N3=$(uniq_name rot)
write_config "$TMP/rot.toml" "$N3" "$PORT" "sink.pcap = \"$CAP/rot.pcap\"" "sink.pcap_max_mb = 1"
run "$N3" "$TMP/rot.toml" 8000
eq "rotating run exits 0" 0 "$RUN_EXIT"
files=("$CAP"/rot.pcap*)
check "rotation made several files (${#files[@]})" test "${#files[@]}" -ge 3
total=0 ok_sizes=1 ok_reads=1
for f in "${files[@]}"; do
  sz=$(stat -c %s "$f"); n=$(count "$f")
  echo "# $(basename "$f"): $sz bytes, $n packets"
  [ "$sz" -le 1000000 ] || ok_sizes=0
  [ "$n" -gt 0 ] || ok_reads=0
  total=$((total + n))
done
check "every file is within 1 MB" test $ok_sizes = 1
check "every file reads cleanly and holds packets" test $ok_reads = 1
eq "the files hold every transaction the sink counted" "$TXNS" "$total"

# 4. As root with a user, the capture belongs to that user.
if [ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1; then
  N4=$(uniq_name user)
  write_config "$TMP/user.toml" "$N4" "$PORT" "sink.pcap = \"$CAP/user.pcap\""
  sed -i '1a user = "nobody"' "$TMP/user.toml"
  run "$N4" "$TMP/user.toml" 200
  eq "run as nobody exits 0" 0 "$RUN_EXIT"
  eq "the capture belongs to nobody" nobody "$(stat -c %U "$CAP/user.pcap")"
fi

finish
