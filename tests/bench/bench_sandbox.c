/* bench_sandbox: what the sandbox costs a tile's loop, call by call. The
   hot loops make no system call; the idle paths make three kinds, and each
   is timed here in a child process on one CPU, plain and then confined by
   sl_sandbox_enter (user nobody, no capability, namespaces, Landlock and a
   seccomp allow-list of the AF_XDP net tile's shape: the runtime's own
   (sl_tile_keep_runtime) and its provider's, recvfrom pinned to its socket
   and MSG_DONTWAIT, ppoll, getsockopt pinned to XDP_STATISTICS, close),
   alternately, per round:
     clock_nanosleep(0)        a nap (no argument pin: the kernel's seccomp
                               cache allows it without running the filter)
     ppoll(fd, 0 timeout)      the net tile's wait (no pin)
     recvfrom(MSG_DONTWAIT)    the AF_XDP kick (pinned: the filter runs)
   Output: ns per call, median and p10-p90 over the rounds, and the ratio
   sandboxed/plain per call (taken round by round).

   usage: bench_sandbox [--rounds R] [--calls N] [--cpu C]; needs root (to
   become nobody), skipped otherwise. */
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/bench_stats.h"
#include "tiles/sandbox.h"
#include "tiles/tile.h"
#include "util/time.h"

#define ROUNDS_MAX 100
#define CALLS 3

static const char *const call_name[CALLS] = {"clock_nanosleep(0)", "ppoll(fd, 0)", "recvfrom(MSG_DONTWAIT)"};

/* ns per call of each kind, n calls each, into out[CALLS]. */
static void time_calls(int fd, long n, double *out) {
  char b[1];
  for (int k = 0; k < CALLS; k++) {
    uint64_t t0 = sl_now_ns();
    for (long i = 0; i < n; i++) {
      struct timespec z = {0, 0};
      if (k == 0) {
        clock_nanosleep(CLOCK_MONOTONIC, 0, &z, NULL);
      } else if (k == 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ppoll(&p, 1, &z, NULL);
      } else {
        recvfrom(fd, b, 0, MSG_DONTWAIT, NULL, NULL);
      }
    }
    out[k] = (double)(sl_now_ns() - t0) / (double)n;
  }
}

/* One child: pinned, naps with the tiles' timer slack, confined if sb,
   then times the calls and writes them to wfd. Returns its exit status. */
static int child(int sb, int fd, long n, int cpu, int wfd, uid_t uid, gid_t gid) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    bench_pin(cpu);
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    if (sb) {
      /* The results pipe plays the log: the runtime keeps write on it. */
      sl_tile_keep_t k;
      memset(&k, 0, sizeof k);
      sl_tile_keep_runtime(&k, wfd);
      const sl_sandbox_rule_t prov[] = {
          SL_SB_ALLOW(recvfrom, SL_SB_EQ(0, fd), SL_SB_EQ(3, MSG_DONTWAIT)),
          SL_SB_ALLOW(ppoll),
          SL_SB_ALLOW(getsockopt, SL_SB_EQ(0, fd), SL_SB_EQ(1, SOL_XDP), SL_SB_EQ(2, XDP_STATISTICS)),
          SL_SB_ALLOW(close, SL_SB_EQ(0, fd)),
      };
      sl_tile_keep_rules(&k, prov, sizeof prov / sizeof prov[0]);
      sl_tile_keep_fds(&k, &fd, 1);
      sl_sandbox_t p = {.tile = "bench", .uid = uid, .gid = gid, .fds = k.fds, .fd_cnt = k.fd_cnt,
                        .unshare = SL_SB_NS_ALL, .empty_root = 1, .max_fds = 64, .max_file_size = 0,
                        .landlock = 1, .landlock_dir_fd = -1, .rules = k.rules, .rule_cnt = k.rule_cnt};
      sl_err_t err;
      if (sl_sandbox_enter(&p, &err)) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        _exit(1);
      }
    }
    double out[CALLS];
    time_calls(fd, n, out);
    _exit(write(wfd, out, sizeof out) == (ssize_t)sizeof out ? 0 : 1);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return st;
}

int main(int argc, char **argv) {
  int rounds = 7, cpu = 1;
  long calls = 30000;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--calls") && i + 1 < argc) calls = atol(argv[++i]);
    else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) cpu = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_sandbox [--rounds R] [--calls N] [--cpu C]\n");
      return 2;
    }
  }
  if (rounds < 1 || rounds > ROUNDS_MAX || calls < 1000) {
    fprintf(stderr, "bench_sandbox: need --rounds 1..%d and --calls >= 1000\n", ROUNDS_MAX);
    return 2;
  }
  if (geteuid()) {
    printf("sandbox: skipped (needs root to confine a child as nobody)\n");
    return 0;
  }
  sl_err_t err;
  uid_t uid;
  gid_t gid;
  if (sl_sandbox_resolve_user("nobody", &uid, &gid, &err)) {
    fprintf(stderr, "bench_sandbox: %s\n", err.msg);
    return 1;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int pfd[2];
  if (fd < 0 || pipe(pfd)) {
    perror("bench_sandbox: socket/pipe");
    return 1;
  }
  static double ns[2][CALLS][ROUNDS_MAX], ratio[CALLS][ROUNDS_MAX];
  printf("system calls of a tile's idle paths, plain vs sandboxed, CPU %d, %d rounds of %ld calls each\n", cpu,
         rounds, calls);
  for (int r = 0; r < rounds; r++) {
    for (int sb = 0; sb < 2; sb++) {
      double out[CALLS];
      if (child(sb, fd, calls, cpu, pfd[1], uid, gid) != 0 || read(pfd[0], out, sizeof out) != (ssize_t)sizeof out) {
        fprintf(stderr, "bench_sandbox: round %d: the %s child failed\n", r, sb ? "sandboxed" : "plain");
        return 1;
      }
      for (int k = 0; k < CALLS; k++) ns[sb][k][r] = out[k];
    }
    for (int k = 0; k < CALLS; k++) ratio[k][r] = ns[1][k][r] / ns[0][k][r];
  }
  for (int k = 0; k < CALLS; k++) {
    double p = bench_quant(ns[0][k], rounds, 0.5), s = bench_quant(ns[1][k], rounds, 0.5);
    double rm = bench_quant(ratio[k], rounds, 0.5), rl = bench_quant(ratio[k], rounds, 0.1),
           rh = bench_quant(ratio[k], rounds, 0.9);
    printf("  %-24s plain %7.0f ns  sandboxed %7.0f ns  x%.3f (per round p10-p90 %.3f-%.3f), %+.0f ns\n",
           call_name[k], p, s, rm, rl, rh, s - p);
    printf("RESULT bench=sandbox call=%s plain_ns=%.0f sandboxed_ns=%.0f ratio=%.3f ratio_p10=%.3f ratio_p90=%.3f\n",
           k == 0 ? "nap" : k == 1 ? "ppoll" : "recvfrom", p, s, rm, rl, rh);
  }
  return 0;
}
