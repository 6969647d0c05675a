/* app/configure.c: `sluice configure` (contract in configure.h). Each stage
   is three functions: init (does, printing one line per action), check
   (says ok / partly / not, with what is there and what is missing) and fini
   (undoes what can safely be undone). Everything it reads or writes is a
   file under /proc or /sys, a mount, or the ethtool command. */
#include "app/configure.h"

#include <errno.h>
#include <fcntl.h>
#include <hugetlbfs.h>
#include <limits.h>
#include <net/if.h>
#include <numa.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "shmem/wksp.h"
#include "tiles/topo.h"
#include "util/cpuset.h"
#include "util/err.h"

/* Where init mounts a hugetlbfs when the config says "auto" and none of the
   page size is mounted. */
#define MNT_ROOT "/mnt/.sluice"
#define MNT_HUGE MNT_ROOT "/huge"
#define MNT_GIGANTIC MNT_ROOT "/gigantic"
/* The mount's source name: how fini tells a mount it made from one an
   operator made at the same path. */
#define MNT_SOURCE "sluice"
/* Workspace bytes beyond the topology: header, directory, config text and
   alignment, with room to spare. */
#define HUGE_SLACK (4ull << 20)
/* An ethtool run that takes longer than this is stuck (a driver waiting on
   firmware): killed and reported. */
#define ETHTOOL_TIMEOUT_MS 10000

enum { ACT_INIT, ACT_CHECK, ACT_FINI };
static const char *const ACT_NAMES[] = {"init", "check", "fini"};

/* Check results. */
enum { ST_OK, ST_PARTLY, ST_NOT };

typedef struct {
  const sl_config_t *cfg;
  const char *cfg_path; /* NULL: embedded defaults */
} ctx_t;

typedef struct {
  const char *name;
  const char *what; /* for the usage text */
  int (*init)(const ctx_t *c, sl_err_t *err);
  int (*check)(const ctx_t *c, char *msg, size_t sz);
  int (*fini)(const ctx_t *c, sl_err_t *err);
} stage_t;

/* ------------------------------------------------------------------ */
/* Small file and process helpers.                                     */

static int read_ll(const char *path, long long *v) {
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  int ok = fscanf(f, "%lld", v) == 1;
  fclose(f);
  if (!ok) errno = EINVAL;
  return ok ? 0 : -1;
}

static int write_ll(const char *path, long long v) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char b[32];
  int n = snprintf(b, sizeof b, "%lld\n", v);
  ssize_t w = write(fd, b, (size_t)n);
  int e = errno;
  close(fd);
  errno = e;
  return w == n ? 0 : -1;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Interface names go onto ethtool's command line: only these characters,
   so no argument can be read as an option or anything else. */
static int ifname_ok(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 15 || s[0] == '-') return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
          ch == '_' || ch == '-'))
      return 0;
  }
  return 1;
}

/* The ethtool binary, looked up in the sbin directories first: a plain
   user's PATH on Debian lacks them, and check must work for any user. */
static const char *ethtool_path(void) {
  static const char *const c[] = {"/usr/sbin/ethtool", "/sbin/ethtool", "/usr/bin/ethtool",
                                  "/usr/local/sbin/ethtool", NULL};
  for (int i = 0; c[i]; i++)
    if (access(c[i], X_OK) == 0) return c[i];
  return NULL;
}

/* run_ethtool runs `ethtool args...` (no shell; args NULL-terminated, at
   most 6) with stdout and stderr captured into out (NUL-terminated,
   truncated) and returns its exit status; -1 with err when it cannot be run,
   is killed, or takes longer than ETHTOOL_TIMEOUT_MS (then it is killed). */
static int run_ethtool(const char *const *args, char *out, size_t outsz, sl_err_t *err) {
  const char *bin = ethtool_path();
  if (!bin) return sl_err_set(err, "the ethtool command is not installed (apt-get install ethtool, or make deps)");
  char *argv[8] = {"ethtool"};
  for (int i = 0; args[i] && i < 6; i++) argv[i + 1] = (char *)args[i];
  char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC)) return sl_err_set(err, "pipe for ethtool: %s", strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
  pid_t pid;
  int e = posix_spawn(&pid, bin, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  close(pfd[1]);
  if (e) {
    close(pfd[0]);
    return sl_err_set(err, "cannot run %s: %s", bin, strerror(e));
  }
  uint64_t deadline = now_ms() + ETHTOOL_TIMEOUT_MS;
  size_t n = 0;
  int timed_out = 0;
  for (;;) {
    uint64_t t = now_ms();
    if (t >= deadline) {
      timed_out = 1;
      break;
    }
    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    int r = poll(&p, 1, (int)(deadline - t));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    char b[1024];
    ssize_t k = read(pfd[0], b, sizeof b);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break; /* EOF: the child closed its output */
    size_t keep = (size_t)k;
    if (keep > outsz - 1 - n) keep = outsz - 1 - n;
    memcpy(out + n, b, keep);
    n += keep;
  }
  out[n] = 0;
  close(pfd[0]);
  int st = 0, killed = 0;
  /* Reaping is bounded too: past the deadline the child (ours) is killed. */
  for (;;) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if ((timed_out || now_ms() >= deadline) && !killed) {
      kill(pid, SIGKILL);
      killed = timed_out = 1;
    }
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (timed_out)
    return sl_err_set(err, "ethtool %s took longer than %d s: killed", args[0], ETHTOOL_TIMEOUT_MS / 1000);
  if (!WIFEXITED(st)) return sl_err_set(err, "ethtool %s died (signal %d)", args[0], WTERMSIG(st));
  return WEXITSTATUS(st);
}

/* first_line copies the first non-empty line of s (for messages). */
static const char *first_line(const char *s, char *buf, size_t sz) {
  while (*s == '\n') s++;
  size_t n = strcspn(s, "\n");
  if (n >= sz) n = sz - 1;
  memcpy(buf, s, n);
  buf[n] = 0;
  return buf;
}

/* ------------------------------------------------------------------ */
/* Mount table.                                                        */

typedef struct {
  char src[256];
  char dir[PATH_MAX];
  char type[64];
} mnt_t;

/* /proc/mounts escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
        r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
}

/* mounts_visit calls fn on each mount in /proc/self/mounts order until it
   returns non-zero; returns that value (0 if none did). */
static int mounts_visit(int (*fn)(const mnt_t *m, void *arg), void *arg) {
  FILE *f = fopen("/proc/self/mounts", "re");
  if (!f) return 0;
  static char line[2 * PATH_MAX];
  static mnt_t m;
  int r = 0;
  while (!r && fgets(line, sizeof line, f)) {
    if (sscanf(line, "%255s %4095s %63s", m.src, m.dir, m.type) != 3) continue;
    unescape(m.src);
    unescape(m.dir);
    r = fn(&m, arg);
  }
  fclose(f);
  return r;
}

typedef struct {
  const char *dir;
  mnt_t *out;
  int found;
} top_arg_t;

static int top_fn(const mnt_t *m, void *arg) {
  top_arg_t *a = arg;
  if (!strcmp(m->dir, a->dir)) {
    *a->out = *m; /* later entries stack on earlier ones: keep the last */
    a->found = 1;
  }
  return 0;
}

/* mount_top: the topmost mount at dir, if dir is a mount point. */
static int mount_top(const char *dir, mnt_t *out) {
  top_arg_t a = {dir, out, 0};
  mounts_visit(top_fn, &a);
  return a.found;
}

static int is_huge_dir(const char *dir, uint64_t page) {
  struct statfs sf;
  return statfs(dir, &sf) == 0 && (uint32_t)sf.f_type == (uint32_t)HUGETLBFS_MAGIC &&
         (uint64_t)sf.f_bsize == page;
}

typedef struct {
  uint64_t page;
  char *out;
  size_t sz;
} huge_arg_t;

static int huge_fn(const mnt_t *m, void *arg) {
  huge_arg_t *a = arg;
  if (strcmp(m->type, "hugetlbfs") || !is_huge_dir(m->dir, a->page)) return 0;
  snprintf(a->out, a->sz, "%s", m->dir);
  return 1;
}

/* ------------------------------------------------------------------ */
/* hugetlbfs                                                           */

typedef struct {
  uint64_t page;
  unsigned long kb;
  const char *pname; /* "2M" | "1G" */
  long need;         /* pages the instance's workspace takes */
  int node;          /* NUMA node to reserve on; -1: the host has one node */
  int explicit_dir;  /* [shmem] hugetlbfs_mount names a path */
  char dir[SL_CFG_STR_MAX]; /* where init mounts and fini unmounts */
} huge_plan_t;

/* The node the supervisor binds the workspace to (same rule: the NIC's,
   else the first tile CPU's), when there is a choice to make. */
static int plan_node(const sl_config_t *cfg) {
  if (numa_available() < 0 || numa_num_configured_nodes() <= 1) return -1;
  char path[128];
  long long node = -1;
  snprintf(path, sizeof path, "/sys/class/net/%s/device/numa_node", cfg->net.interface);
  if (read_ll(path, &node) == 0 && node >= 0) return (int)node;
  static sl_cpulist_t l;
  int r = strcmp(cfg->layout.affinity, "auto") ? sl_cpulist_parse(cfg->layout.affinity, &l, NULL)
                                               : sl_cpulist_online(&l, NULL);
  if (r || !l.cnt) return -1;
  int n = numa_node_of_cpu(l.cpu[0]);
  return n < 0 ? -1 : n;
}

static void huge_plan(const sl_config_t *cfg, huge_plan_t *p) {
  memset(p, 0, sizeof *p);
  p->page = cfg->shmem.page_size;
  p->kb = (unsigned long)(p->page >> 10);
  p->pname = p->page == SL_PAGE_1G ? "1G" : "2M";
  p->need = (long)((sl_topo_footprint(cfg) + HUGE_SLACK + p->page - 1) / p->page);
  p->node = plan_node(cfg);
  p->explicit_dir = strcmp(cfg->shmem.hugetlbfs_mount, "auto") != 0;
  snprintf(p->dir, sizeof p->dir, "%s",
           p->explicit_dir ? cfg->shmem.hugetlbfs_mount : p->page == SL_PAGE_1G ? MNT_GIGANTIC : MNT_HUGE);
  size_t n = strlen(p->dir);
  while (n > 1 && p->dir[n - 1] == '/') p->dir[--n] = 0; /* /proc/mounts has no trailing '/' */
}

static int huge_kernel_has(const huge_plan_t *p) {
  char path[128];
  snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%lukB", p->kb);
  return access(path, F_OK) == 0;
}

/* huge_mount_for: the mount the workspace would be created in, as the
   workspace finds it: the configured path, or libhugetlbfs's mount of the
   page size. libhugetlbfs reads the mount table once, at start-up, so a
   mount made since (by init, in this process) is found by scanning the
   table in the same order libhugetlbfs does. */
static int huge_mount_for(const huge_plan_t *p, char *out, size_t sz) {
  if (p->explicit_dir) {
    if (!is_huge_dir(p->dir, p->page)) return 0;
    snprintf(out, sz, "%s", p->dir);
    return 1;
  }
  const char *lib = hugetlbfs_find_path_for_size((long)p->page);
  if (lib && is_huge_dir(lib, p->page)) {
    snprintf(out, sz, "%s", lib);
    return 1;
  }
  huge_arg_t a = {p->page, out, sz};
  return mounts_visit(huge_fn, &a);
}

/* Pages the instance's own workspace file already holds in mnt: they come
   back when the next `sluice run` replaces it, so they count as available
   (a running instance must not make check fail). */
static long held_pages(const char *mnt, const char *name, uint64_t page) {
  char path[SL_WKSP_PATH_MAX];
  struct stat st;
  if (sl_wksp_find_in(mnt, name, path, sizeof path) || stat(path, &st)) return 0;
  return (long)(((uint64_t)st.st_size + page - 1) / page);
}

/* Free pages the workspace could take from mnt (kernel pool, the node's
   share of it, and a size= limit of the mount), plus those it holds. */
static long huge_avail(const huge_plan_t *p, const char *mnt, const char *name, long *held) {
  long avail = sl_wksp_hugetlbfs_free_pages(p->page, p->node);
  if (avail < 0) avail = 0;
  *held = mnt ? held_pages(mnt, name, p->page) : 0;
  struct statfs sf;
  if (mnt && statfs(mnt, &sf) == 0 && sf.f_blocks > 0 && (long)sf.f_bavail < avail) avail = (long)sf.f_bavail;
  return avail + *held;
}

static void node_note(const huge_plan_t *p, char *buf, size_t sz) {
  if (p->node >= 0)
    snprintf(buf, sz, " on NUMA node %d", p->node);
  else
    buf[0] = 0;
}

static int huge_check(const ctx_t *c, char *msg, size_t sz) {
  huge_plan_t p;
  huge_plan(c->cfg, &p);
  if (!huge_kernel_has(&p)) {
    snprintf(msg, sz, "the kernel offers no %s pages (no /sys/kernel/mm/hugepages/hugepages-%lukB)", p.pname,
             p.kb);
    return ST_NOT;
  }
  char mnt[PATH_MAX], node[32], helds[96] = "";
  int have_mnt = huge_mount_for(&p, mnt, sizeof mnt);
  long held;
  long avail = huge_avail(&p, have_mnt ? mnt : NULL, c->cfg->name, &held);
  node_note(&p, node, sizeof node);
  if (held) snprintf(helds, sizeof helds, " (%ld held by instance %s)", held, c->cfg->name);
  int pages_ok = avail >= p.need;
  char nomnt[SL_CFG_STR_MAX + 64];
  if (p.explicit_dir)
    snprintf(nomnt, sizeof nomnt, "%s is not a hugetlbfs of %s pages", p.dir, p.pname);
  else
    snprintf(nomnt, sizeof nomnt, "no hugetlbfs of %s pages is mounted", p.pname);
  if (have_mnt && pages_ok) {
    snprintf(msg, sz, "%ld x %s free%s%s on %s, %ld needed", avail, p.pname, helds, node, mnt, p.need);
    return ST_OK;
  }
  if (have_mnt) {
    snprintf(msg, sz, "only %ld x %s free%s%s on %s, %ld needed", avail, p.pname, helds, node, mnt, p.need);
    return ST_PARTLY;
  }
  snprintf(msg, sz, "%s; %ld x %s free%s, %ld needed", nomnt, avail, p.pname, node, p.need);
  return pages_ok ? ST_PARTLY : ST_NOT;
}

/* Raise the pool (of the node, when there are several) by what is missing. */
static int huge_reserve(const ctx_t *c, const huge_plan_t *p, const char *mnt, sl_err_t *err) {
  long held;
  long avail = huge_avail(p, mnt, c->cfg->name, &held);
  if (avail >= p->need) return 0;
  long missing = p->need - avail;
  char path[160], node[32];
  node_note(p, node, sizeof node);
  if (p->node >= 0)
    snprintf(path, sizeof path, "/sys/devices/system/node/node%d/hugepages/hugepages-%lukB/nr_hugepages",
             p->node, p->kb);
  else
    snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages", p->kb);
  long long before, after;
  if (read_ll(path, &before)) return sl_err_set(err, "cannot read %s: %s", path, strerror(errno));
  if (write_ll(path, before + missing))
    return sl_err_set(err, "cannot write %s: %s", path, strerror(errno));
  if (read_ll(path, &after)) return sl_err_set(err, "cannot read %s: %s", path, strerror(errno));
  long got = (long)(after - before);
  if (got > 0)
    printf("hugetlbfs: reserved %ld x %s pages%s (nr_hugepages %lld -> %lld)\n", got, p->pname, node, before,
           after);
  if (got < missing)
    return sl_err_set(err,
                      "asked the kernel for %ld more %s pages%s, got %ld: memory is too fragmented to "
                      "find them at run time; reserve them at boot (kernel command line hugepagesz=%s "
                      "hugepages=N, see deploy/README.md) or free memory and retry",
                      missing, p->pname, node, got < 0 ? 0 : got, p->pname);
  return 0;
}

/* mkdir -p: parents 0755, the last component with mode. */
static int mkdir_p(const char *dir, mode_t mode, sl_err_t *err) {
  char b[SL_CFG_STR_MAX];
  snprintf(b, sizeof b, "%s", dir);
  for (char *s = b + 1;; s++) {
    int last = *s == 0;
    if (*s == '/' || last) {
      *s = 0;
      if (mkdir(b, last ? mode : 0755) && errno != EEXIST)
        return sl_err_set(err, "cannot create directory %s: %s", b, strerror(errno));
      if (last) break;
      *s = '/';
    }
  }
  return 0;
}

static int huge_mount(const ctx_t *c, const huge_plan_t *p, sl_err_t *err) {
  if (p->dir[0] != '/' || !p->dir[1])
    return sl_err_set(err, "[shmem] hugetlbfs_mount = \"%s\": refusing to mount over it; name a directory "
                      "of its own, or \"auto\"", p->dir);
  mnt_t m;
  if (mount_top(p->dir, &m))
    return sl_err_set(err, "%s is already a mount point (%s, from %s), not a hugetlbfs of %s pages; "
                      "unmount it or set [shmem] hugetlbfs_mount to another directory",
                      p->dir, m.type, m.src, p->pname);
  char opts[128], owner[96] = "";
  int n = snprintf(opts, sizeof opts, "pagesize=%s,mode=0700", p->pname);
  if (c->cfg->user[0]) {
    struct passwd pw, *res = NULL;
    static char buf[4096];
    if (getpwnam_r(c->cfg->user, &pw, buf, sizeof buf, &res) || !res)
      return sl_err_set(err, "user = \"%s\": no such user (create it, or set user = \"\")", c->cfg->user);
    snprintf(opts + n, sizeof opts - (size_t)n, ",uid=%u,gid=%u", (unsigned)pw.pw_uid, (unsigned)pw.pw_gid);
    snprintf(owner, sizeof owner, ", owner %s", c->cfg->user);
  }
  if (mkdir_p(p->dir, 0700, err)) return -1;
  /* No min_size: a mount's minimum shows as reserved pages, which the
     workspace's free-page test (free - reserved) would then not count. */
  if (mount(MNT_SOURCE, p->dir, "hugetlbfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts))
    return sl_err_set(err, "mount -t hugetlbfs -o %s %s %s: %s", opts, MNT_SOURCE, p->dir, strerror(errno));
  printf("hugetlbfs: mounted a hugetlbfs of %s pages at %s (mode 0700%s)\n", p->pname, p->dir, owner);
  return 0;
}

static int huge_init(const ctx_t *c, sl_err_t *err) {
  huge_plan_t p;
  huge_plan(c->cfg, &p);
  if (!huge_kernel_has(&p))
    return sl_err_set(err, "the kernel offers no %s pages (no /sys/kernel/mm/hugepages/hugepages-%lukB): "
                      "1G pages need hugepagesz=1G on the kernel command line on most kernels, or use "
                      "[shmem] page_size = \"2M\"", p.pname, p.kb);
  char mnt[PATH_MAX];
  int have_mnt = huge_mount_for(&p, mnt, sizeof mnt);
  if (huge_reserve(c, &p, have_mnt ? mnt : NULL, err)) return -1;
  return have_mnt ? 0 : huge_mount(c, &p, err);
}

static int huge_fini(const ctx_t *c, sl_err_t *err) {
  huge_plan_t p;
  huge_plan(c->cfg, &p);
  int rc = 0, unmounted = 0, foreign = 0;
  mnt_t m;
  /* Bounded: init mounts once per run, so more than a few stacked mounts of
     ours means something else is going on. */
  for (int i = 0; i < 8 && mount_top(p.dir, &m); i++) {
    if (strcmp(m.type, "hugetlbfs") || strcmp(m.src, MNT_SOURCE)) {
      printf("hugetlbfs: left %s mounted (%s from %s: not mounted by sluice configure)\n", p.dir, m.type, m.src);
      foreign = 1;
      break;
    }
    if (umount2(p.dir, UMOUNT_NOFOLLOW)) {
      rc = sl_err_set(err, "cannot unmount %s: %s%s", p.dir, strerror(errno),
                      errno == EBUSY ? " (an instance still maps it: stop it first)" : "");
      break;
    }
    printf("hugetlbfs: unmounted %s\n", p.dir);
    unmounted = 1;
  }
  if (!unmounted && !foreign && !rc) printf("hugetlbfs: nothing mounted at %s\n", p.dir);
  /* The directories init made for the default mount go too; a configured
     path is the operator's and stays. */
  if (unmounted && !p.explicit_dir && !mount_top(p.dir, &m) && rmdir(p.dir) == 0) rmdir(MNT_ROOT);

  if (!huge_kernel_has(&p)) {
    printf("hugetlbfs: the kernel offers no %s pages: nothing to release\n", p.pname);
    return rc;
  }
  char base[96], path[160];
  snprintf(base, sizeof base, "/sys/kernel/mm/hugepages/hugepages-%lukB", p.kb);
  long long nr, freep, resv = 0, after;
  snprintf(path, sizeof path, "%s/nr_hugepages", base);
  if (read_ll(path, &nr)) return sl_err_set(err, "cannot read %s: %s", path, strerror(errno));
  snprintf(path, sizeof path, "%s/free_hugepages", base);
  if (read_ll(path, &freep)) return sl_err_set(err, "cannot read %s: %s", path, strerror(errno));
  snprintf(path, sizeof path, "%s/resv_hugepages", base);
  read_ll(path, &resv);
  /* Reserved pages are free but promised to a mapping: not ours to take. */
  long long rel = freep - resv;
  if (rel > nr) rel = nr;
  if (rel <= 0) {
    printf("hugetlbfs: no free %s pages to release (nr_hugepages %lld)\n", p.pname, nr);
    return rc;
  }
  snprintf(path, sizeof path, "%s/nr_hugepages", base);
  if (write_ll(path, nr - rel)) return sl_err_set(err, "cannot write %s: %s", path, strerror(errno));
  if (read_ll(path, &after)) return sl_err_set(err, "cannot read %s: %s", path, strerror(errno));
  printf("hugetlbfs: released %lld x %s pages (nr_hugepages %lld -> %lld)\n", nr - after, p.pname, nr, after);
  return rc;
}

/* ------------------------------------------------------------------ */
/* sysctl                                                              */

static const struct {
  const char *name, *path;
  long long min;
  int optional; /* may be absent: skipped (with a note) rather than failed */
} SYSCTLS[] = {
    /* the io_uring provider asks for 16 MiB socket buffers; the kernel caps
       SO_RCVBUF at rmem_max and gives new sockets rmem_default */
    {"net.core.rmem_max", "/proc/sys/net/core/rmem_max", 16ll << 20, 0},
    {"net.core.rmem_default", "/proc/sys/net/core/rmem_default", 16ll << 20, 0},
    /* the XDP program runs on every received packet: interpreted is slow.
       Absent in a kernel without a JIT, and outside the initial network
       namespace (it is global): nothing to set then. */
    {"net.core.bpf_jit_enable", "/proc/sys/net/core/bpf_jit_enable", 1, 1},
    /* every hugepage mapping, ring and UMEM region is a map entry */
    {"vm.max_map_count", "/proc/sys/vm/max_map_count", 262144, 0},
};
#define SYSCTL_CNT (sizeof SYSCTLS / sizeof *SYSCTLS)

static int sysctl_check(const ctx_t *c, char *msg, size_t sz) {
  (void)c;
  char oks[512] = "", bad[512] = "";
  size_t on = 0, bn = 0;
  unsigned low = 0;
  for (size_t i = 0; i < SYSCTL_CNT; i++) {
    long long v;
    if (read_ll(SYSCTLS[i].path, &v) && errno == ENOENT && SYSCTLS[i].optional) {
      on += (size_t)snprintf(oks + on, sizeof oks - on, "%s%s not present here (skipped)", on ? ", " : "",
                             SYSCTLS[i].name);
    } else if (read_ll(SYSCTLS[i].path, &v)) {
      bn += (size_t)snprintf(bad + bn, sizeof bad - bn, "%s%s unreadable (%s)", low ? ", " : "", SYSCTLS[i].name,
                             strerror(errno));
      low++;
    } else if (v < SYSCTLS[i].min) {
      bn += (size_t)snprintf(bad + bn, sizeof bad - bn, "%s%s = %lld (< %lld)", low ? ", " : "", SYSCTLS[i].name,
                             v, SYSCTLS[i].min);
      low++;
    } else {
      on += (size_t)snprintf(oks + on, sizeof oks - on, "%s%s = %lld", on ? ", " : "", SYSCTLS[i].name, v);
    }
    if (bn >= sizeof bad) bn = sizeof bad - 1;
    if (on >= sizeof oks) on = sizeof oks - 1;
  }
  snprintf(msg, sz, "%s", low ? bad : oks);
  return low == 0 ? ST_OK : on == 0 ? ST_NOT : ST_PARTLY;
}

static int sysctl_init(const ctx_t *c, sl_err_t *err) {
  (void)c;
  for (size_t i = 0; i < SYSCTL_CNT; i++) {
    long long v, after;
    if (read_ll(SYSCTLS[i].path, &v) && errno == ENOENT && SYSCTLS[i].optional) {
      printf("sysctl: %s not present here (no BPF JIT, or not the initial network namespace): skipped\n",
             SYSCTLS[i].name);
      continue;
    }
    if (read_ll(SYSCTLS[i].path, &v))
      return sl_err_set(err, "cannot read %s (%s): %s", SYSCTLS[i].name, SYSCTLS[i].path, strerror(errno));
    if (v >= SYSCTLS[i].min) continue; /* never lowered */
    if (write_ll(SYSCTLS[i].path, SYSCTLS[i].min) || read_ll(SYSCTLS[i].path, &after))
      return sl_err_set(err, "cannot write %s (%s): %s", SYSCTLS[i].name, SYSCTLS[i].path, strerror(errno));
    printf("sysctl: raised %s %lld -> %lld\n", SYSCTLS[i].name, v, after);
  }
  return 0;
}

static int sysctl_fini(const ctx_t *c, sl_err_t *err) {
  (void)c;
  (void)err;
  printf("sysctl: fini changes nothing (the raised limits are harmless; lower them by hand if needed)\n");
  return 0;
}

/* ------------------------------------------------------------------ */
/* ethtool                                                             */

typedef struct {
  int supported;      /* the driver reports channels */
  char why[160];      /* when it does not */
  int combined;       /* set combined channels (else rx) */
  long max, cur;      /* of that kind */
} chan_t;

/* "RX:\t\t4" / "Combined:\tn/a" -> 4 / 0 */
static long chan_value(const char *line) {
  const char *v = strchr(line, ':');
  if (!v) return 0;
  v++;
  while (*v == ' ' || *v == '\t') v++;
  return (*v >= '0' && *v <= '9') ? strtol(v, NULL, 10) : 0;
}

static int eth_channels(const char *ifn, chan_t *ch, sl_err_t *err) {
  static char out[8192];
  memset(ch, 0, sizeof *ch);
  const char *args[] = {"-l", ifn, NULL};
  int rc = run_ethtool(args, out, sizeof out, err);
  if (rc < 0) return -1;
  char line[160];
  if (rc != 0) {
    if (strstr(out, "not supported")) {
      snprintf(ch->why, sizeof ch->why, "%s", first_line(out, line, sizeof line));
      return 0;
    }
    return sl_err_set(err, "ethtool -l %s: %s", ifn, first_line(out, line, sizeof line));
  }
  long max_rx = 0, max_comb = 0, cur_rx = 0, cur_comb = 0;
  int sec = 0; /* 1: pre-set maximums, 2: current settings */
  for (char *s = out; *s;) {
    size_t n = strcspn(s, "\n");
    char save = s[n];
    s[n] = 0;
    if (!strncmp(s, "Pre-set maximums", 16)) sec = 1;
    else if (!strncmp(s, "Current hardware settings", 25)) sec = 2;
    else if (!strncmp(s, "RX:", 3)) *(sec == 1 ? &max_rx : &cur_rx) = chan_value(s);
    else if (!strncmp(s, "Combined:", 9)) *(sec == 1 ? &max_comb : &cur_comb) = chan_value(s);
    s[n] = save;
    s += n + (save != 0);
  }
  if (max_comb > 0) {
    ch->supported = ch->combined = 1;
    ch->max = max_comb;
    ch->cur = cur_comb;
  } else if (max_rx > 0) {
    ch->supported = 1;
    ch->max = max_rx;
    ch->cur = cur_rx;
  } else {
    snprintf(ch->why, sizeof ch->why, "the driver reports no RX or combined channels");
  }
  return 0;
}

/* Offloads to turn off: UDP GRO forwarding would hand AF_XDP (and the
   io_uring sockets) coalesced super-packets instead of transactions; on
   lo, UDP segmentation offload would do the same to locally sent GSO. */
static int eth_features(const char *ifn, const char **names) {
  int n = 0;
  names[n++] = "rx-udp-gro-forwarding";
  if (!strcmp(ifn, "lo")) names[n++] = "tx-udp-segmentation";
  return n;
}

/* feature_state in `ethtool -k` output: 1 on, 0 off, -1 not listed. */
static int feature_state(const char *out, const char *name, int *fixed) {
  size_t len = strlen(name);
  for (const char *s = out; *s; s += strcspn(s, "\n"), s += *s == '\n') {
    if (strncmp(s, name, len) || s[len] != ':') continue;
    const char *v = s + len + 1;
    while (*v == ' ') v++;
    size_t n = strcspn(s, "\n");
    char line[160];
    snprintf(line, sizeof line, "%.*s", (int)n, s);
    *fixed = strstr(line, "[fixed]") != NULL;
    return !strncmp(v, "on", 2);
  }
  *fixed = 0;
  return -1;
}

static int eth_iface(const ctx_t *c, sl_err_t *err) {
  const char *ifn = c->cfg->net.interface;
  if (!ifname_ok(ifn))
    return sl_err_set(err, "[net] interface \"%s\": only A-Za-z0-9._- (at most 15) can go to ethtool", ifn);
  if (!if_nametoindex(ifn))
    return sl_err_set(err, "[net] interface %s: no such interface in this network namespace", ifn);
  return 0;
}

#define APPEND(buf, n, ...)                                                          \
  do {                                                                               \
    (n) += (size_t)snprintf((buf) + (n), sizeof(buf) - (n), __VA_ARGS__);            \
    if ((n) >= sizeof(buf)) (n) = sizeof(buf) - 1;                                   \
  } while (0)

static int eth_check(const ctx_t *c, char *msg, size_t sz) {
  const char *ifn = c->cfg->net.interface;
  uint32_t want = c->cfg->layout.net_tile_count;
  sl_err_t err;
  chan_t ch;
  if (eth_iface(c, &err) || eth_channels(ifn, &ch, &err)) {
    snprintf(msg, sz, "%s", err.msg);
    return ST_NOT;
  }
  static char out[16384];
  const char *args[] = {"-k", ifn, NULL};
  int rc = run_ethtool(args, out, sizeof out, &err);
  if (rc != 0) {
    char line[160];
    snprintf(msg, sz, "ethtool -k %s: %s", ifn, rc < 0 ? err.msg : first_line(out, line, sizeof line));
    return ST_NOT;
  }
  char oks[512], bad[512];
  size_t on = 0, bn = 0;
  unsigned items = 0, low = 0;
  APPEND(oks, on, "%s: ", ifn);
  APPEND(bad, bn, "%s: ", ifn);
  items++;
  if (!ch.supported) {
    APPEND(oks, on, "channels not supported by the driver (skipped)");
  } else if (ch.cur == (long)want) {
    APPEND(oks, on, "%s channels %ld", ch.combined ? "combined" : "rx", ch.cur);
  } else {
    APPEND(bad, bn, "%s channels %ld, want %u (net_tile_count)", ch.combined ? "combined" : "rx", ch.cur, want);
    low++;
  }
  const char *names[2];
  int fn = eth_features(ifn, names);
  for (int i = 0; i < fn; i++) {
    int fixed, st = feature_state(out, names[i], &fixed);
    items++;
    if (st == 1) {
      APPEND(bad, bn, "%s%s on, want off%s", low ? ", " : "", names[i], fixed ? " [fixed]" : "");
      low++;
    } else {
      APPEND(oks, on, ", %s %s", names[i], st == 0 ? "off" : "not reported (skipped)");
    }
  }
  snprintf(msg, sz, "%s", low ? bad : oks);
  return low == 0 ? ST_OK : low == items ? ST_NOT : ST_PARTLY;
}

static int eth_init(const ctx_t *c, sl_err_t *err) {
  const char *ifn = c->cfg->net.interface;
  uint32_t want = c->cfg->layout.net_tile_count;
  chan_t ch;
  static char out[16384];
  char line[160];
  if (eth_iface(c, err) || eth_channels(ifn, &ch, err)) return -1;
  if (!ch.supported) {
    printf("ethtool: %s: channels not supported by the driver (%s): skipped\n", ifn, ch.why);
  } else if (ch.cur != (long)want) {
    const char *kind = ch.combined ? "combined" : "rx";
    if ((long)want > ch.max)
      return sl_err_set(err, "%s has at most %ld %s channels but [layout] net_tile_count = %u; lower it", ifn,
                        ch.max, kind, want);
    char num[16];
    snprintf(num, sizeof num, "%u", want);
    const char *args[] = {"-L", ifn, kind, num, NULL};
    int rc = run_ethtool(args, out, sizeof out, err);
    if (rc < 0) return -1;
    if (rc) return sl_err_set(err, "ethtool -L %s %s %u: %s", ifn, kind, want, first_line(out, line, sizeof line));
    printf("ethtool: %s %s channels %ld -> %u\n", ifn, kind, ch.cur, want);
  }
  const char *kargs[] = {"-k", ifn, NULL};
  int rc = run_ethtool(kargs, out, sizeof out, err);
  if (rc < 0) return -1;
  if (rc) return sl_err_set(err, "ethtool -k %s: %s", ifn, first_line(out, line, sizeof line));
  const char *names[2];
  int fn = eth_features(ifn, names);
  int state[2], fixed[2];
  for (int i = 0; i < fn; i++) state[i] = feature_state(out, names[i], &fixed[i]);
  for (int i = 0; i < fn; i++) {
    if (state[i] < 0) {
      printf("ethtool: %s: %s not reported by this kernel: skipped\n", ifn, names[i]);
      continue;
    }
    if (state[i] == 0) continue;
    if (fixed[i]) return sl_err_set(err, "%s: %s is on and fixed by the driver: it cannot be turned off", ifn, names[i]);
    const char *args[] = {"-K", ifn, names[i], "off", NULL};
    rc = run_ethtool(args, out, sizeof out, err);
    if (rc < 0) return -1;
    if (rc) return sl_err_set(err, "ethtool -K %s %s off: %s", ifn, names[i], first_line(out, line, sizeof line));
    printf("ethtool: %s %s on -> off\n", ifn, names[i]);
  }
  return 0;
}

static int eth_fini(const ctx_t *c, sl_err_t *err) {
  (void)err;
  printf("ethtool: fini restores nothing (%s keeps its channels and offloads; change them with ethtool -L/-K)\n",
         c->cfg->net.interface);
  return 0;
}

/* ------------------------------------------------------------------ */
/* The command.                                                        */

static const stage_t STAGES[] = {
    {"hugetlbfs", "reserve hugepages for the workspace and mount a hugetlbfs", huge_init, huge_check, huge_fini},
    {"sysctl", "raise socket buffer, BPF JIT and memory map limits", sysctl_init, sysctl_check, sysctl_fini},
    {"ethtool", "NIC channels = net tiles, UDP GRO forwarding off", eth_init, eth_check, eth_fini},
};
#define STAGE_CNT (sizeof STAGES / sizeof *STAGES)

static int usage(FILE *f, int status) {
  fprintf(f, "usage: sluice configure init|check|fini [STAGE|all] [--config FILE]\n"
             "stages, in order (default: all):\n");
  for (size_t i = 0; i < STAGE_CNT; i++) fprintf(f, "  %-10s %s\n", STAGES[i].name, STAGES[i].what);
  fprintf(f, "init and fini need root; check works as any user and exits 0 only if every stage is ok\n");
  return status;
}

/* Failures go to stderr; stdout is flushed first so a terminal or a log
   shows the lines in the order they happened. */
static void fail_line(const char *stage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_line(const char *stage, const char *fmt, ...) {
  fflush(stdout);
  fprintf(stderr, "%s: ", stage);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static const char *const ST_WORDS[] = {"ok", "partly configured", "not configured"};

/* check_line prints the stage's state and returns it. */
static int check_line(const ctx_t *c, const stage_t *s) {
  static char msg[2048];
  int st = s->check(c, msg, sizeof msg);
  if (st == ST_OK)
    printf("%s: ok (%s)\n", s->name, msg);
  else
    printf("%s: %s: %s\n", s->name, ST_WORDS[st], msg);
  return st;
}

int sl_cmd_configure(int argc, char **argv) {
  if (argc < 2) return usage(stderr, 2);
  int act = -1;
  for (int i = 0; i < 3; i++)
    if (!strcmp(argv[1], ACT_NAMES[i])) act = i;
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) return usage(stdout, 0);
  if (act < 0) {
    fprintf(stderr, "sluice configure: unknown action '%s'\n", argv[1]);
    return usage(stderr, 2);
  }
  const char *stage = NULL, *cfg_path = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--config")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "sluice configure: --config needs a FILE\n");
        return usage(stderr, 2);
      }
      cfg_path = argv[++i];
    } else if (!strncmp(a, "--config=", 9)) {
      cfg_path = a + 9;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      return usage(stdout, 0);
    } else if (a[0] == '-' || stage) {
      fprintf(stderr, "sluice configure: unexpected argument '%s'\n", a);
      return usage(stderr, 2);
    } else {
      stage = a;
    }
  }
  if (!stage) stage = "all";
  int only = -1;
  if (strcmp(stage, "all")) {
    for (size_t i = 0; i < STAGE_CNT; i++)
      if (!strcmp(stage, STAGES[i].name)) only = (int)i;
    if (only < 0) {
      fprintf(stderr, "sluice configure: unknown stage '%s'\n", stage);
      return usage(stderr, 2);
    }
  }

  static sl_config_t cfg;
  sl_err_t err;
  if (sl_config_load(&cfg, cfg_path, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 2;
  }
  if (act != ACT_CHECK && geteuid() != 0) {
    fprintf(stderr, "configure %s needs root (it writes /sys and mounts)\n", ACT_NAMES[act]);
    return 1;
  }
  ctx_t c = {&cfg, cfg_path};

  int rc = 0, not_ok[STAGE_CNT] = {0};
  for (size_t k = 0; k < STAGE_CNT; k++) {
    /* fini undoes in reverse order */
    size_t i = act == ACT_FINI ? STAGE_CNT - 1 - k : k;
    if (only >= 0 && (size_t)only != i) continue;
    const stage_t *s = &STAGES[i];
    err.msg[0] = 0;
    if (act == ACT_INIT) {
      if (s->init(&c, &err)) {
        fail_line(s->name, "failed: %s", err.msg);
        rc = 1;
      } else if (check_line(&c, s) != ST_OK) {
        fail_line(s->name, "still not ok after init (see the line above)");
        rc = 1;
      }
    } else if (act == ACT_FINI) {
      if (s->fini(&c, &err)) {
        fail_line(s->name, "failed: %s", err.msg);
        rc = 1;
      }
    } else if (check_line(&c, s) != ST_OK) {
      not_ok[i] = rc = 1;
    }
  }
  for (size_t i = 0; i < STAGE_CNT; i++) {
    if (not_ok[i])
      printf("to fix: sudo sluice configure init %s%s%s\n", STAGES[i].name, cfg_path ? " --config " : "",
             cfg_path ? cfg_path : "");
  }
  fflush(stdout);
  return rc;
}
