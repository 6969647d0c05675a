#!/usr/bin/env bash
# The XDP fast path on a real kernel: a 4-queue veth pair across two network
# namespaces made here (and always removed), 4 net tiles with provider
# "xdp", gen's mix spread over every queue, exact accounting; other traffic
# (ping, TCP, UDP to another port) still reaches the kernel stack; kill -9
# detaches the program; "auto" falls back to io_uring when XDP cannot attach.
SUITE=xdp
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  if [ "${SLUICE_ALLOW_SKIP_PRIVILEGED:-0}" = 1 ]; then echo "xdp: skipped (not root)"; finish; exit; fi
  not_ok "needs root (network namespaces, XDP); set SLUICE_ALLOW_SKIP_PRIVILEGED=1 to skip"; finish; exit 1
fi

A=sl-x$$-a B=sl-x$$-b
ip netns add $A && NETNS+=($A)
ip netns add $B && NETNS+=($B)
ip link add va netns $A numrxqueues 4 numtxqueues 4 type veth peer name vb netns $B numrxqueues 4 numtxqueues 4
ip -n $A addr add 10.77.0.1/24 dev va
ip -n $B addr add 10.77.0.2/24 dev vb
ip -n $A link set va up; ip -n $A link set lo up
ip -n $B link set vb up; ip -n $B link set lo up
# The sender's AF_XDP frames are redirected into vb: veth delivers them
# only when the receiving side has NAPI (XDP program on va: ours) or GRO.
ip netns exec $B ethtool -K vb gro on >/dev/null 2>&1
ip netns exec $A ethtool -K va gro on >/dev/null 2>&1
ping_ok() { ip netns exec $B ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1; }
check "namespaces and veth up (ping)" ping_ok

PORT=9001
xdp_on_va() { ip -n $A -d link show va | grep -qE 'prog/xdp|xdp(generic|drv)? '; }

mkcfg() { # mkcfg FILE NAME PROVIDER NETTILES [extra...]
  local f=$1 name=$2 prov=$3 n=$4; shift 4
  write_config "$f" "$name" "$PORT" "layout.net_tile_count = $n" "net.interface = \"va\"" \
    "net.provider = \"$prov\"" "net.bind_address = \"10.77.0.1\"" "$@"
}

run_in_a() { ip netns exec $A "$SLUICE_BIN" "$@"; }
start_in_a() { # start_in_a CONFIG LOG
  ip netns exec $A "$SLUICE_BIN" run --config "$1" > "$2" 2>&1 &
  INST_PID=$!; PIDS+=("$INST_PID")
}
mon_a() { ip netns exec $A "$SLUICE_BIN" monitor --name "$1" --json --once 2>/dev/null; }

# 1. Four queues, four net tiles, provider xdp: the mix through every queue.
N1=$(uniq_name xdp4)
mkcfg "$TMP/x4.toml" "$N1" xdp 4 "sink.pcap = \"$CAP/x4.pcap\""
start_in_a "$TMP/x4.toml" "$TMP/x4.log"
sup=$INST_PID
if wait_running "$N1" 30; then
  j=$(mon_a "$N1")
  modes=$(python3 -c 'import json,sys
print(" ".join(sorted(set(t["mode"] for t in json.loads(sys.argv[1])["tiles"] if t["kind"]=="net"))))' "$j")
  eq "monitor reports provider xdp/drv on every net tile" "xdp/drv" "$modes"
  check "XDP program attached to va" xdp_on_va

  # Traffic that is not ours still reaches the kernel stack.
  check "ping still works" ping_ok
  ip netns exec $A timeout 5 nc -l 10.77.0.1 7100 > "$TMP/tcp.out" 2>/dev/null &
  ncp=$!; PIDS+=("$ncp"); sleep 0.2
  echo hello-tcp | ip netns exec $B timeout 3 nc -q 1 10.77.0.1 7100 2>/dev/null
  wait $ncp 2>/dev/null
  check "TCP to the same address still works" grep -q hello-tcp "$TMP/tcp.out"
  ip netns exec $A timeout 3 nc -u -l 10.77.0.1 7101 > "$TMP/udp.out" 2>/dev/null &
  ncp=$!; PIDS+=("$ncp"); sleep 0.2
  echo hello-udp | ip netns exec $B timeout 1 nc -u -w 1 10.77.0.1 7101 2>/dev/null
  wait $ncp 2>/dev/null
  check "UDP to a port not configured still works" grep -q hello-udp "$TMP/udp.out"

  # Datagrams larger than the MTU arrive as IP fragments: the program leaves
  # them to the kernel (which reassembles them) and counts each datagram
  # once, by its first fragment, so none vanishes without a counter.
  ip netns exec $B python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3): s.sendto(bytes(3000), ("10.77.0.1", '"$PORT"'))'
  frags=0
  for i in $(seq 50); do
    frags=$(jget "$(mon_a "$N1")" totals.net.xdp_pass_frag)
    [ "$frags" = 3 ] && break; sleep 0.1
  done
  eq "3 fragmented datagrams to the captured port are counted (net xdp_pass_frag)" 3 "$frags"

  # Eight flows through the peer's kernel UDP stack (distinct source ports,
  # so veth spreads them over its queues): exact accounting over 4 net tiles.
  for k in 1 2 3 4 5 6 7 8; do
    ip netns exec $B "$SLUICE_BIN" gen --dst 10.77.0.1:$PORT --src-port $((40000 + k)) --count 500 --rate 500 \
      --dup 0.1 --bad-sig 0.1 --malformed 0.1 --seed $((100 + k)) > "$TMP/flow$k.json" 2>/dev/null &
    PIDS+=($!)
  done
  wait_all_gen() { for k in 1 2 3 4 5 6 7 8; do [ -s "$TMP/flow$k.json" ] || return 1; done; }
  for i in $(seq 100); do wait_all_gen && break; sleep 0.1; done
  flows=$(python3 -c 'import json,sys
t={}
for f in sys.argv[1:]:
    for k,v in json.load(open(f)).items(): t[k]=t.get(k,0)+v
print(json.dumps(t))' "$TMP"/flow*.json)
  echo "# 8 flows: $flows"
  j=$(ip netns exec $A bash -c "$(declare -f mon wait_quiet); SLUICE_BIN=$SLUICE_BIN wait_quiet $N1 30")
  eq "8 flows: sink.txns == valid_unique" "$(jget "$flows" valid_unique)" "$(jget "$j" totals.sink.txns)"
  eq "8 flows: dedup_drop == duplicates" "$(jget "$flows" duplicates)" "$(jget "$j" totals.verify.dedup_drop)"
  eq "8 flows: sigverify_fail == bad_sig" "$(jget "$flows" bad_sig)" "$(jget "$j" totals.verify.sigverify_fail)"
  eq "8 flows: parse_fail + rx_malformed == malformed" "$(jget "$flows" malformed)" \
    "$(( $(jget "$j" totals.verify.parse_fail) + $(jget "$j" totals.net.rx_malformed) ))"
  base_txns=$(jget "$j" totals.sink.txns); base_dup=$(jget "$j" totals.verify.dedup_drop)
  base_bad=$(jget "$j" totals.verify.sigverify_fail)
  base_mal=$(( $(jget "$j" totals.verify.parse_fail) + $(jget "$j" totals.net.rx_malformed) ))
  declare -A base_rx
  for q in 0 1 2 3; do base_rx[$q]=$(jget "$j" tiles.$q.rx_pkts); done

  # gen's mix over AF_XDP TX on every TX queue of vb -> every RX queue of va.
  sum=$(ip netns exec $B "$SLUICE_BIN" gen --interface vb --dst 10.77.0.1:$PORT --count 4000 --rate 2000 \
        --dup 0.1 --bad-sig 0.1 --malformed 0.1 --seed 11 2>"$TMP/gen.err")
  echo "# gen: $sum"
  [ -n "$sum" ] || { not_ok "gen --interface failed"; cat "$TMP/gen.err"; }
  j=$(ip netns exec $A bash -c "$(declare -f mon wait_quiet); SLUICE_BIN=$SLUICE_BIN wait_quiet $N1 30")
  eq "AF_XDP TX: sink.txns == valid_unique" "$(jget "$sum" valid_unique)" "$(( $(jget "$j" totals.sink.txns) - base_txns ))"
  eq "AF_XDP TX: dedup_drop == duplicates" "$(jget "$sum" duplicates)" "$(( $(jget "$j" totals.verify.dedup_drop) - base_dup ))"
  eq "AF_XDP TX: sigverify_fail == bad_sig" "$(jget "$sum" bad_sig)" "$(( $(jget "$j" totals.verify.sigverify_fail) - base_bad ))"
  eq "AF_XDP TX: parse_fail + rx_malformed == malformed" "$(jget "$sum" malformed)" \
    "$(( $(jget "$j" totals.verify.parse_fail) + $(jget "$j" totals.net.rx_malformed) - base_mal ))"
  busy=0
  for q in 0 1 2 3; do [ "$(jget "$j" tiles.$q.rx_pkts)" -gt "${base_rx[$q]}" ] && busy=$((busy + 1)); done
  eq "AF_XDP TX: every one of the 4 queues received traffic" 4 "$busy"

  # kill -9 of a net tile: instance down, program detached, restart at once.
  victim=$(python3 -c 'import json,sys
print([t["pid"] for t in json.loads(sys.argv[1])["tiles"] if t["kind"]=="net"][1])' "$j")
  kill -9 "$victim"
  wait_gone "$sup" 5
  eq "net:1 killed: supervisor exits 1" 1 "$EXIT_CODE"
  check "net:1 killed: no XDP program left on va" bash -c "! ip -n $A -d link show va | grep -q prog/xdp"
else
  not_ok "xdp instance did not start"; cat "$TMP/x4.log"
fi

# 2. kill -9 of the supervisor: the program detaches; a new instance starts at once.
N2=$(uniq_name xdpk)
mkcfg "$TMP/k.toml" "$N2" xdp 1
start_in_a "$TMP/k.toml" "$TMP/k.log"
if wait_running "$N2" 30; then
  check "attached before the kill" xdp_on_va
  kill -9 "$INST_PID"; wait "$INST_PID" 2>/dev/null
  for i in $(seq 50); do xdp_on_va || break; sleep 0.05; done
  check "supervisor killed: no XDP program left on va" bash -c "! ip -n $A -d link show va | grep -q prog/xdp"
  start_in_a "$TMP/k.toml" "$TMP/k2.log"
  check "a new instance starts at once" wait_running "$N2" 30
  kill -TERM "$INST_PID"; wait_gone "$INST_PID" 20
  eq "new instance stops cleanly" 0 "$EXIT_CODE"
else
  not_ok "kill test instance did not start"; cat "$TMP/k.log"
fi

# 3. provider auto where XDP cannot attach (another program holds va):
#    falls back to io_uring, says why, and still accounts exactly.
N3=$(uniq_name auto)
mkcfg "$TMP/holder.toml" "$(uniq_name holder)" xdp 1 "net.ports = [9555]"
start_in_a "$TMP/holder.toml" "$TMP/holder.log"
holder=$INST_PID
sleep 1.5
mkcfg "$TMP/auto.toml" "$N3" auto 1
start_in_a "$TMP/auto.toml" "$TMP/auto.log"
auto=$INST_PID
if wait_running "$N3" 30; then
  check "auto: says it falls back and why" grep -q "falling back to io_uring" "$TMP/auto.log"
  j=$(mon_a "$N3")
  eq "auto: monitor reports io_uring" io_uring "$(jget "$j" tiles.0.mode)"
  sum=$(ip netns exec $B "$SLUICE_BIN" gen --dst 10.77.0.1:$PORT --count 2000 --rate 2000 \
        --dup 0.1 --bad-sig 0.1 --malformed 0.1 --seed 12 2>/dev/null)
  j=$(ip netns exec $A bash -c "$(declare -f mon wait_quiet); SLUICE_BIN=$SLUICE_BIN wait_quiet $N3 30")
  eq "auto: sink.txns == valid_unique" "$(jget "$sum" valid_unique)" "$(jget "$j" totals.sink.txns)"
  eq "auto: dedup_drop == duplicates" "$(jget "$sum" duplicates)" "$(jget "$j" totals.verify.dedup_drop)"
  eq "auto: sigverify_fail == bad_sig" "$(jget "$sum" bad_sig)" "$(jget "$j" totals.verify.sigverify_fail)"
  kill -TERM "$auto"; wait_gone "$auto" 20
  eq "auto: stops cleanly" 0 "$EXIT_CODE"
else
  not_ok "auto instance did not start"; cat "$TMP/auto.log"
fi
kill -TERM "$holder" 2>/dev/null; wait_gone "$holder" 20

# 4. provider xdp where XDP cannot attach: a clear error, exit 1.
mkcfg "$TMP/noxdp.toml" "$(uniq_name noxdp)" xdp 1 "net.ports = [9556]"
chmod 755 "$TMP"; chmod 644 "$TMP/noxdp.toml"   # readable by the unprivileged user
ip netns exec $A setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICE_BIN" run --config "$TMP/noxdp.toml" > "$TMP/noxdp.log" 2>&1
eq "xdp without capability: exit 1" 1 "$?"
check "xdp without capability: the error names the capability" grep -q "CAP_BPF\|CAP_NET_ADMIN\|CAP_NET_RAW" "$TMP/noxdp.log"
grep -m1 "provider" "$TMP/noxdp.log" | sed 's/^/# /' 

finish
