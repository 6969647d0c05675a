/* Unit tests for util/: CPU lists, error buffers. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cpuset.h"
#include "util/err.h"
#include "util/log.h"
#include "util/proc.h"

START_TEST(cpulist_parses_ranges_in_written_order) {
  sl_cpulist_t l;
  sl_err_t err;
  ck_assert_int_eq(sl_cpulist_parse("8, 2-4 ,0", &l, &err), 0);
  ck_assert_uint_eq(l.cnt, 5);
  uint16_t want[] = {8, 2, 3, 4, 0};
  for (int i = 0; i < 5; i++) ck_assert_uint_eq(l.cpu[i], want[i]);
  char buf[64];
  sl_cpulist_format(&l, buf, sizeof buf);
  ck_assert_str_eq(buf, "8,2-4,0");
}
END_TEST

START_TEST(cpulist_rejects_bad_lists) {
  sl_cpulist_t l;
  sl_err_t err;
  const char *bad[] = {"", "5-2", "1,1", "1-3,2", "a", "1,", "-1", "2048", "1;2", "3-"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err.msg[0] = 0;
    ck_assert_msg(sl_cpulist_parse(bad[i], &l, &err) == -1, "accepted \"%s\"", bad[i]);
    ck_assert_msg(err.msg[0] != 0, "no message for \"%s\"", bad[i]);
  }
}
END_TEST

START_TEST(cpulist_online_includes_cpu0) {
  sl_cpulist_t l;
  ck_assert_int_eq(sl_cpulist_online(&l, NULL), 0);
  ck_assert_uint_ge(l.cnt, 1);
  ck_assert_int_eq(sl_cpu_online(0), 1);
  ck_assert_int_eq(sl_cpu_online(SL_CPU_MAX - 1), 0);
}
END_TEST

START_TEST(err_prefix_keeps_inner_message) {
  sl_err_t err;
  ck_assert_int_eq(sl_err_set(&err, "port %d out of range", 70000), -1);
  ck_assert_int_eq(sl_err_prefix(&err, "%s:%d:%d", "a.toml", 3, 9), -1);
  ck_assert_str_eq(err.msg, "a.toml:3:9: port 70000 out of range");
}
END_TEST

START_TEST(log_levels_parse) {
  ck_assert_int_eq(sl_log_level_parse("debug"), SL_LOG_DEBUG);
  ck_assert_int_eq(sl_log_level_parse("error"), SL_LOG_ERR);
  ck_assert_int_eq(sl_log_level_parse("loud"), -1);
}
END_TEST

/* A scratch directory with a root-owned "victim" file holding "keep\n". */
static char scratch[64];
static void make_scratch(char *victim, size_t sz) {
  snprintf(scratch, sizeof scratch, "/tmp/sl-util-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(scratch));
  snprintf(victim, sz, "%s/victim", scratch);
  FILE *f = fopen(victim, "w");
  ck_assert_ptr_nonnull(f);
  fputs("keep\n", f);
  fclose(f);
}

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) ? -1 : (long)st.st_size;
}

START_TEST(log_file_appends_to_a_regular_file) {
  char victim[96];
  make_scratch(victim, sizeof victim);
  ck_assert_int_eq(sl_log_set_file(victim), 0);
  ck_assert_int_ne(sl_log_fd(), STDERR_FILENO);
  SL_ERR("a line for the file");
  ck_assert_int_eq(sl_log_set_file(NULL), 0);
  ck_assert_int_eq(sl_log_fd(), STDERR_FILENO);
  char buf[256] = {0};
  FILE *f = fopen(victim, "r");
  ck_assert_uint_gt(fread(buf, 1, sizeof buf - 1, f), 5);
  fclose(f);
  ck_assert_msg(!strncmp(buf, "keep\n", 5) && strstr(buf, "a line for the file\n"), "%s", buf);
  unlink(victim);
  rmdir(scratch);
}
END_TEST

START_TEST(log_file_never_follows_a_symlink) {
  char victim[96], link[96];
  make_scratch(victim, sizeof victim);
  snprintf(link, sizeof link, "%s/sluice.log", scratch);
  ck_assert_int_eq(symlink(victim, link), 0);
  errno = 0;
  ck_assert_int_eq(sl_log_set_file(link), -1);
  ck_assert_int_eq(errno, ELOOP);
  ck_assert_int_eq(sl_log_fd(), STDERR_FILENO);
  ck_assert_int_eq(file_size(victim), 5);
  unlink(link);
  unlink(victim);
  rmdir(scratch);
}
END_TEST

START_TEST(log_file_refuses_a_hard_link_and_a_fifo) {
  char victim[96], path[96];
  make_scratch(victim, sizeof victim);
  snprintf(path, sizeof path, "%s/sluice.log", scratch);
  ck_assert_int_eq(link(victim, path), 0);
  errno = 0;
  ck_assert_int_eq(sl_log_set_file(path), -1);
  ck_assert_int_eq(errno, EINVAL);
  ck_assert_int_eq(file_size(victim), 5);
  unlink(path);
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  /* No reader: the open must fail at once rather than wait for one. */
  ck_assert_int_eq(sl_log_set_file(path), -1);
  ck_assert_int_eq(sl_log_fd(), STDERR_FILENO);
  unlink(path);
  unlink(victim);
  rmdir(scratch);
}
END_TEST

START_TEST(proc_stat_field_reads_this_process) {
  uint64_t v = 0;
  ck_assert_int_eq(sl_proc_stat_field(0, 4, &v), 0); /* ppid */
  ck_assert_uint_eq(v, (uint64_t)getppid());
  ck_assert_int_eq(sl_proc_stat_field(getpid(), SL_PROC_STAT_STARTTIME, &v), 0);
  ck_assert_uint_gt(v, 0);
  ck_assert_int_eq(sl_proc_stat_field(0, 500, &v), -1);
  ck_assert_int_eq(sl_proc_stat_field(0, 3, &v), -1); /* the state letter is not a number */
}
END_TEST

int main(void) {
  Suite *s = suite_create("util");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, cpulist_parses_ranges_in_written_order);
  tcase_add_test(tc, cpulist_rejects_bad_lists);
  tcase_add_test(tc, cpulist_online_includes_cpu0);
  tcase_add_test(tc, err_prefix_keeps_inner_message);
  tcase_add_test(tc, log_levels_parse);
  tcase_add_test(tc, log_file_appends_to_a_regular_file);
  tcase_add_test(tc, log_file_never_follows_a_symlink);
  tcase_add_test(tc, log_file_refuses_a_hard_link_and_a_fifo);
  tcase_add_test(tc, proc_stat_field_reads_this_process);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
