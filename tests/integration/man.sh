#!/usr/bin/env bash
# tests/integration/man.sh: the man pages cannot drift from the program.
# sluice.toml(5) describes every key of the embedded default, each under its
# own table, and no key that does not exist; sluice(1) describes every option
# that any command's --help prints; both render without a groff warning.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."

for page in man/sluice.1 man/sluice.toml.5; do
  groff -man -Tutf8 -ww -z "$page" 2> "$TMP/groff"
  check "$page renders without groff warnings" test ! -s "$TMP/groff"
  [ -s "$TMP/groff" ] && cat "$TMP/groff"
done

# Keys: the embedded default (what `sluice config default` prints) against
# the page's ".SH [table]" sections and their ".TP" / ".BR key" entries.
"$SLUICE_BIN" config default > "$TMP/default.toml"
python3 - "$TMP/default.toml" man/sluice.toml.5 > "$TMP/keys" <<'PY'
import re, sys, tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))
want = {("" if not isinstance(v, dict) else t, k)
        for t, v in cfg.items() for k in (v if isinstance(v, dict) else [t])}
have, table, after_tp = set(), None, False
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    m = re.match(r'\.SH (?:\[(\w+)\]|(TOP LEVEL))$', line)
    if m:
        table = m.group(1) or ""
        continue
    if line.startswith(".SH"):
        table = None
    if after_tp and table is not None:
        m = re.match(r'\.BR? (\w+)', line)
        if m:
            have.add((table, m.group(1)))
    after_tp = line == ".TP"
name = lambda tk: "%s%s" % (tk[0] + "." if tk[0] else "", tk[1])
for tk in sorted(want - have):
    print("missing", name(tk))
for tk in sorted(have - want):
    print("unknown", name(tk))
print("count", len(want))
PY
while read -r what key; do
  case $what in
    missing) not_ok "sluice.toml(5) describes $key" ;;
    unknown) not_ok "sluice.toml(5) describes $key, which is no key of the default" ;;
    count) check "sluice.toml(5) describes every one of the default's $key keys under its table" \
             bash -c "! grep -q '^missing\|^unknown' '$TMP/keys'" ;;
  esac
done < "$TMP/keys"

# Options: every --option in a command's usage is in sluice(1) (roff: \-\-opt).
for c in run monitor gen demo configure config version; do
  # shellcheck disable=SC2086
  for o in $("$SLUICE_BIN" $c --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    esc=${o//-/\\-}
    check "sluice(1) describes sluice $c $o" grep -qF -- "$esc" man/sluice.1
  done
done

finish
