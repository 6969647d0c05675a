# bash completion for sluice(1). Installed as
# share/bash-completion/completions/sluice; try it with `source` on this file.
#
# Commands and subcommands are fixed; each command's options, and configure's
# stages, are read from that command's own --help, so they cannot drift from
# the binary. Values: *.toml files after --config, running instances after
# monitor --name, interfaces after --interface.

_sluice_help() { # BIN WORDS...: the --help text of a command
  "$@" --help 2> /dev/null
}

_sluice_instances() { # names of the workspaces in /dev/shm and hugetlbfs mounts
  local dirs=(/dev/shm) d f
  while read -r _ d t _; do [ "$t" = hugetlbfs ] && dirs+=("$d"); done < /proc/mounts
  for d in "${dirs[@]}"; do
    for f in "$d"/*.wksp; do [ -e "$f" ] && f=${f##*/} && echo "${f%.wksp}"; done
  done
}

_sluice() {
  local bin=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=
  [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  if [ "$COMP_CWORD" -le 1 ]; then
    mapfile -t COMPREPLY < <(compgen -W "run monitor gen demo configure config version help --help --version" -- "$cur")
    return
  fi
  local cmd=${COMP_WORDS[1]} words
  case $prev in
    --config | -c)
      compopt -o filenames
      mapfile -t COMPREPLY < <(compgen -f -X '!*.toml' -- "$cur"; compgen -d -- "$cur")
      return ;;
    --name)
      mapfile -t COMPREPLY < <(compgen -W "$(_sluice_instances)" -- "$cur")
      return ;;
    --interface)
      mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2> /dev/null)" -- "$cur")
      return ;;
    --version)
      [ "$cmd" = gen ] && mapfile -t COMPREPLY < <(compgen -W "any legacy v0" -- "$cur")
      return ;;
  esac
  case $cmd in
    config)
      if [ "$COMP_CWORD" -eq 2 ]; then
        mapfile -t COMPREPLY < <(compgen -W "check default decode --help" -- "$cur")
      elif [ "$COMP_CWORD" -eq 3 ] && [ "${COMP_WORDS[2]}" = check ]; then
        compopt -o filenames
        mapfile -t COMPREPLY < <(compgen -f -X '!*.toml' -- "$cur"; compgen -d -- "$cur")
      fi
      return ;;
    configure)
      if [ "$COMP_CWORD" -eq 2 ]; then
        mapfile -t COMPREPLY < <(compgen -W "init check fini --help" -- "$cur")
        return
      fi
      if [[ $cur != -* ]]; then
        # The stages are the indented names under "stages" in the usage.
        words="$(_sluice_help "$bin" configure | awk '/^stages/ {s = 1; next} s && /^  [a-z]/ {print $1}') all"
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
        return
      fi ;;
    version | help | --help | --version)
      return ;;
  esac
  words="$(_sluice_help "$bin" "$cmd" | grep -o -- '--[a-z][a-z-]*' | sort -u) --help"
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}

complete -F _sluice sluice
