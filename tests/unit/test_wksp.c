/* Unit tests for shmem/wksp: backing choice (hugetlbfs, /dev/shm fallback,
   required hugepages), one instance per name, stale files, the directory,
   read-only joiners, joining from another process at another address. */
#include <check.h>
#include <fcntl.h>
#include <hugetlbfs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
  char tmp[256];
  snprintf(tmp, sizeof tmp, "/dev/shm/.%s.wksp.%d", p.name, 999999);
  FILE *f = fopen(tmp, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(file_exists(tmp), 0);
  ck_assert_int_eq(sl_wksp_remove(&w), 0);
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
  char path[256];
  ck_assert_int_eq(sl_wksp_path("/dev/shm", iname("foreign"), path, sizeof path), 0);
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
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
