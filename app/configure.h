/* app/configure.h: `sluice configure init|check|fini [STAGE|all] [--config FILE]`,
   the host setup an instance needs before `sluice run`.

   Stages, in order (`all` runs every one; fini runs them in reverse):
     hugetlbfs  pages = ceil((sl_topo_footprint(cfg) + 4 MiB) / [shmem] page_size).
                init raises nr_hugepages by what is missing (on the instance's
                NUMA node when the host has several) and, unless a hugetlbfs of
                that page size is already mounted ([shmem] hugetlbfs_mount =
                "auto": any such mount; a path: that path), mounts one at
                /mnt/.sluice/huge (2M) or /mnt/.sluice/gigantic (1G), or at the
                configured path, mode 0700, owned by [user] when set. fini
                unmounts only a mount it made (source "sluice") at that path,
                then releases every free page of the size (nr_hugepages -= free).
     sysctl     net.core.rmem_max, net.core.rmem_default >= 16 MiB,
                net.core.bpf_jit_enable >= 1, vm.max_map_count >= 262144. init
                raises (never lowers); fini changes nothing.
     ethtool    [net] interface: channels (combined, else rx) = net_tile_count
                (skipped when the driver reports none), rx-udp-gro-forwarding off,
                and on lo also tx-udp-segmentation off, through the ethtool
                command. fini changes nothing.

   Output is one line per stage and action on stdout ("sysctl: raised
   net.core.rmem_max 212992 -> 16777216", "hugetlbfs: ok (...)"); failures
   go to stderr as "STAGE: failed: ...". init ends each stage with its check
   line. check prints "STAGE: ok (...)", "STAGE: partly configured: ..." or
   "STAGE: not configured: ...", then for each stage not ok the command to
   run ("to fix: sudo sluice configure init STAGE ...").

   init and fini need root ("configure init needs root (it writes /sys and
   mounts)", exit 1); check works as any user. */
#ifndef SL_APP_CONFIGURE_H
#define SL_APP_CONFIGURE_H

/* sl_cmd_configure: argv[0] is "configure". Returns the exit status: 0 when
   every stage succeeded (init, fini) or is ok (check), 1 otherwise or when
   not root for init/fini, 2 on bad usage (unknown action, stage or option:
   usage on stderr) or a config that does not load. Stages after a failed
   one still run, so one invocation reports everything. */
int sl_cmd_configure(int argc, char **argv);

#endif
