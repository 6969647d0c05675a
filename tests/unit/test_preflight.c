/* Unit tests for app/preflight: each host fact a config can run into, with
   its severity and the position of the value that caused it (or "embedded
   default"), on this real host (its users, interfaces, CPUs, hugepages and
   memory). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "app/preflight.h"
#include "tiles/topo.h"
#include "util/cpuset.h"

static sl_config_t cfg;
static sl_config_src_t src;
static sl_preflight_t pf;
static char line[2048];

/* preflight loads text as "t.toml" and runs the checks. */
static void preflight(const char *text) {
  sl_err_t err;
  ck_assert_msg(sl_config_load_text_src(&cfg, &src, text, "t.toml", &err) == 0, "%s", err.msg);
  sl_preflight(&cfg, &src, &pf);
}

/* finding returns the line of the finding about key, NULL if none. */
static const char *finding(const char *key) {
  for (uint32_t i = 0; i < pf.cnt; i++) {
    if (strcmp(pf.f[i].key, key)) continue;
    sl_preflight_line(&pf, i, &src, line, sizeof line);
    return line;
  }
  return NULL;
}

/* expect_line: some finding about key reads prefix... (line holds it). */
static void expect_line(const char *key, const char *prefix) {
  const char *first = NULL;
  for (uint32_t i = 0; i < pf.cnt; i++) {
    if (strcmp(pf.f[i].key, key)) continue;
    sl_preflight_line(&pf, i, &src, line, sizeof line);
    if (!strncmp(line, prefix, strlen(prefix))) return;
    first = first ? first : pf.f[i].msg;
  }
  ck_abort_msg("no finding about %s reads \"%s\" (%s)", key, prefix, first ? first : "none at all");
}

START_TEST(a_user_that_does_not_exist_is_an_error_at_its_value) {
  preflight("name = \"pf\"\nuser = \"sl-no-such-user\"\n");
  expect_line("user", "t.toml:2:8: error: user: \"sl-no-such-user\" does not exist on this host; create it");
  ck_assert_uint_ge(pf.errors, 1);
}
END_TEST

START_TEST(an_existing_user_passes) {
  preflight("user = \"root\"\n");
  ck_assert_ptr_null(finding("user"));
}
END_TEST

START_TEST(an_interface_that_does_not_exist_is_an_error_for_every_provider) {
  static const char *const providers[] = {"auto", "xdp", "io_uring"};
  for (int i = 0; i < 3; i++) {
    char text[128];
    snprintf(text, sizeof text, "[net]\nprovider = \"%s\"\ninterface = \"nosuchif0\"\n", providers[i]);
    preflight(text);
    expect_line("net.interface", "t.toml:3:13: error: net.interface: \"nosuchif0\" does not exist on this host "
                                 "(interfaces here: lo");
  }
  preflight("[net]\ninterface = \"lo\"\n");
  ck_assert_ptr_null(finding("net.interface"));
}
END_TEST

START_TEST(offline_cpus_in_affinity_are_an_error) {
  preflight("[layout]\naffinity = \"0,1000-1001\"\n");
  expect_line("layout.affinity", "t.toml:2:12: error: layout.affinity: CPUs 1000, 1001 are not online (online CPUs: ");
}
END_TEST

START_TEST(fewer_cpus_than_tiles_is_a_warning_at_affinity) {
  preflight("[layout]\naffinity = \"0\"\nidle = \"spin\"\n");
  expect_line("layout.affinity", "t.toml:2:12: warning: layout.affinity: 3 tiles (1 net, 1 verify, 1 sink) on 1 CPU: "
                                 "tiles will share CPUs while spinning (set layout.idle = \"adaptive\"");
  ck_assert_uint_eq(pf.errors, 0);
}
END_TEST

START_TEST(fewer_cpus_than_tiles_blames_the_tile_count_the_file_set) {
  sl_cpulist_t on;
  ck_assert_int_eq(sl_cpulist_online(&on, NULL), 0);
  if (on.cnt >= 64 + 2) {
    printf("SKIP fewer_cpus_than_tiles: %u CPUs are enough for 66 tiles\n", on.cnt);
    return;
  }
  preflight("[layout]\n\nverify_tile_count = 64\n");
  char want[128];
  snprintf(want, sizeof want, "t.toml:3:21: warning: layout.verify_tile_count: 66 tiles (1 net, 64 verify, 1 sink) on "
           "%u CPU", on.cnt);
  expect_line("layout.verify_tile_count", want);
}
END_TEST

/* /tmp is no hugetlbfs: the workspace cannot have hugepages there. */
START_TEST(no_hugepages_is_a_warning_that_counts_the_pages) {
  preflight("[shmem]\nhugetlbfs_mount = \"/tmp\"\n");
  char want[256];
  snprintf(want, sizeof want,
           "t.toml: warning: shmem.page_size (embedded default): the workspace needs %ld x 2M hugepages", pf.plan.pages);
  expect_line("shmem.page_size", want);
  ck_assert_msg(strstr(line, "/tmp is not a hugetlbfs mount") && strstr(line, "/dev/shm"), "%s", line);
  uint64_t fp = sl_topo_footprint(&cfg);
  ck_assert_int_ge(pf.plan.pages, (long)(fp >> 21));
  ck_assert_int_le(pf.plan.pages, (long)(fp >> 21) + 2);
  ck_assert_uint_eq(pf.errors, 0);
}
END_TEST

START_TEST(no_hugepages_when_required_is_an_error_at_require_hugepages) {
  preflight("[shmem]\nhugetlbfs_mount = \"/tmp\"\nrequire_hugepages = true\n");
  expect_line("shmem.require_hugepages", "t.toml:3:21: error: shmem.require_hugepages: the workspace needs ");
  ck_assert_msg(strstr(line, "sluice run refuses to start"), "%s", line);
}
END_TEST

START_TEST(page_size_1G_on_a_cpu_without_pdpe1gb_says_so) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char l[8192];
  int has = -1;
  while (f && fgets(l, sizeof l, f))
    if (!strncmp(l, "flags", 5)) {
      has = strstr(l, " pdpe1gb") != NULL;
      break;
    }
  if (f) fclose(f);
  if (has != 0) {
    printf("SKIP page_size_1G: this host's CPU flags %s pdpe1gb\n", has ? "have" : "do not list");
    return;
  }
  preflight("[shmem]\npage_size = \"1G\"\n");
  expect_line("shmem.page_size", "t.toml:2:13: warning: shmem.page_size: this CPU has no 1 GiB pages (the kernel's "
                                 "CPU flags lack pdpe1gb)");
}
END_TEST

/* Every size at its maximum: hundreds of GiB, more than any test host. */
START_TEST(a_workspace_larger_than_memory_is_an_error_at_the_key_that_grew_it) {
  preflight("[layout]\nnet_tile_count = 64\n[net]\nframe_size = 4096\n[shmem]\nring_depth = 1048576\n");
  struct sysinfo si;
  ck_assert_int_eq(sysinfo(&si), 0);
  if (pf.plan.bytes <= (uint64_t)si.totalram * si.mem_unit) {
    printf("SKIP larger_than_memory: this host has more memory than the largest workspace\n");
    return;
  }
  /* 64 net tiles back to 1 saves the most: each has a ring and a frame pool. */
  expect_line("layout.net_tile_count", "t.toml:2:18: error: layout.net_tile_count: the workspace needs ");
  ck_assert_msg(strstr(line, "more than this machine's") && strstr(line, "back to its default saves"), "%s", line);
}
END_TEST

START_TEST(a_workspace_larger_than_dev_shm_is_an_error) {
  preflight("[shmem]\nhugetlbfs_mount = \"/tmp\"\nring_depth = 1048576\n[verify]\ndedup_cache_size = 67108864\n");
  struct sysinfo si;
  ck_assert_int_eq(sysinfo(&si), 0);
  if (pf.plan.bytes > (uint64_t)si.totalram * si.mem_unit || pf.plan.bytes <= pf.plan.shm_free) {
    printf("SKIP larger_than_dev_shm: /dev/shm is bigger than the workspace, or memory smaller\n");
    return;
  }
  const char *l = NULL;
  for (uint32_t i = 0; i < pf.cnt && !l; i++)
    if (strstr(pf.f[i].msg, "in /dev/shm (no hugepages")) l = pf.f[i].msg;
  ck_assert_msg(l, "no /dev/shm finding");
}
END_TEST

START_TEST(a_finding_on_a_default_key_says_embedded_default) {
  preflight("name = \"pf\"\n[shmem]\nhugetlbfs_mount = \"/tmp\"\n");
  expect_line("shmem.page_size", "t.toml: warning: shmem.page_size (embedded default): ");
  ck_assert_int_eq(sl_config_load_src(&cfg, &src, NULL, NULL), 0);
  cfg.user[0] = 0;
  snprintf(cfg.user, sizeof cfg.user, "sl-no-such-user");
  sl_preflight(&cfg, &src, &pf);
  expect_line("user", "<default>: error: user (embedded default): ");
}
END_TEST

START_TEST(summary_says_ok_or_that_run_would_refuse) {
  preflight("[net]\ninterface = \"lo\"\n");
  sl_preflight_summary(&pf, &src, line, sizeof line);
  ck_assert_msg(!strncmp(line, "t.toml: ok", 10) && strstr(line, "workspace "), "%s", line);
  preflight("user = \"sl-no-such-user\"\n[net]\ninterface = \"nosuchif0\"\n");
  sl_preflight_summary(&pf, &src, line, sizeof line);
  ck_assert_msg(!strncmp(line, "t.toml: 2 errors", 16) && strstr(line, "sluice run would refuse"), "%s", line);
}
END_TEST

START_TEST(wksp_params_size_the_workspace_from_the_topology) {
  preflight("name = \"pfw\"\n[shmem]\nring_depth = 1024\nrequire_hugepages = true\n");
  sl_wksp_params_t wp;
  sl_preflight_wksp_params(&cfg, "x", &wp);
  ck_assert_str_eq(wp.name, "pfw");
  ck_assert_uint_eq(wp.size, sl_topo_footprint(&cfg));
  ck_assert_uint_eq(wp.page_size, SL_PAGE_2M);
  ck_assert_int_eq(wp.require_hugepages, 1);
  ck_assert_int_eq(wp.numa_node, -1);
  ck_assert_str_eq(wp.config_text, "x");
}
END_TEST

int main(void) {
  Suite *s = suite_create("preflight");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, a_user_that_does_not_exist_is_an_error_at_its_value);
  tcase_add_test(tc, an_existing_user_passes);
  tcase_add_test(tc, an_interface_that_does_not_exist_is_an_error_for_every_provider);
  tcase_add_test(tc, offline_cpus_in_affinity_are_an_error);
  tcase_add_test(tc, fewer_cpus_than_tiles_is_a_warning_at_affinity);
  tcase_add_test(tc, fewer_cpus_than_tiles_blames_the_tile_count_the_file_set);
  tcase_add_test(tc, no_hugepages_is_a_warning_that_counts_the_pages);
  tcase_add_test(tc, no_hugepages_when_required_is_an_error_at_require_hugepages);
  tcase_add_test(tc, page_size_1G_on_a_cpu_without_pdpe1gb_says_so);
  tcase_add_test(tc, a_workspace_larger_than_memory_is_an_error_at_the_key_that_grew_it);
  tcase_add_test(tc, a_workspace_larger_than_dev_shm_is_an_error);
  tcase_add_test(tc, a_finding_on_a_default_key_says_embedded_default);
  tcase_add_test(tc, summary_says_ok_or_that_run_would_refuse);
  tcase_add_test(tc, wksp_params_size_the_workspace_from_the_topology);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
