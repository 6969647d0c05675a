/* Unit tests for tiles/sink/pcap_out: the capture never truncates or
   replaces a file, never follows a symlink, rotates by size and on open,
   keeps at most max_files, and writes files libpcap reads back. */
#include <check.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tiles/sink/pcap_out.h"

static char dir[64], path[128];
static sl_pcap_out_t out; /* large: never on the stack */

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/sl-pcap-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/cap.pcap", dir);
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}

/* PATH.n, or PATH for n == 0. */
static const char *name_of(uint64_t n) {
  static char buf[160];
  if (n) snprintf(buf, sizeof buf, "%s.%llu", path, (unsigned long long)n);
  else snprintf(buf, sizeof buf, "%s", path);
  return buf;
}

static void write_file(const char *p, const char *text) {
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static char *read_text(const char *p) {
  static char buf[256];
  FILE *f = fopen(p, "r");
  if (!f) return NULL;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Records libpcap reads from p (-1: not a pcap file); every record's first
   byte and length are checked against what write_records wrote. */
static int pcap_records(const char *p) {
  char e[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(p, e);
  if (!pc) return -1;
  ck_assert_int_eq(pcap_datalink(pc), DLT_EN10MB);
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0, r;
  while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
    ck_assert_uint_eq(h->caplen, h->len);
    ck_assert_uint_ge(h->len, 60);
    ck_assert_int_eq(d[0], (uint8_t)(d[1] + 1));
    n++;
  }
  ck_assert_int_eq(r, PCAP_ERROR_BREAK); /* the end, not a truncated record */
  pcap_close(pc);
  return n;
}

static void write_records(int n, uint32_t sz) {
  static uint8_t frame[2048];
  for (int i = 0; i < n; i++) {
    memset(frame, 0, sz);
    frame[1] = (uint8_t)i;
    frame[0] = (uint8_t)(i + 1);
    ck_assert_int_eq(sl_pcap_out_write(&out, frame, sz, 1700000000ull * 1000000000ull + (uint64_t)i * 1000), 0);
  }
}

static void open_ok(uint64_t max_bytes, uint32_t max_files) {
  sl_err_t err;
  ck_assert_msg(sl_pcap_out_open(&out, path, max_bytes, max_files, (uid_t)-1, (gid_t)-1, &err) == 0,
                "%s", err.msg);
}

static off_t size_of(const char *p) {
  struct stat st;
  return lstat(p, &st) ? -1 : st.st_size;
}

START_TEST(records_go_to_a_file_libpcap_reads) {
  open_ok(0, 0);
  write_records(3, 100);
  ck_assert_int_eq(sl_pcap_out_flush(&out), 0);
  ck_assert_int_eq(pcap_records(path), 3); /* readable while still open */
  write_records(2, 1500);
  sl_pcap_out_close(&out);
  sl_pcap_out_close(&out); /* twice is harmless */
  ck_assert_int_eq(pcap_records(path), 5);
  ck_assert_int_eq(size_of(path), 24 + 3 * (16 + 100) + 2 * (16 + 1500));
  ck_assert_uint_eq(out.errors, 0);
}
END_TEST

START_TEST(an_existing_capture_is_kept_as_path_1_then_path_2) {
  write_file(path, "first run");
  open_ok(0, 0);
  ck_assert_uint_eq(out.rotated_start, 1);
  write_records(4, 100);
  sl_pcap_out_close(&out);
  ck_assert_str_eq(read_text(name_of(1)), "first run");
  ck_assert_int_eq(pcap_records(path), 4);
  open_ok(0, 0); /* a restart: the second run's file moves to PATH.2 */
  ck_assert_uint_eq(out.rotated_start, 2);
  sl_pcap_out_close(&out);
  ck_assert_str_eq(read_text(name_of(1)), "first run");
  ck_assert_int_eq(pcap_records(name_of(2)), 4);
  ck_assert_int_eq(pcap_records(path), 0);
}
END_TEST

START_TEST(a_symlink_at_the_path_is_refused_and_its_target_untouched) {
  char victim[160];
  snprintf(victim, sizeof victim, "%s/victim", dir);
  write_file(victim, "precious");
  ck_assert_int_eq(symlink(victim, path), 0);
  sl_err_t err;
  ck_assert_int_eq(sl_pcap_out_open(&out, path, 0, 0, (uid_t)-1, (gid_t)-1, &err), -1);
  ck_assert_msg(strstr(err.msg, "is a symlink") && strstr(err.msg, "refusing to write through it"), "%s",
                err.msg);
  ck_assert_msg(strstr(err.msg, path), "%s", err.msg);
  ck_assert_str_eq(read_text(victim), "precious");
  struct stat st;
  ck_assert_int_eq(lstat(path, &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
  ck_assert_int_eq(size_of(name_of(1)), -1); /* nothing moved */
  sl_pcap_out_close(&out);
}
END_TEST

/* A name already taken among the rotated ones (a symlink planted there)
   is never replaced nor followed: the capture takes the next one. */
START_TEST(a_symlink_at_a_rotated_name_is_never_replaced) {
  char victim[160];
  snprintf(victim, sizeof victim, "%s/victim", dir);
  write_file(victim, "precious");
  write_file(path, "first run");
  ck_assert_int_eq(symlink(victim, name_of(1)), 0);
  open_ok(0, 0);
  ck_assert_uint_eq(out.rotated_start, 2);
  sl_pcap_out_close(&out);
  ck_assert_str_eq(read_text(name_of(2)), "first run");
  ck_assert_str_eq(read_text(victim), "precious");
  struct stat st;
  ck_assert_int_eq(lstat(name_of(1), &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

START_TEST(a_directory_at_the_path_is_refused) {
  ck_assert_int_eq(mkdir(path, 0700), 0);
  sl_err_t err;
  ck_assert_int_eq(sl_pcap_out_open(&out, path, 0, 0, (uid_t)-1, (gid_t)-1, &err), -1);
  ck_assert_msg(strstr(err.msg, "not a regular file"), "%s", err.msg);
}
END_TEST

START_TEST(rotation_by_size_keeps_every_record_and_every_file_within_the_limit) {
  open_ok(10000, 0);
  write_records(100, 500); /* 51.6 kB: 6 files of at most 10000 bytes */
  sl_pcap_out_close(&out);
  ck_assert_uint_eq(out.rotations, 5);
  int total = 0;
  for (uint64_t n = 0; n <= 5; n++) {
    ck_assert_int_le(size_of(name_of(n)), 10000);
    int r = pcap_records(name_of(n));
    ck_assert_int_gt(r, 0);
    total += r;
  }
  ck_assert_int_eq(size_of(name_of(6)), -1);
  ck_assert_int_eq(total, 100);
  /* Chronological: PATH.1 holds the first records. */
  ck_assert_int_eq(pcap_records(name_of(1)), 19); /* (10000 - 24) / 516 */
  ck_assert_uint_eq(out.errors, 0);
}
END_TEST

START_TEST(a_failed_rotation_keeps_every_record_and_says_why) {
  open_ok(10000, 0);
  for (uint64_t n = 1; n <= 64; n++) write_file(name_of(n), "taken");
  /* The first rotation finds 64 names in a row taken and fails: the file
     grows past the limit; the next one moves on to PATH.65. */
  write_records(100, 500);
  sl_pcap_out_close(&out);
  ck_assert_uint_eq(out.errors, 1);
  ck_assert_msg(strstr(out.why.msg, "64 rotated names in a row are taken"), "%s", out.why.msg);
  int total = pcap_records(path);
  for (uint64_t n = 65; n < 65 + out.rotations; n++) total += pcap_records(name_of(n));
  ck_assert_int_eq(total, 100);
  ck_assert_int_gt(size_of(name_of(65)), 10000);
  for (uint64_t n = 1; n <= 64; n++) ck_assert_str_eq(read_text(name_of(n)), "taken");
}
END_TEST

START_TEST(max_files_keeps_the_newest_files_only) {
  write_file(path, "first run");
  open_ok(10000, 3);
  write_records(100, 500);
  sl_pcap_out_close(&out);
  /* PATH.1 (the first run) to PATH.6 were made; the 3 newest files remain. */
  for (uint64_t n = 1; n <= 4; n++) ck_assert_int_eq(size_of(name_of(n)), -1);
  ck_assert_int_gt(pcap_records(name_of(5)), 0);
  ck_assert_int_gt(pcap_records(name_of(6)), 0);
  ck_assert_int_gt(pcap_records(path), 0);
}
END_TEST

START_TEST(a_missing_directory_fails_naming_it) {
  sl_err_t err;
  char p[160];
  snprintf(p, sizeof p, "%s/nodir/cap.pcap", dir);
  ck_assert_int_eq(sl_pcap_out_open(&out, p, 0, 0, (uid_t)-1, (gid_t)-1, &err), -1);
  ck_assert_msg(strstr(err.msg, "cannot open the directory") && strstr(err.msg, "nodir"), "%s", err.msg);
  ck_assert_int_eq(sl_pcap_out_open(&out, "", 0, 0, (uid_t)-1, (gid_t)-1, &err), -1);
  ck_assert_int_eq(sl_pcap_out_open(&out, "/tmp/", 0, 0, (uid_t)-1, (gid_t)-1, &err), -1);
}
END_TEST

/* As root, files are made with the tile user's rights: owned by it, and
   only where it may write. */
START_TEST(as_root_files_belong_to_the_tile_user) {
  if (geteuid() != 0) return; /* the rights only differ for root */
  const uid_t nobody = 65534;
  const gid_t nogroup = 65534;
  sl_err_t err;
  /* A root-only directory: the user may not write there, even though we could. */
  ck_assert_int_eq(chmod(dir, 0755), 0);
  ck_assert_int_eq(sl_pcap_out_open(&out, path, 0, 0, nobody, nogroup, &err), -1);
  ck_assert_msg(strstr(err.msg, "may not write"), "%s", err.msg);
  ck_assert_int_eq(size_of(path), -1);
  ck_assert_int_eq(chmod(dir, 01777), 0);
  ck_assert_msg(sl_pcap_out_open(&out, path, 10000, 0, nobody, nogroup, &err) == 0, "%s", err.msg);
  write_records(30, 500); /* one rotation, made as the user too */
  sl_pcap_out_close(&out);
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_uint_eq(st.st_uid, nobody);
  ck_assert_int_eq(stat(name_of(1), &st), 0);
  ck_assert_uint_eq(st.st_uid, nobody);
  ck_assert_int_eq(geteuid(), 0); /* and we are still root */
}
END_TEST

int main(void) {
  Suite *s = suite_create("pcap_out");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, records_go_to_a_file_libpcap_reads);
  tcase_add_test(tc, an_existing_capture_is_kept_as_path_1_then_path_2);
  tcase_add_test(tc, a_symlink_at_the_path_is_refused_and_its_target_untouched);
  tcase_add_test(tc, a_symlink_at_a_rotated_name_is_never_replaced);
  tcase_add_test(tc, a_directory_at_the_path_is_refused);
  tcase_add_test(tc, rotation_by_size_keeps_every_record_and_every_file_within_the_limit);
  tcase_add_test(tc, a_failed_rotation_keeps_every_record_and_says_why);
  tcase_add_test(tc, max_files_keeps_the_newest_files_only);
  tcase_add_test(tc, a_missing_directory_fails_naming_it);
  tcase_add_test(tc, as_root_files_belong_to_the_tile_user);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
