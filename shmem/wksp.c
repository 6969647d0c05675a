/* shmem/wksp.c: creating, joining and carving the workspace file. */
#include "shmem/wksp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hugetlbfs.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/log.h"
#include "util/proc.h"
#include "util/time.h"

#define HUGETLBFS_MAGIC_ 0x958458f6
#define SHM_DIR "/dev/shm"

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

static int name_ok(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n >= SL_WKSP_NAME_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return 0;
  }
  return 1;
}

static const char *page_name(uint64_t page_size) {
  return page_size == SL_PAGE_1G ? "1G" : page_size == SL_PAGE_2M ? "2M" : "?";
}

/* Start time of pid in clock ticks since boot, 0 if unreadable. */
static uint64_t proc_start_time(int pid) {
  uint64_t t;
  return sl_proc_stat_field(pid, SL_PROC_STAT_STARTTIME, &t) ? 0 : t;
}

int sl_wksp_path(const char *dir, const char *name, char *buf, size_t bufsz) {
  int n = snprintf(buf, bufsz, "%s/%s.wksp", dir, name);
  return (n < 0 || (size_t)n >= bufsz) ? -1 : 0;
}

static long read_long_file(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  long v = -1;
  if (fscanf(f, "%ld", &v) != 1) v = -1;
  fclose(f);
  return v;
}

long sl_wksp_hugetlbfs_free_pages(uint64_t page_size, int numa_node) {
  char path[160];
  unsigned long kb = (unsigned long)(page_size >> 10);
  snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kb);
  long free_pages = read_long_file(path);
  if (free_pages < 0) return -1;
  snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%lukB/resv_hugepages", kb);
  long resv = read_long_file(path);
  long avail = free_pages - (resv > 0 ? resv : 0);
  if (numa_node >= 0) {
    /* Reservations are global, faults come from the node: both must fit. */
    snprintf(path, sizeof path,
             "/sys/devices/system/node/node%d/hugepages/hugepages-%lukB/free_hugepages", numa_node,
             kb);
    long node_free = read_long_file(path);
    if (node_free >= 0 && node_free < avail) avail = node_free;
  }
  return avail < 0 ? 0 : avail;
}

/* Is dir a hugetlbfs of page_size? Fills why on no. */
static int is_hugetlbfs_dir(const char *dir, uint64_t page_size, char *why, size_t whysz) {
  struct statfs sf;
  if (statfs(dir, &sf) != 0) {
    snprintf(why, whysz, "%s: %s", dir, strerror(errno));
    return 0;
  }
  if ((uint32_t)sf.f_type != (uint32_t)HUGETLBFS_MAGIC_) {
    snprintf(why, whysz, "%s is not a hugetlbfs mount", dir);
    return 0;
  }
  if ((uint64_t)sf.f_bsize != page_size) {
    snprintf(why, whysz, "%s is a hugetlbfs of %ld KiB pages, not %s", dir, (long)sf.f_bsize >> 10,
             page_name(page_size));
    return 0;
  }
  return 1;
}

/* Visit every hugetlbfs mount point in /proc/mounts. */
static int for_each_hugetlbfs(int (*fn)(const char *dir, void *arg), void *arg) {
  FILE *f = fopen("/proc/mounts", "re");
  if (!f) return 0;
  char line[1024];
  int r = 0;
  while (!r && fgets(line, sizeof line, f)) {
    char dev[256], dir[512], type[64];
    if (sscanf(line, "%255s %511s %63s", dev, dir, type) != 3) continue;
    if (strcmp(type, "hugetlbfs")) continue;
    r = fn(dir, arg);
  }
  fclose(f);
  return r;
}

/* ------------------------------------------------------------------ */
/* Private directories.                                                */

/* A workspace lives in <base>/sluice-<uid>/, a directory only its owner
   can enter or change: a real directory (never a symlink), owned by the
   creator's euid, mode 0700. Nobody else can then create, lock or link
   anything under the instance's name, however world-writable the base is
   (/dev/shm, a 1777 hugetlbfs mount). When <base>/sluice-<uid> is taken by
   something that fails the check, the creator makes
   <base>/sluice-<uid>.<random> instead (and says so); lookups scan both
   forms and skip whatever fails the check. */

#define PDIR_PREFIX "sluice-"
#define PDIR_MAX 16u

typedef struct {
  char name[32]; /* entry in the base: "sluice-0", "sluice-0.1a2b3c4d" */
  uid_t uid;
  int exact; /* the name without a suffix */
} pdir_t;

/* "sluice-<uid>" or "sluice-<uid>.<suffix>": 1 with the uid, else 0. */
static int pdir_parse(const char *n, uid_t *uid, int *exact) {
  size_t pl = strlen(PDIR_PREFIX);
  if (strncmp(n, PDIR_PREFIX, pl) || n[pl] < '0' || n[pl] > '9' || strlen(n) >= sizeof(((pdir_t *)0)->name))
    return 0;
  char *end;
  unsigned long long u = strtoull(n + pl, &end, 10);
  if (u > 0xffffffffull || (*end && (*end != '.' || !end[1]))) return 0;
  *uid = (uid_t)u;
  *exact = !*end;
  return 1;
}

/* 0 if fd is a private directory of uid, else -1 with the reason. */
static int pdir_check(int fd, uid_t uid, char *why, size_t whysz) {
  struct stat st;
  if (fstat(fd, &st)) {
    snprintf(why, whysz, "%s", strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode))
    snprintf(why, whysz, "is not a directory");
  else if (st.st_uid != uid)
    snprintf(why, whysz, "is owned by uid %u, not %u", (unsigned)st.st_uid, (unsigned)uid);
  else if ((st.st_mode & 07777) != 0700)
    snprintf(why, whysz, "has mode %04o, not 0700", (unsigned)(st.st_mode & 07777));
  else
    return 0;
  return -1;
}

/* Opens entry name of base (fd bfd) as a private directory of uid, never
   through a symlink. -1 with the reason if it is not one. */
static int pdir_open(int bfd, const char *name, uid_t uid, char *why, size_t whysz) {
  int fd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    struct stat st;
    snprintf(why, whysz, "%s",
             fstatat(bfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)
                 ? "is a symbolic link"
             : errno == ENOTDIR ? "is not a directory"
                                : strerror(errno));
    return -1;
  }
  if (pdir_check(fd, uid, why, whysz)) {
    close(fd);
    return -1;
  }
  return fd;
}

static int pdir_rank(const pdir_t *d, uid_t me) { return (d->uid != me) * 2 + !d->exact; }
static uid_t pdir_sort_me;
static int pdir_cmp(const void *a, const void *b) {
  return pdir_rank(a, pdir_sort_me) - pdir_rank(b, pdir_sort_me);
}

/* Lists the private directories of base: those of uid `uid` if mine_only,
   else every user's with the caller's euid first; the exact name first.
   At most PDIR_MAX per call. */
static uint32_t pdir_list(const char *base, uid_t uid, int mine_only, pdir_t *out) {
  DIR *d = opendir(base);
  if (!d) return 0;
  uint32_t n = 0;
  struct dirent *e;
  while (n < PDIR_MAX && (e = readdir(d))) {
    pdir_t p;
    char why[64];
    if (!pdir_parse(e->d_name, &p.uid, &p.exact) || (mine_only && p.uid != uid)) continue;
    int fd = pdir_open(dirfd(d), e->d_name, p.uid, why, sizeof why);
    if (fd < 0) continue;
    close(fd);
    snprintf(p.name, sizeof p.name, "%s", e->d_name);
    out[n++] = p;
  }
  closedir(d);
  pdir_sort_me = uid;
  qsort(out, n, sizeof *out, pdir_cmp);
  return n;
}

/* mkdirat(name, 0700), then the mode set again: the umask may have taken
   bits, and a directory just made is ours to fix. 0, or -1 with errno. */
static int pdir_mkdir(int bfd, const char *name) {
  if (mkdirat(bfd, name, 0700)) return -1;
  int fd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = fchmod(fd, 0700);
  close(fd);
  return r;
}

/* Opens (making it if need be) the private directory of this euid under
   base that a new workspace goes into; writes its path into dpath. */
static int pdir_make(const char *base, char *dpath, size_t dsz, sl_err_t *err) {
  uid_t me = geteuid();
  int bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (bfd < 0) return sl_err_set(err, "workspace: cannot open %s: %s", base, strerror(errno));
  char name[32], alt[32] = "", why[96], why2[96];
  snprintf(name, sizeof name, PDIR_PREFIX "%u", (unsigned)me);
  if (pdir_mkdir(bfd, name) && errno != EEXIST) {
    int e = errno;
    close(bfd);
    return sl_err_set(err, "workspace: cannot make %s/%s: %s", base, name, strerror(e));
  }
  int fd = pdir_open(bfd, name, me, why, sizeof why);
  if (fd < 0) {
    /* Taken, by a squatter or a mistake: reuse a fallback made earlier,
       else make one nobody can predict. */
    pdir_t l[PDIR_MAX];
    uint32_t n = pdir_list(base, me, 1, l);
    for (uint32_t i = 0; fd < 0 && i < n; i++)
      if (!l[i].exact && (fd = pdir_open(bfd, l[i].name, me, why2, sizeof why2)) >= 0)
        snprintf(alt, sizeof alt, "%.31s", l[i].name);
    for (int tries = 0; fd < 0 && tries < 16; tries++) {
      uint32_t r = 0;
      if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) continue;
      snprintf(alt, sizeof alt, PDIR_PREFIX "%u.%08x", (unsigned)me, r);
      if (pdir_mkdir(bfd, alt) == 0) fd = pdir_open(bfd, alt, me, why2, sizeof why2);
    }
    if (fd < 0) {
      close(bfd);
      return sl_err_set(err, "workspace: %s/%s %s, and no private directory could be made beside "
                             "it; remove %s/%s (another user may be squatting it)",
                        base, name, why, base, name);
    }
    SL_WARN("workspace: %s/%s %s (another user squatting it?); using %s/%s instead", base, name,
            why, base, alt);
    snprintf(name, sizeof name, "%s", alt);
  }
  close(bfd);
  int k = snprintf(dpath, dsz, "%s/%s", base, name);
  if (k < 0 || (size_t)k >= dsz) {
    close(fd);
    return sl_err_set(err, "workspace: path too long under %s", base);
  }
  return fd;
}

/* The private directory of the workspace file at path goes when it holds
   nothing more (rmdir refuses otherwise); a creator of the same user that
   finds it gone meanwhile makes it again. */
static void pdir_drop(const char *path) {
  char d[SL_WKSP_PATH_MAX];
  snprintf(d, sizeof d, "%s", path);
  char *slash = strrchr(d, '/');
  if (!slash) return;
  *slash = 0;
  rmdir(d);
}

/* ------------------------------------------------------------------ */
/* Finding an existing file.                                           */

int sl_wksp_find_in(const char *base, const char *name, char *buf, size_t bufsz) {
  if (!name_ok(name)) return -1;
  uid_t me = geteuid();
  /* Mine first, then anyone's (root watching another user's instance). */
  for (int mine = 1; mine >= 0; mine--) {
    pdir_t l[PDIR_MAX];
    uint32_t n = pdir_list(base, me, mine, l);
    for (uint32_t i = 0; i < n; i++) {
      if (!mine && l[i].uid == me) continue;
      char path[SL_WKSP_PATH_MAX];
      struct stat st;
      int k = snprintf(path, sizeof path, "%s/%s/%s.wksp", base, l[i].name, name);
      if (k < 0 || (size_t)k >= sizeof path || lstat(path, &st) || !S_ISREG(st.st_mode)) continue;
      snprintf(buf, bufsz, "%s", path);
      return 0;
    }
  }
  return -1;
}

typedef struct {
  const char *name;
  char *buf;
  size_t bufsz;
} find_arg_t;

static int try_dir(const char *dir, void *arg) {
  find_arg_t *a = arg;
  return sl_wksp_find_in(dir, a->name, a->buf, a->bufsz) == 0;
}

int sl_wksp_find_file(const char *name, const char *hugetlbfs_mount, char *buf, size_t bufsz) {
  if (!name_ok(name)) return -1;
  find_arg_t a = {name, buf, bufsz};
  if (hugetlbfs_mount && *hugetlbfs_mount && strcmp(hugetlbfs_mount, "auto") &&
      try_dir(hugetlbfs_mount, &a))
    return 0;
  if (for_each_hugetlbfs(try_dir, &a)) return 0;
  if (try_dir(SHM_DIR, &a)) return 0;
  return -1;
}

/* ------------------------------------------------------------------ */
/* Creating.                                                           */

void sl_wksp_params_default(sl_wksp_params_t *p) {
  memset(p, 0, sizeof *p);
  p->page_size = SL_PAGE_2M;
  p->hugetlbfs_mount = "auto";
  p->require_hugepages = 0;
  p->numa_node = -1;
}

/* If <dpath>/<name>.wksp (dfd open on dpath) exists: fail if its lock is
   held (a live instance), else remove it (stale). 0 when the name is free. */
static int clear_stale(int dfd, const char *dpath, const char *name, sl_err_t *err) {
  char fname[SL_WKSP_NAME_MAX + 8], path[SL_WKSP_PATH_MAX + 80];
  snprintf(fname, sizeof fname, "%s.wksp", name);
  snprintf(path, sizeof path, "%s/%s", dpath, fname);
  int fd = openat(dfd, fname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    return sl_err_set(err, "workspace %s: cannot open existing file: %s (remove it by hand)", path,
                      strerror(errno));
  }
  int pid = -1;
  sl_wksp_hdr_t h;
  if (pread(fd, &h, sizeof h, 0) >= (ssize_t)offsetof(sl_wksp_hdr_t, creator_wall_ns) &&
      h.magic == SL_WKSP_MAGIC)
    pid = h.creator_pid;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return sl_err_set(err,
                      "instance %s is already running (pid %d holds %s); stop it or choose "
                      "another name",
                      name, pid, path);
  }
  /* Nobody holds it: a crashed instance. Unlink while we hold the lock so
     a concurrent creator cannot take this inode for a live one. */
  if (unlinkat(dfd, fname, 0) != 0 && errno != ENOENT) {
    int e = errno;
    close(fd);
    return sl_err_set(err, "workspace %s: stale file (pid %d is gone) cannot be removed: %s", path,
                      pid, strerror(e));
  }
  close(fd);
  SL_INFO("workspace %s: removed stale file of a dead instance (pid %d)", path, pid);
  return 0;
}

/* Removes ".<name>.wksp.<pid>" files left by creators that died mid-create
   (their lock is free): on hugetlbfs they would hold pages. */
static void clear_stale_temps(int dfd, const char *name) {
  char prefix[SL_WKSP_NAME_MAX + 8];
  snprintf(prefix, sizeof prefix, ".%s.wksp.", name);
  size_t pl = strlen(prefix);
  int dup_fd = dup(dfd);
  DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
  if (!d) {
    if (dup_fd >= 0) close(dup_fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, prefix, pl)) continue;
    int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dfd, e->d_name, 0) == 0)
      SL_INFO("workspace %s: removed %s left by an interrupted start", name, e->d_name);
    close(fd);
  }
  closedir(d);
}

/* The checks above in every private directory of this euid under base. */
static int clear_stale_in(const char *base, const char *name, sl_err_t *err) {
  pdir_t l[PDIR_MAX];
  uid_t me = geteuid();
  uint32_t n = pdir_list(base, me, 1, l);
  int bfd = n ? open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  int rc = 0;
  for (uint32_t i = 0; !rc && bfd >= 0 && i < n; i++) {
    char why[64], dpath[SL_WKSP_PATH_MAX];
    int k = snprintf(dpath, sizeof dpath, "%s/%s", base, l[i].name);
    int dfd = k < 0 || (size_t)k >= sizeof dpath ? -1 : pdir_open(bfd, l[i].name, me, why, sizeof why);
    if (dfd < 0) continue;
    rc = clear_stale(dfd, dpath, name, err);
    if (!rc) clear_stale_temps(dfd, name);
    close(dfd);
  }
  if (bfd >= 0) close(bfd);
  return rc;
}

static sigjmp_buf touch_jmp;
static void touch_sigbus(int sig) {
  (void)sig;
  siglongjmp(touch_jmp, 1);
}

/* Writes every page once (so it is allocated now, not on the hot path) and
   turns an allocation failure into an error instead of a SIGBUS later. */
static int prefault(uint8_t *base, uint64_t size, uint64_t page, const char *path, sl_err_t *err) {
  if (madvise(base, size, MADV_POPULATE_WRITE) == 0) return 0;
  if (errno != EINVAL) /* EINVAL: kernel < 5.14, fall back to touching */
    return sl_err_set(err,
                      "workspace %s: cannot fault in %" PRIu64 " bytes: %s (not enough free "
                      "hugepages or memory on the node?)",
                      path, size, strerror(errno));
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = touch_sigbus;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &old);
  volatile uint64_t i = 0;
  int failed = 0;
  if (sigsetjmp(touch_jmp, 1) == 0) {
    for (; i < size; i += page) ((volatile uint8_t *)base)[i] = 0;
  } else {
    failed = 1;
  }
  sigaction(SIGBUS, &old, NULL);
  if (failed)
    return sl_err_set(err,
                      "workspace %s: page at offset %" PRIu64 " cannot be allocated (SIGBUS): not "
                      "enough free hugepages or memory",
                      path, (uint64_t)i);
  return 0;
}

static int bind_node(uint8_t *base, uint64_t size, int node, const char *path, sl_err_t *err) {
  if (node < 0) return 0;
  if (numa_available() < 0) {
    if (node == 0) return 0; /* no NUMA support: one node, nothing to bind */
    return sl_err_set(err, "workspace %s: NUMA node %d requested but the kernel has no NUMA support",
                      path, node);
  }
  if (node > numa_max_node())
    return sl_err_set(err, "workspace %s: NUMA node %d does not exist (max %d); fix shmem numa_node",
                      path, node, numa_max_node());
  struct bitmask *bm = numa_allocate_nodemask();
  numa_bitmask_setbit(bm, (unsigned)node);
  /* mbind before the first touch: pages are allocated on the node. */
  long r = mbind(base, size, MPOL_BIND, bm->maskp, bm->size + 1, 0);
  int e = errno;
  numa_free_nodemask(bm);
  if (r != 0)
    return sl_err_set(err, "workspace %s: mbind to NUMA node %d failed: %s", path, node, strerror(e));
  return 0;
}

/* huge_dir: the hugetlbfs mount of p's page size the workspace would use
   (p->hugetlbfs_mount, or libhugetlbfs's mount with "auto"), in dir; ""
   with the reason in why if there is none. */
static void huge_dir(const sl_wksp_params_t *p, uint64_t hp, char *dir, size_t dirsz, char *why,
                     size_t whysz) {
  dir[0] = 0;
  const char *m = p->hugetlbfs_mount;
  if (!m || !*m || !strcmp(m, "auto")) {
    const char *found = hugetlbfs_find_path_for_size((long)hp);
    if (found)
      snprintf(dir, dirsz, "%s", found);
    else
      snprintf(why, whysz, "no hugetlbfs mount of %s pages", page_name(hp));
  } else if (is_hugetlbfs_dir(m, hp, why, whysz)) {
    snprintf(dir, dirsz, "%s", m);
  }
}

void sl_wksp_plan(const sl_wksp_params_t *p, sl_wksp_plan_t *out) {
  memset(out, 0, sizeof *out);
  uint64_t hp = p->page_size ? p->page_size : SL_PAGE_2M;
  char hdir[SL_WKSP_PATH_MAX];
  huge_dir(p, hp, hdir, sizeof hdir, out->why, sizeof out->why);

  uint64_t cfg_sz = p->config_text ? strlen(p->config_text) : 0;
  uint64_t need = align_up(sizeof(sl_wksp_hdr_t), SL_WKSP_ALIGN_MIN) + align_up(cfg_sz + 1, SL_WKSP_ALIGN_MIN) +
                  p->size;
  out->page_size = hp;
  out->pages = (long)(align_up(need, hp) / hp);
  out->pages_free = sl_wksp_hugetlbfs_free_pages(hp, p->numa_node);
  if (hdir[0]) {
    long avail = out->pages_free < 0 ? 0 : out->pages_free;
    struct statfs sf;
    if (statfs(hdir, &sf) == 0 && sf.f_blocks > 0 && (long)sf.f_bavail < avail)
      avail = (long)sf.f_bavail; /* mount with a size= limit */
    snprintf(out->huge_mount, sizeof out->huge_mount, "%s", hdir);
    out->huge_mount_free = avail;
    if (avail >= out->pages) {
      out->huge = 1;
      out->bytes = align_up(need, hp);
      snprintf(out->dir, sizeof out->dir, "%s", hdir);
      return;
    }
    snprintf(out->why, sizeof out->why, "%s has %ld free %s pages, %ld needed", hdir, avail, page_name(hp),
             out->pages);
  }
  snprintf(out->dir, sizeof out->dir, "%s", SHM_DIR);
  out->bytes = align_up(need, (uint64_t)sysconf(_SC_PAGESIZE));
  struct statvfs sv;
  out->shm_free = statvfs(SHM_DIR, &sv) == 0 ? (uint64_t)sv.f_bavail * sv.f_frsize : 0;
}

int sl_wksp_create(sl_wksp_t *w, const sl_wksp_params_t *p, sl_err_t *err) {
  memset(w, 0, sizeof *w);
  w->fd = -1;
  if (!name_ok(p->name))
    return sl_err_set(err, "workspace: bad instance name \"%s\" (1-63 of A-Z a-z 0-9 _ -)",
                      p->name ? p->name : "(null)");
  if (p->size == 0) return sl_err_set(err, "workspace %s: size 0", p->name);
  uint64_t hp = p->page_size ? p->page_size : SL_PAGE_2M;
  if (hp != SL_PAGE_2M && hp != SL_PAGE_1G)
    return sl_err_set(err, "workspace %s: page size %" PRIu64 " not supported (2M or 1G)", p->name,
                      hp);

  /* A live instance of this name anywhere we could have put it is fatal; a
     stale one is removed (its pages then count as free again). */
  char hdir[SL_WKSP_PATH_MAX], why[512] = "";
  huge_dir(p, hp, hdir, sizeof hdir, why, sizeof why);
  if ((hdir[0] && clear_stale_in(hdir, p->name, err)) || clear_stale_in(SHM_DIR, p->name, err))
    return -1;

  sl_wksp_plan_t plan;
  sl_wksp_plan(p, &plan);
  if (!plan.huge) {
    if (p->require_hugepages)
      return sl_err_set(err,
                        "workspace %s: hugepages required but %s; run `sluice configure init "
                        "hugetlbfs`, or echo N > /sys/kernel/mm/hugepages/hugepages-%lukB/"
                        "nr_hugepages and mount -t hugetlbfs -o pagesize=%s nodev /mnt/huge",
                        p->name, plan.why, (unsigned long)(hp >> 10), page_name(hp));
    SL_WARN("workspace %s: %s; falling back to %s (small pages, slower). To use hugepages run "
            "`sluice configure init hugetlbfs`, or echo N > /sys/kernel/mm/hugepages/"
            "hugepages-%lukB/nr_hugepages and mount -t hugetlbfs -o pagesize=%s nodev /mnt/huge",
            p->name, plan.why, SHM_DIR, (unsigned long)(hp >> 10), page_name(hp));
    if (plan.shm_free < plan.bytes)
      return sl_err_set(err,
                        "workspace %s: %s has %" PRIu64 " bytes free, %" PRIu64 " needed; shrink "
                        "ring_depth/dedup_cache_size or reserve hugepages",
                        p->name, SHM_DIR, plan.shm_free, plan.bytes);
  }
  const char *dir = plan.dir;
  int huge = plan.huge;
  uint64_t page = huge ? hp : (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t total = plan.bytes;
  uint64_t cfg_sz = p->config_text ? strlen(p->config_text) : 0;
  uint64_t head = align_up(sizeof(sl_wksp_hdr_t), SL_WKSP_ALIGN_MIN);

  char dpath[SL_WKSP_PATH_MAX], final[SL_WKSP_PATH_MAX] = "", fname[SL_WKSP_NAME_MAX + 8];
  char tmp[SL_WKSP_NAME_MAX + 32];
  snprintf(fname, sizeof fname, "%s.wksp", p->name);
  snprintf(tmp, sizeof tmp, ".%s.wksp.%d", p->name, (int)getpid());

  /* Built under a private name, published by an atomic no-replace rename:
     nobody ever sees a half-made workspace under the real name. Every step
     is relative to the private directory's descriptor. ENOENT: the
     directory was removed with another instance's last file (of this same
     user) between making it and creating in it; make it again. */
  int dfd = -1, fd = -1;
  for (int tries = 0; fd < 0; tries++) {
    dfd = pdir_make(dir, dpath, sizeof dpath, err);
    if (dfd < 0) return sl_err_prefix(err, "instance %s", p->name);
    if (sl_wksp_path(dpath, p->name, final, sizeof final)) {
      close(dfd);
      return sl_err_set(err, "workspace %s: path too long under %s", p->name, dpath);
    }
    unlinkat(dfd, tmp, 0);
    fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) break;
    int e = errno;
    close(dfd);
    if (e != ENOENT || tries == 3)
      return sl_err_set(err, "workspace %s: cannot create %s/%s: %s", p->name, dpath, tmp,
                        strerror(e));
  }
  uint8_t *base = MAP_FAILED;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    sl_err_set(err, "workspace %s: cannot lock %s/%s: %s", p->name, dpath, tmp, strerror(errno));
    goto fail;
  }
  if (ftruncate(fd, (off_t)total) != 0) {
    sl_err_set(err, "workspace %s: cannot size %s to %" PRIu64 " bytes: %s", p->name, final, total,
               strerror(errno));
    goto fail;
  }
  base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    sl_err_set(err, "workspace %s: cannot map %" PRIu64 " bytes of %s: %s%s", p->name, total, final,
               strerror(errno), huge ? " (hugepages taken meanwhile?)" : "");
    goto fail;
  }
  if (bind_node(base, total, p->numa_node, final, err)) goto fail;
  if (prefault(base, total, page, final, err)) goto fail;
  if (mlock(base, total) != 0)
    SL_WARN("workspace %s: mlock of %" PRIu64 " bytes failed (%s): pages may be swapped; raise "
            "RLIMIT_MEMLOCK (ulimit -l, LimitMEMLOCK=) or run with CAP_IPC_LOCK",
            final, total, strerror(errno));

  sl_wksp_hdr_t *h = (sl_wksp_hdr_t *)base;
  h->magic = SL_WKSP_MAGIC;
  h->layout_version = SL_WKSP_LAYOUT_VERSION;
  h->hdr_sz = (uint32_t)sizeof(sl_wksp_hdr_t);
  h->total_sz = total;
  h->page_size = page;
  h->is_huge = (uint32_t)huge;
  h->numa_node = p->numa_node;
  h->creator_pid = (int32_t)getpid();
  h->creator_wall_ns = sl_wall_ns();
  h->creator_proc_start = proc_start_time((int)getpid());
  uint64_t seed = 0;
  while (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed || !seed) {
  }
  h->tag_seed = seed;
  snprintf(h->name, sizeof h->name, "%s", p->name);
  h->config_off = head;
  h->config_sz = cfg_sz;
  if (cfg_sz) memcpy(base + head, p->config_text, cfg_sz);
  base[head + cfg_sz] = 0;
  h->alloc_cursor = head + align_up(cfg_sz + 1, SL_WKSP_ALIGN_MIN);
  h->obj_cnt = 0;

  if (renameat2(dfd, tmp, dfd, fname, RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) {
      /* Another creator won the race since clear_stale: report it. */
      if (clear_stale(dfd, dpath, p->name, err) == 0)
        sl_err_set(err, "workspace %s: %s appeared while creating; retry", p->name, final);
    } else {
      sl_err_set(err, "workspace %s: cannot rename %s/%s to %s: %s", p->name, dpath, tmp, final,
                 strerror(errno));
    }
    goto fail;
  }

  w->base = base;
  w->size = total;
  w->fd = fd;
  w->read_only = 0;
  w->is_huge = huge;
  w->creator = 1;
  w->page_size = page;
  snprintf(w->path, sizeof w->path, "%s", final);
  snprintf(w->name, sizeof w->name, "%s", p->name);
  SL_DEBUG("workspace %s: %" PRIu64 " bytes of %s pages at %s", p->name, total,
           huge ? page_name(hp) : "small", final);
  close(dfd);
  return 0;

fail:
  if (base != MAP_FAILED) munmap(base, total);
  unlinkat(dfd, tmp, 0);
  close(fd);
  close(dfd);
  pdir_drop(final);
  return -1;
}

/* ------------------------------------------------------------------ */
/* Joining.                                                            */

int sl_wksp_join(sl_wksp_t *w, const char *name, const char *hugetlbfs_mount, int read_only,
                 sl_err_t *err) {
  memset(w, 0, sizeof *w);
  w->fd = -1;
  if (!name_ok(name))
    return sl_err_set(err, "workspace: bad instance name \"%s\"", name ? name : "(null)");
  char path[SL_WKSP_PATH_MAX];
  if (sl_wksp_find_file(name, hugetlbfs_mount, path, sizeof path))
    return sl_err_set(err,
                      "instance %s: no workspace file sluice-*/%s.wksp in %s%severy hugetlbfs "
                      "mount or %s; is it running (sluice run) and is the name right?",
                      name, name,
                      hugetlbfs_mount && strcmp(hugetlbfs_mount, "auto") ? hugetlbfs_mount : "",
                      hugetlbfs_mount && strcmp(hugetlbfs_mount, "auto") ? ", " : "", SHM_DIR);
  int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return sl_err_set(err, "workspace %s: cannot open: %s%s", path, strerror(errno),
                      errno == EACCES ? " (mode 0600: run as the instance's user or root)" : "");
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return sl_err_set(err, "workspace %s: not a regular file", path);
  }
  if ((uint64_t)st.st_size < sizeof(sl_wksp_hdr_t)) {
    close(fd);
    return sl_err_set(err, "workspace %s: too small to be a workspace (being created?)", path);
  }
  uint64_t size = (uint64_t)st.st_size;
  uint8_t *base =
      mmap(NULL, size, read_only ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    int e = errno;
    close(fd);
    return sl_err_set(err, "workspace %s: cannot map %" PRIu64 " bytes: %s", path, size,
                      strerror(e));
  }
  const sl_wksp_hdr_t *h = (const sl_wksp_hdr_t *)base;
  const char *bad = NULL;
  if (h->magic != SL_WKSP_MAGIC)
    bad = "not a sluice workspace (bad magic)";
  else if (h->layout_version != SL_WKSP_LAYOUT_VERSION)
    bad = "layout version differs from this binary's (mixed sluice versions?)";
  else if (h->total_sz != size || h->hdr_sz != sizeof(sl_wksp_hdr_t))
    bad = "size does not match its header (truncated or foreign file)";
  if (bad) {
    sl_err_set(err, "workspace %s: %s", path, bad);
    munmap(base, size);
    close(fd);
    return -1;
  }
  struct statfs sf;
  w->is_huge = fstatfs(fd, &sf) == 0 && (uint32_t)sf.f_type == (uint32_t)HUGETLBFS_MAGIC_;
  w->base = base;
  w->size = size;
  w->fd = fd;
  w->read_only = !!read_only;
  w->creator = 0;
  w->page_size = h->page_size;
  snprintf(w->path, sizeof w->path, "%s", path);
  snprintf(w->name, sizeof w->name, "%s", name);
  return 0;
}

void sl_wksp_leave(sl_wksp_t *w) {
  if (!w->base) return; /* zeroed or already left: fd may be 0, not ours */
  munmap(w->base, w->size);
  if (w->fd >= 0) close(w->fd);
  w->base = NULL;
  w->size = 0;
  w->fd = -1;
}

int sl_wksp_remove(sl_wksp_t *w) {
  int r = 0;
  struct stat a, b;
  /* Only unlink the file we mapped, not a newer instance's. */
  if (w->fd >= 0 && w->path[0] && fstat(w->fd, &a) == 0 && stat(w->path, &b) == 0 &&
      a.st_ino == b.st_ino && a.st_dev == b.st_dev)
    r = unlink(w->path) == 0 ? 0 : -1;
  if (r == 0 && w->creator) pdir_drop(w->path);
  sl_wksp_leave(w);
  return r;
}

int sl_wksp_alive(const sl_wksp_t *w) {
  const sl_wksp_hdr_t *h = sl_wksp_hdr(w);
  int pid = h->creator_pid;
  if (pid <= 0) return 0;
  if (kill(pid, 0) != 0 && errno == ESRCH) return 0;
  uint64_t st = proc_start_time(pid);
  return st != 0 && st == h->creator_proc_start;
}

/* ------------------------------------------------------------------ */
/* Directory.                                                          */

int sl_wksp_alloc(sl_wksp_t *w, const char *name, uint32_t kind, uint64_t align, uint64_t sz,
                  uint64_t *off, sl_err_t *err) {
  if (!w->base || w->read_only || !w->creator)
    return sl_err_set(err, "workspace %s: alloc of %s: only the creator may allocate", w->path,
                      name ? name : "(null)");
  size_t nl = name ? strlen(name) : 0;
  if (nl == 0 || nl >= SL_WKSP_OBJ_NAME_MAX)
    return sl_err_set(err, "workspace %s: object name \"%s\" empty or longer than %u chars", w->path,
                      name ? name : "(null)", SL_WKSP_OBJ_NAME_MAX - 1);
  if (kind < SL_OBJ_RING || kind > SL_OBJ_KIND_MAX)
    return sl_err_set(err, "workspace %s: object %s: bad kind %u", w->path, name, kind);
  if (align == 0 || (align & (align - 1)))
    return sl_err_set(err, "workspace %s: object %s: align %" PRIu64 " not a power of two", w->path,
                      name, align);
  if (align < SL_WKSP_ALIGN_MIN) align = SL_WKSP_ALIGN_MIN;
  sl_wksp_hdr_t *h = (sl_wksp_hdr_t *)w->base;
  if (sl_wksp_find(w, name, NULL) == 0)
    return sl_err_set(err, "workspace %s: object %s already exists", w->path, name);
  if (h->obj_cnt >= SL_WKSP_OBJ_MAX)
    return sl_err_set(err, "workspace %s: object %s: directory full (%u objects)", w->path, name,
                      SL_WKSP_OBJ_MAX);
  uint64_t at = align_up(h->alloc_cursor, align);
  if (at < h->alloc_cursor || at > h->total_sz || sz > h->total_sz - at)
    return sl_err_set(err,
                      "workspace %s: object %s needs %" PRIu64 " bytes, %" PRIu64 " short; size "
                      "the workspace larger",
                      w->path, name, sz, at + sz - h->total_sz);
  sl_wksp_obj_t *o = &h->obj[h->obj_cnt];
  memset(o, 0, sizeof *o);
  memcpy(o->name, name, nl);
  o->kind = kind;
  o->off = at;
  o->sz = sz;
  h->alloc_cursor = at + sz;
  /* Release: a concurrent reader that sees the new count sees the entry. */
  __atomic_store_n(&h->obj_cnt, h->obj_cnt + 1, __ATOMIC_RELEASE);
  *off = at;
  return 0;
}

int sl_wksp_page_break(sl_wksp_t *w, uint64_t *off, sl_err_t *err) {
  if (!w->base || w->read_only || !w->creator)
    return sl_err_set(err, "workspace %s: page break: only the creator may allocate", w->path);
  sl_wksp_hdr_t *h = (sl_wksp_hdr_t *)w->base;
  uint64_t at = align_up(h->alloc_cursor, w->page_size);
  if (at < h->alloc_cursor || at > h->total_sz)
    return sl_err_set(err, "workspace %s: no room for a page break at %" PRIu64 "; size the workspace larger",
                      w->path, h->alloc_cursor);
  h->alloc_cursor = at;
  *off = at;
  return 0;
}

uint32_t sl_wksp_obj_cnt(const sl_wksp_t *w) {
  uint32_t n = __atomic_load_n(&sl_wksp_hdr(w)->obj_cnt, __ATOMIC_ACQUIRE);
  return n > SL_WKSP_OBJ_MAX ? SL_WKSP_OBJ_MAX : n;
}

int sl_wksp_obj_at(const sl_wksp_t *w, uint32_t i, sl_wksp_obj_t *out) {
  if (i >= sl_wksp_obj_cnt(w)) return -1;
  *out = sl_wksp_hdr(w)->obj[i];
  out->name[SL_WKSP_OBJ_NAME_MAX - 1] = 0;
  return 0;
}

int sl_wksp_find(const sl_wksp_t *w, const char *name, sl_wksp_obj_t *out) {
  uint32_t n = sl_wksp_obj_cnt(w);
  const sl_wksp_hdr_t *h = sl_wksp_hdr(w);
  for (uint32_t i = 0; i < n; i++) {
    if (strncmp(h->obj[i].name, name, SL_WKSP_OBJ_NAME_MAX)) continue;
    if (out) {
      *out = h->obj[i];
      out->name[SL_WKSP_OBJ_NAME_MAX - 1] = 0;
    }
    return 0;
  }
  return -1;
}

const char *sl_wksp_config(const sl_wksp_t *w) {
  const sl_wksp_hdr_t *h = sl_wksp_hdr(w);
  if (!h->config_off || h->config_off >= w->size) return "";
  return (const char *)w->base + h->config_off;
}
