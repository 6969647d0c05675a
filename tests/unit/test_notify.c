/* Unit tests for util/notify: the service manager's notify protocol, against
   real AF_UNIX datagram sockets (a path and an abstract name). */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/notify.h"

/* A receiving socket standing in for the service manager. name: a path, or
   "@name" for an abstract socket. */
static int listener(const char *name) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  size_t len = strlen(name);
  memcpy(a.sun_path, name, len);
  if (name[0] == '@') a.sun_path[0] = '\0';
  else unlink(name);
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '/'));
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, alen), 0);
  return fd;
}

/* The next datagram, or "" if none is queued. */
static const char *recv_msg(int fd) {
  static char buf[256];
  ssize_t r = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
  buf[r > 0 ? r : 0] = '\0';
  return buf;
}

static int open_fd_cnt(void) {
  DIR *d = opendir("/proc/self/fd");
  ck_assert_ptr_nonnull(d);
  int n = 0;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static char path[108];

static void setup(void) {
  snprintf(path, sizeof path, "/tmp/sluice-notify-test.%d", (int)getpid());
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}

static void teardown(void) { unlink(path); }

START_TEST(without_notify_socket_every_call_is_a_noop) {
  sl_notify_t n;
  sl_err_t err = {{0}};
  ck_assert_int_eq(sl_notify_init(&n, &err), 0);
  ck_assert_int_eq(sl_notify_send(&n, "READY=1", &err), 0);
  ck_assert_int_eq(sl_notify_watchdog(&n, 0, &err), 0);
  ck_assert_str_eq(err.msg, "");
}
END_TEST

START_TEST(message_arrives_on_a_path_socket) {
  int l = listener(path);
  setenv("NOTIFY_SOCKET", path, 1);
  sl_notify_t n;
  sl_err_t err;
  ck_assert_int_eq(sl_notify_init(&n, &err), 0);
  ck_assert_int_eq(sl_notify_send(&n, "READY=1\nSTATUS=running", &err), 0);
  ck_assert_str_eq(recv_msg(l), "READY=1\nSTATUS=running");
  close(l);
}
END_TEST

START_TEST(message_arrives_on_an_abstract_socket) {
  char name[64];
  snprintf(name, sizeof name, "@sluice-notify-test.%d", (int)getpid());
  int l = listener(name);
  setenv("NOTIFY_SOCKET", name, 1);
  sl_notify_t n;
  sl_err_t err;
  ck_assert_int_eq(sl_notify_init(&n, &err), 0);
  ck_assert_int_eq(sl_notify_send(&n, "STOPPING=1", &err), 0);
  ck_assert_str_eq(recv_msg(l), "STOPPING=1");
  close(l);
}
END_TEST

START_TEST(send_leaves_no_descriptor_open) {
  int l = listener(path);
  setenv("NOTIFY_SOCKET", path, 1);
  sl_notify_t n;
  sl_err_t err;
  ck_assert_int_eq(sl_notify_init(&n, &err), 0);
  int before = open_fd_cnt();
  for (int i = 0; i < 4; i++) ck_assert_int_eq(sl_notify_send(&n, "STATUS=x", &err), 0);
  ck_assert_int_eq(open_fd_cnt(), before);
  close(l);
}
END_TEST

START_TEST(relative_or_overlong_socket_names_are_refused) {
  const char *bad[] = {"run/notify", "vsock:2:1234"};
  char longname[200];
  memset(longname, 'a', sizeof longname - 1);
  longname[0] = '/';
  longname[sizeof longname - 1] = '\0';
  sl_notify_t n;
  sl_err_t err;
  for (size_t i = 0; i < 3; i++) {
    const char *v = i < 2 ? bad[i] : longname;
    setenv("NOTIFY_SOCKET", v, 1);
    err.msg[0] = '\0';
    ck_assert_int_eq(sl_notify_init(&n, &err), -1);
    ck_assert_msg(strstr(err.msg, "NOTIFY_SOCKET=") != NULL, "message: %s", err.msg);
    ck_assert_int_eq(sl_notify_send(&n, "READY=1", &err), 0); /* refused: sends nothing */
  }
}
END_TEST

START_TEST(unreachable_manager_fails_naming_the_socket) {
  setenv("NOTIFY_SOCKET", path, 1); /* nothing bound there */
  sl_notify_t n;
  sl_err_t err;
  ck_assert_int_eq(sl_notify_init(&n, &err), 0);
  ck_assert_int_eq(sl_notify_send(&n, "READY=1", &err), -1);
  ck_assert_msg(strstr(err.msg, path) != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(watchdog_pings_at_half_the_interval) {
  int l = listener(path);
  setenv("NOTIFY_SOCKET", path, 1);
  setenv("WATCHDOG_USEC", "200000", 1);
  sl_notify_t n;
  sl_err_t err;
  ck_assert_int_eq(sl_notify_init(&n, &err), 0);
  uint64_t t0 = 1000000000ull, ms = 1000000ull;
  ck_assert_int_eq(sl_notify_watchdog(&n, t0, &err), 0);
  ck_assert_str_eq(recv_msg(l), "WATCHDOG=1");
  ck_assert_int_eq(sl_notify_watchdog(&n, t0 + 99 * ms, &err), 0);
  ck_assert_str_eq(recv_msg(l), "");
  ck_assert_int_eq(sl_notify_watchdog(&n, t0 + 100 * ms, &err), 0);
  ck_assert_str_eq(recv_msg(l), "WATCHDOG=1");
  ck_assert_int_eq(sl_notify_watchdog(&n, t0 + 150 * ms, &err), 0);
  ck_assert_str_eq(recv_msg(l), "");
  close(l);
}
END_TEST

START_TEST(watchdog_for_another_pid_is_not_ours) {
  int l = listener(path);
  setenv("NOTIFY_SOCKET", path, 1);
  setenv("WATCHDOG_USEC", "200000", 1);
  char pid[24];
  snprintf(pid, sizeof pid, "%d", (int)getpid() + 1);
  setenv("WATCHDOG_PID", pid, 1);
  sl_notify_t n;
  sl_err_t err;
  ck_assert_int_eq(sl_notify_init(&n, &err), 0);
  ck_assert_int_eq(sl_notify_watchdog(&n, 1000000000ull, &err), 0);
  ck_assert_str_eq(recv_msg(l), "");
  close(l);
}
END_TEST

START_TEST(bad_watchdog_usec_is_refused) {
  setenv("NOTIFY_SOCKET", path, 1);
  const char *bad[] = {"", "0", "-5", "10s", "99999999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    setenv("WATCHDOG_USEC", bad[i], 1);
    sl_notify_t n;
    sl_err_t err = {{0}};
    ck_assert_msg(sl_notify_init(&n, &err) == -1, "accepted WATCHDOG_USEC=\"%s\"", bad[i]);
    ck_assert_msg(strstr(err.msg, "WATCHDOG_USEC=") != NULL, "message: %s", err.msg);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("notify");
  TCase *tc = tcase_create("notify");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, without_notify_socket_every_call_is_a_noop);
  tcase_add_test(tc, message_arrives_on_a_path_socket);
  tcase_add_test(tc, message_arrives_on_an_abstract_socket);
  tcase_add_test(tc, send_leaves_no_descriptor_open);
  tcase_add_test(tc, relative_or_overlong_socket_names_are_refused);
  tcase_add_test(tc, unreachable_manager_fails_naming_the_socket);
  tcase_add_test(tc, watchdog_pings_at_half_the_interval);
  tcase_add_test(tc, watchdog_for_another_pid_is_not_ours);
  tcase_add_test(tc, bad_watchdog_usec_is_refused);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
