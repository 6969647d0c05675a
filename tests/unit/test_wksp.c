/* Unit tests for shmem/wksp: backing choice (hugetlbfs, /dev/shm fallback,
   required hugepages), one instance per name, stale files, the directory,
   read-only joiners, joining from another process at another address, and
   other local users who squat the name, its directory or plant a symlink. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <hugetlbfs.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmem/metrics.h"
#include "shmem/wksp.h"
#include "util/log.h"

/* Instance names unique to this run, so parallel runs never collide. */
static const char *iname(const char *tag) {
  static char buf[64];
  snprintf(buf, sizeof buf, "sltest-%d-%s", (int)getpid(), tag);
  return buf;
}

/* A params block that forces the /dev/shm fallback: /tmp is no hugetlbfs. */
static sl_wksp_params_t shm_params(const char *name, uint64_t size) {
  sl_wksp_params_t p;
  sl_wksp_params_default(&p);
  p.name = name;
  p.size = size;
  p.hugetlbfs_mount = "/tmp";
  return p;
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* This user's private directory under /dev/shm, held by the workspace
   *keep (the directory goes with its last workspace: remove keep last). */
static void own_dir(char *buf, size_t sz, sl_wksp_t *keep) {
  char name[64]; /* not iname's buffer: the caller's params may point there */
  snprintf(name, sizeof name, "sltest-%d-owndir", (int)getpid());
  sl_wksp_params_t p = shm_params(name, 4096);
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(keep, &p, &err) == 0, "%s", err.msg);
  char path[SL_WKSP_PATH_MAX];
  snprintf(path, sizeof path, "%s", keep->path);
  snprintf(buf, sz, "%s", dirname(path));
}

static int is_root(void) { return geteuid() == 0; }

/* A uid of this test run alone (no such user exists), for creators whose
   private directory must not be anyone else's. */
static uid_t test_uid(void) { return (uid_t)(200000 + getpid() % 100000); }

/* Runs fn in a child as uid (gid = uid, no groups); returns its exit code. */
static int as_uid(uid_t uid, int (*fn)(void *), void *arg) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) _exit(99);
    _exit(fn(arg));
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Removes every path matching pattern, one level deep, never following a
   symlink. */
static void rm_glob(const char *pattern) {
  glob_t g;
  if (glob(pattern, GLOB_NOSORT, NULL, &g)) return;
  for (size_t i = 0; i < g.gl_pathc; i++) {
    struct stat st;
    const char *p = g.gl_pathv[i];
    if (lstat(p, &st)) continue;
    if (S_ISDIR(st.st_mode)) {
      DIR *d = opendir(p);
      struct dirent *e;
      while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlinkat(dirfd(d), e->d_name, 0);
      if (d) closedir(d);
      rmdir(p);
    } else {
      unlink(p);
    }
  }
  globfree(&g);
}

/* A squatter: another local user (nobody) who makes things at the paths
   an instance will use and holds locks on them until told to stop. */
typedef struct {
  pid_t pid;
  int go; /* write end: close to end the squatter */
} squatter_t;

typedef struct {
  char file[2 * SL_WKSP_PATH_MAX]; /* create and flock this ("" = none) */
  char dir[SL_WKSP_PATH_MAX];  /* mkdir this (mode 0777) first ("" = none) */
  char link[SL_WKSP_PATH_MAX]; /* symlink this ... */
  char target[SL_WKSP_PATH_MAX]; /* ... to this ("" = none) */
} squat_t;

static void squat_start(squatter_t *q, const squat_t *what) {
  struct passwd *pw = getpwnam("nobody");
  ck_assert_ptr_nonnull(pw);
  int go[2], ready[2];
  ck_assert_int_eq(pipe(go), 0);
  ck_assert_int_eq(pipe(ready), 0);
  q->pid = fork();
  ck_assert_int_ge(q->pid, 0);
  if (q->pid == 0) {
    close(go[1]);
    close(ready[0]);
    if (setgroups(0, NULL) || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
        setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid))
      _exit(1);
    umask(0);
    if (what->dir[0] && mkdir(what->dir, 0777)) _exit(2);
    if (what->link[0] && symlink(what->target, what->link)) _exit(3);
    if (what->file[0]) {
      int fd = open(what->file, O_RDWR | O_CREAT | O_EXCL, 0666);
      if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) _exit(4);
    }
    char c = 'r';
    if (write(ready[1], &c, 1) != 1) _exit(5);
    while (read(go[0], &c, 1) > 0) {
    }
    _exit(0);
  }
  close(go[0]);
  close(ready[1]);
  char c = 0;
  ck_assert_msg(read(ready[0], &c, 1) == 1, "squatter failed to set up");
  close(ready[0]);
  q->go = go[1];
}

static void squat_stop(squatter_t *q) {
  close(q->go);
  int st;
  ck_assert_int_eq(waitpid(q->pid, &st, 0), q->pid);
}

/* What a creator running as another uid reports back, by exit code. */
typedef struct {
  const char *name;
  const char *not_under; /* the workspace must not be in this directory */
  const char *base;      /* nor anywhere but a private directory of base */
  const char *mount;     /* hugetlbfs_mount for the create */
} creator_t;

static int create_elsewhere(void *arg) {
  const creator_t *c = arg;
  sl_wksp_params_t p = shm_params(c->name, 1u << 20);
  if (c->mount) {
    p.hugetlbfs_mount = c->mount;
    p.require_hugepages = 1;
  }
  sl_wksp_t w;
  sl_err_t err;
  if (sl_wksp_create(&w, &p, &err)) {
    fprintf(stderr, "create as uid %u: %s\n", (unsigned)geteuid(), err.msg);
    return 10;
  }
  char want[64], found[SL_WKSP_PATH_MAX];
  snprintf(want, sizeof want, "%s/sluice-%u.", c->base, (unsigned)geteuid());
  int rc = 0;
  if (strncmp(w.path, want, strlen(want))) rc = 11; /* not in a fallback of base */
  else if (!strncmp(w.path, c->not_under, strlen(c->not_under)) && w.path[strlen(c->not_under)] == '/')
    rc = 12;
  else if (sl_wksp_find_file(c->name, c->mount, found, sizeof found) || strcmp(found, w.path))
    rc = 13; /* the monitor would not find it */
  sl_wksp_t j;
  if (!rc && (sl_wksp_join(&j, c->name, c->mount, 1, &err) ||
              sl_wksp_hdr(&j)->creator_pid != getpid()))
    rc = 14;
  if (!rc) sl_wksp_leave(&j);
  if (rc) fprintf(stderr, "create as uid %u: rc %d, path %s\n", (unsigned)geteuid(), rc, w.path);
  sl_wksp_remove(&w);
  return rc;
}

START_TEST(creates_on_hugetlbfs_when_a_mount_has_free_pages) {
  const char *mnt = hugetlbfs_find_path_for_size((long)SL_PAGE_2M);
  long freep = sl_wksp_hugetlbfs_free_pages(SL_PAGE_2M, -1);
  if (!mnt || freep < 4) {
    printf("SKIP creates_on_hugetlbfs: no 2M hugetlbfs mount with free pages (mount %s, %ld free); "
           "tests/run.sh sets one up when run as root\n", mnt ? mnt : "none", freep);
    return;
  }
  sl_wksp_params_t p;
  sl_wksp_params_default(&p);
  p.name = iname("huge");
  p.size = 3u << 20;
  p.require_hugepages = 1;
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(w.is_huge, 1);
  ck_assert_uint_eq(w.page_size, SL_PAGE_2M);
  ck_assert_uint_eq(w.size % SL_PAGE_2M, 0);
  ck_assert_uint_ge(w.size, 3u << 20);
  ck_assert_int_eq(strncmp(w.path, mnt, strlen(mnt)), 0);
  ck_assert_uint_eq(sl_wksp_hdr(&w)->is_huge, 1);
  w.base[w.size - 1] = 1;
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(too_few_free_hugepages_is_checked_before_sizing) {
  const char *mnt = hugetlbfs_find_path_for_size((long)SL_PAGE_2M);
  long freep = sl_wksp_hugetlbfs_free_pages(SL_PAGE_2M, -1);
  if (!mnt || freep < 0) {
    printf("SKIP too_few_free_hugepages: no 2M hugetlbfs mount\n");
    return;
  }
  sl_wksp_params_t p;
  sl_wksp_params_default(&p);
  p.name = iname("few");
  p.size = (uint64_t)(freep + 8) * SL_PAGE_2M;
  p.require_hugepages = 1;
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), -1);
  ck_assert_msg(strstr(err.msg, "free 2M pages") && strstr(err.msg, "needed"), "%s", err.msg);
  char path[256];
  ck_assert_int_eq(sl_wksp_find_file(p.name, NULL, path, sizeof path), -1);
}
END_TEST

START_TEST(falls_back_to_dev_shm_when_mount_is_not_hugetlbfs) {
  sl_wksp_params_t p = shm_params(iname("shm"), 1u << 20);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(w.is_huge, 0);
  ck_assert_int_eq(strncmp(w.path, "/dev/shm/", 9), 0);
  ck_assert_uint_eq(w.page_size, (uint64_t)sysconf(_SC_PAGESIZE));
  struct stat st;
  ck_assert_int_eq(stat(w.path, &st), 0);
  ck_assert_uint_eq(st.st_mode & 0777, 0600);
  ck_assert_uint_eq((uint64_t)st.st_size, w.size);
  /* In this user's private directory. */
  char dir[SL_WKSP_PATH_MAX], want[64];
  snprintf(dir, sizeof dir, "%s", w.path);
  snprintf(want, sizeof want, "/dev/shm/sluice-%u", (unsigned)geteuid());
  ck_assert_str_eq(dirname(dir), want);
  ck_assert_int_eq(lstat(want, &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert_uint_eq(st.st_mode & 07777, 0700);
  ck_assert_uint_eq(st.st_uid, geteuid());
  /* Zeroed: every byte after the header and directory. */
  const sl_wksp_hdr_t *h = sl_wksp_hdr(&w);
  for (uint64_t i = h->alloc_cursor; i < w.size; i += 4093) ck_assert_uint_eq(w.base[i], 0);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(plan_predicts_the_place_and_size_create_uses) {
  sl_wksp_params_t p = shm_params(iname("plan"), 3u << 20);
  p.config_text = "name = \"x\"\n";
  sl_wksp_plan_t plan;
  sl_wksp_plan(&p, &plan);
  ck_assert_int_eq(plan.huge, 0);
  ck_assert_str_eq(plan.dir, "/dev/shm");
  ck_assert_msg(strstr(plan.why, "/tmp is not a hugetlbfs mount"), "%s", plan.why);
  ck_assert_uint_eq(plan.page_size, SL_PAGE_2M);
  ck_assert_int_eq(plan.pages, 2); /* 3 MiB plus the header: two 2M pages */
  ck_assert_uint_gt(plan.shm_free, 0);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq(w.size, plan.bytes);
  ck_assert_int_eq(strncmp(w.path, plan.dir, strlen(plan.dir)), 0);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(plan_on_hugetlbfs_counts_the_pages) {
  const char *mnt = hugetlbfs_find_path_for_size((long)SL_PAGE_2M);
  long freep = sl_wksp_hugetlbfs_free_pages(SL_PAGE_2M, -1);
  if (!mnt || freep < 4) {
    printf("SKIP plan_on_hugetlbfs: no 2M hugetlbfs mount with free pages\n");
    return;
  }
  sl_wksp_params_t p;
  sl_wksp_params_default(&p);
  p.size = 3u << 20;
  sl_wksp_plan_t plan;
  sl_wksp_plan(&p, &plan);
  ck_assert_int_eq(plan.huge, 1);
  ck_assert_str_eq(plan.dir, mnt);
  ck_assert_int_eq(plan.pages, 2);
  ck_assert_int_eq(plan.pages_free, freep);
  ck_assert_uint_eq(plan.bytes, 2 * SL_PAGE_2M);
  p.size = (uint64_t)(freep + 8) * SL_PAGE_2M;
  sl_wksp_plan(&p, &plan);
  ck_assert_int_eq(plan.huge, 0);
  ck_assert_msg(strstr(plan.why, "free 2M pages") && strstr(plan.why, "needed"), "%s", plan.why);
}
END_TEST

START_TEST(require_hugepages_fails_with_a_remedy) {
  sl_wksp_params_t p = shm_params(iname("req"), 1u << 20);
  p.require_hugepages = 1;
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "hugepages required"));
  ck_assert_ptr_nonnull(strstr(err.msg, "/tmp is not a hugetlbfs"));
  ck_assert_ptr_nonnull(strstr(err.msg, "nr_hugepages"));
  char path[256];
  ck_assert_int_eq(sl_wksp_find_file(p.name, NULL, path, sizeof path), -1); /* nothing left */
}
END_TEST

START_TEST(second_creator_is_refused_with_the_holders_pid) {
  sl_wksp_params_t p = shm_params(iname("twice"), 1u << 20);
  sl_wksp_t w, w2;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  /* From another process: flock is per open file, so this would also hold
     in-process, but a child is what a second `sluice run` is. */
  pid_t pid = fork();
  if (pid == 0) {
    sl_err_t e2;
    int r = sl_wksp_create(&w2, &p, &e2);
    char want[512];
    snprintf(want, sizeof want, "instance %s is already running (pid %d holds %s)", p.name,
             (int)getppid(), w.path);
    _exit(r == -1 && strstr(e2.msg, want) ? 0 : 1);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "second creator was not refused properly");
  ck_assert_int_eq(sl_wksp_create(&w2, &p, &err), -1);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(stale_file_of_a_dead_creator_is_replaced) {
  sl_wksp_params_t p = shm_params(iname("stale"), 1u << 20);
  pid_t pid = fork();
  if (pid == 0) {
    sl_wksp_t w;
    _exit(sl_wksp_create(&w, &p, NULL) == 0 ? 0 : 1); /* dies holding the file */
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_int_eq(WEXITSTATUS(st), 0);
  sl_wksp_t j;
  ck_assert_int_eq(sl_wksp_join(&j, p.name, NULL, 1, NULL), 0);
  ck_assert_int_eq(sl_wksp_hdr(&j)->creator_pid, pid);
  ck_assert_int_eq(sl_wksp_alive(&j), 0);
  sl_wksp_leave(&j);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(sl_wksp_hdr(&w)->creator_pid, getpid());
  ck_assert_int_eq(sl_wksp_alive(&w), 1);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(temp_file_of_an_interrupted_create_is_cleaned_up) {
  sl_wksp_params_t p = shm_params(iname("tmp"), 1u << 20);
  char tmp[512], dir[SL_WKSP_PATH_MAX];
  sl_wksp_t keep;
  own_dir(dir, sizeof dir, &keep);
  snprintf(tmp, sizeof tmp, "%s/.%s.wksp.%d", dir, p.name, 999999);
  FILE *f = fopen(tmp, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(file_exists(tmp), 0);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
  ck_assert_int_eq(sl_wksp_remove(&keep), 0);
}
END_TEST

START_TEST(alive_tells_a_reused_pid_from_the_creator) {
  sl_wksp_params_t p = shm_params(iname("alive"), 1u << 20);
  sl_wksp_t w;
  ck_assert_int_eq(sl_wksp_create(&w, &p, NULL), 0);
  ck_assert_int_eq(sl_wksp_alive(&w), 1);
  sl_wksp_hdr_t *h = (sl_wksp_hdr_t *)w.base;
  h->creator_proc_start += 1; /* same pid, another process */
  ck_assert_int_eq(sl_wksp_alive(&w), 0);
  h->creator_proc_start -= 1;
  ck_assert_int_eq(sl_wksp_alive(&w), 1);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(alloc_find_and_iterate_the_directory) {
  sl_wksp_params_t p = shm_params(iname("dir"), 1u << 20);
  p.config_text = "name = \"x\"\n";
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), 0);
  ck_assert_str_eq(sl_wksp_config(&w), "name = \"x\"\n");
  uint64_t a, b, c;
  ck_assert_int_eq(sl_wksp_alloc(&w, "ring:a", SL_OBJ_RING, 64, 100, &a, &err), 0);
  ck_assert_int_eq(sl_wksp_alloc(&w, "umem:b", SL_OBJ_UMEM, 4096, 5000, &b, &err), 0);
  ck_assert_int_eq(sl_wksp_alloc(&w, "c", SL_OBJ_OTHER, 1, 1, &c, &err), 0);
  ck_assert_uint_eq(a % 128, 0);
  ck_assert_uint_eq(b % 4096, 0);
  ck_assert_uint_ge(b, a + 100);
  ck_assert_uint_ge(c, b + 5000);
  ck_assert_uint_eq(sl_wksp_obj_cnt(&w), 3);
  sl_wksp_obj_t o;
  ck_assert_int_eq(sl_wksp_find(&w, "umem:b", &o), 0);
  ck_assert_uint_eq(o.off, b);
  ck_assert_uint_eq(o.sz, 5000);
  ck_assert_uint_eq(o.kind, SL_OBJ_UMEM);
  ck_assert_int_eq(sl_wksp_find(&w, "nope", &o), -1);
  const char *order[] = {"ring:a", "umem:b", "c"};
  for (uint32_t i = 0; i < 3; i++) {
    ck_assert_int_eq(sl_wksp_obj_at(&w, i, &o), 0);
    ck_assert_str_eq(o.name, order[i]);
  }
  ck_assert_int_eq(sl_wksp_obj_at(&w, 3, &o), -1);
  ck_assert_ptr_eq(sl_wksp_laddr(&w, b), w.base + b);
  ck_assert_uint_eq(sl_wksp_gaddr(&w, w.base + b), b);
  /* Refusals, each with a message. */
  ck_assert_int_eq(sl_wksp_alloc(&w, "ring:a", SL_OBJ_RING, 64, 1, &a, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "already exists"));
  ck_assert_int_eq(sl_wksp_alloc(&w, "big", SL_OBJ_OTHER, 64, 1ull << 30, &a, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "short"));
  ck_assert_int_eq(sl_wksp_alloc(&w, "odd", SL_OBJ_OTHER, 48, 1, &a, &err), -1);
  ck_assert_int_eq(sl_wksp_alloc(&w, "kind", 0, 64, 1, &a, &err), -1);
  ck_assert_int_eq(sl_wksp_alloc(&w, "a-name-of-forty-eight-characters-is-one-too-long", SL_OBJ_OTHER,
                                 64, 1, &a, &err),
                   -1);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(directory_holds_256_objects_then_refuses) {
  sl_wksp_params_t p = shm_params(iname("full"), 1u << 20);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), 0);
  uint64_t off;
  char name[32];
  for (int i = 0; i < (int)SL_WKSP_OBJ_MAX; i++) {
    snprintf(name, sizeof name, "o%d", i);
    ck_assert_msg(sl_wksp_alloc(&w, name, SL_OBJ_OTHER, 128, 8, &off, &err) == 0, "%s", err.msg);
  }
  ck_assert_int_eq(sl_wksp_alloc(&w, "one-more", SL_OBJ_OTHER, 128, 8, &off, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "directory full"));
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(read_only_joiner_reads_metrics_and_a_write_faults) {
  sl_wksp_params_t p = shm_params(iname("ro"), 1u << 20);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), 0);
  uint64_t off;
  ck_assert_int_eq(sl_metrics_create(&w, SL_TILE_NET, 0, &off, &err), 0);
  sl_metrics_t *m = sl_wksp_laddr(&w, off);
  sl_metrics_set(m, SL_M_NET_RX_PKTS, 4242);
  pid_t pid = fork();
  if (pid == 0) {
    sl_wksp_t r;
    if (sl_wksp_join(&r, p.name, NULL, 1, NULL)) _exit(2);
    sl_wksp_obj_t o;
    if (sl_wksp_find(&r, "net:0", &o) || o.kind != SL_OBJ_METRICS) _exit(3);
    sl_metrics_t *rm = sl_metrics_join(sl_wksp_laddr(&r, o.off));
    if (!rm || sl_metrics_get(rm, SL_M_NET_RX_PKTS) != 4242) _exit(4);
    uint64_t dummy;
    if (sl_wksp_alloc(&r, "x", SL_OBJ_OTHER, 64, 8, &dummy, NULL) != -1) _exit(5);
    /* The default action, so the fault shows as SIGSEGV even under ASan
       (whose handler would turn it into exit 1). */
    signal(SIGSEGV, SIG_DFL);
    signal(SIGSEGV, SIG_DFL); /* sanitizer builds catch SEGV themselves */
    rm->v[SL_M_NET_RX_PKTS] = 1; /* must fault */
    _exit(6);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "child status %d (exit %d)", st,
                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_NET_RX_PKTS), 4242);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(joiner_maps_elsewhere_and_offsets_still_agree) {
  sl_wksp_params_t p = shm_params(iname("join"), 1u << 20);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), 0);
  uint64_t off;
  ck_assert_int_eq(sl_wksp_alloc(&w, "cell", SL_OBJ_OTHER, 128, 64, &off, &err), 0);
  strcpy(sl_wksp_laddr(&w, off), "from the creator");
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* The inherited mapping stays in place, so the join must map the file
       at another address, as in a separately started process; from here on
       only the joined handle is used. */
    uint8_t *old = w.base;
    sl_wksp_t j;
    if (sl_wksp_join(&j, p.name, NULL, 0, NULL)) _exit(2);
    sl_wksp_obj_t o;
    if (sl_wksp_find(&j, "cell", &o)) _exit(3);
    if (strcmp(sl_wksp_laddr(&j, o.off), "from the creator")) _exit(4);
    strcpy(sl_wksp_laddr(&j, o.off), "from the joiner");
    uintptr_t b = (uintptr_t)j.base;
    if (write(fds[1], &b, sizeof b) != sizeof b) _exit(5);
    sl_wksp_leave(&j);
    _exit(j.base == NULL && old != NULL ? 0 : 6);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_int_eq(WEXITSTATUS(st), 0);
  uintptr_t child_base = 0;
  ck_assert_int_eq(read(fds[0], &child_base, sizeof child_base), sizeof child_base);
  close(fds[0]);
  close(fds[1]);
  ck_assert_uint_ne(child_base, (uintptr_t)w.base);
  ck_assert_str_eq(sl_wksp_laddr(&w, off), "from the joiner");
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(join_reports_a_missing_instance) {
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_join(&w, iname("absent"), NULL, 1, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "no workspace file"));
  ck_assert_ptr_nonnull(strstr(err.msg, "/dev/shm"));
  ck_assert_int_eq(sl_wksp_join(&w, "bad/name", NULL, 1, &err), -1);
}
END_TEST

START_TEST(join_rejects_a_foreign_file) {
  char path[256], dir[SL_WKSP_PATH_MAX];
  sl_wksp_t keep;
  own_dir(dir, sizeof dir, &keep);
  ck_assert_int_eq(sl_wksp_path(dir, iname("foreign"), path, sizeof path), 0);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  static char junk[sizeof(sl_wksp_hdr_t) + 100];
  memset(junk, 'x', sizeof junk);
  fwrite(junk, 1, sizeof junk, f);
  fclose(f);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_join(&w, iname("foreign"), NULL, 1, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "bad magic"));
  unlink(path);
  ck_assert_int_eq(sl_wksp_remove(&keep), 0);
}
END_TEST

START_TEST(remove_unlinks_and_leave_is_idempotent) {
  sl_wksp_params_t p = shm_params(iname("rm"), 1u << 20);
  sl_wksp_t w;
  ck_assert_int_eq(sl_wksp_create(&w, &p, NULL), 0);
  char path[SL_WKSP_PATH_MAX];
  strcpy(path, w.path);
  ck_assert_int_eq(file_exists(path), 1);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
  ck_assert_int_eq(file_exists(path), 0);
  sl_wksp_leave(&w);
  sl_wksp_t z;
  memset(&z, 0, sizeof z);
  sl_wksp_leave(&z); /* zeroed handle: no-op, must not close fd 0 */
  ck_assert_int_ne(fcntl(0, F_GETFD), -1);
}
END_TEST

START_TEST(bad_parameters_are_refused) {
  sl_wksp_params_t p = shm_params("bad name", 1u << 20);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "bad instance name"));
  p = shm_params(iname("zero"), 0);
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), -1);
  p = shm_params(iname("pg"), 1u << 20);
  p.page_size = 4096;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "page size"));
  p = shm_params(iname("numa"), 1u << 20);
  p.numa_node = 999;
  ck_assert_int_eq(sl_wksp_create(&w, &p, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "NUMA node 999"));
  char path[256];
  ck_assert_int_eq(sl_wksp_find_file(p.name, NULL, path, sizeof path), -1);
}
END_TEST

START_TEST(numa_node_0_binding_works) {
  sl_wksp_params_t p = shm_params(iname("node0"), 1u << 20);
  p.numa_node = 0;
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(sl_wksp_hdr(&w)->numa_node, 0);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
}
END_TEST

START_TEST(another_users_squatted_file_does_not_block_the_start) {
  if (!is_root()) {
    printf("SKIP squatted file: needs root to squat as nobody\n");
    return;
  }
  /* nobody holds a locked NAME.wksp at the old shared path, and a locked
     one in a private directory of its own: neither is this instance. */
  struct passwd *pw = getpwnam("nobody");
  const char *name = iname("squat");
  squat_t what;
  memset(&what, 0, sizeof what);
  snprintf(what.file, sizeof what.file, "/dev/shm/%s.wksp", name);
  squatter_t q;
  squat_start(&q, &what);
  char other[SL_WKSP_PATH_MAX];
  snprintf(other, sizeof other, "/dev/shm/sluice-%u", (unsigned)pw->pw_uid);
  squat_t what2;
  memset(&what2, 0, sizeof what2);
  if (access(other, F_OK)) snprintf(what2.dir, sizeof what2.dir, "%s", other);
  snprintf(what2.file, sizeof what2.file, "%s/%s.wksp", other, name);
  squatter_t q2;
  squat_start(&q2, &what2);
  if (what2.dir[0]) ck_assert_int_eq(chmod(other, 0700), 0);

  sl_wksp_params_t p = shm_params(name, 1u << 20);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  char found[SL_WKSP_PATH_MAX];
  ck_assert_int_eq(sl_wksp_find_file(name, NULL, found, sizeof found), 0);
  ck_assert_str_eq(found, w.path);
  sl_wksp_t j;
  ck_assert_int_eq(sl_wksp_join(&j, name, NULL, 1, &err), 0);
  ck_assert_int_eq(sl_wksp_hdr(&j)->creator_pid, getpid());
  sl_wksp_leave(&j);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);

  squat_stop(&q2); /* the last first: it holds a copy of the first's pipe */
  squat_stop(&q);
  unlink(what.file);
  unlink(what2.file);
  if (what2.dir[0]) rmdir(other);
}
END_TEST

/* A private directory squatted by nobody under base (mode 0777, a locked
   NAME.wksp inside): a creator of another uid still starts, elsewhere. */
static void squatted_directory_under(const char *base, const char *mount) {
  uid_t u = test_uid();
  const char *name = iname("sqdir");
  char pattern[SL_WKSP_PATH_MAX];
  snprintf(pattern, sizeof pattern, "%s/sluice-%u*", base, (unsigned)u);
  rm_glob(pattern);
  squat_t what;
  memset(&what, 0, sizeof what);
  snprintf(what.dir, sizeof what.dir, "%s/sluice-%u", base, (unsigned)u);
  snprintf(what.file, sizeof what.file, "%s/%s.wksp", what.dir, name);
  squatter_t q;
  squat_start(&q, &what);
  creator_t c = {name, what.dir, base, mount};
  int rc = as_uid(u, create_elsewhere, &c);
  squat_stop(&q);
  rm_glob(pattern);
  ck_assert_msg(rc == 0, "creator as uid %u under %s: %d", (unsigned)u, base, rc);
}

START_TEST(a_private_directory_owned_by_another_user_is_not_used) {
  if (!is_root()) {
    printf("SKIP squatted directory: needs root to act as two other users\n");
    return;
  }
  squatted_directory_under("/dev/shm", NULL);
}
END_TEST

START_TEST(a_squatted_directory_on_a_world_writable_hugetlbfs_is_not_used) {
  const char *mnt = hugetlbfs_find_path_for_size((long)SL_PAGE_2M);
  struct stat st;
  if (!is_root() || !mnt || sl_wksp_hugetlbfs_free_pages(SL_PAGE_2M, -1) < 2 || stat(mnt, &st) ||
      (st.st_mode & 01777) != 01777) {
    printf("SKIP squatted hugetlbfs directory: needs root and a 1777 2M hugetlbfs mount with free "
           "pages (tests/run.sh mounts one)\n");
    return;
  }
  squatted_directory_under(mnt, mnt);
}
END_TEST

static int two_then_none(void *arg) {
  (void)arg;
  char n1[64], n2[64]; /* iname's buffer is reused by each call */
  snprintf(n1, sizeof n1, "%s", iname("one"));
  snprintf(n2, sizeof n2, "%s", iname("two"));
  sl_wksp_params_t p1 = shm_params(n1, 4096), p2 = shm_params(n2, 4096);
  sl_wksp_t a, b;
  char dir[SL_WKSP_PATH_MAX];
  if (sl_wksp_create(&a, &p1, NULL) || sl_wksp_create(&b, &p2, NULL)) return 20;
  snprintf(dir, sizeof dir, "%s", a.path);
  dirname(dir);
  if (sl_wksp_remove(&a) || !file_exists(dir)) return 21; /* still holds the second */
  if (sl_wksp_remove(&b) || file_exists(dir)) return 22;  /* gone with the last */
  if (sl_wksp_create(&a, &p1, NULL) || !file_exists(dir)) return 23; /* and made again */
  sl_wksp_remove(&a);
  return 0;
}

START_TEST(the_private_directory_goes_with_its_last_workspace) {
  if (!is_root()) {
    printf("SKIP private directory removal: needs root to run as a user of its own\n");
    return;
  }
  int rc = as_uid(test_uid(), two_then_none, NULL);
  char pattern[64];
  snprintf(pattern, sizeof pattern, "/dev/shm/sluice-%u*", (unsigned)test_uid());
  rm_glob(pattern);
  ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(a_symlink_planted_at_the_private_directory_is_not_followed) {
  if (!is_root()) {
    printf("SKIP planted symlink: needs root to act as two other users\n");
    return;
  }
  /* The link points at a directory that would pass every check (the
     creator's, 0700): only not following it keeps the workspace out. */
  uid_t u = test_uid();
  char victim[] = "/tmp/sl-wksp-victim-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(victim));
  ck_assert_int_eq(chown(victim, u, u), 0);
  ck_assert_int_eq(chmod(victim, 0700), 0);
  char pattern[SL_WKSP_PATH_MAX];
  snprintf(pattern, sizeof pattern, "/dev/shm/sluice-%u*", (unsigned)u);
  rm_glob(pattern);
  squat_t what;
  memset(&what, 0, sizeof what);
  snprintf(what.link, sizeof what.link, "/dev/shm/sluice-%u", (unsigned)u);
  snprintf(what.target, sizeof what.target, "%s", victim);
  squatter_t q;
  squat_start(&q, &what);
  creator_t c = {iname("link"), victim, "/dev/shm", NULL};
  int rc = as_uid(u, create_elsewhere, &c);
  squat_stop(&q);
  DIR *d = opendir(victim);
  struct dirent *e;
  int entries = 0;
  while ((e = readdir(d))) entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  closedir(d);
  rm_glob(pattern);
  rmdir(victim);
  ck_assert_msg(rc == 0, "creator as uid %u: %d", (unsigned)u, rc);
  ck_assert_int_eq(entries, 0);
}
END_TEST

int main(void) {
  sl_log_set_level(SL_LOG_ERR); /* the fallback warning is expected here */
  Suite *s = suite_create("wksp");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, creates_on_hugetlbfs_when_a_mount_has_free_pages);
  tcase_add_test(tc, too_few_free_hugepages_is_checked_before_sizing);
  tcase_add_test(tc, falls_back_to_dev_shm_when_mount_is_not_hugetlbfs);
  tcase_add_test(tc, require_hugepages_fails_with_a_remedy);
  tcase_add_test(tc, plan_predicts_the_place_and_size_create_uses);
  tcase_add_test(tc, plan_on_hugetlbfs_counts_the_pages);
  tcase_add_test(tc, second_creator_is_refused_with_the_holders_pid);
  tcase_add_test(tc, stale_file_of_a_dead_creator_is_replaced);
  tcase_add_test(tc, temp_file_of_an_interrupted_create_is_cleaned_up);
  tcase_add_test(tc, alive_tells_a_reused_pid_from_the_creator);
  tcase_add_test(tc, alloc_find_and_iterate_the_directory);
  tcase_add_test(tc, directory_holds_256_objects_then_refuses);
  tcase_add_test(tc, read_only_joiner_reads_metrics_and_a_write_faults);
  tcase_add_test(tc, joiner_maps_elsewhere_and_offsets_still_agree);
  tcase_add_test(tc, join_reports_a_missing_instance);
  tcase_add_test(tc, join_rejects_a_foreign_file);
  tcase_add_test(tc, remove_unlinks_and_leave_is_idempotent);
  tcase_add_test(tc, bad_parameters_are_refused);
  tcase_add_test(tc, numa_node_0_binding_works);
  tcase_add_test(tc, another_users_squatted_file_does_not_block_the_start);
  tcase_add_test(tc, a_private_directory_owned_by_another_user_is_not_used);
  tcase_add_test(tc, a_squatted_directory_on_a_world_writable_hugetlbfs_is_not_used);
  tcase_add_test(tc, a_symlink_planted_at_the_private_directory_is_not_followed);
  tcase_add_test(tc, the_private_directory_goes_with_its_last_workspace);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
