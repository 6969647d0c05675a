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

/* Start time of pid in clock ticks since boot (field 22 of /proc/pid/stat),
   0 if unreadable. The comm field may hold spaces and parens: parse after
   the last ')'. */
static uint64_t proc_start_time(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p++;
  /* After ')' come fields 3.. ; starttime is field 22: skip 19 more. */
  for (int field = 2; field < 21 && p; field++) p = strchr(p + 1, ' ');
  if (!p) return 0;
  return strtoull(p + 1, NULL, 10);
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
/* Finding an existing file.                                           */

typedef struct {
  const char *name;
  char *buf;
  size_t bufsz;
} find_arg_t;

static int try_dir(const char *dir, void *arg) {
  find_arg_t *a = arg;
  char path[SL_WKSP_PATH_MAX];
  if (sl_wksp_path(dir, a->name, path, sizeof path)) return 0;
  if (access(path, F_OK) != 0) return 0;
  snprintf(a->buf, a->bufsz, "%s", path);
  return 1;
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

/* If path exists: fail if its lock is held (a live instance), else remove
   it (stale). Returns 0 when the name is free. */
static int clear_stale(const char *path, const char *name, sl_err_t *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    return sl_err_set(err, "workspace %s: cannot open existing file: %s (remove it by hand)", path,
                      strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int pid = -1;
    sl_wksp_hdr_t h;
    if (pread(fd, &h, sizeof h, 0) >= (ssize_t)offsetof(sl_wksp_hdr_t, creator_wall_ns) &&
        h.magic == SL_WKSP_MAGIC)
      pid = h.creator_pid;
    close(fd);
    return sl_err_set(err,
                      "instance %s is already running (pid %d holds %s); stop it or choose "
                      "another name",
                      name, pid, path);
  }
  /* Nobody holds it: a crashed instance. Unlink while we hold the lock so
     a concurrent creator cannot take this inode for a live one. */
  int pid = -1;
  sl_wksp_hdr_t h;
  if (pread(fd, &h, sizeof h, 0) >= (ssize_t)offsetof(sl_wksp_hdr_t, creator_wall_ns) &&
      h.magic == SL_WKSP_MAGIC)
    pid = h.creator_pid;
  if (unlink(path) != 0 && errno != ENOENT) {
    int e = errno;
    close(fd);
    return sl_err_set(err, "workspace %s: stale file (pid %d is gone) cannot be removed: %s", path,
                      pid, strerror(e));
  }
  close(fd);
  SL_INFO("workspace %s: removed stale file of a dead instance (pid %d)", path, pid);
  return 0;
}

/* Removes "<dir>/.<name>.wksp.<pid>" files left by creators that died
   mid-create (their lock is free): on hugetlbfs they would hold pages. */
static void clear_stale_temps(const char *dir, const char *name) {
  char prefix[SL_WKSP_NAME_MAX + 8];
  snprintf(prefix, sizeof prefix, ".%s.wksp.", name);
  size_t pl = strlen(prefix);
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, prefix, pl)) continue;
    char path[SL_WKSP_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0)
      SL_INFO("workspace %s: removed %s left by an interrupted start", name, path);
    close(fd);
  }
  closedir(d);
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
  char path[SL_WKSP_PATH_MAX];
  if (hdir[0]) {
    if (sl_wksp_path(hdir, p->name, path, sizeof path))
      return sl_err_set(err, "workspace %s: path too long under %s", p->name, hdir);
    if (clear_stale(path, p->name, err)) return -1;
    clear_stale_temps(hdir, p->name);
  }
  clear_stale_temps(SHM_DIR, p->name);
  if (sl_wksp_path(SHM_DIR, p->name, path, sizeof path) == 0 && clear_stale(path, p->name, err))
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

  char final[SL_WKSP_PATH_MAX], tmp[SL_WKSP_PATH_MAX];
  if (sl_wksp_path(dir, p->name, final, sizeof final))
    return sl_err_set(err, "workspace %s: path too long under %s", p->name, dir);
  int n = snprintf(tmp, sizeof tmp, "%s/.%s.wksp.%d", dir, p->name, (int)getpid());
  if (n < 0 || (size_t)n >= sizeof tmp)
    return sl_err_set(err, "workspace %s: path too long under %s", p->name, dir);

  /* Built under a private name, published by an atomic no-replace rename:
     nobody ever sees a half-made workspace under the real name. */
  unlink(tmp);
  int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return sl_err_set(err, "workspace %s: cannot create %s: %s", p->name, tmp, strerror(errno));
  uint8_t *base = MAP_FAILED;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    sl_err_set(err, "workspace %s: cannot lock %s: %s", p->name, tmp, strerror(errno));
    goto fail;
  }
  if (ftruncate(fd, (off_t)total) != 0) {
    sl_err_set(err, "workspace %s: cannot size %s to %" PRIu64 " bytes: %s", p->name, tmp, total,
               strerror(errno));
    goto fail;
  }
  base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    sl_err_set(err, "workspace %s: cannot map %" PRIu64 " bytes of %s: %s%s", p->name, total, tmp,
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

  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) {
      /* Another creator won the race since clear_stale: report it. */
      if (clear_stale(final, p->name, err) == 0)
        sl_err_set(err, "workspace %s: %s appeared while creating; retry", p->name, final);
    } else {
      sl_err_set(err, "workspace %s: cannot rename %s to %s: %s", p->name, tmp, final,
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
  return 0;

fail:
  if (base != MAP_FAILED) munmap(base, total);
  unlink(tmp);
  close(fd);
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
                      "instance %s: no workspace file %s.wksp in %s%severy hugetlbfs mount or %s; "
                      "is it running (sluice run) and is the name right?",
                      name, name,
                      hugetlbfs_mount && strcmp(hugetlbfs_mount, "auto") ? hugetlbfs_mount : "",
                      hugetlbfs_mount && strcmp(hugetlbfs_mount, "auto") ? ", " : "", SHM_DIR);
  int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0)
    return sl_err_set(err, "workspace %s: cannot open: %s%s", path, strerror(errno),
                      errno == EACCES ? " (mode 0600: run as the instance's user or root)" : "");
  struct stat st;
  if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < sizeof(sl_wksp_hdr_t)) {
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
  if (kind < SL_OBJ_RING || kind > SL_OBJ_OTHER)
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
