/* Unit tests for util/: CPU lists, error buffers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/cpuset.h"
#include "util/err.h"
#include "util/log.h"

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

int main(void) {
  Suite *s = suite_create("util");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, cpulist_parses_ranges_in_written_order);
  tcase_add_test(tc, cpulist_rejects_bad_lists);
  tcase_add_test(tc, cpulist_online_includes_cpu0);
  tcase_add_test(tc, err_prefix_keeps_inner_message);
  tcase_add_test(tc, log_levels_parse);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
