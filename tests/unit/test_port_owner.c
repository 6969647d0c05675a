/* Unit tests for tiles/net/port_owner: real sockets held by a real python3
   process (SO_REUSEPORT, as the program that silently took the traffic
   did), found by port and address, named by pid and comm. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tiles/net/port_owner.h"

/* The holder binds a UDP socket with SO_REUSEPORT to (argv[1], argv[2]),
   prints its port and holds it until its stdin closes. */
static const char HOLDER[] = "import socket, sys\n"
                             "fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n"
                             "s = socket.socket(fam, socket.SOCK_DGRAM)\n"
                             "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
                             "s.bind((sys.argv[1], int(sys.argv[2])))\n"
                             "print(s.getsockname()[1], flush=True)\n"
                             "sys.stdin.read()\n";

typedef struct {
  pid_t pid;
  int in;  /* its stdin: closing it ends the holder */
  uint16_t port;
} holder_t;

/* start_holder runs the holder on addr:port (0: any free port); the port it
   got is in h->port. */
static void start_holder(holder_t *h, const char *addr, uint16_t port) {
  int in[2], out[2];
  ck_assert_int_eq(pipe(in), 0);
  ck_assert_int_eq(pipe(out), 0);
  char ports[8];
  snprintf(ports, sizeof ports, "%u", port);
  h->pid = fork();
  ck_assert_int_ge(h->pid, 0);
  if (h->pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    /* Debian's python3 itself (make deps), not a shim on PATH that forks it. */
    execl("/usr/bin/python3", "python3", "-c", HOLDER, addr, ports, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  h->in = in[1];
  /* The whole line: python may write the number and its newline apart, and
     closing the pipe between the two would kill it with EPIPE. */
  char buf[16] = {0};
  size_t n = 0;
  while (n < sizeof buf - 1 && !strchr(buf, '\n')) {
    ssize_t k = read(out[0], buf + n, sizeof buf - 1 - n);
    if (k <= 0) break;
    n += (size_t)k;
  }
  close(out[0]);
  ck_assert_msg(strchr(buf, '\n'), "python3 holder did not start on %s:%u", addr, port);
  h->port = (uint16_t)atoi(buf);
}

static void stop_holder(holder_t *h) {
  close(h->in);
  int st;
  waitpid(h->pid, &st, 0);
}

static uint32_t ip(const char *s) {
  struct in_addr a;
  ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
  return a.s_addr;
}

/* free_port: a UDP port nobody held a moment ago. */
static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t l = sizeof a;
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
  close(fd);
  return ntohs(a.sin_port);
}

static sl_port_owner_t own[SL_PORT_OWNER_MAX];
static uint32_t cnt;
static sl_err_t err;

static void find(uint16_t port, const char *bind) {
  ck_assert_msg(sl_port_owners(&port, 1, ip(bind), own, SL_PORT_OWNER_MAX, &cnt, &err) == 0, "%s", err.msg);
}

START_TEST(a_reuseport_socket_of_another_program_is_found_with_its_pid_and_name) {
  holder_t h;
  start_holder(&h, "127.0.0.1", 0);
  find(h.port, "127.0.0.1");
  stop_holder(&h);
  ck_assert_uint_eq(cnt, 1);
  ck_assert_int_eq(own[0].pid, h.pid);
  ck_assert_str_eq(own[0].comm, "python3");
  ck_assert_str_eq(own[0].addr, "127.0.0.1");
  ck_assert_uint_eq(own[0].port, h.port);
  ck_assert_uint_eq(own[0].uid, getuid());
}
END_TEST

START_TEST(a_socket_on_another_port_is_not_found) {
  holder_t h;
  start_holder(&h, "127.0.0.1", 0);
  uint16_t other = free_port();
  if (other == h.port) other = free_port();
  uint16_t ports[2] = {other, (uint16_t)(other == 65535 ? 1 : other + 1)};
  if (ports[1] == h.port) ports[1] = free_port();
  int rc = sl_port_owners(ports, 2, 0, own, SL_PORT_OWNER_MAX, &cnt, &err);
  stop_holder(&h);
  ck_assert_int_eq(rc, 0);
  for (uint32_t i = 0; i < cnt && i < SL_PORT_OWNER_MAX; i++)
    ck_assert_msg(own[i].pid != h.pid, "found the holder of port %u on port %u", h.port, own[i].port);
}
END_TEST

START_TEST(a_socket_on_another_specific_address_does_not_overlap) {
  holder_t h;
  start_holder(&h, "127.0.0.2", 0);
  find(h.port, "127.0.0.1");
  uint32_t other_addr = cnt;
  find(h.port, "127.0.0.2");
  uint32_t same_addr = cnt;
  find(h.port, "0.0.0.0");
  uint32_t any = cnt;
  stop_holder(&h);
  ck_assert_uint_eq(other_addr, 0);
  ck_assert_uint_eq(same_addr, 1);
  ck_assert_uint_eq(any, 1);
}
END_TEST

START_TEST(a_wildcard_socket_overlaps_every_bind_address) {
  holder_t h;
  start_holder(&h, "0.0.0.0", 0);
  find(h.port, "10.1.2.3");
  stop_holder(&h);
  ck_assert_uint_eq(cnt, 1);
  ck_assert_str_eq(own[0].addr, "0.0.0.0");
  ck_assert_int_eq(own[0].pid, h.pid);
}
END_TEST

START_TEST(an_ipv6_wildcard_overlaps_and_an_ipv6_address_does_not) {
  if (access("/proc/net/udp6", R_OK)) {
    printf("SKIP ipv6: no /proc/net/udp6 (IPv6 disabled)\n");
    return;
  }
  holder_t any6, lo6;
  start_holder(&any6, "::", 0);
  find(any6.port, "127.0.0.1");
  uint32_t wild = cnt;
  int32_t wild_pid = cnt ? own[0].pid : 0;
  stop_holder(&any6);
  start_holder(&lo6, "::1", 0);
  find(lo6.port, "0.0.0.0");
  uint32_t loopback6 = cnt;
  stop_holder(&lo6);
  ck_assert_uint_eq(wild, 1);
  ck_assert_int_eq(wild_pid, any6.pid);
  ck_assert_uint_eq(loopback6, 0);
}
END_TEST

START_TEST(sockets_of_the_calling_process_are_not_reported) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof a;
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
  find(ntohs(a.sin_port), "127.0.0.1");
  close(fd);
  ck_assert_uint_eq(cnt, 0);
}
END_TEST

START_TEST(check_shared_refuses_naming_the_program_and_its_pid) {
  holder_t h;
  start_holder(&h, "127.0.0.1", 0);
  int rc = sl_port_owner_check_shared(&h.port, 1, ip("127.0.0.1"), &err);
  stop_holder(&h);
  ck_assert_int_eq(rc, -1);
  char want[256];
  snprintf(want, sizeof want, "[net] ports: UDP port %u is already bound by python3 (pid %d, user ", h.port,
           (int)h.pid);
  ck_assert_msg(!strncmp(err.msg, want, strlen(want)), "got: %s", err.msg);
  ck_assert_msg(strstr(err.msg, "SO_REUSEPORT") && strstr(err.msg, "stop that program"), "got: %s", err.msg);
  ck_assert_int_eq(sl_port_owner_check_shared(&h.port, 1, ip("127.0.0.1"), &err), 0); /* it is gone */
}
END_TEST

START_TEST(diverted_warns_that_the_socket_will_receive_nothing) {
  holder_t h1, h2;
  start_holder(&h1, "0.0.0.0", 0);
  start_holder(&h2, "0.0.0.0", h1.port); /* the same reuseport group */
  char msg[1024];
  uint32_t n = sl_port_owner_diverted(&h1.port, 1, 0, "lo", msg, sizeof msg);
  stop_holder(&h2);
  stop_holder(&h1);
  ck_assert_uint_eq(n, 2);
  char want[128];
  snprintf(want, sizeof want, "[net] ports: UDP port %u has a local socket, python3 (pid ", h1.port);
  ck_assert_msg(!strncmp(msg, want, strlen(want)), "got: %s", msg);
  ck_assert_msg(strstr(msg, "(and 1 more socket): XDP on lo diverts") && strstr(msg, "receive nothing from lo"),
                "got: %s", msg);
  ck_assert_uint_eq(sl_port_owner_diverted(&h1.port, 1, 0, "lo", msg, sizeof msg), 0);
  ck_assert_str_eq(msg, "");
}
END_TEST

/* A process that may not look into root's /proc/PID/fd still sees the
   socket (and its owner) in /proc/net/udp: reported, without a pid. */
START_TEST(a_holder_we_may_not_look_at_is_reported_without_a_pid) {
  struct passwd *pw = getpwnam("nobody");
  if (getuid() != 0 || !pw) {
    printf("SKIP not root or no user nobody\n");
    return;
  }
  holder_t h;
  start_holder(&h, "127.0.0.1", 0);
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    if (setgid(pw->pw_gid) || setuid(pw->pw_uid)) _exit(2);
    sl_port_owner_t o;
    uint32_t n = 0;
    char line[512] = "";
    if (!sl_port_owners(&h.port, 1, 0, &o, 1, &n, NULL) && n == 1) sl_port_owner_describe(&o, n, line, sizeof line);
    ssize_t w = write(p[1], line, strlen(line));
    _exit(w < 0);
  }
  close(p[1]);
  char got[512] = {0};
  ssize_t k = read(p[0], got, sizeof got - 1);
  close(p[0]);
  waitpid(c, NULL, 0);
  stop_holder(&h);
  ck_assert_int_gt(k, 0);
  char want[256];
  snprintf(want, sizeof want, "a socket of user root on 127.0.0.1:%u (its process is not visible: run as root to "
           "name it)", h.port);
  ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(describe_brackets_ipv6_addresses_and_counts_the_others) {
  sl_port_owner_t o = {.port = 9001, .addr = "::", .uid = 0, .pid = 7, .comm = "agave"};
  char buf[256];
  sl_port_owner_describe(&o, 1, buf, sizeof buf);
  ck_assert_str_eq(buf, "agave (pid 7, user root) on [::]:9001");
  sl_port_owner_describe(&o, 3, buf, sizeof buf);
  ck_assert_str_eq(buf, "agave (pid 7, user root) on [::]:9001 (and 2 more sockets)");
}
END_TEST

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  Suite *s = suite_create("port_owner");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60); /* python3 starts slowly on a loaded machine */
  tcase_add_test(tc, a_reuseport_socket_of_another_program_is_found_with_its_pid_and_name);
  tcase_add_test(tc, a_socket_on_another_port_is_not_found);
  tcase_add_test(tc, a_socket_on_another_specific_address_does_not_overlap);
  tcase_add_test(tc, a_wildcard_socket_overlaps_every_bind_address);
  tcase_add_test(tc, an_ipv6_wildcard_overlaps_and_an_ipv6_address_does_not);
  tcase_add_test(tc, sockets_of_the_calling_process_are_not_reported);
  tcase_add_test(tc, check_shared_refuses_naming_the_program_and_its_pid);
  tcase_add_test(tc, diverted_warns_that_the_socket_will_receive_nothing);
  tcase_add_test(tc, a_holder_we_may_not_look_at_is_reported_without_a_pid);
  tcase_add_test(tc, describe_brackets_ipv6_addresses_and_counts_the_others);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
