#!/usr/bin/env bash
# tests/integration/cli.sh: the command line's own contract. `--help` and
# `-h` on every command and subcommand print its usage on stdout and exit 0;
# a bad argument exits 2 with the usage on stderr; `sluice version` and
# `sluice --version` print the version git describes, embedded at build time;
# a tree without git builds with the fallback version.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."

# Every command path that parses its own arguments.
CMDS=("" run monitor gen demo configure "configure init" "configure check" "configure fini"
      config "config check" "config default" "config decode" version)

for c in "${CMDS[@]}"; do
  for h in --help -h; do
    # shellcheck disable=SC2086 # the command path splits into words
    "$SLUICE_BIN" $c $h > "$TMP/out" 2> "$TMP/err"
    rc=$?
    eq "sluice $c $h exits 0" 0 "$rc"
    check "sluice $c $h prints the usage on stdout" grep -q '^usage: sluice' "$TMP/out"
    check "sluice $c $h prints nothing on stderr" test ! -s "$TMP/err"
  done
  # shellcheck disable=SC2086
  "$SLUICE_BIN" $c --no-such-option > "$TMP/out" 2> "$TMP/err"
  rc=$?
  eq "sluice $c --no-such-option exits 2" 2 "$rc"
  check "sluice $c --no-such-option prints the usage on stderr" grep -q 'usage: sluice' "$TMP/err"
  check "sluice $c --no-such-option prints nothing on stdout" test ! -s "$TMP/out"
done

"$SLUICE_BIN" > "$TMP/out" 2> "$TMP/err"
eq "sluice without a command exits 2" 2 $?
check "sluice without a command prints the usage on stderr" grep -q '^usage: sluice' "$TMP/err"

if [ -e .git ]; then
  want="sluice $(git describe --tags --always --dirty)"
  eq "sluice version prints git describe of the tree it was built from" "$want" "$("$SLUICE_BIN" version)"
  eq "sluice --version prints the same" "$want" "$("$SLUICE_BIN" --version)"
fi
mkdir "$TMP/tarball"
cp --parents Makefile */*.mk */*/*.mk "$TMP/tarball"
fallback=$(sed -n 's/^VERSION_FALLBACK := //p' Makefile)
eq "a tree without .git gets the fallback version" "$fallback-nogit" "$(make -s -C "$TMP/tarball" version)"

finish
