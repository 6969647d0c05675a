#!/usr/bin/env bash
# `sluice monitor` on a real terminal (tmux): drawn in place on the
# alternate screen, nothing in the scrollback, no line wider than the
# terminal at 80 and at 120 columns (a wider layout at 120, switched on
# SIGWINCH), the terminal restored on ^C and on SIGTERM. And under load,
# every snapshot is consistent: no link shows consumed > published.
SUITE=monitor_tty
. "$(dirname "$0")/lib.sh"

command -v tmux > /dev/null || { not_ok "tmux missing (make deps)"; finish; exit; }
SOCK=$TMP/tmux.sock # inside TMP, so cleanup removes it (kill-server leaves a -L socket behind)
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT

PORT=$((20000 + $$ % 20000))
NAME=$(uniq_name tty)
write_config "$TMP/i.toml" "$NAME" "$PORT"
start_instance "$TMP/i.toml" "$TMP/run.log"
INST=$INST_PID
if ! wait_running "$NAME" 20; then
  not_ok "instance did not start"; cat "$TMP/run.log"; finish; exit
fi
"$SLUICE_BIN" gen --dst 127.0.0.1:$PORT --count 100000 --rate 2000 --dup 0.1 --bad-sig 0.1 --seed 5 > /dev/null 2>&1 &
GEN=$!; PIDS+=("$GEN")

# 1. Consistency under load: 100 snapshots, every link's published at least
#    what each consumer has read and consumed.
timeout 3 "$SLUICE_BIN" monitor --name "$NAME" --json --interval 20 > "$TMP/nd.json" 2>/dev/null
check "100+ snapshots under load, none with consumed > published" python3 - "$TMP/nd.json" <<'PY'
import json, sys
n = bad = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    n += 1
    for l in d["links"]:
        for c in l["consumers"]:
            if c["consumed"] > l["published"] or c["seq"] > l["published"]:
                bad += 1
                print("# %s: %s consumed %d, seq %d > published %d" % (l["name"], c["tile"], c["consumed"], c["seq"], l["published"]))
print("# %d snapshots, %d inconsistent" % (n, bad))
sys.exit(0 if n >= 100 and bad == 0 else 1)
PY

# width PANE: the widest line of the pane, wrapped lines joined (-J), so a
# line that wrapped shows as wider than the pane.
width() { tm capture-pane -p -J -t "$1" | awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }'; }
fmt() { tm display -p -t "$1" "$2"; }
# wait_fmt PANE FORMAT VALUE: until tmux reports VALUE for FORMAT (5 s).
wait_fmt() {
  for i in $(seq 50); do [ "$(fmt "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
  return 1
}
monitor_pid() { pgrep -P "$(fmt "$1" '#{pane_pid}')" -f "sluice monitor" | head -1; }

# 2. 80 columns: compact, in place, on the alternate screen.
tm new-session -d -s mon -x 80 -y 30 "bash --norc --noprofile"
tm set-option -g history-limit 5000 > /dev/null
tm send-keys -t mon "clear; echo BEFORE-MONITOR" Enter
sleep 0.3
hist0=$(fmt mon '#{history_size}')
tm send-keys -t mon "$SLUICE_BIN monitor --name $NAME --interval 100" Enter
check "80 cols: the monitor switches to the alternate screen" wait_fmt mon '#{alternate_on}' 1
sleep 3 # ~30 frames
tm capture-pane -p -J -t mon > "$TMP/cap80.txt"
echo "# capture at 80 columns (widest line $(width mon)):"; sed 's/^/#   /' "$TMP/cap80.txt"
check "80 cols: the table is drawn (tiles, links, totals)" bash -c \
  "grep -q '^TILE' '$TMP/cap80.txt' && grep -q 'net:0->verify' '$TMP/cap80.txt' && grep -q '^TOTALS' '$TMP/cap80.txt'"
w=$(width mon)
check "80 cols: no line wraps (widest $w)" test "$w" -le 80
check "80 cols: the compact layout (no MODE column)" bash -c "! grep -q 'MODE' '$TMP/cap80.txt'"
eq "80 cols: 30 frames left nothing in the scrollback" "$hist0" "$(fmt mon '#{history_size}')"
check "80 cols: the cursor is hidden while drawing" test "$(fmt mon '#{cursor_flag}')" = 0

# 3. Resized to 120 columns: SIGWINCH, the wide layout, still no wrap.
tm resize-window -t mon -x 120 -y 30
sleep 0.6
tm capture-pane -p -J -t mon > "$TMP/cap120.txt"
w=$(width mon)
echo "# capture at 120 columns (widest line $w):"; sed 's/^/#   /' "$TMP/cap120.txt"
check "120 cols: the wide layout (MODE column)" grep -q 'MODE' "$TMP/cap120.txt"
check "120 cols: no line wraps (widest $w)" test "$w" -le 120
check "120 cols: uses the width (widest line over 80)" test "$w" -gt 80

# 4. ^C restores the terminal: normal screen back, cursor shown, exit 0.
tm send-keys -t mon C-c
check "^C: back on the normal screen" wait_fmt mon '#{alternate_on}' 0
check "^C: the cursor is shown again" test "$(fmt mon '#{cursor_flag}')" = 1
tm send-keys -t mon 'echo "rc=$?"' Enter
sleep 0.3
tm capture-pane -p -t mon > "$TMP/after.txt"
check "^C: the screen from before is back, table gone" bash -c \
  "grep -q BEFORE-MONITOR '$TMP/after.txt' && ! grep -q '^TILE' '$TMP/after.txt'"
check "^C: monitor exits 0" grep -q '^rc=0' "$TMP/after.txt"

# 5. SIGTERM restores it too.
tm send-keys -t mon "$SLUICE_BIN monitor --name $NAME --interval 100" Enter
wait_fmt mon '#{alternate_on}' 1
sleep 0.5
mp=$(monitor_pid mon)
check "SIGTERM: found the monitor's pid ($mp)" test -n "$mp"
[ -n "$mp" ] && kill -TERM "$mp"
check "SIGTERM: back on the normal screen" wait_fmt mon '#{alternate_on}' 0
check "SIGTERM: the cursor is shown again" test "$(fmt mon '#{cursor_flag}')" = 1

tm kill-server 2>/dev/null
kill "$GEN" 2>/dev/null; wait "$GEN" 2>/dev/null
kill -TERM "$INST"; wait_gone "$INST" 20
eq "instance SIGTERM exits 0" 0 "$EXIT_CODE"
finish
