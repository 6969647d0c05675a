#!/usr/bin/env bash
# tests/hugepages.sh setup|teardown STATEFILE
# setup: as root, make sure at least SLUICE_TEST_HUGEPAGES (default 768) free
# 2 MiB pages exist and a hugetlbfs is mounted; records what it changed in
# STATEFILE. teardown: undoes exactly that. Not root: does nothing, says so.
set -euo pipefail
cmd=$1 state=$2
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
free=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
want=${SLUICE_TEST_HUGEPAGES:-768}
case $cmd in
setup)
  : > "$state"
  if [ "$(id -u)" -ne 0 ]; then
    echo "hugepages: not root; tests use what is there (the /dev/shm fallback if nothing)"
    exit 0
  fi
  have=$(cat $free) total=$(cat $nr)
  if [ "$have" -lt "$want" ]; then
    echo $((total + want - have)) > $nr
    echo "hugepages: reserved $(( $(cat $nr) - total )) x 2 MiB pages for the tests (was $total)"
    echo "restore_nr=$total" >> "$state"
  fi
  if ! grep -q ' hugetlbfs ' /proc/mounts; then
    dir=/run/sluice-test-huge
    mkdir -p $dir
    mount -t hugetlbfs -o pagesize=2M,mode=1777 nodev $dir
    echo "hugepages: mounted hugetlbfs at $dir for the tests"
    echo "umount_dir=$dir" >> "$state"
  fi
  ;;
teardown)
  [ -f "$state" ] || exit 0
  # shellcheck disable=SC1090
  . "$state"
  if [ -n "${umount_dir:-}" ]; then
    umount "$umount_dir" && rmdir "$umount_dir" && echo "hugepages: unmounted $umount_dir"
  fi
  if [ -n "${restore_nr:-}" ]; then
    echo "$restore_nr" > $nr && echo "hugepages: restored nr_hugepages to $restore_nr"
  fi
  rm -f "$state"
  ;;
esac
