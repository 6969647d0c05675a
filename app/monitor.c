/* `sluice monitor`: joins a running instance's workspace read-only and
   shows its tiles and links as a live table, JSON (one snapshot, or one line
   per interval) or Prometheus text, and can serve /metrics itself. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cmds.h"
#include "app/prom.h"
#include "app/snapshot.h"
#include "config/config.h"
#include "shmem/wksp.h"
#include "util/time.h"

#define MON_INTERVAL_MIN_MS 10ull
#define MON_INTERVAL_MAX_MS 3600000ull
/* The first rates (and --once's) come from two snapshots this far apart,
   or the interval if shorter: quick to show, long enough to mean something. */
#define MON_SAMPLE_MS 250ull
/* An instance still building its topology gets this long to finish. */
#define MON_TOPO_WAIT_MS 2000ull

typedef struct {
  const char *name;
  const char *config;
  const char *listen;
  int once, json, prom;
  uint64_t interval_ms;
} mon_opts_t;

static volatile int mon_stop;

static void on_signal(int sig) {
  (void)sig;
  mon_stop = 1;
}

static void usage(FILE *f) {
  fputs("usage: sluice monitor [--config FILE | --name NAME] [--once] [--json | --prometheus]\n"
        "                      [--interval MS] [--prometheus-listen IP:PORT]\n"
        "  --name NAME        instance to watch (default: the config's name, \"sluice\")\n"
        "  --config FILE      take the name and hugetlbfs mount from this config\n"
        "  --once             print one view and exit\n"
        "  --json             JSON: one snapshot with --once, else one line per interval\n"
        "  --prometheus       print the Prometheus text once\n"
        "  --interval MS      refresh period, 10..3600000 (default 1000)\n"
        "  --prometheus-listen IP:PORT  also serve GET /metrics while watching\n",
        f);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("sluice monitor: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs("\n\n", stderr);
  va_end(ap);
  usage(stderr);
  return 2;
}

static int parse_args(int argc, char **argv, mon_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->interval_ms = 1000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--once")) o->once = 1;
    else if (!strcmp(a, "--json")) o->json = 1;
    else if (!strcmp(a, "--prometheus")) o->prom = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--name") || !strcmp(a, "--config") || !strcmp(a, "--interval") ||
               !strcmp(a, "--prometheus-listen")) {
      if (!v) return usage_error("%s needs a value", a);
      i++;
      if (!strcmp(a, "--name")) o->name = v;
      else if (!strcmp(a, "--config")) o->config = v;
      else if (!strcmp(a, "--prometheus-listen")) o->listen = v;
      else {
        char *end;
        errno = 0;
        unsigned long long ms = strtoull(v, &end, 10);
        if (!*v || *end || errno || ms < MON_INTERVAL_MIN_MS || ms > MON_INTERVAL_MAX_MS)
          return usage_error("--interval '%s': expected milliseconds, %llu..%llu", v,
                             MON_INTERVAL_MIN_MS, MON_INTERVAL_MAX_MS);
        o->interval_ms = ms;
      }
    } else
      return usage_error("unknown argument '%s'", a);
  }
  if (o->json && o->prom) return usage_error("--json and --prometheus are two formats: pick one");
  if (o->listen && (o->once || o->prom))
    return usage_error("--prometheus-listen serves while watching: not with --once or --prometheus");
  return -1; /* go on */
}

/* Every directory sl_wksp_find_file looks in, for the not-found message. */
static void looked_in(const char *mount, char *buf, size_t sz) {
  size_t len = 0;
  buf[0] = '\0';
  if (mount && strcmp(mount, "auto"))
    len += (size_t)snprintf(buf + len, sz - len, "%s, ", mount);
  FILE *f = fopen("/proc/mounts", "re");
  char line[512], dev[128], dir[256], type[64];
  while (f && fgets(line, sizeof line, f) && len < sz)
    if (sscanf(line, "%127s %255s %63s", dev, dir, type) == 3 && !strcmp(type, "hugetlbfs"))
      len += (size_t)snprintf(buf + len, sz - len, "%s, ", dir);
  if (f) fclose(f);
  if (len < sz) snprintf(buf + len, sz - len, "/dev/shm");
}

/* The instance has gone: supervisor dead, or its file removed or replaced
   by a new instance's. */
static int instance_gone(const sl_wksp_t *w) {
  struct stat a, b;
  if (!sl_wksp_alive(w)) return 1;
  if (stat(w->path, &a) || fstat(w->fd, &b)) return 1;
  return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

/* Waits ms, serving /metrics meanwhile if a server is open. Ends early on
   SIGINT/SIGTERM. */
static void mon_wait(uint64_t ms, sl_prom_server_t *srv, const sl_wksp_t *w) {
  uint64_t deadline = sl_now_ns() + ms * 1000000ull;
  for (;;) {
    uint64_t now = sl_now_ns();
    if (mon_stop || now >= deadline) return;
    uint64_t left_ms = (deadline - now + 999999) / 1000000;
    if (srv && srv->open) sl_prom_server_poll(srv, w, (int)(left_ms < 100 ? left_ms : 100));
    else sl_sleep_ns(deadline - now, &mon_stop);
  }
}

/* Takes a snapshot, giving an instance that is still starting up to
   MON_TOPO_WAIT_MS to publish its topology. */
static int take(const sl_wksp_t *w, sl_snapshot_t *s, sl_err_t *err) {
  uint64_t deadline = sl_now_ns() + MON_TOPO_WAIT_MS * 1000000ull;
  while (sl_snapshot_take(w, s, err)) {
    if (sl_topo_join(w) || sl_now_ns() > deadline || mon_stop) return -1;
    sl_sleep_ns(20000000ull, &mon_stop);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

static const char *si(char *buf, size_t sz, double v, const char *unit) {
  if (v < 1e3) snprintf(buf, sz, "%.0f%s", v, unit);
  else if (v < 1e6) snprintf(buf, sz, "%.1fk%s", v / 1e3, unit);
  else if (v < 1e9) snprintf(buf, sz, "%.2fM%s", v / 1e6, unit);
  else snprintf(buf, sz, "%.2fG%s", v / 1e9, unit);
  return buf;
}

static const char *dur(char *buf, size_t sz, double ns) {
  if (ns < 1e3) snprintf(buf, sz, "%.0fns", ns);
  else if (ns < 1e6) snprintf(buf, sz, "%.1fus", ns / 1e3);
  else if (ns < 1e9) snprintf(buf, sz, "%.1fms", ns / 1e6);
  else snprintf(buf, sz, "%.2fs", ns / 1e9);
  return buf;
}

typedef struct {
  const sl_snapshot_tile_t *a, *b; /* previous (NULL: none), current */
  double dt_s;
} rate_ctx_t;

static uint64_t delta(const rate_ctx_t *r, uint32_t idx) {
  if (!r->a || r->b->v[idx] < r->a->v[idx]) return 0;
  return r->b->v[idx] - r->a->v[idx];
}

/* Per second over the sample; "-" without a previous snapshot. */
static const char *rate(char *buf, size_t sz, const rate_ctx_t *r, uint32_t idx, const char *unit) {
  if (!r->a || r->dt_s <= 0) return snprintf(buf, sz, "-"), buf;
  char tmp[32];
  snprintf(buf, sz, "%s/s", si(tmp, sizeof tmp, (double)delta(r, idx) / r->dt_s, unit));
  return buf;
}

static const char *pct(char *buf, size_t sz, const rate_ctx_t *r, uint32_t idx) {
  uint64_t all = delta(r, SL_M_BUSY_NS) + delta(r, SL_M_IDLE_NS) + delta(r, SL_M_BACKPRESSURE_NS) +
                 delta(r, SL_M_HOUSEKEEP_NS);
  if (!all) return snprintf(buf, sz, "-"), buf;
  snprintf(buf, sz, "%.1f", 100.0 * (double)delta(r, idx) / (double)all);
  return buf;
}

static void activity(char *out, size_t sz, const rate_ctx_t *r) {
  char a[24], b[24], c[24], d[24], e[24], f[24];
  const sl_snapshot_tile_t *t = r->b;
  switch (t->kind) {
  case SL_TILE_NET:
    snprintf(out, sz, "rx %s  pub %s  malformed %s  bytes %s", rate(a, sizeof a, r, SL_M_NET_RX_PKTS, ""),
             rate(b, sizeof b, r, SL_M_NET_PUBLISHED, ""), rate(c, sizeof c, r, SL_M_NET_RX_MALFORMED, ""),
             rate(d, sizeof d, r, SL_M_NET_RX_BYTES, "B"));
    break;
  case SL_TILE_VERIFY:
    snprintf(out, sz, "in %s  verified %s  dedup %s  sigfail %s  parsefail %s  overrun %s",
             rate(a, sizeof a, r, SL_M_VERIFY_IN_FRAGS, ""), rate(b, sizeof b, r, SL_M_VERIFY_VERIFIED, ""),
             rate(c, sizeof c, r, SL_M_VERIFY_DEDUP_DROP, ""),
             rate(d, sizeof d, r, SL_M_VERIFY_SIGVERIFY_FAIL, ""),
             rate(e, sizeof e, r, SL_M_VERIFY_PARSE_FAIL, ""), rate(f, sizeof f, r, SL_M_VERIFY_OVERRUN, ""));
    break;
  default:
    snprintf(out, sz, "txn %s  bytes %s  latency %s (p99 %s)", rate(a, sizeof a, r, SL_M_SINK_TXNS, ""),
             rate(b, sizeof b, r, SL_M_SINK_BYTES, "B"),
             dur(c, sizeof c, (double)t->v[SL_M_SINK_LATENCY_NS]),
             dur(d, sizeof d, (double)t->v[SL_M_SINK_LATENCY_P99_NS]));
  }
}

static void print_table(FILE *f, const sl_snapshot_t *prev, const sl_snapshot_t *cur) {
  int same = prev && prev->tile_cnt == cur->tile_cnt && prev->link_cnt == cur->link_cnt &&
             prev->created_wall_ns == cur->created_wall_ns;
  double dt_s = same ? (double)(cur->taken_ns - prev->taken_ns) / 1e9 : 0;
  uint64_t up_s = cur->taken_wall_ns > cur->created_wall_ns
                      ? (cur->taken_wall_ns - cur->created_wall_ns) / 1000000000ull
                      : 0;
  fprintf(f, "instance %s  supervisor pid %d (%s)  net %s  up %" PRIu64 ":%02u:%02u  %s%s\n",
          cur->name, (int)cur->creator_pid, !cur->alive ? "gone" : cur->stop ? "draining" : "running",
          sl_snapshot_provider_name(cur->provider), up_s / 3600, (unsigned)(up_s / 60 % 60),
          (unsigned)(up_s % 60), cur->path, cur->is_huge ? "" : " (no hugepages)");
  if (dt_s > 0) fprintf(f, "rates over the last %.2f s\n", dt_s);
  fputc('\n', f);
  fprintf(f, "%-10s %-9s %8s %4s %9s %-9s %6s %6s  %s\n", "TILE", "STATE", "PID", "CPU", "HEARTBEAT",
          "MODE", "BUSY%", "BP%", "ACTIVITY");
  for (uint32_t id = 0; id < cur->tile_cnt; id++) {
    const sl_snapshot_tile_t *t = &cur->tile[id];
    rate_ctx_t r = {same ? &prev->tile[id] : NULL, t, dt_s};
    char hb[16], busy[16], bp[16], act[256];
    if (t->heartbeat_age_ns < 0) snprintf(hb, sizeof hb, "-");
    else dur(hb, sizeof hb, (double)t->heartbeat_age_ns);
    activity(act, sizeof act, &r);
    fprintf(f, "%-10s %-9s %8" PRId64 " %4" PRId64 " %9s %-9s %6s %6s  %s\n", t->name,
            sl_tile_state_name(t->v[SL_M_STATE]), t->pid, t->cpu, hb, t->mode[0] ? t->mode : "-",
            pct(busy, sizeof busy, &r, SL_M_BUSY_NS), pct(bp, sizeof bp, &r, SL_M_BACKPRESSURE_NS), act);
  }
  fprintf(f, "\n%-16s %12s %10s %6s  %-10s %12s %8s %13s %13s\n", "LINK", "PUBLISHED", "PUB/S", "BP",
          "CONSUMER", "CONSUMED", "LAG", "OVERRUN_POLL", "OVERRUN_READ");
  for (uint32_t i = 0; i < cur->link_cnt; i++) {
    const sl_snapshot_link_t *l = &cur->link[i];
    char ps[24] = "-", tmp[24];
    if (same && dt_s > 0 && l->seq >= prev->link[i].seq)
      snprintf(ps, sizeof ps, "%s", si(tmp, sizeof tmp, (double)(l->seq - prev->link[i].seq) / dt_s, ""));
    for (uint32_t c = 0; c < l->cons_cnt; c++) {
      const sl_snapshot_cons_t *sc = &l->cons[c];
      int64_t lag = (int64_t)(l->seq - sc->seq);
      if (!c)
        fprintf(f, "%-16s %12" PRIu64 " %10s %6" PRIu64 "  ", l->name, l->seq, ps, l->backpressure_cnt);
      else
        fprintf(f, "%-16s %12s %10s %6s  ", "", "", "", "");
      fprintf(f, "%-10s %12" PRIu64 " %8" PRIu64 " %13" PRIu64 " %13" PRIu64 "\n", sc->tile, sc->frags,
              lag > 0 ? (uint64_t)lag : 0, sc->overrun_poll, sc->overrun_read);
    }
  }
  const uint64_t *n = cur->total[SL_TILE_NET], *v = cur->total[SL_TILE_VERIFY],
                 *s = cur->total[SL_TILE_SINK];
  fprintf(f,
          "\nTOTALS  net: rx_pkts %" PRIu64 " published %" PRIu64 " rx_malformed %" PRIu64
          "  verify: in_frags %" PRIu64 " verified %" PRIu64 " dedup_drop %" PRIu64
          " sigverify_fail %" PRIu64 " parse_fail %" PRIu64 " overrun %" PRIu64 "  sink: txns %" PRIu64
          " bytes %" PRIu64 "\n",
          n[SL_M_NET_RX_PKTS], n[SL_M_NET_PUBLISHED], n[SL_M_NET_RX_MALFORMED], v[SL_M_VERIFY_IN_FRAGS],
          v[SL_M_VERIFY_VERIFIED], v[SL_M_VERIFY_DEDUP_DROP], v[SL_M_VERIFY_SIGVERIFY_FAIL],
          v[SL_M_VERIFY_PARSE_FAIL], v[SL_M_VERIFY_OVERRUN], s[SL_M_SINK_TXNS], s[SL_M_SINK_BYTES]);
}

/* ------------------------------------------------------------------ */

static int print_prom(const sl_snapshot_t *s) {
  size_t need = sl_prom_render(s, NULL, 0);
  char *buf = malloc(need + 1);
  if (!buf) {
    fprintf(stderr, "sluice monitor: out of memory for %zu bytes of Prometheus text\n", need);
    return 1;
  }
  sl_prom_render(s, buf, need + 1);
  int rc = fwrite(buf, 1, need, stdout) == need ? 0 : 1;
  free(buf);
  return rc;
}

/* The live views: table or NDJSON each interval until the instance stops
   or a signal comes. */
static int watch(const mon_opts_t *o, const sl_wksp_t *w, sl_snapshot_t *prev, sl_snapshot_t *cur) {
  sl_prom_server_t srv;
  memset(&srv, 0, sizeof srv);
  sl_err_t err;
  if (o->listen && sl_prom_server_open(&srv, o->listen, &err)) {
    fprintf(stderr, "sluice monitor: %s\n", err.msg);
    return 1;
  }
  struct sigaction sa, old_int, old_term;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: the wait ends at once */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  int tty = isatty(STDOUT_FILENO);
  FILE *note = o->json ? stderr : stdout; /* keep NDJSON on stdout pure */
  int rc = 0, have_prev = 0;
  if (!o->json) {
    /* The first rates need a second snapshot: take it soon. */
    have_prev = !take(w, prev, &err);
    mon_wait(o->interval_ms < MON_SAMPLE_MS ? o->interval_ms : MON_SAMPLE_MS, &srv, w);
  }
  while (!mon_stop) {
    if (instance_gone(w)) {
      fprintf(note, "instance %s stopped\n", w->name);
      break;
    }
    if (take(w, cur, &err)) {
      if (instance_gone(w)) continue; /* reported above */
      fprintf(stderr, "sluice monitor: %s\n", err.msg);
      rc = 1;
      break;
    }
    if (o->json) {
      sl_snapshot_json(cur, stdout);
    } else {
      if (tty) fputs("\033[H\033[2J", stdout); /* home + clear */
      else fputs("\n", stdout);
      print_table(stdout, have_prev ? prev : NULL, cur);
      sl_snapshot_t *t = prev;
      prev = cur;
      cur = t;
      have_prev = 1;
    }
    fflush(stdout);
    mon_wait(o->interval_ms, &srv, w);
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sl_prom_server_close(&srv);
  return rc;
}

int sl_cmd_monitor(int argc, char **argv) {
  mon_opts_t o;
  int rc = parse_args(argc, argv, &o);
  if (rc >= 0) return rc;
  mon_stop = 0;

  /* The name (and where to look) come from --name, else the config. */
  static sl_config_t cfg;
  sl_err_t err;
  const char *mount = NULL;
  if (o.config || !o.name) {
    if (sl_config_load(&cfg, o.config, &err)) {
      fprintf(stderr, "sluice monitor: %s\n", err.msg);
      return 2;
    }
    if (!o.name) o.name = cfg.name;
    if (o.config) mount = cfg.shmem.hugetlbfs_mount;
  }

  char path[SL_WKSP_PATH_MAX];
  if (sl_wksp_find_file(o.name, mount, path, sizeof path)) {
    char dirs[1024];
    looked_in(mount, dirs, sizeof dirs);
    fprintf(stderr, "no running instance named %s (looked in %s): is `sluice run` running?\n", o.name,
            dirs);
    return 1;
  }
  /* Read-only: the monitor cannot disturb the instance, whatever it does. */
  sl_wksp_t w;
  if (sl_wksp_join(&w, o.name, mount, 1, &err)) {
    fprintf(stderr, "sluice monitor: %s\n", err.msg);
    return 1;
  }
  if (!sl_wksp_alive(&w)) {
    fprintf(stderr,
            "no running instance named %s (%s is left over from pid %d, which is gone): is `sluice "
            "run` running?\n",
            o.name, w.path, (int)sl_wksp_hdr(&w)->creator_pid);
    sl_wksp_leave(&w);
    return 1;
  }

  sl_snapshot_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  if (!a || !b) {
    fprintf(stderr, "sluice monitor: out of memory for snapshots\n");
    rc = 1;
  } else if (!o.once && !o.prom) {
    rc = watch(&o, &w, a, b);
  } else if (take(&w, a, &err)) {
    fprintf(stderr, "sluice monitor: %s\n", err.msg);
    rc = 1;
  } else if (o.prom) {
    rc = print_prom(a);
  } else if (o.json) {
    rc = sl_snapshot_json(a, stdout) ? 1 : 0;
  } else {
    uint64_t ms = o.interval_ms < MON_SAMPLE_MS ? o.interval_ms : MON_SAMPLE_MS;
    sl_sleep_ns(ms * 1000000ull, NULL);
    int second = !take(&w, b, &err);
    print_table(stdout, second ? a : NULL, second ? b : a);
    rc = 0;
  }
  fflush(stdout);
  free(a);
  free(b);
  sl_wksp_leave(&w);
  return rc;
}
