/* tiles/metric/metric_prom.c: the Prometheus text exposition of a
   snapshot. */
#include "tiles/metric/metric_prom.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shmem/metrics.h"
#include "util/version.h"

/* Output that keeps counting past the end of the buffer, so the caller
   learns the size the whole text needs. With worst set, nothing is written:
   every number and every label value from the workspace counts as its
   widest possible form, which bounds the text of any snapshot of the same
   topology (sl_prom_render_max). */
typedef struct {
  char *buf;
  size_t sz;
  size_t len;
  int worst;
} out_t;

__attribute__((format(printf, 2, 3))) static void put(out_t *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = !o->worst && o->len < o->sz ? o->sz - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

#define U64_WIDTH 20u  /* 18446744073709551615 */
#define I64_WIDTH 20u  /* -9223372036854775808 */
#define SECS_WIDTH 21u /* 18446744073.709551615 */

static void put_u64(out_t *o, uint64_t v) {
  if (o->worst) o->len += U64_WIDTH;
  else put(o, "%" PRIu64, v);
}

static void put_i64(out_t *o, int64_t v) {
  if (o->worst) o->len += I64_WIDTH;
  else put(o, "%" PRId64, v);
}

/* Nanoseconds as exact decimal seconds ("1.5", "0.000002", "3"). */
static void put_secs(out_t *o, uint64_t ns) {
  if (o->worst) {
    o->len += SECS_WIDTH;
    return;
  }
  uint64_t frac = ns % UINT64_C(1000000000);
  put(o, "%" PRIu64, ns / UINT64_C(1000000000));
  if (!frac) return;
  char digits[10];
  snprintf(digits, sizeof digits, "%09" PRIu64, frac);
  for (int i = 8; i > 0 && digits[i] == '0'; i--) digits[i] = '\0';
  put(o, ".%s", digits);
}

/* key="value". cap > 0: val came from the workspace (at most cap bytes);
   it is written printable ASCII only, escaped as the format requires.
   cap == 0: val is one of our own constants. */
static void put_label(out_t *o, const char *key, const char *val, size_t cap) {
  put(o, "%s=\"", key);
  if (o->worst && cap) {
    o->len += 2 * cap;
  } else {
    for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
      if (*p == '\\' || *p == '"') put(o, "\\%c", *p);
      else put(o, "%c", *p >= 0x20 && *p < 0x7f ? *p : '?');
    }
  }
  put(o, "\"");
}

static void put_family(out_t *o, const char *name, const char *type, const char *help) {
  put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_tile_labels(out_t *o, const sl_snapshot_tile_t *t) {
  put_label(o, "tile", t->name, sizeof t->name - 1);
  put(o, ",");
  put_label(o, "kind", sl_tile_kind_name(t->kind), 0);
}

/* One sample line: NAME{tile="..",kind=".."[,extra]} then the value. */
static void put_tile_sample(out_t *o, const char *fam, const sl_snapshot_tile_t *t) {
  put(o, "%s{", fam);
  put_tile_labels(o, t);
  put(o, "} ");
}

static void render_instance(out_t *o, const sl_snapshot_t *s) {
  put_family(o, "sluice_build_info", "gauge", "Always 1; the labels name the build of sluice.");
  put(o, "sluice_build_info{");
  put_label(o, "version", sl_version(), 0);
  put(o, ",");
#if defined(__clang__)
  put_label(o, "compiler", "clang " __clang_version__, 0);
#else
  put_label(o, "compiler", "gcc " __VERSION__, 0);
#endif
  put(o, "} 1\n");

  put_family(o, "sluice_instance_info", "gauge",
             "Always 1; the labels name the instance and its net provider.");
  put(o, "sluice_instance_info{");
  put_label(o, "name", s->name, sizeof s->name - 1);
  put(o, ",");
  put_label(o, "provider", sl_snapshot_provider_name(s->provider), 0);
  put(o, "} 1\n");

  put_family(o, "sluice_start_time_seconds", "gauge", "Unix time the instance was started.");
  put(o, "sluice_start_time_seconds ");
  put_secs(o, s->created_wall_ns);
  put(o, "\n");

  put_family(o, "sluice_draining", "gauge", "1 once the instance was asked to stop and is draining.");
  put(o, "sluice_draining %d\n", s->stop ? 1 : 0);
}

static void render_tile_common(out_t *o, const sl_snapshot_t *s) {
  put_family(o, "sluice_tile_info", "gauge",
             "Always 1 per tile; the labels carry its mode (a net tile's provider, a verify tile's ed25519 "
             "backend), pid and CPU (-1: not pinned).");
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    const sl_snapshot_tile_t *t = &s->tile[id];
    put(o, "sluice_tile_info{");
    put_tile_labels(o, t);
    put(o, ",");
    put_label(o, "mode", t->mode, sizeof t->mode - 1);
    put(o, ",pid=\"");
    put_i64(o, t->pid);
    put(o, "\",cpu=\"");
    put_i64(o, t->cpu);
    put(o, "\"} 1\n");
  }

  put_family(o, "sluice_tile_state", "gauge",
             "1 for the state the tile is in, 0 for the others (booting, running, stopping, stopped, failed).");
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    const sl_snapshot_tile_t *t = &s->tile[id];
    for (uint64_t st = SL_TILE_BOOTING; st <= SL_TILE_FAILED; st++) {
      put(o, "sluice_tile_state{");
      put_tile_labels(o, t);
      put(o, ",");
      put_label(o, "state", sl_tile_state_name(st), 0);
      put(o, "} %d\n", t->v[SL_M_STATE] == st);
    }
  }

  put_family(o, "sluice_tile_heartbeat_age_seconds", "gauge",
             "Seconds since the tile's last heartbeat (absent before the first).");
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    const sl_snapshot_tile_t *t = &s->tile[id];
    if (t->heartbeat_age_ns < 0 && !o->worst) continue;
    put_tile_sample(o, "sluice_tile_heartbeat_age_seconds", t);
    put_secs(o, t->heartbeat_age_ns < 0 ? 0 : (uint64_t)t->heartbeat_age_ns);
    put(o, "\n");
  }
}

/* 1 if (kind, idx) is the first schema entry exposed under fam, so each
   family is declared once. */
static int first_of_family(uint32_t kind, uint32_t idx, const char *fam) {
  for (uint32_t k = 0; k <= kind; k++)
    for (uint32_t i = 0; i < (k == kind ? idx : sl_metrics_cnt(k)); i++) {
      const char *p = sl_metrics_prom_name(k, i);
      if (p && !strcmp(p, fam)) return 0;
    }
  return 1;
}

/* The index of kind exposed under fam, or -1. */
static int member_of(uint32_t kind, const char *fam) {
  for (uint32_t i = 0; i < sl_metrics_cnt(kind); i++) {
    const char *p = sl_metrics_prom_name(kind, i);
    if (p && !strcmp(p, fam)) return (int)i;
  }
  return -1;
}

/* Every family of the schema, its samples together (the format requires
   it): a family, then each tile of a kind that has it, in topology order. */
static void render_schema(out_t *o, const sl_snapshot_t *s) {
  for (uint32_t k = 0; k < SL_TILE_KIND_CNT; k++) {
    for (uint32_t i = 0; i < sl_metrics_cnt(k); i++) {
      const char *fam = sl_metrics_prom_name(k, i);
      if (!fam || !first_of_family(k, i, fam)) continue;
      int counter = sl_metrics_type(k, i) == SL_METRIC_COUNTER;
      const char *name = sl_metrics_name(k, i);
      size_t nl = strlen(name);
      int ns = nl > 3 && !strcmp(name + nl - 3, "_ns");
      put_family(o, fam, counter ? "counter" : "gauge", sl_metrics_help(k, i));
      for (uint32_t id = 0; id < s->tile_cnt; id++) {
        const sl_snapshot_tile_t *t = &s->tile[id];
        int idx = member_of(t->kind, fam);
        if (idx < 0) continue;
        put_tile_sample(o, fam, t);
        if (ns) put_secs(o, t->v[idx]);
        else if (counter) put_u64(o, t->v[idx]);
        else put_i64(o, (int64_t)t->v[idx]);
        put(o, "\n");
      }
    }
  }
}

/* The sink's latency histogram: buckets are cumulative in the block
   already; _count is the +Inf bucket, so the two always agree. */
static void render_latency(out_t *o, const sl_snapshot_t *s) {
  const char *fam = "sluice_txn_latency_seconds";
  int any = 0;
  for (uint32_t id = 0; id < s->tile_cnt; id++) any |= s->tile[id].kind == SL_TILE_SINK;
  if (!any) return;
  put_family(o, fam, "histogram", "Time from a transaction's arrival (net tile) to the sink.");
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    const sl_snapshot_tile_t *t = &s->tile[id];
    if (t->kind != SL_TILE_SINK) continue;
    for (uint32_t b = 0; b < SL_METRICS_LATENCY_BUCKETS; b++) {
      put(o, "%s_bucket{", fam);
      put_tile_labels(o, t);
      put(o, ",le=\"");
      if (b + 1 < SL_METRICS_LATENCY_BUCKETS) put_secs(o, sl_metrics_latency_le_ns(b));
      else put(o, "+Inf");
      put(o, "\"} ");
      put_u64(o, t->v[SL_M_SINK_LATENCY_LE + b]);
      put(o, "\n");
    }
    put(o, "%s_sum{", fam);
    put_tile_labels(o, t);
    put(o, "} ");
    put_secs(o, t->v[SL_M_SINK_LATENCY_SUM_NS]);
    put(o, "\n%s_count{", fam);
    put_tile_labels(o, t);
    put(o, "} ");
    put_u64(o, t->v[SL_M_SINK_LATENCY_LE + SL_METRICS_LATENCY_BUCKETS - 1]);
    put(o, "\n");
  }
}

/* The kind of a tile named "kind:idx" (the snapshot names link ends so),
   as a constant label value; "" if the name names no kind. */
static const char *kind_of_name(const char *name) {
  char kind[SL_TILE_NAME_MAX];
  size_t n = strcspn(name, ":");
  if (n >= sizeof kind) return "";
  memcpy(kind, name, n);
  kind[n] = '\0';
  int k = sl_tile_kind_parse(kind);
  return k < 0 ? "" : sl_tile_kind_name((uint32_t)k);
}

static void put_link_sample(out_t *o, const char *fam, const sl_snapshot_link_t *l, const char *tile) {
  put(o, "%s{", fam);
  put_label(o, "link", l->name, sizeof l->name - 1);
  put(o, ",");
  put_label(o, "tile", tile, SL_TILE_NAME_MAX - 1);
  put(o, ",");
  put_label(o, "kind", kind_of_name(tile), 0);
  put(o, "} ");
}

enum { L_DEPTH, L_PUBLISHED, L_BACKPRESSURE, L_CONSUMED, L_LAG, L_OVERRUN_POLL, L_OVERRUN_READ };

static void render_links(out_t *o, const sl_snapshot_t *s) {
  static const struct {
    const char *fam, *type, *help;
  } lf[] = {
      [L_DEPTH] = {"sluice_link_depth", "gauge", "Entries in the link's ring."},
      [L_PUBLISHED] = {"sluice_link_published_total", "counter", "Frags the producer has published on the link."},
      [L_BACKPRESSURE] = {"sluice_link_backpressure_waits_total", "counter", "Times the producer waited for credit on the link."},
      [L_CONSUMED] = {"sluice_link_consumed_total", "counter", "Frags the consumer has read from the link."},
      [L_LAG] = {"sluice_link_lag", "gauge", "Frags published on the link that the consumer has not read yet."},
      [L_OVERRUN_POLL] = {"sluice_link_overrun_frags_total", "counter", "Frags the consumer lost to lapping on the link."},
      [L_OVERRUN_READ] = {"sluice_link_overrun_reads_total", "counter", "Payload reads the consumer voided (overrun while reading)."},
  };
  for (uint32_t f = 0; f < sizeof lf / sizeof *lf; f++) {
    put_family(o, lf[f].fam, lf[f].type, lf[f].help);
    for (uint32_t i = 0; i < s->link_cnt; i++) {
      const sl_snapshot_link_t *l = &s->link[i];
      if (f <= L_BACKPRESSURE) {
        put_link_sample(o, lf[f].fam, l, l->producer);
        put_u64(o, f == L_DEPTH ? l->depth : f == L_PUBLISHED ? l->seq : l->backpressure_cnt);
        put(o, "\n");
        continue;
      }
      for (uint32_t c = 0; c < l->cons_cnt; c++) {
        const sl_snapshot_cons_t *sc = &l->cons[c];
        uint64_t v = f == L_CONSUMED       ? sc->frags
                     : f == L_LAG          ? (l->seq > sc->seq ? l->seq - sc->seq : 0)
                     : f == L_OVERRUN_POLL ? sc->overrun_poll
                                           : sc->overrun_read;
        put_link_sample(o, lf[f].fam, l, sc->tile);
        put_u64(o, v);
        put(o, "\n");
      }
    }
  }
}

static size_t render(const sl_snapshot_t *s, out_t *o) {
  render_instance(o, s);
  render_tile_common(o, s);
  render_schema(o, s);
  render_latency(o, s);
  render_links(o, s);
  return o->len;
}

size_t sl_prom_render(const sl_snapshot_t *s, char *buf, size_t sz) {
  out_t o = {buf, sz, 0, 0};
  if (sz) buf[0] = '\0';
  return render(s, &o);
}

size_t sl_prom_render_max(const sl_snapshot_t *s) {
  out_t o = {NULL, 0, 0, 1};
  return render(s, &o);
}
