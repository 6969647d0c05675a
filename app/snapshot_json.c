/* app/snapshot_json.c: the JSON form of a snapshot (the monitor's --json). */
#include "app/snapshot_json.h"

#include <inttypes.h>

static void json_str(FILE *f, const char *str) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

/* Gauges may hold a signed value (cpu -1); counters are unsigned. */
static void json_metric(FILE *f, uint32_t kind, uint32_t idx, uint64_t val) {
  fprintf(f, ",\"%s\":", sl_metrics_name(kind, idx));
  if (sl_metrics_type(kind, idx) == SL_METRIC_GAUGE) fprintf(f, "%" PRId64, (int64_t)val);
  else fprintf(f, "%" PRIu64, val);
}

static void json_tile(FILE *f, const sl_snapshot_tile_t *t) {
  fputs("{\"name\":", f);
  json_str(f, t->name);
  fprintf(f, ",\"kind\":\"%s\",\"idx\":%u,\"mode\":", sl_tile_kind_name(t->kind), t->idx);
  json_str(f, t->mode);
  fprintf(f, ",\"state\":\"%s\",\"pid\":%" PRId64 ",\"cpu\":%" PRId64 ",\"heartbeat_age_ms\":",
          sl_tile_state_name(t->v[SL_M_STATE]), t->pid, t->cpu);
  if (t->heartbeat_age_ns < 0) fputs("null", f);
  else fprintf(f, "%.3f", (double)t->heartbeat_age_ns / 1e6);
  for (uint32_t i = 0; i < sl_metrics_cnt(t->kind); i++) {
    if (!sl_metrics_name(t->kind, i) || i == SL_M_STATE || i == SL_M_PID || i == SL_M_CPU) continue;
    json_metric(f, t->kind, i, t->v[i]);
  }
  fputc('}', f);
}

static void json_link(FILE *f, const sl_snapshot_link_t *l) {
  fputs("{\"name\":", f);
  json_str(f, l->name);
  fputs(",\"producer\":", f);
  json_str(f, l->producer);
  fprintf(f,
          ",\"reliable\":%s,\"depth\":%" PRIu64 ",\"published\":%" PRIu64
          ",\"backpressure_cnt\":%" PRIu64 ",\"consumers\":[",
          l->reliable ? "true" : "false", l->depth, l->seq, l->backpressure_cnt);
  for (uint32_t c = 0; c < l->cons_cnt; c++) {
    const sl_snapshot_cons_t *sc = &l->cons[c];
    /* Both lines are published in housekeeping, so the producer's may
       trail the consumer's: a negative lag is shown as 0. */
    int64_t lag = (int64_t)(l->seq - sc->seq);
    fprintf(f, "%s{\"tile\":", c ? "," : "");
    json_str(f, sc->tile);
    fprintf(f,
            ",\"seq\":%" PRIu64 ",\"consumed\":%" PRIu64 ",\"lag\":%" PRIu64
            ",\"overrun_poll\":%" PRIu64 ",\"overrun_read\":%" PRIu64 "}",
            sc->seq, sc->frags, lag > 0 ? (uint64_t)lag : 0, sc->overrun_poll, sc->overrun_read);
  }
  fputs("]}", f);
}

int sl_snapshot_json(const sl_snapshot_t *s, FILE *f) {
  fputs("{\"instance\":{\"name\":", f);
  json_str(f, s->name);
  fprintf(f, ",\"pid\":%d,\"alive\":%s,\"provider\":\"%s\",\"path\":", (int)s->creator_pid,
          s->alive ? "true" : "false", sl_snapshot_provider_name(s->provider));
  json_str(f, s->path);
  fprintf(f,
          ",\"hugepages\":%s,\"stopping\":%s,\"created_wall_ns\":%" PRIu64
          ",\"taken_wall_ns\":%" PRIu64 ",\"taken_ns\":%" PRIu64
          ",\"net_tiles\":%u,\"verify_tiles\":%u},\"tiles\":[",
          s->is_huge ? "true" : "false", s->stop ? "true" : "false", s->created_wall_ns,
          s->taken_wall_ns, s->taken_ns, s->net_cnt, s->verify_cnt);
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    if (id) fputc(',', f);
    json_tile(f, &s->tile[id]);
  }
  fputs("],\"links\":[", f);
  for (uint32_t i = 0; i < s->link_cnt; i++) {
    if (i) fputc(',', f);
    json_link(f, &s->link[i]);
  }
  fputs("],\"totals\":{", f);
  for (uint32_t k = 0; k < SL_TILE_KIND_CNT; k++) {
    fprintf(f, "%s\"%s\":{", k ? "," : "", sl_tile_kind_name(k));
    int first = 1;
    for (uint32_t i = 0; i < sl_metrics_cnt(k); i++) {
      if (!sl_metrics_name(k, i) || sl_metrics_type(k, i) != SL_METRIC_COUNTER) continue;
      fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", sl_metrics_name(k, i), s->total[k][i]);
      first = 0;
    }
    fputc('}', f);
  }
  fputs("}}\n", f);
  return ferror(f) ? -1 : 0;
}
