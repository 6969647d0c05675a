/* tiles/sandbox.h: the sandbox every tile enters after its privileged setup
   and never leaves.

   A tile's process, freshly forked by the supervisor (still root, or the
   invoking user), does its privileged setup (bind sockets, map the
   workspace, open its pcap), then calls sl_sandbox_enter once with its
   policy, before it reads its first packet. From then on it holds only the
   descriptors on its allow-list, runs as an unprivileged user with no
   capability it could ever regain, in private namespaces under an empty
   root, and may make only the system calls its policy lists: any other
   call kills the process (SIGSYS), and so the instance.

   Policy per tile kind, written by the tile in a few lines:

     sl_sandbox_rule_t rules[] = {
       SL_SB_ALLOW(write, SL_SB_EQ(0, log_fd)),          write to the log only
       SL_SB_ALLOW(recvfrom, SL_SB_EQ(0, xsk_fd), SL_SB_EQ(3, MSG_DONTWAIT)),
       SL_SB_ALLOW(nanosleep),
       SL_SB_ALLOW(exit_group),
     };
     int fds[] = {log_fd, xsk_fd};
     sl_sandbox_t sb = {.tile = "net:0", .uid = uid, .gid = gid, .fds = fds,
                        .fd_cnt = 2, .unshare = SL_SB_NS_ALL, .empty_root = 1,
                        .landlock = 1, .landlock_dir_fd = -1,
                        .rules = rules, .rule_cnt = 4};

   Nothing here runs on a hot path: sl_sandbox_enter is a one-time cost at
   tile start (figures in the commit that measured it), and a filtered
   system call costs only while the tile makes it. */
#ifndef SL_TILES_SANDBOX_H
#define SL_TILES_SANDBOX_H

#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "util/err.h"

#define SL_SANDBOX_FD_MAX 64u  /* descriptors on one allow-list */
#define SL_SANDBOX_ARG_MAX 3u  /* pinned arguments in one rule */

/* The namespaces a policy may unshare. A tile keeps the host's network
   namespace only if it must still create or bind sockets after entering
   (none does: descriptors opened before keep working in a new one). */
#define SL_SB_NS_ALL (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP)

/* How a pinned argument is compared (64-bit, as the kernel passes it). */
enum {
  SL_SB_OP_NONE = 0,   /* unused slot: the rule ends here */
  SL_SB_OP_EQ = 1,     /* arg == val */
  SL_SB_OP_MASKED = 2, /* (arg & mask) == val */
};

typedef struct {
  uint8_t op;  /* SL_SB_OP_* */
  uint8_t arg; /* argument index, 0..5 */
  uint64_t mask;
  uint64_t val;
} sl_sandbox_arg_t;

/* One allowed system call: nr (SYS_name) with at most SL_SANDBOX_ARG_MAX
   pinned arguments, all of which must hold. Several rules for the same
   call are alternatives (write to the log fd, or write to the pcap fd). */
typedef struct {
  long nr;
  sl_sandbox_arg_t arg[SL_SANDBOX_ARG_MAX];
} sl_sandbox_rule_t;

#define SL_SB_EQ(i, v) {.op = SL_SB_OP_EQ, .arg = (i), .mask = 0, .val = (uint64_t)(v)}
#define SL_SB_MASKED(i, m, v) {.op = SL_SB_OP_MASKED, .arg = (i), .mask = (uint64_t)(m), .val = (uint64_t)(v)}
/* SL_SB_ALLOW(write, SL_SB_EQ(0, fd)): the call by name, then its pins. */
#define SL_SB_ALLOW(name, ...) {.nr = SYS_##name, .arg = {__VA_ARGS__}}

typedef struct {
  const char *tile; /* named in every message: "verify:0" */
  uid_t uid;        /* the user to become, from sl_sandbox_resolve_user; never 0 */
  gid_t gid;        /* its primary group; never 0 */
  /* The exact descriptors the tile keeps, in any order. Every other one is
     closed, then the open set is checked to be exactly this. */
  const int *fds;
  uint32_t fd_cnt;
  uint32_t unshare; /* subset of SL_SB_NS_ALL */
  /* 1: the root becomes an empty read-only tmpfs (needs CLONE_NEWNS) and the
     host's file tree is detached; only descriptors held reach files. */
  int empty_root;
  /* RLIMIT_NOFILE (soft and hard): a new descriptor takes the lowest free
     number, which must be below this. 0: the tile can create none. */
  uint64_t max_fds;
  /* RLIMIT_FSIZE (soft and hard): the largest offset a write may extend a
     regular file to (SIGXFSZ beyond). Tiles that write a log file or a pcap
     need RLIM_INFINITY; 0 for the others. */
  uint64_t max_file_size;
  /* 1: restrict further with Landlock where the kernel has it: no file
     access by path at all, no TCP bind/connect, no signals or abstract
     sockets outside the tile (each as far as the kernel's ABI reaches).
     A kernel without Landlock is logged once, not an error. */
  int landlock;
  /* -1, or a directory descriptor (O_PATH is enough; also on fds[]) under
     which the tile may still create, write, rename (within it) and remove
     regular files (the sink's pcap rotation and pcap_max_files). Needs landlock = 1 and a kernel with Landlock: without it,
     that directory is reachable through the descriptor unrestricted. */
  int landlock_dir_fd;
  const sl_sandbox_rule_t *rules; /* the seccomp allow-list (never SYS_reboot) */
  uint32_t rule_cnt;
  /* NULL: a call off the list kills the process outright. Else it is
     trapped first: the sandbox's SIGSYS handler stores the call's number
     plus one into *trap_slot (a word of the tile's metrics, so that the
     supervisor can name the call after the death), then calls reboot(2),
     which the filter kills for: the process dies of SIGSYS either way, and
     the handler never returns (rt_sigreturn need not be listed). Calls made
     for a foreign architecture are killed without a trap. */
  uint64_t *trap_slot;
  /* 0, or the signal the process gets when `parent` (its parent, a pid)
     dies. Set here, not before the call: the credential switch clears a
     parent-death signal, and so did any setfsuid() the tile's setup made. */
  int parent_death_signal;
  pid_t parent;
} sl_sandbox_t;

/* sl_sandbox_resolve_user maps the config's `user` to the uid/gid a tile
   becomes. Call in the supervisor before forking (it reads the user
   database, which needs files a sandboxed tile no longer has).
   "" (or NULL): "nobody" when running as root (euid 0), else the invoking
   user. A name: that user; as non-root only the invoking user itself.
   Fails, naming the user and the remedy, for an unknown user, a user with
   uid 0 or primary group 0 (tiles never run as root), or a non-root caller
   asking for someone else. */
int sl_sandbox_resolve_user(const char *user, uid_t *uid, gid_t *gid, sl_err_t *err);

/* sl_sandbox_enter confines the calling process for good. Call it once, in
   a single-threaded process (a freshly forked tile), as the last step of
   its setup: it needs the privileges it drops (as root: CAP_SYS_ADMIN for
   the namespaces and the new root, CAP_SETPCAP for the bounding set and
   securebits, CAP_SETUID/CAP_SETGID for the switch; as non-root it first
   makes a user namespace that maps the invoking user to itself, which the
   host must allow). In this order:

     build the seccomp filter (libseccomp, into memory);
     clear the environment (the strings themselves: /proc/PID/environ reads
       as zero bytes afterwards);
     close every descriptor not on sb->fds, then check that exactly
       sb->fds are open (an allow-listed one that is not open fails too);
     setsid: own session, no controlling terminal;
     unshare sb->unshare; with empty_root, pivot_root into an empty
       read-only tmpfs and detach the old root (mounts made private first,
       so nothing reaches the host's tree);
     rlimits: NOFILE = max_fds, FSIZE = max_file_size, and CORE, NPROC,
       LOCKS, MEMLOCK, MSGQUEUE, NICE, RTPRIO = 0;
     drop the bounding set and ambient capabilities; lock securebits
       (NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE, each
       locked); setgroups() to none (not possible in the non-root user
       namespace: logged); setresgid, setresuid; clear the effective,
       permitted and inheritable sets; PR_SET_NO_NEW_PRIVS; not dumpable;
     verify: real, effective and saved ids are sb's, no capability in any
       set, bounding set empty, securebits as set, root cannot be regained;
     arm parent_death_signal and fail if the parent (sb->parent) is no
       longer ours (it died meanwhile);
     Landlock (if asked and available);
     with trap_slot, install the SIGSYS handler (all signals masked in it)
       and unblock SIGSYS;
     load the filter: unlisted calls kill the process (after the trap,
       with trap_slot), so do calls made for another architecture (32-bit
       or x32 entry). Built with SAN=1,
       sigaltstack is allowed too (AddressSanitizer's _exit needs it).
       This is the last system call: the function returns without making
       another.

   Returns 0 when confined. Returns -1 with err naming the tile, the step
   and the remedy; the process is then partly confined and must exit (only
   _exit is certain to work). Nothing is changed before the policy itself
   is checked (uid/gid 0, bad fds, too many fds or pins, an unknown
   namespace flag, empty_root without CLONE_NEWNS, a landlock_dir_fd not on
   the allow-list): those fail first and leave the process as it was.

   After it: the tile's clocks (clock_gettime, gettimeofday) are vDSO reads
   and reach the filter only where the clocksource forces a real system
   call (then the policy must list them); the workspace stays mapped even
   if its descriptor is not kept, but then nothing may close or re-map it. */
int sl_sandbox_enter(const sl_sandbox_t *sb, sl_err_t *err);

/* sl_sandbox_check_fds: 0 if exactly fds[0..cnt) are open in this process
   (read from /proc/self/fd; cnt <= SL_SANDBOX_FD_MAX), else -1 with err
   naming the first descriptor that is open but not listed (and what it
   refers to), or listed but not open. Changes nothing. */
int sl_sandbox_check_fds(const int *fds, uint32_t cnt, sl_err_t *err);

/* sl_sandbox_landlock_abi: the Landlock ABI version this kernel offers
   (>= 1), or 0 with why[] saying why not (not built in, disabled at boot).
   why may be NULL. */
int sl_sandbox_landlock_abi(char *why, size_t whysz);

#endif
