/* `sluice monitor`: joins a running instance's workspace read-only and
   shows its tiles and links as a live table, JSON (one snapshot, or one line
   per interval) or Prometheus text.

   On a terminal the live table is drawn in place on the alternate screen
   (nothing reaches the scrollback), laid out for the terminal's width (a
   compact layout up to 119 columns, wider ones from 120 and 140; no line is ever
   longer than the terminal), redrawn at once when the terminal is resized,
   and the terminal is restored when the monitor ends: instance gone, ^C,
   SIGTERM, SIGHUP. Each frame comes from one snapshot. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cmds.h"
#include "app/snapshot_json.h"
#include "config/config.h"
#include "shmem/wksp.h"
#include "tiles/metric/metric_prom.h"
#include "tiles/snapshot.h"
#include "util/time.h"

#define MON_INTERVAL_MIN_MS 10ull
#define MON_INTERVAL_MAX_MS 3600000ull
/* The first rates (and --once's) come from two snapshots this far apart,
   or the interval if shorter: quick to show, long enough to mean something. */
#define MON_SAMPLE_MS 250ull
/* An instance still building its topology gets this long to finish. */
#define MON_TOPO_WAIT_MS 2000ull
/* Width when stdout is not a terminal, and the first width of the wide
   layout. */
#define MON_DEFAULT_COLS 80u
#define MON_WIDE_COLS 120u
#define MON_FULL_COLS 140u /* and every counter spelled out */
#define MON_LINE_MAX 256u
#define MON_LINES_MAX (16u + SL_SNAP_TILE_MAX + SL_SNAP_LINK_MAX * SL_RING_CONS_MAX)

typedef struct {
  const char *name;
  const char *config;
  int once, json, prom;
  uint64_t interval_ms;
} mon_opts_t;

/* Set by the signal handlers; any of them ends a wait early. */
static volatile int mon_stop, mon_resized, mon_wake;

static void on_stop(int sig) {
  (void)sig;
  mon_stop = 1;
  mon_wake = 1;
}

static void on_winch(int sig) {
  (void)sig;
  mon_resized = 1;
  mon_wake = 1;
}

static void usage(FILE *f) {
  fputs("usage: sluice monitor [--config FILE | --name NAME] [--once] [--json | --prometheus]\n"
        "                      [--interval MS]\n"
        "  --name NAME        instance to watch (default: the config's name, \"sluice\")\n"
        "  --config FILE      take the name and hugetlbfs mount from this config\n"
        "  --once             print one view and exit\n"
        "  --json             JSON: one snapshot with --once, else one line per interval\n"
        "  --prometheus       print the Prometheus text once (the metric tile serves it\n"
        "                     on [monitor] prometheus_listen)\n"
        "  --interval MS      refresh period, 10..3600000 (default 1000)\n",
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
    } else if (!strcmp(a, "--name") || !strcmp(a, "--config") || !strcmp(a, "--interval")) {
      if (!v) return usage_error("%s needs a value", a);
      i++;
      if (!strcmp(a, "--name")) o->name = v;
      else if (!strcmp(a, "--config")) o->config = v;
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

/* Takes a snapshot, giving an instance that is still starting up to
   MON_TOPO_WAIT_MS to publish its topology. */
static int take(const sl_wksp_t *w, sl_snapshot_t *s, sl_err_t *err) {
  uint64_t deadline = sl_now_ns() + MON_TOPO_WAIT_MS * 1000000ull;
  while (sl_snapshot_take(w, s, err)) {
    if (sl_topo_join(w) || sl_now_ns() > deadline || mon_stop) return -1;
    sl_sleep_ns(20000000ull, &mon_stop);
  }
  s->alive = sl_wksp_alive(w);
  return 0;
}

/* ------------------------------------------------------------------ */
/* The table: a frame of lines, laid out for a width                   */

typedef struct {
  uint32_t cols; /* the terminal's width (MON_DEFAULT_COLS off a terminal) */
  int wide;      /* cols >= MON_WIDE_COLS: more columns */
  uint32_t cnt;
  char line[MON_LINES_MAX][MON_LINE_MAX];
} frame_t;

__attribute__((format(printf, 2, 3))) static void emit(frame_t *f, const char *fmt, ...) {
  if (f->cnt == MON_LINES_MAX) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->line[f->cnt++], MON_LINE_MAX, fmt, ap);
  va_end(ap);
}

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

/* d per second over the sample; "-" without a previous snapshot. The
   header says the unit (/s), so the rates stay short. */
static const char *per_s(char *buf, size_t sz, const rate_ctx_t *r, uint64_t d, const char *unit) {
  if (!r->a || r->dt_s <= 0) return snprintf(buf, sz, "-"), buf;
  return si(buf, sz, (double)d / r->dt_s, unit);
}

static const char *rate(char *buf, size_t sz, const rate_ctx_t *r, uint32_t idx, const char *unit) {
  return per_s(buf, sz, r, delta(r, idx), unit);
}

static const char *pct(char *buf, size_t sz, const rate_ctx_t *r, uint32_t idx) {
  uint64_t all = delta(r, SL_M_BUSY_NS) + delta(r, SL_M_IDLE_NS) + delta(r, SL_M_BACKPRESSURE_NS) +
                 delta(r, SL_M_HOUSEKEEP_NS);
  if (!all) return snprintf(buf, sz, "-"), buf;
  snprintf(buf, sz, "%.1f", 100.0 * (double)delta(r, idx) / (double)all);
  return buf;
}

/* The main counters of a tile, per second. The compact form folds the
   verify tile's failures into "bad" and leaves overruns to the link table
   (the totals break both down). */
static void activity(char *out, size_t sz, const rate_ctx_t *r, int wide) {
  char a[24], b[24], c[24], d[24], e[24], f[24];
  const sl_snapshot_tile_t *t = r->b;
  switch (t->kind) {
  case SL_TILE_NET:
    snprintf(out, sz, "rx %s pub %s bad %s%s%s", rate(a, sizeof a, r, SL_M_NET_RX_PKTS, ""),
             rate(b, sizeof b, r, SL_M_NET_PUBLISHED, ""), rate(c, sizeof c, r, SL_M_NET_RX_MALFORMED, ""),
             wide ? " bytes " : "", wide ? rate(d, sizeof d, r, SL_M_NET_RX_BYTES, "B") : "");
    break;
  case SL_TILE_VERIFY:
    if (wide) {
      snprintf(out, sz, "in %s ok %s dup %s sigfail %s parsefail %s overrun %s",
               rate(a, sizeof a, r, SL_M_VERIFY_IN_FRAGS, ""), rate(b, sizeof b, r, SL_M_VERIFY_VERIFIED, ""),
               rate(c, sizeof c, r, SL_M_VERIFY_DEDUP_DROP, ""),
               rate(d, sizeof d, r, SL_M_VERIFY_SIGVERIFY_FAIL, ""),
               rate(e, sizeof e, r, SL_M_VERIFY_PARSE_FAIL, ""), rate(f, sizeof f, r, SL_M_VERIFY_OVERRUN, ""));
    } else {
      snprintf(out, sz, "in %s ok %s dup %s bad %s", rate(a, sizeof a, r, SL_M_VERIFY_IN_FRAGS, ""),
               rate(b, sizeof b, r, SL_M_VERIFY_VERIFIED, ""), rate(c, sizeof c, r, SL_M_VERIFY_DEDUP_DROP, ""),
               per_s(d, sizeof d, r,
                     delta(r, SL_M_VERIFY_SIGVERIFY_FAIL) + delta(r, SL_M_VERIFY_PARSE_FAIL), ""));
    }
    break;
  case SL_TILE_SINK:
    snprintf(out, sz, "txn %s lat %s p99 %s", rate(a, sizeof a, r, SL_M_SINK_TXNS, ""),
             dur(b, sizeof b, (double)t->v[SL_M_SINK_LATENCY_NS]),
             dur(c, sizeof c, (double)t->v[SL_M_SINK_LATENCY_P99_NS]));
    break;
  case SL_TILE_METRIC:
    snprintf(out, sz, "scrapes %s conns %" PRIu64 " dropped %" PRIu64,
             rate(a, sizeof a, r, SL_M_METRIC_SERVED, ""), t->v[SL_M_METRIC_CONNECTIONS],
             t->v[SL_M_METRIC_DROPPED]);
    break;
  default:
    snprintf(out, sz, "-");
  }
}

static void frame_tiles(frame_t *f, const sl_snapshot_t *prev, const sl_snapshot_t *cur, double dt_s) {
  if (f->wide)
    emit(f, "%-10s %-8s %7s %3s %7s %-8s %5s %5s %s", "TILE", "STATE", "PID", "CPU", "HB", "MODE",
         "BUSY%", "BP%", "PER SECOND");
  else
    emit(f, "%-9s %-8s %7s %7s %5s %s", "TILE", "STATE", "PID", "HB", "BUSY%", "PER SECOND");
  for (uint32_t id = 0; id < cur->tile_cnt; id++) {
    const sl_snapshot_tile_t *t = &cur->tile[id];
    rate_ctx_t r = {prev ? &prev->tile[id] : NULL, t, dt_s};
    char hb[16], busy[16], bp[16], act[256];
    if (t->heartbeat_age_ns < 0) snprintf(hb, sizeof hb, "-");
    else dur(hb, sizeof hb, (double)t->heartbeat_age_ns);
    activity(act, sizeof act, &r, f->cols >= MON_FULL_COLS);
    pct(busy, sizeof busy, &r, SL_M_BUSY_NS);
    if (f->wide)
      emit(f, "%-10s %-8s %7" PRId64 " %3" PRId64 " %7s %-8s %5s %5s %s", t->name,
           sl_tile_state_name(t->v[SL_M_STATE]), t->pid, t->cpu, hb, t->mode[0] ? t->mode : "-", busy,
           pct(bp, sizeof bp, &r, SL_M_BACKPRESSURE_NS), act);
    else
      emit(f, "%-9s %-8s %7" PRId64 " %7s %5s %s", t->name, sl_tile_state_name(t->v[SL_M_STATE]),
           t->pid, hb, busy, act);
  }
}

static void frame_links(frame_t *f, const sl_snapshot_t *prev, const sl_snapshot_t *cur, double dt_s) {
  if (f->wide)
    emit(f, "%-16s %13s %9s %8s  %-10s %13s %9s %12s %12s", "LINK", "PUBLISHED", "PUB/S", "BP",
         "CONSUMER", "CONSUMED", "LAG", "OVERRUN", "OVERRUN_RD");
  else
    emit(f, "%-15s %11s %7s  %-9s %11s %8s %8s", "LINK", "PUBLISHED", "PUB/S", "CONSUMER", "CONSUMED",
         "LAG", "OVERRUN");
  for (uint32_t i = 0; i < cur->link_cnt; i++) {
    const sl_snapshot_link_t *l = &cur->link[i];
    char ps[24] = "-";
    if (prev && dt_s > 0 && l->seq >= prev->link[i].seq)
      si(ps, sizeof ps, (double)(l->seq - prev->link[i].seq) / dt_s, "");
    for (uint32_t c = 0; c < l->cons_cnt; c++) {
      const sl_snapshot_cons_t *sc = &l->cons[c];
      uint64_t lag = l->seq > sc->seq ? l->seq - sc->seq : 0;
      char pub[24] = "", bpc[24] = "";
      if (!c) {
        snprintf(pub, sizeof pub, "%" PRIu64, l->seq);
        snprintf(bpc, sizeof bpc, "%" PRIu64, l->backpressure_cnt);
      }
      if (f->wide)
        emit(f, "%-16s %13s %9s %8s  %-10s %13" PRIu64 " %9" PRIu64 " %12" PRIu64 " %12" PRIu64,
             c ? "" : l->name, pub, c ? "" : ps, bpc, sc->tile, sc->frags, lag, sc->overrun_poll,
             sc->overrun_read);
      else
        emit(f, "%-15s %11s %7s  %-9s %11" PRIu64 " %8" PRIu64 " %8" PRIu64, c ? "" : l->name, pub,
             c ? "" : ps, sc->tile, sc->frags, lag, sc->overrun_poll + sc->overrun_read);
    }
  }
}

/* One frame from one snapshot (and the previous one, for rates). */
static void frame_build(frame_t *f, const sl_snapshot_t *prev, const sl_snapshot_t *cur) {
  f->cnt = 0;
  f->wide = f->cols >= MON_WIDE_COLS;
  int same = prev && prev->tile_cnt == cur->tile_cnt && prev->link_cnt == cur->link_cnt &&
             prev->created_wall_ns == cur->created_wall_ns;
  double dt_s = same ? (double)(cur->taken_ns - prev->taken_ns) / 1e9 : 0;
  if (!same) prev = NULL;
  uint64_t up_s = cur->taken_wall_ns > cur->created_wall_ns
                      ? (cur->taken_wall_ns - cur->created_wall_ns) / 1000000000ull
                      : 0;
  char rates[48] = "";
  if (dt_s > 0) snprintf(rates, sizeof rates, "  rates over the last %.2f s", dt_s);
  emit(f, "%s  pid %d %s  %s  up %" PRIu64 ":%02u:%02u%s", cur->name, (int)cur->creator_pid,
       !cur->alive ? "gone" : cur->stop ? "draining" : "running",
       sl_snapshot_provider_name(cur->provider), up_s / 3600, (unsigned)(up_s / 60 % 60),
       (unsigned)(up_s % 60), rates);
  emit(f, "%s%s", cur->path, cur->is_huge ? "" : " (no hugepages)");
  emit(f, "%s", "");
  frame_tiles(f, prev, cur, dt_s);
  emit(f, "%s", "");
  frame_links(f, prev, cur, dt_s);
  emit(f, "%s", "");
  const uint64_t *n = cur->total[SL_TILE_NET], *v = cur->total[SL_TILE_VERIFY],
                 *s = cur->total[SL_TILE_SINK];
  emit(f, "TOTALS  net: rx_pkts %" PRIu64 " published %" PRIu64 " rx_malformed %" PRIu64,
       n[SL_M_NET_RX_PKTS], n[SL_M_NET_PUBLISHED], n[SL_M_NET_RX_MALFORMED]);
  emit(f, "  verify: in_frags %" PRIu64 " verified %" PRIu64 " dedup_drop %" PRIu64,
       v[SL_M_VERIFY_IN_FRAGS], v[SL_M_VERIFY_VERIFIED], v[SL_M_VERIFY_DEDUP_DROP]);
  emit(f, "          sigverify_fail %" PRIu64 " parse_fail %" PRIu64 " overrun %" PRIu64,
       v[SL_M_VERIFY_SIGVERIFY_FAIL], v[SL_M_VERIFY_PARSE_FAIL], v[SL_M_VERIFY_OVERRUN]);
  emit(f, "  sink: txns %" PRIu64 " bytes %" PRIu64 " pcap_written %" PRIu64, s[SL_M_SINK_TXNS],
       s[SL_M_SINK_BYTES], s[SL_M_SINK_PCAP_WRITTEN]);
}

/* Off a terminal: the frame as plain lines, nothing clipped. */
static void frame_print(FILE *out, const frame_t *f) {
  for (uint32_t i = 0; i < f->cnt; i++) fprintf(out, "%s\n", f->line[i]);
}

/* On a terminal: home, then each line cleared and written clipped to one
   column short of the width (so the cursor never reaches the auto-wrap
   margin), the rest of the screen cleared; never more lines than rows, and
   no newline after the last row (which would scroll). */
static void frame_draw(FILE *out, const frame_t *f, uint32_t rows) {
  uint32_t width = f->cols > 1 ? f->cols - 1 : 1;
  uint32_t shown = f->cnt <= rows ? f->cnt : rows;
  fputs("\033[H", out);
  for (uint32_t i = 0; i < shown; i++) {
    char more[64];
    const char *text = f->line[i];
    if (shown < f->cnt && i == shown - 1) {
      snprintf(more, sizeof more, "... %u more lines: enlarge the terminal", f->cnt - shown + 1);
      text = more;
    }
    fprintf(out, "\033[2K%.*s%s", (int)width, text, i + 1 < shown ? "\r\n" : "");
  }
  fputs("\033[J", out);
}

/* The terminal's size; 0 if it cannot be had. */
static void term_size(uint32_t *cols, uint32_t *rows) {
  struct winsize ws;
  if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
    *cols = ws.ws_col;
    *rows = ws.ws_row;
  } else {
    *cols = MON_DEFAULT_COLS;
    *rows = 0;
  }
}

/* Alternate screen and a hidden cursor while the live table runs; both
   restored on every way out of watch(). */
static void term_enter(FILE *out) { fputs("\033[?1049h\033[?25l\033[H\033[2J", out); }
static void term_leave(FILE *out) {
  fputs("\033[?25h\033[?1049l", out);
  fflush(out);
}

/* Waits ms, or less if a signal comes (stop, resize). */
static void mon_wait(uint64_t ms) {
  mon_wake = 0;
  if (!mon_stop && !mon_resized) sl_sleep_ns(ms * 1000000ull, &mon_wake);
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

static void set_handlers(struct sigaction *old) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop; /* no SA_RESTART: the wait ends at once */
  sigaction(SIGINT, &sa, &old[0]);
  sigaction(SIGTERM, &sa, &old[1]);
  sigaction(SIGHUP, &sa, &old[2]);
  sa.sa_handler = on_winch;
  sigaction(SIGWINCH, &sa, &old[3]);
}

static void restore_handlers(const struct sigaction *old) {
  sigaction(SIGINT, &old[0], NULL);
  sigaction(SIGTERM, &old[1], NULL);
  sigaction(SIGHUP, &old[2], NULL);
  sigaction(SIGWINCH, &old[3], NULL);
}

/* The live views: table or NDJSON each interval until the instance stops
   or a signal comes. */
static int watch(const mon_opts_t *o, const sl_wksp_t *w, sl_snapshot_t *prev, sl_snapshot_t *cur,
                 frame_t *f) {
  struct sigaction old[4];
  set_handlers(old);
  int tty = !o->json && isatty(STDOUT_FILENO);
  FILE *note = o->json ? stderr : stdout; /* keep NDJSON on stdout pure */
  sl_err_t err;
  int rc = 0, have_prev = 0;
  uint32_t rows = 0;
  f->cols = MON_DEFAULT_COLS;
  if (tty) {
    term_size(&f->cols, &rows);
    term_enter(stdout);
  }
  if (!o->json) {
    /* The first rates need a second snapshot: take it soon. */
    have_prev = !take(w, prev, &err);
    mon_wait(o->interval_ms < MON_SAMPLE_MS ? o->interval_ms : MON_SAMPLE_MS);
  }
  while (!mon_stop) {
    if (mon_resized && tty) {
      mon_resized = 0;
      term_size(&f->cols, &rows);
      if (have_prev) { /* redraw the last frame at the new size at once */
        frame_build(f, NULL, prev);
        frame_draw(stdout, f, rows);
        fflush(stdout);
      }
    }
    /* The way out is reported on the normal screen, after leaving. */
    if (instance_gone(w)) {
      if (tty) term_leave(stdout);
      tty = 0;
      fprintf(note, "instance %s stopped\n", w->name);
      break;
    }
    if (take(w, cur, &err)) {
      if (instance_gone(w)) continue; /* reported above */
      if (tty) term_leave(stdout);
      tty = 0;
      fprintf(stderr, "sluice monitor: %s\n", err.msg);
      rc = 1;
      break;
    }
    if (o->json) {
      sl_snapshot_json(cur, stdout);
    } else {
      frame_build(f, have_prev ? prev : NULL, cur);
      if (!tty) fputc('\n', stdout);
      if (tty) frame_draw(stdout, f, rows);
      else frame_print(stdout, f);
      sl_snapshot_t *t = prev;
      prev = cur;
      cur = t;
      have_prev = 1;
    }
    fflush(stdout);
    mon_wait(o->interval_ms);
  }
  if (tty) term_leave(stdout);
  restore_handlers(old);
  return rc;
}

int sl_cmd_monitor(int argc, char **argv) {
  mon_opts_t o;
  int rc = parse_args(argc, argv, &o);
  if (rc >= 0) return rc;
  mon_stop = mon_resized = mon_wake = 0;

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
  frame_t *f = malloc(sizeof *f);
  if (!a || !b || !f) {
    fprintf(stderr, "sluice monitor: out of memory for snapshots\n");
    rc = 1;
  } else if (!o.once && !o.prom) {
    rc = watch(&o, &w, a, b, f);
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
    uint32_t rows;
    f->cols = MON_DEFAULT_COLS;
    if (isatty(STDOUT_FILENO)) term_size(&f->cols, &rows);
    frame_build(f, second ? a : NULL, second ? b : a);
    frame_print(stdout, f);
    rc = 0;
  }
  fflush(stdout);
  free(a);
  free(b);
  free(f);
  sl_wksp_leave(&w);
  return rc;
}
