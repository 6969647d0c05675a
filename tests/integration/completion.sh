#!/usr/bin/env bash
# tests/integration/completion.sh: the bash completion (completion/sluice.bash)
# completes commands, subcommands, each command's options (read from its
# --help), configure's stages, *.toml files after --config, running instances
# after monitor --name, gen's message versions.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."

# shellcheck source=../../completion/sluice.bash
source completion/sluice.bash
# compopt works only inside a completion that bash started; here it is a no-op.
compopt() { :; }

# complete_line "WORDS..." : COMPREPLY for the last word of the line, sorted
# (C order), on one line. A trailing space means the cursor is on a new, empty word.
complete_line() {
  read -ra COMP_WORDS <<< "$1"
  [[ $1 == *" " ]] && COMP_WORDS+=("")
  COMP_WORDS[0]=$SLUICE_BIN
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  _sluice
  printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort -u | paste -sd ' '
}

has() { # has "description" "line" word...: the completion of line offers every word
  local d=$1 got; got=" $(complete_line "$2") "; shift 2
  for w in "$@"; do [[ $got == *" $w "* ]] || { not_ok "$d: '$w' not in [$got]"; return; }; done
  ok "$d"
}

eq "commands" "--help --version config configure demo gen help monitor run version" "$(complete_line "sluice ")"
eq "commands by prefix" "config configure" "$(complete_line "sluice con")"
has "run's options" "sluice run --" --config --help
has "monitor's options" "sluice monitor --" --name --config --once --json --prometheus --interval --help
has "gen's options" "sluice gen --" --dst --count --rate --dup --bad-sig --malformed --seed --interface
has "demo's options" "sluice demo --" --seconds --rate --config
eq "config's subcommands" "--help check decode default" "$(complete_line "sluice config ")"
eq "configure's actions" "--help check fini init" "$(complete_line "sluice configure ")"
eq "configure's stages, from its usage" "all ethtool hugetlbfs sysctl" "$(complete_line "sluice configure init ")"
eq "gen --version values" "any legacy v0" "$(complete_line "sluice gen --version ")"

mkdir -p "$TMP/cfgs/sub"
touch "$TMP/cfgs/a.toml" "$TMP/cfgs/b.txt"
eq "--config offers .toml files and directories" "$TMP/cfgs/a.toml $TMP/cfgs/sub" \
  "$(complete_line "sluice run --config $TMP/cfgs/")"
eq "config check offers .toml files and directories" "$TMP/cfgs/a.toml $TMP/cfgs/sub" \
  "$(complete_line "sluice config check $TMP/cfgs/")"

inst=$(uniq_name comp)
touch "/dev/shm/$inst.wksp"
trap 'rm -f "/dev/shm/$inst.wksp"; cleanup' EXIT
eq "monitor --name offers the instances' workspaces" "$inst" "$(complete_line "sluice monitor --name $inst")"

finish
