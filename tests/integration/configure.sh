#!/usr/bin/env bash
# tests/integration/configure.sh: `sluice configure` on this host, as root.
# Every value it changes (sysctls, nr_hugepages, mounts, a network
# namespace) is put back by the EXIT trap. It leaves tests/run.sh's
# hugetlbfs mount and pages alone: its own mounts live under its temp dir,
# or in a private mount namespace, and nr_hugepages goes back to the value
# it had before the test.
set -euo pipefail
: "${SLUICE_BIN:?run through tests/run.sh (SLUICE_BIN unset)}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/sluice-configure.XXXXXX)
NAME=cfg$$-$RANDOM
HP=/sys/kernel/mm/hugepages/hugepages-2048kB
NR_SAVE=""
NS=""
MNT_MADE=0     # 1: /mnt/.sluice did not exist before the test
SYSCTL_SAVE=() # "path=value" to write back
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
# check DESCRIPTION EXPRESSION: ok if the eval'ed expression holds; else
# not ok, with the output of the last run shown.
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; show; fi; }
# run COMMAND...: OUT = its stdout and stderr, RC = its exit status (set -e safe).
run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
has() { grep -qF -- "$1" <<<"$OUT"; }
mounted() { awk -v d="$1" '$2 == d {f = 1} END {exit !f}' /proc/mounts; }
show() { [ -z "$OUT" ] || sed 's/^/#   /' <<<"$OUT"; }

cleanup() {
  set +e
  # deepest first: mounts the test made under its temp dir
  awk -v t="$TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount "$m"; done
  [ -n "$NS" ] && ip netns del "$NS"
  for s in "${SYSCTL_SAVE[@]}"; do echo "${s#*=}" > "${s%%=*}"; done
  [ -n "$NR_SAVE" ] && echo "$NR_SAVE" > $HP/nr_hugepages
  [ "$MNT_MADE" = 1 ] && rmdir /mnt/.sluice/huge /mnt/.sluice 2> /dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# cfg FILE LINE...: a config for this test's instance name, small sizes.
cfg() {
  local f=$1; shift
  { echo "name = \"$NAME\""; printf '%s\n' "$@"; } > "$f"
}

sysctl_path() { echo "/proc/sys/$(tr . / <<<"$1")"; }
SYSCTLS=(net.core.rmem_max:16777216 net.core.rmem_default:16777216 net.core.bpf_jit_enable:1
  vm.max_map_count:262144)

# ---- config check: the test's configs and the deploy examples ------------
cfg "$TMP/small.toml" '[shmem]' 'ring_depth = 4096' '[verify]' 'dedup_cache_size = 65536'
run "$SLUICE_BIN" config check "$TMP/small.toml"
check "config check passes on the test config" '[ "$RC" = 0 ]'
# The examples are written for other hosts (their user, NIC, CPUs, 1G pages):
# each file must be valid; what this host lacks comes as host findings.
for f in "$ROOT"/deploy/examples/*.toml; do
  b=deploy/examples/$(basename "$f")
  run "$SLUICE_BIN" config check "$f"
  check "config check $b: a valid file (exit $RC; host findings allowed)" \
    '[ "$RC" = 0 ] || { [ "$RC" = 2 ] && ! has "not a valid configuration"; }'
done

# ---- usage --------------------------------------------------------------
run "$SLUICE_BIN" configure check nosuchstage --config "$TMP/small.toml"
check "bad stage name: exit 2 with usage" '[ "$RC" = 2 ] && has "usage: sluice configure"'
run "$SLUICE_BIN" configure reset
check "bad action: exit 2 with usage" '[ "$RC" = 2 ] && has "usage: sluice configure"'
run "$SLUICE_BIN" configure check sysctl ethtool
check "two stages: exit 2" '[ "$RC" = 2 ]'

# ---- sysctl check against the current values ------------------------------
sysctl_expect() { # sets EXP_RC and LOW (names below their minimum)
  LOW=()
  for kv in "${SYSCTLS[@]}"; do
    local v; v=$(cat "$(sysctl_path "${kv%%:*}")")
    [ "$v" -ge "${kv#*:}" ] || LOW+=("${kv%%:*} = $v")
  done
  EXP_RC=$(( ${#LOW[@]} ? 1 : 0 ))
}
sysctl_expect
run "$SLUICE_BIN" configure check sysctl --config "$TMP/small.toml"
check "check sysctl exits $EXP_RC for the current values" '[ "$RC" = "$EXP_RC" ]'
miss=""
for l in "${LOW[@]}"; do has "$l" || miss+="'$l' "; done
if [ "$EXP_RC" = 0 ]; then
  check "check sysctl says ok" 'has "sysctl: ok"'
else
  check "check sysctl names each low value (${#LOW[@]})" '[ -z "$miss" ]'
  check "check sysctl says what to run" 'has "sudo sluice configure init sysctl --config $TMP/small.toml"'
fi
SYSCTL_LINE=$(head -1 <<<"$OUT")

if [ "$(id -u)" -ne 0 ]; then
  echo "# not root: init/fini checks skipped"
  echo "configure: $PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
  exit
fi

if command -v setpriv > /dev/null; then
  run setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICE_BIN" configure check sysctl
  check "check sysctl as an ordinary user: same exit status and line" \
    '[ "$RC" = "$EXP_RC" ] && [ "$(head -1 <<<"$OUT")" = "$SYSCTL_LINE" ]'
  run setpriv --reuid=65534 --regid=65534 --clear-groups "$SLUICE_BIN" configure init sysctl
  check "init as an ordinary user: exit 1, needs root" '[ "$RC" = 1 ] && has "configure init needs root"'
fi

# ---- sysctl init: raises what is low, never lowers ---------------------------
for kv in "${SYSCTLS[@]}"; do
  p=$(sysctl_path "${kv%%:*}")
  SYSCTL_SAVE+=("$p=$(cat "$p")")
done
# rmem_max above the minimum must stay where it is
echo 33554432 > /proc/sys/net/core/rmem_max
sysctl_expect
run "$SLUICE_BIN" configure init sysctl --config "$TMP/small.toml"
check "init sysctl exits 0" '[ "$RC" = 0 ]'
miss=""
for l in "${LOW[@]}"; do has "raised ${l% = *} ${l#* = } -> " || miss+="'${l% = *}' "; done
check "init sysctl says 'raised NAME OLD -> NEW' for each low value (${#LOW[@]})" '[ -z "$miss" ]'
check "init sysctl never lowers (rmem_max stays 33554432)" '[ "$(cat /proc/sys/net/core/rmem_max)" = 33554432 ]'
sysctl_expect
check "after init every sysctl is at or above its minimum" '[ "$EXP_RC" = 0 ]'
run "$SLUICE_BIN" configure check sysctl --config "$TMP/small.toml"
check "check sysctl after init: exit 0, ok" '[ "$RC" = 0 ] && has "sysctl: ok"'
run "$SLUICE_BIN" configure fini sysctl --config "$TMP/small.toml"
check "fini sysctl changes nothing and says so" \
  '[ "$RC" = 0 ] && has "changes nothing" && [ "$(cat /proc/sys/vm/max_map_count)" -ge 262144 ]'
for s in "${SYSCTL_SAVE[@]}"; do echo "${s#*=}" > "${s%%=*}"; done

# ---- hugetlbfs -----------------------------------------------------------
# need_free CONFIG: sets NEED and FREE from `configure check hugetlbfs`.
need_free() {
  run "$SLUICE_BIN" configure check hugetlbfs --config "$1"
  NEED=$(grep -oE '[0-9]+ needed' <<<"$OUT" | grep -oE '[0-9]+' || echo -1)
  FREE=$(grep -oE '[0-9]+ x 2M free' <<<"$OUT" | grep -oE '^[0-9]+' || echo 0)
}
# huge_cfg FILE MOUNT USER: the smallest ring_depth whose pages exceed the
# free ones (so init has pages to reserve); 0 in DEPTH if none does.
huge_cfg() {
  local f=$1 mnt=$2 user=$3 d
  DEPTH=0
  for d in 4096 8192 16384 32768 65536 131072 262144 524288 1048576; do
    cfg "$f" "user = \"$user\"" '[shmem]' "hugetlbfs_mount = \"$mnt\"" 'page_size = "2M"' "ring_depth = $d" \
      '[net]' 'rx_queue_size = 64' '[verify]' 'dedup_cache_size = 65536'
    need_free "$f"
    [ "$NEED" -ge 0 ] || return 0
    if [ "$NEED" -gt "$FREE" ]; then DEPTH=$d; return; fi
  done
}
huge_free() { echo $(( $(cat $HP/free_hugepages) - $(cat $HP/resv_hugepages) )); }

NR_SAVE=$(cat $HP/nr_hugepages)
H=$TMP/huge
huge_cfg "$TMP/huge.toml" "$H" nobody
if [ "$NEED" -lt 0 ]; then
  not_ok "check hugetlbfs says how many pages are needed"; show
elif [ "$DEPTH" = 0 ]; then
  echo "# hugetlbfs: $FREE free pages exceed any test config's needs: explicit-mount checks skipped"
else
  echo "# hugetlbfs: ring_depth $DEPTH needs $NEED x 2M pages, $FREE free"
  check "config check passes on the hugetlbfs config" '"$SLUICE_BIN" config check "$TMP/huge.toml" > /dev/null'
  run "$SLUICE_BIN" configure check hugetlbfs --config "$TMP/huge.toml"
  check "check hugetlbfs before init: exit 1, not configured" '[ "$RC" = 1 ] && has "hugetlbfs: not configured"'
  nr0=$(cat $HP/nr_hugepages)
  run "$SLUICE_BIN" configure init hugetlbfs --config "$TMP/huge.toml"
  check "init hugetlbfs exits 0" '[ "$RC" = 0 ]'
  check "init hugetlbfs raised nr_hugepages ($nr0 -> $(cat $HP/nr_hugepages))" \
    '[ "$(cat $HP/nr_hugepages)" -gt "$nr0" ] && has "hugetlbfs: reserved"'
  check "at least the needed pages are free now" '[ "$(huge_free)" -ge "$NEED" ]'
  m=$(awk -v d="$H" '$2 == d {print $1, $3, $4}' /proc/mounts)
  check "init mounted a 2M hugetlbfs at the configured path ($m)" \
    'grep -qE "^sluice hugetlbfs .*pagesize=2M" <<<"$m"'
  check "the mount is mode 0700 and owned by [user] nobody ($(stat -c '%a %U' "$H"))" \
    '[ "$(stat -c "%a %U" "$H")" = "700 nobody" ]'
  run "$SLUICE_BIN" configure check hugetlbfs --config "$TMP/huge.toml"
  check "check hugetlbfs after init: exit 0, ok" '[ "$RC" = 0 ] && has "hugetlbfs: ok" && has "on $H"'
  run "$SLUICE_BIN" configure init hugetlbfs --config "$TMP/huge.toml"
  check "init hugetlbfs again does nothing more" '[ "$RC" = 0 ] && ! has "reserved" && ! has "mounted"'
  run "$SLUICE_BIN" configure fini hugetlbfs --config "$TMP/huge.toml"
  check "fini hugetlbfs exits 0" '[ "$RC" = 0 ]'
  check "fini unmounted its mount" 'has "unmounted $H" && ! mounted "$H"'
  check "fini released the free pages (says how many; none free left)" \
    'has "hugetlbfs: released" && [ "$(huge_free)" = 0 ]'
  run "$SLUICE_BIN" configure check hugetlbfs --config "$TMP/huge.toml"
  check "check hugetlbfs after fini: exit 1" '[ "$RC" = 1 ]'
  echo "$NR_SAVE" > $HP/nr_hugepages
fi

# The default mount point, in a private mount namespace where no hugetlbfs
# is mounted (the host's mounts, tests/run.sh's included, stay untouched).
if [ -e /mnt/.sluice ]; then
  echo "# /mnt/.sluice exists on this host: default-mount checks skipped"
elif ! command -v unshare > /dev/null; then
  echo "# no unshare: default-mount checks skipped"
else
  MNT_MADE=1
  huge_cfg "$TMP/auto.toml" auto ""
  unshare -m --propagation private bash -c '
    for m in $(awk "\$3 == \"hugetlbfs\" {print \$2}" /proc/self/mounts); do umount -l "$m"; done
    "$1" configure init hugetlbfs --config "$2" > "$3/ns-init.out" 2>&1; echo $? > "$3/ns-init.rc"
    awk "\$2 == \"/mnt/.sluice/huge\" {print \$1, \$3}" /proc/self/mounts > "$3/ns-mount"
    stat -c "%a %U" /mnt/.sluice/huge > "$3/ns-stat" 2>&1
    "$1" configure check hugetlbfs --config "$2" > "$3/ns-check.out" 2>&1; echo $? > "$3/ns-check.rc"
    "$1" configure fini hugetlbfs --config "$2" > "$3/ns-fini.out" 2>&1; echo $? > "$3/ns-fini.rc"
    awk "\$2 == \"/mnt/.sluice/huge\"" /proc/self/mounts > "$3/ns-mount-after"
    if [ -e /mnt/.sluice ]; then echo present; else echo gone; fi > "$3/ns-dir"
  ' _ "$SLUICE_BIN" "$TMP/auto.toml" "$TMP" || true
  echo "$NR_SAVE" > $HP/nr_hugepages
  rmdir /mnt/.sluice/huge /mnt/.sluice 2> /dev/null || true
  OUT=$(cat "$TMP/ns-init.out")
  check "auto, nothing mounted: init exits 0" '[ "$(cat "$TMP/ns-init.rc")" = 0 ]'
  check "init mounted sluice's hugetlbfs at /mnt/.sluice/huge" '[ "$(cat "$TMP/ns-mount")" = "sluice hugetlbfs" ]'
  check "/mnt/.sluice/huge is mode 0700, owned by root ($(cat "$TMP/ns-stat"))" \
    '[ "$(cat "$TMP/ns-stat")" = "700 root" ]'
  OUT=$(cat "$TMP/ns-check.out")
  check "check after init: exit 0, ok on /mnt/.sluice/huge" \
    '[ "$(cat "$TMP/ns-check.rc")" = 0 ] && has "on /mnt/.sluice/huge"'
  OUT=$(cat "$TMP/ns-fini.out")
  check "fini unmounts /mnt/.sluice/huge and releases pages" '[ "$(cat "$TMP/ns-fini.rc")" = 0 ] &&
    has "unmounted /mnt/.sluice/huge" && has "released" && [ ! -s "$TMP/ns-mount-after" ]'
  check "fini removed the directories it made" '[ "$(cat "$TMP/ns-dir")" = gone ]'
fi
check "nr_hugepages is back to $NR_SAVE" '[ "$(cat $HP/nr_hugepages)" = "$NR_SAVE" ]'

# ---- ethtool, in a namespace of our own -----------------------------------
NS=sluicecfg$$
ip netns add "$NS"
ip -n "$NS" link add va numrxqueues 2 numtxqueues 2 type veth peer name vb numrxqueues 2 numtxqueues 2
nse() { ip netns exec "$NS" "$@"; }
feature() { nse ethtool -k "$1" | grep -qx "$2: $3"; } # feature IF NAME on|off
va_rx() { nse ethtool -l va | awk '/^Current/ {c = 1} c && /^RX:/ {print $2}'; }
cfg "$TMP/va.toml" '[layout]' 'net_tile_count = 2' '[net]' 'interface = "va"'
cfg "$TMP/lo.toml" '[net]' 'interface = "lo"'
nse ethtool -K va rx-udp-gro-forwarding on || true
nse ethtool -K lo rx-udp-gro-forwarding on tx-udp-segmentation on || true
VA_CHANNELS=0
if nse ethtool -l va > /dev/null 2>&1 && nse ethtool -L va rx 1 > /dev/null 2>&1; then VA_CHANNELS=1; fi

run nse "$SLUICE_BIN" configure check ethtool --config "$TMP/va.toml"
check "check ethtool on a fresh veth: exit 1, GRO forwarding on" '[ "$RC" = 1 ] && has "rx-udp-gro-forwarding on"'
run nse "$SLUICE_BIN" configure init ethtool --config "$TMP/va.toml"
check "init ethtool on the veth exits 0" '[ "$RC" = 0 ]'
if [ "$VA_CHANNELS" = 1 ]; then
  check "init set the veth's rx channels to net_tile_count (ethtool -l)" \
    'has "va rx channels 1 -> 2" && [ "$(va_rx)" = 2 ]'
else
  check "init reports channels not supported by the veth" 'has "channels not supported"'
fi
check "init turned rx-udp-gro-forwarding off (ethtool -k)" \
  'has "rx-udp-gro-forwarding on -> off" && feature va rx-udp-gro-forwarding off'
run nse "$SLUICE_BIN" configure check ethtool --config "$TMP/va.toml"
check "check ethtool after init: exit 0, ok" '[ "$RC" = 0 ] && has "ethtool: ok"'
run nse "$SLUICE_BIN" configure fini ethtool --config "$TMP/va.toml"
check "fini ethtool restores nothing and says so" \
  '[ "$RC" = 0 ] && has "restores nothing" && feature va rx-udp-gro-forwarding off'

run nse "$SLUICE_BIN" configure init ethtool --config "$TMP/lo.toml"
check "init ethtool on lo exits 0" '[ "$RC" = 0 ]'
check "lo: channels not supported, skipped" 'has "channels not supported" && has "skipped"'
check "lo: rx-udp-gro-forwarding and tx-udp-segmentation off (ethtool -k)" \
  'has "tx-udp-segmentation on -> off" && feature lo tx-udp-segmentation off && feature lo rx-udp-gro-forwarding off'

cfg "$TMP/none.toml" '[net]' 'interface = "nosuch0"'
run nse "$SLUICE_BIN" configure init ethtool --config "$TMP/none.toml"
check "init ethtool on a missing interface: exit 1, names it" '[ "$RC" = 1 ] && has "nosuch0: no such interface"'
cfg "$TMP/evil.toml" '[net]' 'interface = "va;touch"'
run nse "$SLUICE_BIN" configure check ethtool --config "$TMP/evil.toml"
check "an interface name with ';' never reaches ethtool: exit 1" '[ "$RC" = 1 ] && has "only A-Za-z0-9._-"'

echo "configure: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
