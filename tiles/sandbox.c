/* tiles/sandbox.c: entering a tile's sandbox (see sandbox.h for the order
   and the contract). */
#include "tiles/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"
#include "util/proc.h"

extern char **environ;

/* Landlock's kernel ABI, stated here because the installed uapi header may
   predate the kernel (Debian 12's stops at ABI 2). */
#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_ABI1 ((1ull << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER (1ull << 13)      /* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ull << 15)  /* ABI 5 */
#define LL_NET_BIND_TCP (1ull << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ull << 1)

typedef struct {
  uint64_t handled_access_fs;
  uint64_t handled_access_net; /* ABI 4 */
  uint64_t scoped;             /* ABI 6 */
} ll_ruleset_attr_t;

typedef struct __attribute__((packed)) {
  uint64_t allowed_access;
  int32_t parent_fd;
} ll_path_beneath_t;

/* The securebits a tile ends with: root is never special again, a uid
   change never touches capabilities, and none of it can be undone. */
#define SB_SECUREBITS                                                                          \
  (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED | \
   SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

/* The call the filter always kills for, whatever its default: what the
   SIGSYS handler of a trapping policy ends with. No tile lists it. */
#define SB_DEATH_CALL SYS_reboot

/* One classic-BPF program as the kernel takes it; the kernel's own limit. */
typedef struct {
  struct sock_filter insn[BPF_MAXINSNS];
  unsigned short len;
} sb_prog_t;

/* ------------------------------------------------------------------ */
/* Users.                                                              */

int sl_sandbox_resolve_user(const char *user, uid_t *uid, gid_t *gid, sl_err_t *err) {
  int root = geteuid() == 0;
  const char *name = user && *user ? user : root ? "nobody" : NULL;
  if (!name) {
    /* Non-root, user = "": the tiles stay the invoking user. */
    *uid = getuid();
    *gid = getgid();
    if (*uid == 0 || *gid == 0)
      return sl_err_set(err, "user = \"\": the invoking user has uid %u gid %u; tiles never run as "
                             "root: name an unprivileged user",
                        (unsigned)*uid, (unsigned)*gid);
    return 0;
  }
  errno = 0;
  struct passwd *pw = getpwnam(name);
  if (!pw)
    return sl_err_set(err, "user = \"%s\": no such user%s%s (create it, or name another)", name,
                      errno ? ": " : "", errno ? strerror(errno) : "");
  if (pw->pw_uid == 0 || pw->pw_gid == 0)
    return sl_err_set(err, "user = \"%s\": uid %u gid %u is root; tiles never run as root: name an "
                           "unprivileged user%s",
                      name, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid,
                      root ? ", or leave it empty for nobody" : "");
  if (!root && (pw->pw_uid != getuid() || pw->pw_gid != getgid()))
    return sl_err_set(err, "user = \"%s\": only root can run tiles as another user; leave user "
                           "empty, or start sluice as root",
                      name);
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The policy itself.                                                  */

static int in_list(const int *fds, uint32_t cnt, int fd) {
  for (uint32_t i = 0; i < cnt; i++)
    if (fds[i] == fd) return (int)i;
  return -1;
}

static int check_policy(const sl_sandbox_t *sb, const char *tile, sl_err_t *err) {
  if (sb->uid == 0 || sb->gid == 0)
    return sl_err_set(err, "tile %s: sandbox: uid %u gid %u is root; tiles never run as root "
                           "(resolve the user with sl_sandbox_resolve_user)",
                      tile, (unsigned)sb->uid, (unsigned)sb->gid);
  if (geteuid() != 0 && (sb->uid != getuid() || sb->gid != getgid()))
    return sl_err_set(err, "tile %s: sandbox: not root, so it cannot become uid %u gid %u; run "
                           "sluice as root or leave user empty",
                      tile, (unsigned)sb->uid, (unsigned)sb->gid);
  if (sb->fd_cnt > SL_SANDBOX_FD_MAX || (sb->fd_cnt && !sb->fds))
    return sl_err_set(err, "tile %s: sandbox: %u descriptors on the allow-list (at most %u)", tile,
                      sb->fd_cnt, SL_SANDBOX_FD_MAX);
  for (uint32_t i = 0; i < sb->fd_cnt; i++) {
    if (sb->fds[i] < 0)
      return sl_err_set(err, "tile %s: sandbox: allow-list holds fd %d", tile, sb->fds[i]);
    if (in_list(sb->fds, i, sb->fds[i]) >= 0)
      return sl_err_set(err, "tile %s: sandbox: fd %d twice on the allow-list", tile, sb->fds[i]);
  }
  if (sb->unshare & ~(uint32_t)SL_SB_NS_ALL)
    return sl_err_set(err, "tile %s: sandbox: unshare flags 0x%x are not namespaces a tile may "
                           "unshare",
                      tile, sb->unshare & ~(uint32_t)SL_SB_NS_ALL);
  if (sb->empty_root && !(sb->unshare & CLONE_NEWNS))
    return sl_err_set(err, "tile %s: sandbox: an empty root needs its own mount namespace "
                           "(CLONE_NEWNS)",
                      tile);
  if (sb->landlock_dir_fd >= 0 &&
      (!sb->landlock || in_list(sb->fds, sb->fd_cnt, sb->landlock_dir_fd) < 0))
    return sl_err_set(err, "tile %s: sandbox: landlock_dir_fd %d needs landlock = 1 and must be on "
                           "the allow-list",
                      tile, sb->landlock_dir_fd);
  if (!sb->rule_cnt || !sb->rules)
    return sl_err_set(err, "tile %s: sandbox: empty system call list (not even exit_group)", tile);
  for (uint32_t i = 0; i < sb->rule_cnt; i++) {
    if (sb->rules[i].nr == SB_DEATH_CALL)
      return sl_err_set(err, "tile %s: sandbox: rule %u lists reboot, the call the filter kills for",
                        tile, i);
    for (uint32_t a = 0; a < SL_SANDBOX_ARG_MAX; a++) {
      const sl_sandbox_arg_t *g = &sb->rules[i].arg[a];
      if (g->op > SL_SB_OP_MASKED || (g->op != SL_SB_OP_NONE && g->arg > 5))
        return sl_err_set(err, "tile %s: sandbox: rule %u (system call %ld): bad pin %u", tile, i,
                          sb->rules[i].nr, a);
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Seccomp: built with libseccomp, exported to memory, loaded last.     */

static int build_filter(const sl_sandbox_t *sb, const char *tile, sb_prog_t *prog,
                        sl_err_t *err) {
  scmp_filter_ctx ctx = seccomp_init(sb->trap_slot ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
  if (!ctx) return sl_err_set(err, "tile %s: seccomp: cannot create a filter (out of memory?)", tile);
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (!rc && sb->trap_slot)
    rc = seccomp_rule_add_exact(ctx, SCMP_ACT_KILL_PROCESS, SB_DEATH_CALL, 0);
  if (rc) {
    sl_err_set(err, "tile %s: seccomp: the kill rules: %s", tile, strerror(-rc));
    goto out;
  }
  for (uint32_t i = 0; i < sb->rule_cnt; i++) {
    const sl_sandbox_rule_t *r = &sb->rules[i];
    struct scmp_arg_cmp cmp[SL_SANDBOX_ARG_MAX];
    unsigned n = 0;
    for (; n < SL_SANDBOX_ARG_MAX && r->arg[n].op != SL_SB_OP_NONE; n++) {
      const sl_sandbox_arg_t *g = &r->arg[n];
      cmp[n] = g->op == SL_SB_OP_EQ ? SCMP_CMP64(g->arg, SCMP_CMP_EQ, g->val)
                                    : SCMP_CMP64(g->arg, SCMP_CMP_MASKED_EQ, g->mask, g->val);
    }
    rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, (int)r->nr, n, cmp);
    if (rc) {
      char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)r->nr);
      sl_err_set(err, "tile %s: seccomp rule %u (system call %s, %ld): %s", tile, i,
                 name ? name : "unknown", r->nr, strerror(-rc));
      free(name);
      goto out;
    }
  }
#if defined(__SANITIZE_ADDRESS__)
  /* SAN=1 builds: AddressSanitizer's _exit takes down its signal stack. */
  rc = seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 0);
  if (rc) {
    sl_err_set(err, "tile %s: seccomp: sigaltstack for the sanitizer: %s", tile, strerror(-rc));
    goto out;
  }
#endif
  /* Exported rather than seccomp_load()ed, so that the load is the very
     last system call: nothing of libseccomp is freed under the filter. */
  int fd = memfd_create("sluice-seccomp", MFD_CLOEXEC);
  if (fd < 0) {
    rc = -errno;
    sl_err_set(err, "tile %s: seccomp: memfd_create: %s", tile, strerror(errno));
    goto out;
  }
  rc = seccomp_export_bpf(ctx, fd);
  off_t sz = rc ? 0 : lseek(fd, 0, SEEK_END);
  if (rc)
    sl_err_set(err, "tile %s: seccomp: cannot export the filter: %s", tile, strerror(-rc));
  else if (sz <= 0 || sz % (off_t)sizeof(struct sock_filter) || (size_t)sz > sizeof prog->insn)
    rc = sl_err_set(err, "tile %s: seccomp: filter of %lld bytes (at most %zu)", tile,
                    (long long)sz, sizeof prog->insn);
  else if (pread(fd, prog->insn, (size_t)sz, 0) != (ssize_t)sz)
    rc = sl_err_set(err, "tile %s: seccomp: cannot read the exported filter back", tile);
  else
    prog->len = (unsigned short)((size_t)sz / sizeof(struct sock_filter));
  close(fd);
out:
  seccomp_release(ctx);
  return rc ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Environment and descriptors.                                        */

static int clear_env(const char *tile, sl_err_t *err) {
  /* /proc/PID/environ shows the block the kernel placed at exec, whatever
     environ points to now (unsetenv leaves its strings there): wipe it,
     and any string added since. */
  uint64_t start, end;
  if (sl_proc_stat_field(0, SL_PROC_STAT_ENV_START, &start) ||
      sl_proc_stat_field(0, SL_PROC_STAT_ENV_END, &end) || end < start)
    return sl_err_set(err, "tile %s: sandbox: cannot find the environment in /proc/self/stat (is "
                           "/proc mounted?)",
                      tile);
  for (char **e = environ; e && *e; e++) explicit_bzero(*e, strlen(*e));
  if (end > start) explicit_bzero((void *)(uintptr_t)start, (size_t)(end - start));
  if (clearenv()) return sl_err_set(err, "tile %s: sandbox: clearenv failed", tile);
  return 0;
}

int sl_sandbox_check_fds(const int *fds, uint32_t cnt, sl_err_t *err) {
  if (cnt > SL_SANDBOX_FD_MAX)
    return sl_err_set(err, "%u descriptors on the allow-list (at most %u)", cnt, SL_SANDBOX_FD_MAX);
  int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
  if (!d) {
    if (dfd >= 0) close(dfd);
    return sl_err_set(err, "cannot list /proc/self/fd: %s (is /proc mounted?)", strerror(errno));
  }
  uint64_t seen = 0;
  int rc = 0;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    int fd = atoi(e->d_name);
    if (fd == dfd) continue;
    int i = in_list(fds, cnt, fd);
    if (i >= 0) {
      seen |= 1ull << i;
      continue;
    }
    char link[64], what[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, what, sizeof what - 1);
    what[n > 0 ? n : 0] = 0;
    rc = sl_err_set(err, "fd %d (%s) is open but not on the allow-list", fd, n > 0 ? what : "?");
  }
  closedir(d);
  for (uint32_t i = 0; !rc && i < cnt; i++)
    if (!(seen & (1ull << i)))
      rc = sl_err_set(err, "fd %d is on the allow-list but not open", fds[i]);
  return rc;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int close_fds(const sl_sandbox_t *sb, const char *tile, sl_err_t *err) {
  int keep[SL_SANDBOX_FD_MAX];
  memcpy(keep, sb->fds, sb->fd_cnt * sizeof *keep);
  qsort(keep, sb->fd_cnt, sizeof *keep, cmp_int);
  unsigned lo = 0;
  for (uint32_t i = 0; i <= sb->fd_cnt; i++) {
    unsigned hi = i < sb->fd_cnt ? (unsigned)keep[i] : ~0u;
    if (hi > lo && close_range(lo, i < sb->fd_cnt ? hi - 1 : hi, 0))
      return sl_err_set(err, "tile %s: sandbox: close_range(%u, %u): %s (needs Linux 5.9)", tile, lo,
                        hi, strerror(errno));
    lo = hi + 1;
  }
  if (sl_sandbox_check_fds(sb->fds, sb->fd_cnt, err))
    return sl_err_prefix(err, "tile %s: sandbox: after closing every other descriptor", tile);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Namespaces and the empty root.                                      */

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  errno = e;
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Non-root: a user namespace where the invoking user maps to itself gives
   the capabilities the remaining steps need, inside it only. */
static int enter_userns(const char *tile, sl_err_t *err) {
  char map[64];
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER))
    return sl_err_set(err, "tile %s: sandbox: cannot create a user namespace: %s; as non-root the "
                           "sandbox needs one (sysctl user.max_user_namespaces > 0, and "
                           "kernel.unprivileged_userns_clone=1 or "
                           "kernel.apparmor_restrict_unprivileged_userns=0 where those exist), "
                           "or run sluice as root",
                      tile, strerror(errno));
  snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
  if (write_file("/proc/self/uid_map", map))
    return sl_err_set(err, "tile %s: sandbox: writing /proc/self/uid_map: %s", tile, strerror(errno));
  if (write_file("/proc/self/setgroups", "deny"))
    return sl_err_set(err, "tile %s: sandbox: writing /proc/self/setgroups: %s", tile,
                      strerror(errno));
  snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
  if (write_file("/proc/self/gid_map", map))
    return sl_err_set(err, "tile %s: sandbox: writing /proc/self/gid_map: %s", tile, strerror(errno));
  return 0;
}

/* An empty, read-only tmpfs becomes the root; the host's tree is detached
   (it stays alive only behind descriptors the tile holds). */
static int empty_root(const char *tile, sl_err_t *err) {
  const char *step = "making mounts private";
  int fs = -1, mnt = -1;
  /* Nothing below may propagate to the host's mount namespace. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) goto fail;
  step = "fsopen(tmpfs)";
  if ((fs = fsopen("tmpfs", FSOPEN_CLOEXEC)) < 0) goto fail;
  step = "configuring the tmpfs";
  if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) ||
      fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "1", 0) ||
      fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
    goto fail;
  step = "fsmount";
  mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (mnt < 0) goto fail;
  close(fs);
  fs = -1;
  /* Stacked on /, entered through its own descriptor, then swapped with
     the old root, which pivot_root(".", ".") leaves on top to detach. */
  step = "move_mount onto /";
  if (move_mount(mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH)) goto fail;
  step = "fchdir into the new root";
  if (fchdir(mnt)) goto fail;
  close(mnt);
  mnt = -1;
  step = "pivot_root";
  if (syscall(SYS_pivot_root, ".", ".")) goto fail;
  step = "detaching the old root";
  if (umount2(".", MNT_DETACH)) goto fail;
  step = "chdir /";
  if (chdir("/")) goto fail;
  return 0;
fail:;
  int e = errno;
  if (fs >= 0) close(fs);
  if (mnt >= 0) close(mnt);
  return sl_err_set(err, "tile %s: sandbox: empty root: %s: %s (needs Linux 5.2, and "
                         "CAP_SYS_ADMIN in the tile's mount namespace)",
                    tile, step, strerror(e));
}

static const char *ns_names(uint32_t flags, char *buf, size_t sz) {
  static const struct {
    uint32_t flag;
    const char *name;
  } ns[] = {{CLONE_NEWNS, "mount"}, {CLONE_NEWIPC, "ipc"}, {CLONE_NEWUTS, "uts"},
            {CLONE_NEWNET, "network"}, {CLONE_NEWCGROUP, "cgroup"}};
  size_t n = 0;
  buf[0] = 0;
  for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
    if ((flags & ns[i].flag) && n < sz)
      n += (size_t)snprintf(buf + n, sz - n, "%s%s", n ? "," : "", ns[i].name);
  return buf;
}

static int isolate(const sl_sandbox_t *sb, const char *tile, int root, sl_err_t *err) {
  if (!root && enter_userns(tile, err)) return -1;
  if (sb->unshare && unshare((int)sb->unshare)) {
    char names[64];
    int e = errno;
    return sl_err_set(err, "tile %s: sandbox: unshare(%s): %s%s", tile,
                      ns_names(sb->unshare, names, sizeof names), strerror(e),
                      e == EPERM    ? " (needs CAP_SYS_ADMIN: run sluice as root)"
                      : e == ENOSPC ? " (the user.max_*_namespaces limit is reached)"
                      : e == EINVAL ? " (a namespace kind this kernel was built without)"
                                    : "");
  }
  return sb->empty_root ? empty_root(tile, err) : 0;
}

/* ------------------------------------------------------------------ */
/* Limits and credentials.                                             */

static int set_limits(const sl_sandbox_t *sb, const char *tile, sl_err_t *err) {
  const struct {
    int res;
    const char *name;
    uint64_t max;
  } lim[] = {
      {RLIMIT_NOFILE, "NOFILE", sb->max_fds},  {RLIMIT_FSIZE, "FSIZE", sb->max_file_size},
      {RLIMIT_CORE, "CORE", 0},                {RLIMIT_NPROC, "NPROC", 0},
      {RLIMIT_LOCKS, "LOCKS", 0},              {RLIMIT_MEMLOCK, "MEMLOCK", 0},
      {RLIMIT_MSGQUEUE, "MSGQUEUE", 0},        {RLIMIT_NICE, "NICE", 0},
      {RLIMIT_RTPRIO, "RTPRIO", 0},
  };
  for (size_t i = 0; i < sizeof lim / sizeof *lim; i++) {
    struct rlimit cur, want;
    if (getrlimit(lim[i].res, &cur))
      return sl_err_set(err, "tile %s: sandbox: getrlimit(%s): %s", tile, lim[i].name,
                        strerror(errno));
    /* Only ever lowered: raising would need CAP_SYS_RESOURCE. */
    want.rlim_max = lim[i].max < cur.rlim_max ? (rlim_t)lim[i].max : cur.rlim_max;
    want.rlim_cur = want.rlim_max;
    if (setrlimit(lim[i].res, &want))
      return sl_err_set(err, "tile %s: sandbox: setrlimit(%s, %llu): %s", tile, lim[i].name,
                        (unsigned long long)want.rlim_max, strerror(errno));
  }
  return 0;
}

static int capset_zero(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  return (int)syscall(SYS_capset, &h, d);
}

static int drop_privileges(const sl_sandbox_t *sb, const char *tile, int root, sl_err_t *err) {
  const char *step;
  int cap = 0;
  /* While CAP_SETPCAP is still held: the bounding set, then securebits. */
  step = "PR_CAPBSET_DROP";
  for (; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) goto fail;
  step = "clearing ambient capabilities";
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)) goto fail;
  step = "PR_SET_SECUREBITS";
  if (prctl(PR_SET_SECUREBITS, SB_SECUREBITS, 0, 0, 0)) goto fail;
  /* In the non-root user namespace setgroups is denied (that is what lets
     an unprivileged user map its gid); the groups stay and are said. */
  step = "setgroups";
  if (root && setgroups(0, NULL)) goto fail;
  step = "setresgid";
  if (setresgid(sb->gid, sb->gid, sb->gid)) goto fail;
  step = "setresuid";
  if (setresuid(sb->uid, sb->uid, sb->uid)) goto fail;
  /* NO_SETUID_FIXUP kept them through the switch: drop them all now. */
  step = "capset (clearing every capability)";
  if (capset_zero()) goto fail;
  step = "PR_SET_NO_NEW_PRIVS";
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) goto fail;
  step = "PR_SET_DUMPABLE";
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) goto fail;
  return 0;
fail:
  return sl_err_set(err, "tile %s: sandbox: %s: %s (the tile must start privileged: root, or "
                         "its own user namespace)",
                    tile, step, strerror(errno));
}

/* What can be read back is read back: a step that silently did nothing
   (an LSM, a kernel quirk) must not leave a tile believed confined. */
static int verify_privileges(const sl_sandbox_t *sb, const char *tile, int root, sl_err_t *err) {
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (getresuid(&r, &e, &s) || r != sb->uid || e != sb->uid || s != sb->uid ||
      getresgid(&rg, &eg, &sg) || rg != sb->gid || eg != sb->gid || sg != sb->gid)
    return sl_err_set(err, "tile %s: sandbox: ids are not uid %u gid %u after the switch", tile,
                      (unsigned)sb->uid, (unsigned)sb->gid);
  int groups = getgroups(0, NULL);
  if (groups < 0 || (root && groups > 0))
    return sl_err_set(err, "tile %s: sandbox: %d supplementary groups remain after setgroups", tile,
                      groups);
  if (groups > 0)
    SL_WARN("tile %s: keeps %d supplementary groups of the invoking user (only root can drop them: "
            "start sluice as root to run tiles without any)",
            tile, groups);
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d))
    return sl_err_set(err, "tile %s: sandbox: capget: %s", tile, strerror(errno));
  for (int i = 0; i < 2; i++)
    if (d[i].effective || d[i].permitted || d[i].inheritable)
      return sl_err_set(err, "tile %s: sandbox: capabilities remain after dropping them", tile);
  for (int cap = 0;; cap++) {
    int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in < 0) break;
    if (in) return sl_err_set(err, "tile %s: sandbox: capability %d is still in the bounding set", tile, cap);
  }
  if (prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != SB_SECUREBITS)
    return sl_err_set(err, "tile %s: sandbox: securebits did not stay locked", tile);
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
    return sl_err_set(err, "tile %s: sandbox: no_new_privs is not set", tile);
  if (setuid(0) == 0 || setgid(0) == 0)
    return sl_err_set(err, "tile %s: sandbox: could regain root after dropping it", tile);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Landlock.                                                           */

int sl_sandbox_landlock_abi(char *why, size_t whysz) {
  long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
  if (abi >= 1) return (int)abi;
  if (why)
    snprintf(why, whysz, "%s",
             errno == ENOSYS       ? "kernel built without Landlock (CONFIG_SECURITY_LANDLOCK)"
             : errno == EOPNOTSUPP ? "Landlock disabled at boot (add landlock to the lsm= list)"
                                   : strerror(errno));
  return 0;
}

/* Made before the resource limits (a ruleset is a descriptor), enforced
   after no_new_privs; *rs stays -1 where the kernel has no Landlock. */
static int landlock_prepare(const sl_sandbox_t *sb, const char *tile, int *rs, sl_err_t *err) {
  char why[128];
  int abi = sl_sandbox_landlock_abi(why, sizeof why);
  *rs = -1;
  if (!abi) {
    SL_WARN("tile %s: no Landlock (%s): files stay reachable through the descriptors the tile "
            "holds%s",
            tile, why, sb->landlock_dir_fd >= 0 ? ", the rotation directory without restriction" : "");
    return 0;
  }
  ll_ruleset_attr_t a = {LL_FS_ABI1, 0, 0};
  size_t asz = sizeof a.handled_access_fs;
  if (abi >= 2) a.handled_access_fs |= LL_FS_REFER;
  if (abi >= 3) a.handled_access_fs |= LL_FS_TRUNCATE;
  if (abi >= 5) a.handled_access_fs |= LL_FS_IOCTL_DEV;
  if (abi >= 4) {
    a.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
    asz = offsetof(ll_ruleset_attr_t, scoped);
  }
  if (abi >= 6) {
    a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
    asz = sizeof a;
  }
  int fd = (int)syscall(SYS_landlock_create_ruleset, &a, asz, 0);
  if (fd < 0)
    return sl_err_set(err, "tile %s: sandbox: Landlock ABI %d: landlock_create_ruleset: %s", tile,
                      abi, strerror(errno));
  if (sb->landlock_dir_fd >= 0) {
    /* Create and write files there; rename one within it and remove one
       (rotation, pcap_max_files): a rename needs MAKE_REG and REMOVE_FILE. */
    ll_path_beneath_t pb = {LL_FS_MAKE_REG | LL_FS_WRITE_FILE | LL_FS_REMOVE_FILE,
                            sb->landlock_dir_fd};
    if (syscall(SYS_landlock_add_rule, fd, LL_RULE_PATH_BENEATH, &pb, 0)) {
      int e = errno;
      close(fd);
      return sl_err_set(err, "tile %s: sandbox: Landlock: allowing fd %d (the rotation directory): "
                             "%s",
                        tile, sb->landlock_dir_fd, strerror(e));
    }
  }
  *rs = fd;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The trap of a trapping policy.                                      */

static uint64_t *trap_slot;

/* Names the call for the supervisor, then dies: the filter kills for
   SB_DEATH_CALL. Async-signal-safe: one store, one system call. */
static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  __atomic_store_n(trap_slot, (uint64_t)(uint32_t)si->si_syscall + 1, __ATOMIC_RELEASE);
  for (;;) syscall(SB_DEATH_CALL, 0, 0, 0, 0);
}

static int arm_trap(const sl_sandbox_t *sb, const char *tile, sl_err_t *err) {
  trap_slot = sb->trap_slot;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask);
  sigset_t sys;
  sigemptyset(&sys);
  sigaddset(&sys, SIGSYS);
  if (sigaction(SIGSYS, &sa, NULL) || sigprocmask(SIG_UNBLOCK, &sys, NULL))
    return sl_err_set(err, "tile %s: sandbox: installing the SIGSYS handler: %s", tile,
                      strerror(errno));
  return 0;
}

/* ------------------------------------------------------------------ */

int sl_sandbox_enter(const sl_sandbox_t *sb, sl_err_t *err) {
  const char *tile = sb->tile && *sb->tile ? sb->tile : "?";
  if (check_policy(sb, tile, err)) return -1;
  int root = geteuid() == 0;

  sb_prog_t prog;
  if (build_filter(sb, tile, &prog, err)) return -1;
  if (clear_env(tile, err) || close_fds(sb, tile, err)) return -1;
  if (setsid() < 0)
    return sl_err_set(err, "tile %s: sandbox: setsid: %s (enter from a freshly forked process, "
                           "not a process group leader)",
                      tile, strerror(errno));
  int rs = -1; /* the Landlock ruleset */
  if (isolate(sb, tile, root, err) || (sb->landlock && landlock_prepare(sb, tile, &rs, err)) ||
      set_limits(sb, tile, err) || drop_privileges(sb, tile, root, err) ||
      verify_privileges(sb, tile, root, err))
    goto fail;
  /* After the credential switch, which clears it. */
  if (sb->parent_death_signal) {
    if (prctl(PR_SET_PDEATHSIG, sb->parent_death_signal, 0, 0, 0)) {
      sl_err_set(err, "tile %s: sandbox: arming the parent-death signal: %s", tile,
                 strerror(errno));
      goto fail;
    }
    if (getppid() != sb->parent) {
      sl_err_set(err, "tile %s: sandbox: the supervisor (pid %d) exited meanwhile", tile,
                 (int)sb->parent);
      goto fail;
    }
  }
  if (rs >= 0) {
    if (syscall(SYS_landlock_restrict_self, rs, 0)) {
      sl_err_set(err, "tile %s: sandbox: landlock_restrict_self: %s", tile, strerror(errno));
      goto fail;
    }
    close(rs);
    rs = -1;
  }
  if (sb->trap_slot && arm_trap(sb, tile, err)) return -1;

  struct sock_fprog fp = {.len = prog.len, .filter = prog.insn};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fp);
  if (rc)
    return sl_err_set(err, "tile %s: sandbox: loading the seccomp filter: %s", tile,
                      rc > 0 ? "another thread cannot take it (enter before starting threads)"
                             : strerror(errno));
  return 0;
fail:
  if (rs >= 0) close(rs);
  return -1;
}
