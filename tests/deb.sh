#!/usr/bin/env bash
# tests/deb.sh DEB: the Debian package installs (dpkg -i), its files are
# where the system looks (sluice on PATH, man pages, unit), `sluice config
# check` passes on its host-independent example, and `dpkg --purge` removes
# every file it installed. Run as root on a host without a sluice package
# (CI runs it after `make deb`). Prints "deb: N passed, M failed".
set -uo pipefail
deb=${1:?usage: tests/deb.sh build/deb/sluice_VERSION_ARCH.deb}
PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
finish() { echo "deb: $PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; exit; }

if dpkg-query -W -f='${Status}' sluice 2> /dev/null | grep -q 'ok installed'; then
  not_ok "a sluice package is already installed here: not replacing it"
  finish
fi
list=$(mktemp /tmp/sluice-deb.XXXXXX)
trap 'rm -f "$list"; dpkg --purge sluice > /dev/null 2>&1' EXIT

check "dpkg -i installs the package" dpkg -i "$deb"
dpkg -L sluice > "$list"
check "sluice is on PATH, at /usr/bin/sluice" test "$(command -v sluice)" = /usr/bin/sluice
check "sluice version runs" bash -c 'sluice version | grep -q "^sluice "'
check "man finds sluice(1) and sluice.toml(5)" bash -c 'man -w sluice > /dev/null && man -w 5 sluice.toml > /dev/null'
check "the unit runs /usr/bin/sluice" grep -q '^ExecStart=/usr/bin/sluice run' /lib/systemd/system/sluice.service
check "sluice config check passes on the example dev-laptop.toml" \
  sluice config check /usr/share/doc/sluice/examples/dev-laptop.toml
check "the package ships no maintainer scripts (nothing is enabled or started)" \
  bash -c '! dpkg-deb --ctrl-tarfile "$0" | tar -t | grep -Eq "(pre|post)(inst|rm)"' "$deb"

check "dpkg --purge removes the package" dpkg --purge sluice
left=$(while read -r f; do [ -f "$f" ] && echo "$f"; done < "$list")
check "no file of the package is left${left:+: $left}" test -z "$left"
check "its own directories are gone (/usr/share/doc/sluice)" test ! -e /usr/share/doc/sluice
check "dpkg no longer knows the package" bash -c '! dpkg-query -W sluice > /dev/null 2>&1'
finish
