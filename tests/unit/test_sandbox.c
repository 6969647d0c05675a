/* Unit tests for tiles/sandbox: real processes under a real seccomp filter.

   Each test starts this binary again as a child (`--child VARIANT CTL REP
   ARG`), exec'ed with SECRET_TOKEN=x in its environment and /etc/shadow open
   on fd 42, as a tile started by a careless caller would be. The child
   enters a sandbox, says 'R' on REP, then obeys one-byte commands read from
   CTL while the parent inspects it through /proc/PID. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tiles/sandbox.h"
#include "util/log.h"

#define SHADOW_FD 42

static char self_exe[4096];

/* ------------------------------------------------------------------ */
/* The child.                                                          */

static void say(int fd, const void *p, size_t n) {
  if (write(fd, p, n) != (ssize_t)n) _exit(4);
}

/* Variants: "full" (every namespace, empty root, Landlock), "trap" (full,
   trapping into the word mapped from the memfd ARG), "landlock"
   (no empty root; ARG is a directory the tile may create files in),
   "root" (a policy naming uid 0), "missing" (an allow-listed fd that is
   not open), "pdeath" (full, with a parent-death signal set first). */
static int child_main(const char *variant, int ctl, int rep, const char *arg) {
  int full = !strcmp(variant, "full") || !strcmp(variant, "pdeath") || !strcmp(variant, "trap");
  int landlock_only = !strcmp(variant, "landlock");
  /* Set before, as the tile runtime does, and cleared again the way the
     sink's setfsuid() around opening its capture clears it: the sandbox
     must arm it itself. */
  if (!strcmp(variant, "pdeath")) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setfsuid(setfsuid(65534));
  }
  sl_sandbox_t sb;
  memset(&sb, 0, sizeof sb);
  sl_err_t err = {{0}};
  if (sl_sandbox_resolve_user("", &sb.uid, &sb.gid, &err)) {
    say(rep, "F", 1);
    say(rep, err.msg, strlen(err.msg));
    _exit(3);
  }
  int dirfd = -1;
  if (landlock_only && (dirfd = open(arg, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) _exit(5);
  int fds[4] = {STDERR_FILENO, ctl, rep, dirfd};
  sl_sandbox_rule_t rules[] = {
      SL_SB_ALLOW(read, SL_SB_EQ(0, ctl)),
      SL_SB_ALLOW(write, SL_SB_EQ(0, rep)),
      SL_SB_ALLOW(write, SL_SB_EQ(0, STDERR_FILENO)),
      SL_SB_ALLOW(mmap, SL_SB_MASKED(2, PROT_EXEC, 0)),
      SL_SB_ALLOW(prctl, SL_SB_EQ(0, PR_GET_SECUREBITS)),
      SL_SB_ALLOW(openat),
      SL_SB_ALLOW(renameat2),
      SL_SB_ALLOW(unlinkat),
      SL_SB_ALLOW(exit_group),
  };
  sb.tile = "test:0";
  sb.fds = fds;
  sb.fd_cnt = landlock_only ? 4 : 3;
  sb.unshare = full ? SL_SB_NS_ALL : 0;
  sb.empty_root = full;
  sb.max_fds = landlock_only ? 8 : 0;
  sb.max_file_size = 0;
  sb.landlock = full || landlock_only;
  sb.landlock_dir_fd = dirfd;
  sb.rules = rules;
  sb.rule_cnt = sizeof rules / sizeof *rules;
  if (!strcmp(variant, "pdeath")) {
    sb.parent_death_signal = SIGKILL;
    sb.parent = getppid();
  }
  if (!strcmp(variant, "root")) sb.uid = 0;
  if (!strcmp(variant, "trap")) { /* ARG: a memfd shared with the parent */
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, atoi(arg), 0);
    if (m == MAP_FAILED) _exit(5);
    sb.trap_slot = m;
  }
  int missing[4] = {STDERR_FILENO, ctl, rep, 77};
  if (!strcmp(variant, "missing")) {
    sb.fds = missing;
    sb.fd_cnt = 4;
  }
  if (sl_sandbox_enter(&sb, &err)) {
    say(rep, "F", 1);
    say(rep, err.msg, strlen(err.msg));
    _exit(3);
  }
  say(rep, "R", 1);
  for (;;) {
    char c;
    if (read(ctl, &c, 1) != 1) _exit(0); /* the parent went away */
    switch (c) {
    case 'q': /* an orderly exit */
      _exit(0);
    case 'x': /* a call not on the list */
      syscall(SYS_getpid);
      break;
    case 'w': /* write is listed, but not on this fd */
      say(ctl, "w", 1);
      break;
    case 'm': { /* mmap without PROT_EXEC: allowed */
      void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      say(rep, p == MAP_FAILED ? "n" : "k", 1);
      break;
    }
    case 'e': /* mmap with PROT_EXEC: the masked pin refuses it */
      mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      say(rep, "k", 1);
      break;
    case 'b': { /* securebits, read back from inside */
      int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
      say(rep, &bits, sizeof bits);
      break;
    }
    case 'o': { /* create a file by path, outside any allowed directory */
      int fd = openat(AT_FDCWD, "/tmp/sl-sandbox-escape", O_WRONLY | O_CREAT | O_EXCL, 0600);
      int e = fd >= 0 ? 0 : errno;
      say(rep, &e, sizeof e);
      break;
    }
    case 'c': { /* create a file beneath the allowed directory */
      int fd = openat(dirfd, "rotated.pcap", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
      int e = fd >= 0 ? 0 : errno;
      say(rep, &e, sizeof e);
      break;
    }
    case 'r': { /* rotate beneath the allowed directory: rename, then remove */
      int e = 0;
      if (renameat2(dirfd, "rotated.pcap", dirfd, "rotated.pcap.1", RENAME_NOREPLACE)) e = errno;
      else if (unlinkat(dirfd, "rotated.pcap.1", 0)) e = errno;
      say(rep, &e, sizeof e);
      break;
    }
    default:
      _exit(6);
    }
  }
}

/* ------------------------------------------------------------------ */
/* The parent's side.                                                  */

typedef struct {
  pid_t pid;
  int ctl;       /* we write commands */
  int rep;       /* we read reports */
  int child_ctl; /* the same pipes' numbers in the child */
  int child_rep;
} child_t;

static int is_root(void) { return geteuid() == 0; }

/* Starts the child on the pipes ctl (it reads ctl[0]) and rep (it writes
   rep[1]), with SECRET_TOKEN=x in its environment and /etc/shadow on fd 42.
   run_as: 0 = as we are; else that uid (and its gid), dropped before exec,
   not by the sandbox. Closes the child's ends here. */
static void launch(child_t *c, int ctl[2], int rep[2], const char *variant, const char *arg,
                   uid_t run_as) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(ctl[1]);
    close(rep[0]);
    int sh = open("/etc/shadow", O_RDONLY);
    if (sh < 0) sh = open("/etc/passwd", O_RDONLY); /* not root: some file */
    if (sh < 0 || dup2(sh, SHADOW_FD) != SHADOW_FD) _exit(7);
    if (run_as) {
      struct passwd *pw = getpwuid(run_as);
      if (!pw || setgroups(0, NULL) || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
          setresuid(run_as, run_as, run_as))
        _exit(8);
    }
    char cfd[16], rfd[16];
    snprintf(cfd, sizeof cfd, "%d", ctl[0]);
    snprintf(rfd, sizeof rfd, "%d", rep[1]);
    char *argv[] = {self_exe, "--child", (char *)variant, cfd, rfd, (char *)(arg ? arg : "-"), NULL};
    char *envp[] = {"SECRET_TOKEN=x", "PATH=/usr/bin:/bin", NULL};
    execve(self_exe, argv, envp);
    _exit(9);
  }
  close(ctl[0]);
  close(rep[1]);
  c->pid = pid;
  c->ctl = ctl[1];
  c->rep = rep[0];
  c->child_ctl = ctl[0];
  c->child_rep = rep[1];
}

static void spawn(child_t *c, const char *variant, const char *arg, uid_t run_as) {
  int ctl[2], rep[2];
  ck_assert_int_eq(pipe(ctl), 0);
  ck_assert_int_eq(pipe(rep), 0);
  launch(c, ctl, rep, variant, arg, run_as);
}

/* Reads up to n bytes from the child within 5 s; returns the count. */
static size_t hear(child_t *c, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    struct pollfd p = {c->rep, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) break;
    ssize_t r = read(c->rep, (char *)buf + got, n - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  return got;
}

/* Waits for the child to be ready ('R'); fails the test with its message. */
static void ready(child_t *c) {
  char buf[1100] = {0};
  size_t n = hear(c, buf, 1);
  ck_assert_msg(n == 1, "child %d said nothing", (int)c->pid);
  if (buf[0] != 'R') {
    hear(c, buf + 1, sizeof buf - 2);
    ck_abort_msg("child did not enter its sandbox: %s", buf + 1);
  }
}

static void tell(child_t *c, char cmd) { ck_assert_int_eq(write(c->ctl, &cmd, 1), 1); }

/* Waits (at most 5 s) for the child to end; returns its wait status. */
static int reap(child_t *c) {
  int st = 0;
  for (int i = 0; i < 500; i++) {
    pid_t r = waitpid(c->pid, &st, WNOHANG);
    if (r == c->pid) {
      close(c->ctl);
      close(c->rep);
      return st;
    }
    usleep(10000);
  }
  kill(c->pid, SIGKILL);
  waitpid(c->pid, &st, 0);
  ck_abort_msg("child %d did not end", (int)c->pid);
  return st;
}

/* A line of /proc/PID/status ("CapEff:\t0000000000000000" -> the value). */
static void status_field(pid_t pid, const char *key, char *out, size_t sz) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  out[0] = 0;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ':') {
      char *v = line + kl + 1;
      while (*v == '\t' || *v == ' ') v++;
      v[strcspn(v, "\n")] = 0;
      snprintf(out, sz, "%s", v);
    }
  fclose(f);
}

static void start_full(child_t *c) {
  spawn(c, "full", NULL, 0);
  ready(c);
}

static void stop(child_t *c) {
  tell(c, 'q');
  int st = reap(c);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
}

/* ------------------------------------------------------------------ */

START_TEST(child_holds_no_capability_and_runs_under_a_filter) {
  child_t c;
  start_full(&c);
  char v[128];
  const char *zero[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
  for (size_t i = 0; i < sizeof zero / sizeof *zero; i++) {
    status_field(c.pid, zero[i], v, sizeof v);
    ck_assert_msg(!strcmp(v, "0000000000000000"), "%s = %s", zero[i], v);
  }
  status_field(c.pid, "NoNewPrivs", v, sizeof v);
  ck_assert_str_eq(v, "1");
  status_field(c.pid, "Seccomp", v, sizeof v);
  ck_assert_str_eq(v, "2");
  stop(&c);
}
END_TEST

START_TEST(child_becomes_nobody_with_no_supplementary_groups) {
  if (!is_root()) {
    printf("skipped: needs root (the switch to nobody)\n");
    return;
  }
  struct passwd *pw = getpwnam("nobody");
  ck_assert_ptr_nonnull(pw);
  child_t c;
  start_full(&c);
  char v[128], want[128];
  snprintf(want, sizeof want, "%u\t%u\t%u\t%u", (unsigned)pw->pw_uid, (unsigned)pw->pw_uid,
           (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
  status_field(c.pid, "Uid", v, sizeof v);
  ck_assert_str_eq(v, want);
  snprintf(want, sizeof want, "%u\t%u\t%u\t%u", (unsigned)pw->pw_gid, (unsigned)pw->pw_gid,
           (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
  status_field(c.pid, "Gid", v, sizeof v);
  ck_assert_str_eq(v, want);
  status_field(c.pid, "Groups", v, sizeof v);
  ck_assert_str_eq(v, "");
  stop(&c);
}
END_TEST

START_TEST(securebits_are_set_and_locked) {
  child_t c;
  start_full(&c);
  tell(&c, 'b');
  int bits = -1;
  ck_assert_uint_eq(hear(&c, &bits, sizeof bits), sizeof bits);
  /* NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE and their locks, and
     the lock of KEEP_CAPS (itself off). */
  ck_assert_int_eq(bits, 0x1 | 0x2 | 0x4 | 0x8 | 0x20 | 0x40 | 0x80);
  stop(&c);
}
END_TEST

START_TEST(only_the_allow_list_stays_open) {
  if (!is_root()) {
    printf("skipped: needs root (/proc/PID/fd of a non-dumpable process)\n");
    return;
  }
  child_t c;
  start_full(&c);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", (int)c.pid);
  DIR *d = opendir(path);
  ck_assert_ptr_nonnull(d);
  int cnt = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    cnt++;
    ck_assert_msg(fd != SHADOW_FD, "fd 42 (/etc/shadow) is still open");
    ck_assert_msg(fd == STDERR_FILENO || fd == c.child_ctl || fd == c.child_rep, "fd %d is open",
                  fd);
  }
  closedir(d);
  ck_assert_int_eq(cnt, 3); /* stderr, the command pipe, the report pipe */
  stop(&c);
}
END_TEST

START_TEST(environment_is_wiped) {
  if (!is_root()) {
    printf("skipped: needs root (/proc/PID/environ of a non-dumpable process)\n");
    return;
  }
  child_t c;
  start_full(&c);
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)c.pid);
  int fd = open(path, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  ck_assert_int_ge(n, 0);
  for (ssize_t i = 0; i < n; i++) ck_assert_msg(buf[i] == 0, "byte %zd of environ is '%c'", i, buf[i]);
  ck_assert_ptr_null(memmem(buf, (size_t)n, "SECRET_TOKEN", 12));
  stop(&c);
}
END_TEST

START_TEST(a_call_off_the_list_kills_with_sigsys) {
  child_t c;
  start_full(&c);
  tell(&c, 'x');
  int st = reap(&c);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status 0x%x", st);
}
END_TEST

START_TEST(a_listed_call_on_another_fd_kills_with_sigsys) {
  child_t c;
  start_full(&c);
  tell(&c, 'w');
  int st = reap(&c);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status 0x%x", st);
}
END_TEST

START_TEST(a_trapped_call_is_named_and_still_kills_with_sigsys) {
  int mfd = memfd_create("trap-slot", 0);
  ck_assert_int_ge(mfd, 0);
  ck_assert_int_eq(ftruncate(mfd, 4096), 0);
  volatile uint64_t *slot = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  ck_assert_ptr_ne((void *)slot, MAP_FAILED);
  char arg[16];
  snprintf(arg, sizeof arg, "%d", mfd);
  child_t c;
  spawn(&c, "trap", arg, 0);
  ready(&c);
  ck_assert_uint_eq(*slot, 0);
  tell(&c, 'x');
  int st = reap(&c);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status 0x%x", st);
  ck_assert_uint_eq(*slot, SYS_getpid + 1);
  munmap((void *)slot, 4096);
  close(mfd);
}
END_TEST

START_TEST(a_masked_pin_allows_mmap_but_not_prot_exec) {
  child_t c;
  start_full(&c);
  tell(&c, 'm');
  char r = 0;
  ck_assert_uint_eq(hear(&c, &r, 1), 1);
  ck_assert_int_eq(r, 'k');
  tell(&c, 'e');
  int st = reap(&c);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status 0x%x", st);
}
END_TEST

START_TEST(root_inside_is_empty) {
  if (!is_root()) {
    printf("skipped: needs root (/proc/PID/root of a non-dumpable process)\n");
    return;
  }
  child_t c;
  start_full(&c);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/root", (int)c.pid);
  DIR *d = opendir(path);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  while ((e = readdir(d)))
    ck_assert_msg(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."), "root holds %s", e->d_name);
  closedir(d);
  /* And nothing can be put there: it is read-only. */
  tell(&c, 'o');
  int e2 = 0;
  ck_assert_uint_eq(hear(&c, &e2, sizeof e2), sizeof e2);
  ck_assert_int_ne(e2, 0);
  stop(&c);
}
END_TEST

START_TEST(namespaces_are_private) {
  if (!is_root()) {
    printf("skipped: needs root (/proc/PID/ns of a non-dumpable process)\n");
    return;
  }
  child_t c;
  start_full(&c);
  const char *ns[] = {"mnt", "ipc", "uts", "net", "cgroup"};
  for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
    char a[64], b[64], la[128] = {0}, lb[128] = {0};
    snprintf(a, sizeof a, "/proc/%d/ns/%s", (int)c.pid, ns[i]);
    snprintf(b, sizeof b, "/proc/self/ns/%s", ns[i]);
    ck_assert_int_gt(readlink(a, la, sizeof la - 1), 0);
    ck_assert_int_gt(readlink(b, lb, sizeof lb - 1), 0);
    ck_assert_msg(strcmp(la, lb), "%s namespace shared with the parent: %s", ns[i], la);
  }
  stop(&c);
}
END_TEST

/* "Max open files            0                    0                    files" */
static void limit_of(pid_t pid, const char *name, char *soft, char *hard) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  soft[0] = hard[0] = 0;
  size_t nl = strlen(name);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, name, nl)) sscanf(line + 26, "%31s %31s", soft, hard);
  fclose(f);
}

START_TEST(resource_limits_are_what_the_policy_says) {
  child_t c;
  start_full(&c);
  const char *zero[] = {"Max open files", "Max file size", "Max core file size", "Max processes",
                        "Max file locks", "Max locked memory", "Max msgqueue size"};
  for (size_t i = 0; i < sizeof zero / sizeof *zero; i++) {
    char soft[32], hard[32];
    limit_of(c.pid, zero[i], soft, hard);
    ck_assert_msg(!strcmp(soft, "0") && !strcmp(hard, "0"), "%s: %s %s", zero[i], soft, hard);
  }
  stop(&c);
}
END_TEST

START_TEST(landlock_allows_only_the_rotation_directory) {
  char why[128];
  if (!sl_sandbox_landlock_abi(why, sizeof why)) {
    printf("skipped: %s\n", why);
    return;
  }
  char dir[] = "/tmp/sl-sandbox-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  struct passwd *pw = getpwnam("nobody");
  if (is_root()) ck_assert_int_eq(chown(dir, pw->pw_uid, pw->pw_gid), 0);
  unlink("/tmp/sl-sandbox-escape");
  child_t c;
  spawn(&c, "landlock", dir, 0);
  ready(&c);
  int e = -1;
  tell(&c, 'c');
  ck_assert_uint_eq(hear(&c, &e, sizeof e), sizeof e);
  ck_assert_msg(e == 0, "create beneath the allowed directory: %s", strerror(e));
  tell(&c, 'r');
  ck_assert_uint_eq(hear(&c, &e, sizeof e), sizeof e);
  ck_assert_msg(e == 0, "rename and remove beneath the allowed directory: %s", strerror(e));
  tell(&c, 'c');
  ck_assert_uint_eq(hear(&c, &e, sizeof e), sizeof e);
  ck_assert_msg(e == 0, "create again after the rotation: %s", strerror(e));
  tell(&c, 'o');
  ck_assert_uint_eq(hear(&c, &e, sizeof e), sizeof e);
  ck_assert_msg(e == EACCES, "create elsewhere: %s", strerror(e));
  stop(&c);
  char f[64];
  snprintf(f, sizeof f, "%s/rotated.pcap", dir);
  ck_assert_int_eq(unlink(f), 0);
  ck_assert_int_eq(rmdir(dir), 0);
  ck_assert_int_ne(access("/tmp/sl-sandbox-escape", F_OK), 0);
}
END_TEST

START_TEST(a_policy_naming_root_is_refused) {
  child_t c;
  spawn(&c, "root", NULL, 0);
  char buf[1100] = {0};
  hear(&c, buf, sizeof buf - 1);
  ck_assert_msg(buf[0] == 'F', "child entered a sandbox as root");
  ck_assert_msg(strstr(buf, "test:0") && strstr(buf, "never run as root"), "%s", buf + 1);
  int st = reap(&c);
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
}
END_TEST

START_TEST(resolve_user_refuses_root_and_maps_empty_to_nobody) {
  uid_t u;
  gid_t g;
  sl_err_t err = {{0}};
  ck_assert_int_eq(sl_sandbox_resolve_user("root", &u, &g, &err), -1);
  ck_assert_msg(strstr(err.msg, "root") && strstr(err.msg, "never run as root"), "%s", err.msg);
  ck_assert_int_eq(sl_sandbox_resolve_user("no-such-user-here", &u, &g, &err), -1);
  ck_assert_msg(strstr(err.msg, "no-such-user-here") && strstr(err.msg, "no such user"), "%s",
                err.msg);
  ck_assert_int_eq(sl_sandbox_resolve_user("", &u, &g, &err), 0);
  if (is_root()) {
    struct passwd *pw = getpwnam("nobody");
    ck_assert_uint_eq(u, pw->pw_uid);
    ck_assert_uint_eq(g, pw->pw_gid);
  } else {
    ck_assert_uint_eq(u, getuid());
  }
}
END_TEST

START_TEST(an_allow_listed_fd_that_is_not_open_is_reported) {
  child_t c;
  spawn(&c, "missing", NULL, 0);
  char buf[1100] = {0};
  hear(&c, buf, sizeof buf - 1);
  ck_assert_msg(buf[0] == 'F', "entered with fd 77 missing");
  ck_assert_msg(strstr(buf, "fd 77 is on the allow-list but not open"), "%s", buf + 1);
  reap(&c);
}
END_TEST

START_TEST(an_open_fd_off_the_allow_list_is_reported) {
  int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  int fds[64], n = 0;
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int dfd = dirfd(d);
  while ((e = readdir(d)))
    if (e->d_name[0] != '.' && atoi(e->d_name) != dfd && atoi(e->d_name) != fd && n < 64)
      fds[n++] = atoi(e->d_name);
  closedir(d);
  sl_err_t err = {{0}};
  ck_assert_int_eq(sl_sandbox_check_fds(fds, (uint32_t)n, &err), -1);
  char want[64];
  snprintf(want, sizeof want, "fd %d (/etc/passwd) is open but not on the allow-list", fd);
  ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
  fds[n++] = fd;
  ck_assert_int_eq(sl_sandbox_check_fds(fds, (uint32_t)n, &err), 0);
  close(fd);
}
END_TEST

START_TEST(parent_death_still_kills_the_tile) {
  /* Re-arming matters: the uid switch clears PR_SET_PDEATHSIG. The middle
     process starts the tile and dies; we adopt the tile as subreaper and
     keep its command pipe open, so only the signal can end it. */
  ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int ctl[2], rep[2], p[2];
  ck_assert_int_eq(pipe(ctl), 0);
  ck_assert_int_eq(pipe(rep), 0);
  ck_assert_int_eq(pipe(p), 0);
  pid_t mid = fork();
  ck_assert_int_ge(mid, 0);
  if (mid == 0) {
    child_t c;
    launch(&c, ctl, rep, "pdeath", NULL, 0);
    char r = 0;
    if (hear(&c, &r, 1) != 1 || r != 'R') _exit(1);
    if (write(p[1], &c.pid, sizeof c.pid) != sizeof c.pid) _exit(1);
    _exit(0);
  }
  close(p[1]);
  close(ctl[0]);
  close(rep[1]);
  pid_t tile = 0;
  ck_assert_int_eq(read(p[0], &tile, sizeof tile), sizeof tile);
  int st;
  ck_assert_int_eq(waitpid(mid, &st, 0), mid);
  child_t c = {tile, ctl[1], rep[0], -1, -1};
  st = reap(&c);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status 0x%x", st);
  close(p[0]);
}
END_TEST

START_TEST(non_root_enters_through_its_own_user_namespace) {
  if (!is_root()) {
    printf("skipped: needs root to start a child as nobody\n");
    return;
  }
  struct passwd *pw = getpwnam("nobody");
  child_t c;
  spawn(&c, "full", NULL, pw->pw_uid);
  char buf[1100] = {0};
  hear(&c, buf, 1);
  if (buf[0] != 'R') {
    hear(&c, buf + 1, sizeof buf - 2);
    /* A host that forbids unprivileged user namespaces: the refusal must
       say so and name the remedy. */
    ck_assert_msg(strstr(buf, "user namespace") && strstr(buf, "run sluice as root"), "%s", buf + 1);
    reap(&c);
    return;
  }
  char v[128];
  status_field(c.pid, "CapBnd", v, sizeof v);
  ck_assert_str_eq(v, "0000000000000000");
  status_field(c.pid, "CapEff", v, sizeof v);
  ck_assert_str_eq(v, "0000000000000000");
  status_field(c.pid, "Seccomp", v, sizeof v);
  ck_assert_str_eq(v, "2");
  status_field(c.pid, "NoNewPrivs", v, sizeof v);
  ck_assert_str_eq(v, "1");
  status_field(c.pid, "Uid", v, sizeof v);
  ck_assert_uint_eq((unsigned)atoi(v), pw->pw_uid);
  stop(&c);
}
END_TEST

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "--child"))
    return child_main(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
  if (n <= 0) return 1;
  self_exe[n] = 0;
  sl_log_set_level(SL_LOG_ERR);
  Suite *s = suite_create("sandbox");
  TCase *tc = tcase_create("enter");
  tcase_add_test(tc, child_holds_no_capability_and_runs_under_a_filter);
  tcase_add_test(tc, child_becomes_nobody_with_no_supplementary_groups);
  tcase_add_test(tc, securebits_are_set_and_locked);
  tcase_add_test(tc, only_the_allow_list_stays_open);
  tcase_add_test(tc, environment_is_wiped);
  tcase_add_test(tc, a_call_off_the_list_kills_with_sigsys);
  tcase_add_test(tc, a_listed_call_on_another_fd_kills_with_sigsys);
  tcase_add_test(tc, a_trapped_call_is_named_and_still_kills_with_sigsys);
  tcase_add_test(tc, a_masked_pin_allows_mmap_but_not_prot_exec);
  tcase_add_test(tc, root_inside_is_empty);
  tcase_add_test(tc, namespaces_are_private);
  tcase_add_test(tc, resource_limits_are_what_the_policy_says);
  tcase_add_test(tc, landlock_allows_only_the_rotation_directory);
  tcase_add_test(tc, a_policy_naming_root_is_refused);
  tcase_add_test(tc, resolve_user_refuses_root_and_maps_empty_to_nobody);
  tcase_add_test(tc, an_allow_listed_fd_that_is_not_open_is_reported);
  tcase_add_test(tc, an_open_fd_off_the_allow_list_is_reported);
  tcase_add_test(tc, parent_death_still_kills_the_tile);
  tcase_add_test(tc, non_root_enters_through_its_own_user_namespace);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
