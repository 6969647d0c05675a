/* `sluice demo [--seconds N] [--rate PPS] [--config FILE]`: the quick start.

   Starts the pipeline (the embedded default config unless --config) as a
   child process, drives it with the load generator on loopback, shows the
   monitor each second, waits until every packet has been accounted for,
   stops the pipeline with SIGTERM (drain) and prints what was sent by
   category next to what each stage counted. Exit 0 when the pipeline
   stopped cleanly and the two sides agree. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/cmds.h"
#include "app/gen/gen_engine.h"
#include "tiles/snapshot.h"
#include "app/supervisor.h"
#include "config/config.h"
#include "shmem/metrics.h"
#include "shmem/wksp.h"
#include "util/log.h"
#include "util/time.h"

typedef struct {
  uint64_t v[SL_TILE_KIND_CNT][SL_METRICS_CNT]; /* counters summed per kind; sink gauges too */
  uint32_t running, tiles;
} totals_t;

/* Reads the instance's counters (a snapshot, tiles/snapshot.h); 0, or -1 if
   the instance is not there (yet). */
static int read_totals(const char *name, const char *mount, totals_t *t) {
  static sl_snapshot_t snap;
  sl_wksp_t w;
  memset(t, 0, sizeof *t);
  if (sl_wksp_join(&w, name, mount, 1, NULL)) return -1;
  int rc = sl_snapshot_take(&w, &snap, NULL);
  sl_wksp_leave(&w);
  if (rc) return -1;
  memcpy(t->v, snap.total, sizeof t->v);
  t->tiles = snap.tile_cnt;
  for (uint32_t i = 0; i < snap.tile_cnt; i++) {
    const sl_snapshot_tile_t *tt = &snap.tile[i];
    if (tt->v[SL_M_STATE] == SL_TILE_RUNNING) t->running++;
    if (tt->kind == SL_TILE_SINK) {
      t->v[SL_TILE_SINK][SL_M_SINK_LATENCY_P50_NS] = tt->v[SL_M_SINK_LATENCY_P50_NS];
      t->v[SL_TILE_SINK][SL_M_SINK_LATENCY_P99_NS] = tt->v[SL_M_SINK_LATENCY_P99_NS];
    }
  }
  return 0;
}

static int same_packets(const totals_t *a, const totals_t *b) {
  static const uint32_t idx[][2] = {
      {SL_TILE_NET, SL_M_NET_RX_PKTS},          {SL_TILE_NET, SL_M_NET_PUBLISHED},
      {SL_TILE_NET, SL_M_NET_RX_MALFORMED},     {SL_TILE_VERIFY, SL_M_VERIFY_IN_FRAGS},
      {SL_TILE_VERIFY, SL_M_VERIFY_OVERRUN},    {SL_TILE_VERIFY, SL_M_VERIFY_VERIFIED},
      {SL_TILE_VERIFY, SL_M_VERIFY_DEDUP_DROP}, {SL_TILE_VERIFY, SL_M_VERIFY_SIGVERIFY_FAIL},
      {SL_TILE_VERIFY, SL_M_VERIFY_PARSE_FAIL}, {SL_TILE_SINK, SL_M_SINK_TXNS},
  };
  for (uint32_t i = 0; i < sizeof idx / sizeof *idx; i++)
    if (a->v[idx[i][0]][idx[i][1]] != b->v[idx[i][0]][idx[i][1]]) return 0;
  return 1;
}

typedef struct {
  sl_gen_opts_t opts;
  sl_gen_result_t res;
  sl_err_t err;
  int rc;
  volatile int done;
} gen_job_t;

static void *gen_thread(void *arg) {
  gen_job_t *j = arg;
  j->rc = sl_gen_run(&j->opts, &j->res, &j->err);
  __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void show_monitor(const char *name) {
  char *argv[] = {"monitor", "--name", (char *)name, "--once", NULL};
  fflush(stdout);
  sl_cmd_monitor(4, argv);
  fflush(stdout);
}

static int child_gone(pid_t pid, int *status) {
  return waitpid(pid, status, WNOHANG) == pid;
}

static const char DEMO_USAGE[] =
    "usage: sluice demo [--seconds N] [--rate PPS] [--config FILE]\n"
    "  --seconds N    seconds of traffic, 1..3600 (default 5)\n"
    "  --rate PPS     transactions per second sent, 1..10000000 (default 3000)\n"
    "  --config FILE  the pipeline's configuration (default: the embedded one)\n"
    "Runs the pipeline, sends it valid, duplicated, badly signed and malformed transactions,\n"
    "shows the monitor once a second, then a summary of what was sent beside what was counted.\n";

int sl_cmd_demo(int argc, char **argv) {
  uint64_t seconds = 5, rate = 3000;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(DEMO_USAGE, stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--rate") && i + 1 < argc) {
      rate = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
      path = argv[++i];
    } else {
      fprintf(stderr, "sluice demo: unexpected argument '%s'\n%s", argv[i], DEMO_USAGE);
      return 2;
    }
  }
  if (!seconds || seconds > 3600 || !rate || rate > 10000000) {
    fprintf(stderr, "sluice demo: --seconds must be 1..3600 and --rate 1..10000000\n");
    return 2;
  }
  static sl_config_t cfg;
  if (sl_app_load_config(path, &cfg)) return 2;
  sl_log_set_level(cfg.log.level);
  const char *mount = cfg.shmem.hugetlbfs_mount;

  printf("sluice demo: pipeline \"%s\" on %s port %u, %lu s of traffic at %lu txn/s\n", cfg.name,
         cfg.net.interface, cfg.net.ports[0], (unsigned long)seconds, (unsigned long)rate);
  fflush(stdout);
  pid_t sup = fork();
  if (sup < 0) {
    perror("fork");
    return 1;
  }
  if (sup == 0) _exit(sl_supervise(&cfg));

  /* Wait for every tile to run (bounded). */
  int status = 0;
  totals_t t;
  uint64_t deadline = sl_now_ns() + 20000000000ull;
  for (;;) {
    if (child_gone(sup, &status)) {
      fprintf(stderr, "sluice demo: the pipeline exited during start-up (see the log above)\n");
      return 1;
    }
    if (!read_totals(cfg.name, mount, &t) && t.tiles && t.running == t.tiles) break;
    if (sl_now_ns() > deadline) {
      fprintf(stderr, "sluice demo: the pipeline did not start within 20 s\n");
      kill(sup, SIGTERM);
      waitpid(sup, &status, 0);
      return 1;
    }
    sl_sleep_ns(20000000ull, NULL);
  }

  static gen_job_t job;
  sl_gen_opts_default(&job.opts);
  job.opts.dst_ip4 = cfg.net.bind_address ? cfg.net.bind_address : htonl(INADDR_LOOPBACK);
  job.opts.dst_port[0] = cfg.net.ports[0];
  job.opts.dst_port_cnt = 1;
  job.opts.count = seconds * rate;
  job.opts.rate = rate;
  job.opts.dup = 0.10;
  job.opts.bad_sig = 0.05;
  job.opts.malformed = 0.05;
  job.opts.seed = (uint64_t)time(NULL);
  pthread_t th;
  if (pthread_create(&th, NULL, gen_thread, &job)) {
    fprintf(stderr, "sluice demo: cannot start the generator thread\n");
    kill(sup, SIGTERM);
    waitpid(sup, &status, 0);
    return 1;
  }
  while (!__atomic_load_n(&job.done, __ATOMIC_ACQUIRE)) {
    sl_sleep_ns(1000000000ull, NULL);
    if (child_gone(sup, &status)) break;
    show_monitor(cfg.name);
  }
  pthread_join(th, NULL);
  if (job.rc) fprintf(stderr, "sluice demo: generator: %s\n", job.err.msg);

  /* Quiescence: no packet counter moves for 300 ms (bounded by 15 s). Time
     counters (busy_ns, idle_ns...) always move, so only these are compared. */
  totals_t prev;
  memset(&prev, 0, sizeof prev);
  deadline = sl_now_ns() + 15000000000ull;
  int quiet = 0;
  while (!child_gone(sup, &status) && sl_now_ns() < deadline) {
    if (read_totals(cfg.name, mount, &t)) break;
    quiet = same_packets(&t, &prev) ? quiet + 1 : 0;
    if (quiet >= 3) break;
    prev = t;
    sl_sleep_ns(100000000ull, NULL);
  }
  show_monitor(cfg.name);
  int have = !read_totals(cfg.name, mount, &t);
  kill(sup, SIGTERM);
  while (waitpid(sup, &status, 0) < 0 && errno == EINTR) {
  }
  int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

  const uint64_t *net = t.v[SL_TILE_NET], *ver = t.v[SL_TILE_VERIFY], *snk = t.v[SL_TILE_SINK];
  const uint64_t *cat = job.res.cat;
  uint64_t malformed_seen = ver[SL_M_VERIFY_PARSE_FAIL] + net[SL_M_NET_RX_MALFORMED];
  int ok = have && clean && !job.rc && snk[SL_M_SINK_TXNS] == cat[SL_GEN_VALID] &&
           ver[SL_M_VERIFY_DEDUP_DROP] == cat[SL_GEN_DUP] &&
           ver[SL_M_VERIFY_SIGVERIFY_FAIL] == cat[SL_GEN_BAD_SIG] && malformed_seen == cat[SL_GEN_MALFORMED];
  printf("\nsummary: gen sent %lu packets in %.2f s (%.0f pkt/s)\n", (unsigned long)job.res.sent,
         job.res.seconds, job.res.pps);
  printf("  %-16s %10s   %-34s %10s\n", "category", "sent", "counted by sluice", "count");
  printf("  %-16s %10lu   %-34s %10lu %s\n", "valid, unique", (unsigned long)cat[SL_GEN_VALID],
         "sink.txns", (unsigned long)snk[SL_M_SINK_TXNS], snk[SL_M_SINK_TXNS] == cat[SL_GEN_VALID] ? "ok" : "MISMATCH");
  printf("  %-16s %10lu   %-34s %10lu %s\n", "duplicates", (unsigned long)cat[SL_GEN_DUP],
         "verify.dedup_drop", (unsigned long)ver[SL_M_VERIFY_DEDUP_DROP],
         ver[SL_M_VERIFY_DEDUP_DROP] == cat[SL_GEN_DUP] ? "ok" : "MISMATCH");
  printf("  %-16s %10lu   %-34s %10lu %s\n", "bad signature", (unsigned long)cat[SL_GEN_BAD_SIG],
         "verify.sigverify_fail", (unsigned long)ver[SL_M_VERIFY_SIGVERIFY_FAIL],
         ver[SL_M_VERIFY_SIGVERIFY_FAIL] == cat[SL_GEN_BAD_SIG] ? "ok" : "MISMATCH");
  printf("  %-16s %10lu   %-34s %10lu %s\n", "malformed", (unsigned long)cat[SL_GEN_MALFORMED],
         "verify.parse_fail + net.rx_malformed", (unsigned long)malformed_seen,
         malformed_seen == cat[SL_GEN_MALFORMED] ? "ok" : "MISMATCH");
  printf("  net: rx_pkts %lu, published %lu; verify: overrun %lu; sink latency p50 %lu us, p99 %lu us\n",
         (unsigned long)net[SL_M_NET_RX_PKTS], (unsigned long)net[SL_M_NET_PUBLISHED],
         (unsigned long)ver[SL_M_VERIFY_OVERRUN], (unsigned long)(snk[SL_M_SINK_LATENCY_P50_NS] / 1000),
         (unsigned long)(snk[SL_M_SINK_LATENCY_P99_NS] / 1000));
  if (!clean) printf("  the pipeline did not stop cleanly (see the log above)\n");
  if (!ok && ver[SL_M_VERIFY_OVERRUN])
    printf("  frags were overrun (the verify tile fell behind): lower --rate\n");
  printf("%s\n", ok ? "demo: every packet accounted for" : "demo: counts do not match");
  return ok ? 0 : 1;
}
