#!/usr/bin/env bash
# tests/integration/install.sh: `make install` and `make uninstall` into a
# DESTDIR, with the default PREFIX and another one: exactly the expected files
# (binary, both man pages, bash completion, systemd unit, example configs),
# the unit's ExecStart naming the installed binary, and uninstall leaving
# nothing behind.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."
root=$PWD
# The build tree under test (build, or build/san for SAN=1): make must find
# its binary up to date, not build another.
build=${SLUICE_BUILD#"$root"/}

# files PREFIX: what install must write under DESTDIR for that PREFIX.
files() {
  local p=$1
  {
    echo "$p/bin/sluice"
    echo "$p/share/man/man1/sluice.1.gz"
    echo "$p/share/man/man5/sluice.toml.5.gz"
    echo "$p/share/bash-completion/completions/sluice"
    echo "$p/lib/systemd/system/sluice.service"
    for e in deploy/examples/*.toml; do echo "$p/share/doc/sluice/examples/${e##*/}"; done
  } | sort
}

for prefix in /usr/local /opt/sluice-test; do
  dest=$TMP/dest$RANDOM
  if [ "$prefix" = /usr/local ]; then args=(); else args=(PREFIX="$prefix"); fi
  make -s -C "$root" BUILD="$build" DESTDIR="$dest" "${args[@]}" install > "$TMP/install.log" 2>&1
  eq "make install ${args[*]} succeeds" 0 $?
  (cd "$dest" && find . -type f -printf '/%P\n' | sort) > "$TMP/got"
  files "$prefix" > "$TMP/want"
  check "install ($prefix) writes exactly the expected files" diff "$TMP/want" "$TMP/got"
  eq "the unit's ExecStart runs the installed binary ($prefix)" \
    "ExecStart=$prefix/bin/sluice run --config /etc/sluice/sluice.toml" \
    "$(grep '^ExecStart=' "$dest$prefix/lib/systemd/system/sluice.service")"
  check "no @PLACEHOLDER@ is left in the unit ($prefix)" bash -c "! grep -q '@[A-Z]*@' '$dest$prefix/lib/systemd/system/sluice.service'"
  eq "the installed binary is the built one ($prefix)" "$("$SLUICE_BIN" version)" "$("$dest$prefix/bin/sluice" version)"
  check "the man pages are gzip files man can read ($prefix)" \
    bash -c "man -l '$dest$prefix/share/man/man1/sluice.1.gz' | grep -q 'sluice run' && man -l '$dest$prefix/share/man/man5/sluice.toml.5.gz' | grep -q ring_depth"
  eq "files are world-readable, the binary executable ($prefix)" "755 644 644 644" \
    "$(stat -c %a "$dest$prefix/bin/sluice" "$dest$prefix/share/man/man1/sluice.1.gz" "$dest$prefix/lib/systemd/system/sluice.service" "$dest$prefix/share/bash-completion/completions/sluice" | paste -sd ' ')"

  make -s -C "$root" BUILD="$build" DESTDIR="$dest" "${args[@]}" uninstall > "$TMP/uninstall.log" 2>&1
  eq "make uninstall ${args[*]} succeeds" 0 $?
  eq "uninstall ($prefix) leaves no file" "" "$(cd "$dest" && find . -type f)"
  check "uninstall ($prefix) removes sluice's own directories" test ! -e "$dest$prefix/share/doc/sluice"
done

finish
