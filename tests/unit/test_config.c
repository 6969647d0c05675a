/* Unit tests for config/config: embedded defaults, key-by-key overrides,
   one test per class of error (exact position and message), rendering. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/log.h"

static sl_config_t cfg;
static sl_err_t err;

/* expect_error loads text as "t.toml" and asserts the error is exactly want. */
static void expect_error(const char *text, const char *want) {
  err.msg[0] = 0;
  ck_assert_msg(sl_config_load_text(&cfg, text, "t.toml", &err) == -1, "accepted: %s", text);
  ck_assert_str_eq(err.msg, want);
}

static void expect_ok(const char *text) {
  err.msg[0] = 0;
  ck_assert_msg(sl_config_load_text(&cfg, text, "t.toml", &err) == 0, "refused %s: %s", text, err.msg);
}

START_TEST(defaults_load_without_a_file) {
  memset(&cfg, 0xA5, sizeof cfg);
  ck_assert_int_eq(sl_config_load(&cfg, NULL, &err), 0);
  ck_assert_str_eq(cfg.name, "sluice");
  ck_assert_str_eq(cfg.user, "");
  ck_assert_str_eq(cfg.layout.affinity, "auto");
  ck_assert_uint_eq(cfg.layout.net_tile_count, 1);
  ck_assert_uint_eq(cfg.layout.verify_tile_count, 1);
  ck_assert_int_eq(cfg.layout.idle, SL_IDLE_ADAPTIVE);
  ck_assert_str_eq(cfg.net.interface, "lo");
  ck_assert_int_eq(cfg.net.provider, SL_PROVIDER_AUTO);
  ck_assert_uint_eq(cfg.net.port_cnt, 1);
  ck_assert_uint_eq(cfg.net.ports[0], 9001);
  ck_assert_uint_eq(cfg.net.bind_address, 0);
  ck_assert_str_eq(cfg.net.bind_address_str, "0.0.0.0");
  ck_assert_int_eq(cfg.net.xdp_mode, SL_XDP_MODE_AUTO);
  ck_assert_int_eq(cfg.net.xdp_zero_copy, 0);
  ck_assert_uint_eq(cfg.net.rx_queue_size, 4096);
  ck_assert_uint_eq(cfg.net.frame_size, 2048);
  ck_assert_str_eq(cfg.shmem.hugetlbfs_mount, "auto");
  ck_assert_uint_eq(cfg.shmem.page_size, 2u << 20);
  ck_assert_int_eq(cfg.shmem.require_hugepages, 0);
  ck_assert_uint_eq(cfg.shmem.ring_depth, 16384);
  ck_assert_uint_eq(cfg.verify.dedup_cache_size, 1048576);
  ck_assert_str_eq(cfg.verify.ed25519, "auto");
  ck_assert_str_eq(cfg.sink.pcap, "");
  ck_assert_int_eq(cfg.log.level, SL_LOG_INFO);
  ck_assert_str_eq(cfg.log.file, "");
  ck_assert_str_eq(cfg.monitor.prometheus_listen, "");
}
END_TEST

START_TEST(default_text_is_embedded_with_every_table) {
  const char *tables[] = {"[layout]", "[net]", "[shmem]", "[verify]", "[sink]", "[log]", "[monitor]"};
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
    ck_assert_msg(strstr(sl_default_toml, tables[i]) != NULL, "%s missing", tables[i]);
  ck_assert_ptr_nonnull(strstr(sl_default_toml, "ports = [9001]"));
}
END_TEST

START_TEST(user_file_overrides_key_by_key) {
  expect_ok("name = \"val-1\"\n[net]\nports = [8001, 8002]\nbind_address = \"10.0.0.5\"\n"
            "[shmem]\npage_size = \"1G\"\n[log]\nlevel = \"debug\"\n");
  ck_assert_str_eq(cfg.name, "val-1");
  ck_assert_uint_eq(cfg.net.port_cnt, 2);
  ck_assert_uint_eq(cfg.net.ports[1], 8002);
  ck_assert_uint_eq(cfg.net.bind_address, htonl(0x0A000005));
  ck_assert_uint_eq(cfg.shmem.page_size, 1u << 30);
  ck_assert_int_eq(cfg.log.level, SL_LOG_DEBUG);
  /* untouched keys keep their defaults, also in tables the file names */
  ck_assert_str_eq(cfg.net.interface, "lo");
  ck_assert_uint_eq(cfg.net.rx_queue_size, 4096);
  ck_assert_uint_eq(cfg.shmem.ring_depth, 16384);
  ck_assert_uint_eq(cfg.verify.dedup_cache_size, 1048576);
}
END_TEST

START_TEST(dotted_keys_override_like_tables) {
  expect_ok("net.provider = \"io_uring\"\nlayout = { idle = \"spin\", verify_tile_count = 3 }\n");
  ck_assert_int_eq(cfg.net.provider, SL_PROVIDER_IO_URING);
  ck_assert_int_eq(cfg.layout.idle, SL_IDLE_SPIN);
  ck_assert_uint_eq(cfg.layout.verify_tile_count, 3);
}
END_TEST

START_TEST(load_reads_a_file_and_names_it_in_errors) {
  char path[] = "/tmp/sluice-test-config-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *text = "[verify]\ndedup_cache_size = 2048\n[net]\nxdp_mode = \"turbo\"\n";
  ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
  close(fd);
  ck_assert_int_eq(sl_config_load(&cfg, path, &err), -1);
  char want[256];
  snprintf(want, sizeof want, "%s:4:12: net.xdp_mode: \"turbo\" is not one of \"auto\", \"drv\", \"skb\"", path);
  ck_assert_str_eq(err.msg, want);
  unlink(path);
  ck_assert_int_eq(sl_config_load(&cfg, path, &err), -1);
  ck_assert_msg(strstr(err.msg, path) == err.msg && strstr(err.msg, "cannot open"), "%s", err.msg);
}
END_TEST

START_TEST(a_fifo_is_refused_at_once_not_read) {
  char dir[] = "/tmp/sluice-test-config-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[64];
  snprintf(path, sizeof path, "%s/fifo.toml", dir);
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  /* No writer ever comes: a blocking open would hang here (Check's timeout). */
  ck_assert_int_eq(sl_config_load(&cfg, path, &err), -1);
  ck_assert_msg(strstr(err.msg, path) == err.msg && strstr(err.msg, "not a regular file"), "%s",
                err.msg);
  unlink(path);
  ck_assert_int_eq(sl_config_load(&cfg, dir, &err), -1); /* a directory neither */
  ck_assert_msg(strstr(err.msg, "not a regular file"), "%s", err.msg);
  rmdir(dir);
}
END_TEST

START_TEST(toml_syntax_error_has_path_line_col) {
  expect_error("[net]\nports = [1,\n", "t.toml:2:9: array not closed (add ']')");
}
END_TEST

START_TEST(unknown_key_is_named_with_the_valid_ones) {
  expect_error("[net]\nport = 9001\n",
               "t.toml:2:1: unknown key \"port\" in [net] (valid: interface, provider, ports, bind_address, "
               "xdp_mode, xdp_zero_copy, rx_queue_size, frame_size)");
  expect_error("nmae = \"x\"\n",
               "t.toml:1:1: unknown key \"nmae\" (valid at the top level: name, user, [layout], [net], [shmem], "
               "[verify], [sink], [log], [monitor])");
}
END_TEST

START_TEST(unknown_table_is_named_with_the_valid_ones) {
  expect_error("\n[netw]\n",
               "t.toml:2:2: unknown table [netw] (valid: name, user, [layout], [net], [shmem], [verify], [sink], "
               "[log], [monitor])");
  expect_error("[log.extra]\n", "t.toml:1:6: unknown key \"extra\" in [log] (valid: level, file)");
}
END_TEST

START_TEST(wrong_type_says_what_was_expected) {
  expect_error("name = 5\n", "t.toml:1:8: name: expected a string, got integer");
  expect_error("[net]\nrx_queue_size = \"4096\"\n", "t.toml:2:17: net.rx_queue_size: expected an integer, got string");
  expect_error("[shmem]\nrequire_hugepages = 1\n",
               "t.toml:2:21: shmem.require_hugepages: expected a boolean, got integer");
  expect_error("[net]\nports = 9001\n", "t.toml:2:9: net.ports: expected an array, got integer");
  expect_error("[net]\nports = [9001, \"9002\"]\n", "t.toml:2:16: net.ports[1]: expected an integer, got string");
  expect_error("sink = \"x\"\n", "t.toml:1:8: sink: expected a table, got string");
}
END_TEST

START_TEST(ports_out_of_range_are_refused) {
  expect_error("[net]\nports = [0]\n", "t.toml:2:10: net.ports: port 0 out of range 1..65535");
  expect_error("[net]\nports = [1, 65536]\n", "t.toml:2:13: net.ports: port 65536 out of range 1..65535");
}
END_TEST

START_TEST(port_count_must_be_1_to_16) {
  expect_error("[net]\nports = []\n", "t.toml:2:9: net.ports: at least one port is needed");
  expect_error("[net]\nports = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n",
               "t.toml:2:9: net.ports: at most 16 ports (got 17)");
  expect_ok("[net]\nports = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\n");
  ck_assert_uint_eq(cfg.net.port_cnt, 16);
}
END_TEST

START_TEST(duplicate_ports_are_refused) {
  expect_error("[net]\nports = [9001, 9002,\n  9001]\n", "t.toml:3:3: net.ports: port 9001 listed twice");
}
END_TEST

START_TEST(sizes_must_be_powers_of_two_in_range) {
  expect_error("[shmem]\nring_depth = 1000\n", "t.toml:2:14: shmem.ring_depth: 1000 is not a power of two (64..1048576)");
  expect_error("[shmem]\nring_depth = 32\n", "t.toml:2:14: shmem.ring_depth: 32 out of range 64..1048576");
  expect_error("[net]\nrx_queue_size = 3000\n",
               "t.toml:2:17: net.rx_queue_size: 3000 is not a power of two (64..65536)");
  expect_error("[verify]\ndedup_cache_size = 1000000\n",
               "t.toml:2:20: verify.dedup_cache_size: 1000000 is not a power of two (1024..67108864)");
}
END_TEST

START_TEST(tile_counts_must_be_1_to_64) {
  expect_error("[layout]\nnet_tile_count = 0\n", "t.toml:2:18: layout.net_tile_count: 0 out of range 1..64");
  expect_error("[layout]\nverify_tile_count = 65\n", "t.toml:2:21: layout.verify_tile_count: 65 out of range 1..64");
}
END_TEST

START_TEST(frame_size_must_be_2048_or_4096) {
  expect_error("[net]\nframe_size = 3072\n", "t.toml:2:14: net.frame_size: 3072 is not allowed (2048 or 4096)");
  expect_ok("[net]\nframe_size = 4096\n");
  ck_assert_uint_eq(cfg.net.frame_size, 4096);
}
END_TEST

START_TEST(ed25519_backend_is_one_of_four_names_kept_as_written) {
  expect_ok("[verify]\ned25519 = \"avx2\"\n");
  ck_assert_str_eq(cfg.verify.ed25519, "avx2");
  expect_ok("[verify]\ned25519 = \"libsodium\"\n");
  ck_assert_str_eq(cfg.verify.ed25519, "libsodium");
  expect_error("[verify]\ned25519 = \"ref\"\n",
               "t.toml:2:11: verify.ed25519: \"ref\" is not one of \"auto\", \"libsodium\", \"avx2\", \"avx512\"");
  expect_error("[verify]\ned25519 = 2\n", "t.toml:2:11: verify.ed25519: expected a string, got integer");
}
END_TEST

START_TEST(enum_strings_list_the_allowed_ones) {
  expect_error("[net]\nprovider = \"dpdk\"\n",
               "t.toml:2:12: net.provider: \"dpdk\" is not one of \"auto\", \"xdp\", \"io_uring\"");
  expect_error("[layout]\nidle = \"sleep\"\n", "t.toml:2:8: layout.idle: \"sleep\" is not one of \"adaptive\", \"spin\"");
}
END_TEST

START_TEST(bind_address_must_be_a_dotted_quad) {
  const char *bad[] = {"1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "a.b.c.d", "", " 1.2.3.4", "1..2.3"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[128], want[256];
    snprintf(text, sizeof text, "[net]\nbind_address = \"%s\"\n", bad[i]);
    snprintf(want, sizeof want,
             "t.toml:2:16: net.bind_address: \"%s\" is not a dotted-quad IPv4 address (e.g. \"10.0.0.5\"; "
             "\"0.0.0.0\" = any)",
             bad[i]);
    expect_error(text, want);
  }
}
END_TEST

START_TEST(page_size_must_be_2M_or_1G) {
  expect_error("[shmem]\npage_size = \"4K\"\n", "t.toml:2:13: shmem.page_size: \"4K\" is not one of \"2M\", \"1G\"");
}
END_TEST

START_TEST(name_must_use_safe_characters) {
  expect_error("name = \"my/inst\"\n",
               "t.toml:1:8: name: \"my/inst\" is not a valid name: use 1..63 characters from A-Za-z0-9_-");
  expect_error("name = \"\"\n", "t.toml:1:8: name: \"\" is not a valid name: use 1..63 characters from A-Za-z0-9_-");
}
END_TEST

START_TEST(affinity_must_parse) {
  expect_error("[layout]\naffinity = \"3-1\"\n",
               "t.toml:2:12: layout.affinity: descending CPU range 3-1 (write \"auto\" or a CPU list such as "
               "\"2-5,8\")");
}
END_TEST

/* Whether the CPUs are online is the host's business (app/preflight.c):
   a file written for a bigger machine loads here. */
START_TEST(affinity_is_checked_for_syntax_only) {
  expect_ok("[layout]\naffinity = \"0,1023\"\n");
  ck_assert_str_eq(cfg.layout.affinity, "0,1023");
}
END_TEST

START_TEST(log_level_must_be_known) {
  expect_error("[log]\nlevel = \"verbose\"\n",
               "t.toml:2:9: log.level: \"verbose\" is not one of \"debug\", \"info\", \"warn\", \"error\"");
}
END_TEST

START_TEST(log_level_names_match_util_log) {
  const char *names[] = {"debug", "info", "warn", "error"};
  for (int i = 0; i < 4; i++) {
    char text[64];
    snprintf(text, sizeof text, "[log]\nlevel = \"%s\"\n", names[i]);
    expect_ok(text);
    ck_assert_int_eq(cfg.log.level, sl_log_level_parse(names[i]));
  }
}
END_TEST

START_TEST(prometheus_listen_must_be_ipv4_port) {
  const char *bad[] = {"localhost:7999", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", ":7999"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[128], want[256];
    snprintf(text, sizeof text, "[monitor]\nprometheus_listen = \"%s\"\n", bad[i]);
    snprintf(want, sizeof want,
             "t.toml:2:21: monitor.prometheus_listen: \"%s\" is not \"IPv4:port\" (e.g. \"127.0.0.1:7999\"; \"\" = off)",
             bad[i]);
    expect_error(text, want);
  }
  expect_ok("[monitor]\nprometheus_listen = \"127.0.0.1:7999\"\n");
}
END_TEST

START_TEST(strings_longer_than_their_field_are_refused) {
  char text[512] = "[sink]\npcap = \"";
  size_t n = strlen(text);
  memset(text + n, 'p', 300);
  strcpy(text + n + 300, "\"\n");
  expect_error(text, "t.toml:2:8: sink.pcap: longer than 255 bytes");
  expect_error("[log]\nfile = \"a\\u0000b\"\n", "t.toml:2:8: log.file: contains a NUL character");
}
END_TEST

START_TEST(render_round_trips_to_the_same_config) {
  expect_ok("name = \"rt\"\nuser = \"nobody\"\n[layout]\naffinity = \"0\"\nidle = \"spin\"\n"
            "[net]\ninterface = \"eth0\"\nports = [1, 65535, 9001]\nbind_address = \"192.168.1.2\"\n"
            "xdp_zero_copy = true\nxdp_mode = \"skb\"\n[shmem]\npage_size = \"1G\"\nhugetlbfs_mount = \"/mnt/h\"\n"
            "[sink]\npcap = \"/tmp/a \\\"b\\\"\\tc.pcap\"\n[log]\nlevel = \"warn\"\n"
            "[monitor]\nprometheus_listen = \"127.0.0.1:7999\"\n");
  sl_config_t a = cfg;
  uint64_t need = sl_config_render(&a, NULL, 0);
  char *buf = malloc(need + 1);
  ck_assert_uint_eq(sl_config_render(&a, buf, need + 1), need);
  ck_assert_uint_eq(strlen(buf), need);
  ck_assert_int_eq(sl_config_load_text(&cfg, buf, "rendered", &err), 0);
  ck_assert_msg(!memcmp(&a, &cfg, sizeof a), "render did not round-trip:\n%s", buf);
  free(buf);
}
END_TEST

START_TEST(render_of_defaults_lists_every_key_in_order) {
  ck_assert_int_eq(sl_config_load(&cfg, NULL, &err), 0);
  char buf[4096];
  uint64_t n = sl_config_render(&cfg, buf, sizeof buf);
  ck_assert_uint_lt(n, sizeof buf);
  const char *order[] = {"name = \"sluice\"", "user = \"\"", "[layout]", "affinity = \"auto\"", "idle = \"adaptive\"",
                         "[net]", "ports = [9001]", "frame_size = 2048", "[shmem]", "page_size = \"2M\"",
                         "[verify]", "[sink]", "[log]", "level = \"info\"", "file = \"\"", "[monitor]",
                         "prometheus_listen = \"\""};
  const char *p = buf;
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    const char *q = strstr(p, order[i]);
    ck_assert_msg(q != NULL, "\"%s\" missing or out of order in:\n%s", order[i], buf);
    p = q;
  }
}
END_TEST

START_TEST(render_truncates_like_snprintf) {
  ck_assert_int_eq(sl_config_load(&cfg, NULL, &err), 0);
  char small[16];
  uint64_t need = sl_config_render(&cfg, small, sizeof small);
  ck_assert_uint_gt(need, sizeof small);
  ck_assert_uint_eq(strlen(small), sizeof small - 1);
  ck_assert(!strncmp(small, "name = \"sluice\"", 15));
}
END_TEST

static sl_config_src_t src;

START_TEST(where_gives_the_value_position_of_keys_set_in_the_file) {
  ck_assert_int_eq(sl_config_load_text_src(&cfg, &src, "user = \"bob\"\n[net]\n  interface = \"eth9\"\n",
                                           "t.toml", &err),
                   0);
  char at[1100];
  ck_assert_int_eq(sl_config_where(&src, "user", at, sizeof at), 1);
  ck_assert_str_eq(at, "t.toml:1:8");
  ck_assert_int_eq(sl_config_where(&src, "net.interface", at, sizeof at), 1);
  ck_assert_str_eq(at, "t.toml:3:15");
}
END_TEST

START_TEST(where_says_which_keys_are_the_embedded_default) {
  ck_assert_int_eq(sl_config_load_text_src(&cfg, &src, "user = \"bob\"\n", "t.toml", &err), 0);
  char at[1100];
  ck_assert_int_eq(sl_config_where(&src, "net.interface", at, sizeof at), 0);
  ck_assert_str_eq(at, "t.toml");
  ck_assert_int_eq(sl_config_where(&src, "net.no_such_key", at, sizeof at), -1);
  ck_assert_int_eq(sl_config_load_src(&cfg, &src, NULL, &err), 0);
  ck_assert_int_eq(sl_config_where(&src, "user", at, sizeof at), 0);
  ck_assert_str_eq(at, "<default>");
}
END_TEST

START_TEST(where_covers_dotted_keys_and_a_file_on_disk) {
  char path[] = "/tmp/sluice-test-config-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *text = "# c\nshmem.ring_depth = 1024\n";
  ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
  close(fd);
  int rc = sl_config_load_src(&cfg, &src, path, &err);
  unlink(path);
  ck_assert_int_eq(rc, 0);
  char at[1100], want[1100];
  snprintf(want, sizeof want, "%s:2:20", path);
  ck_assert_int_eq(sl_config_where(&src, "shmem.ring_depth", at, sizeof at), 1);
  ck_assert_str_eq(at, want);
}
END_TEST

START_TEST(key_copy_sets_one_key_from_another_config) {
  sl_config_t def;
  ck_assert_int_eq(sl_config_load(&def, NULL, &err), 0);
  expect_ok("[shmem]\nring_depth = 1024\n[verify]\ndedup_cache_size = 2048\n");
  ck_assert_int_eq(sl_config_key_copy(&cfg, &def, "shmem.ring_depth"), 0);
  ck_assert_uint_eq(cfg.shmem.ring_depth, def.shmem.ring_depth);
  ck_assert_uint_eq(cfg.verify.dedup_cache_size, 2048);
  ck_assert_int_eq(sl_config_key_copy(&cfg, &def, "net.ports"), -1);
  ck_assert_int_eq(sl_config_key_copy(&cfg, &def, "nope"), -1);
}
END_TEST

START_TEST(key_name_visits_every_key_in_order) {
  char name[64];
  ck_assert_int_eq(sl_config_key_name(0, name, sizeof name), 0);
  ck_assert_str_eq(name, "name");
  uint32_t i = 0;
  int saw_interface = 0;
  for (; !sl_config_key_name(i, name, sizeof name); i++) saw_interface |= !strcmp(name, "net.interface");
  ck_assert(saw_interface);
  ck_assert_uint_le(i, SL_CFG_KEY_MAX);
  ck_assert_int_eq(sl_config_key_name(i, name, sizeof name), -1);
}
END_TEST

START_TEST(a_failed_load_leaves_cfg_untouched) {
  expect_ok("name = \"keep\"\n");
  expect_error("name = \"other\"\n[net]\nports = [0]\n", "t.toml:3:10: net.ports: port 0 out of range 1..65535");
  ck_assert_str_eq(cfg.name, "keep");
}
END_TEST

int main(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, defaults_load_without_a_file);
  tcase_add_test(tc, default_text_is_embedded_with_every_table);
  tcase_add_test(tc, user_file_overrides_key_by_key);
  tcase_add_test(tc, dotted_keys_override_like_tables);
  tcase_add_test(tc, load_reads_a_file_and_names_it_in_errors);
  tcase_add_test(tc, a_fifo_is_refused_at_once_not_read);
  tcase_add_test(tc, toml_syntax_error_has_path_line_col);
  tcase_add_test(tc, unknown_key_is_named_with_the_valid_ones);
  tcase_add_test(tc, unknown_table_is_named_with_the_valid_ones);
  tcase_add_test(tc, wrong_type_says_what_was_expected);
  tcase_add_test(tc, ports_out_of_range_are_refused);
  tcase_add_test(tc, port_count_must_be_1_to_16);
  tcase_add_test(tc, duplicate_ports_are_refused);
  tcase_add_test(tc, sizes_must_be_powers_of_two_in_range);
  tcase_add_test(tc, tile_counts_must_be_1_to_64);
  tcase_add_test(tc, frame_size_must_be_2048_or_4096);
  tcase_add_test(tc, enum_strings_list_the_allowed_ones);
  tcase_add_test(tc, ed25519_backend_is_one_of_four_names_kept_as_written);
  tcase_add_test(tc, bind_address_must_be_a_dotted_quad);
  tcase_add_test(tc, page_size_must_be_2M_or_1G);
  tcase_add_test(tc, name_must_use_safe_characters);
  tcase_add_test(tc, affinity_must_parse);
  tcase_add_test(tc, affinity_is_checked_for_syntax_only);
  tcase_add_test(tc, log_level_must_be_known);
  tcase_add_test(tc, log_level_names_match_util_log);
  tcase_add_test(tc, prometheus_listen_must_be_ipv4_port);
  tcase_add_test(tc, strings_longer_than_their_field_are_refused);
  tcase_add_test(tc, render_round_trips_to_the_same_config);
  tcase_add_test(tc, render_of_defaults_lists_every_key_in_order);
  tcase_add_test(tc, render_truncates_like_snprintf);
  tcase_add_test(tc, a_failed_load_leaves_cfg_untouched);
  tcase_add_test(tc, where_gives_the_value_position_of_keys_set_in_the_file);
  tcase_add_test(tc, where_says_which_keys_are_the_embedded_default);
  tcase_add_test(tc, where_covers_dotted_keys_and_a_file_on_disk);
  tcase_add_test(tc, key_copy_sets_one_key_from_another_config);
  tcase_add_test(tc, key_name_visits_every_key_in_order);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
