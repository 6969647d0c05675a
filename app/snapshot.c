/* app/snapshot.c: copying an instance's tiles and links out of its
   workspace, and the snapshot's JSON form. */
#include "app/snapshot.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "util/time.h"

/* The workspace may be damaged or not ours: every offset is checked
   against the mapping before it is followed. */
static int in_map(const sl_wksp_t *w, uint64_t off, uint64_t sz) {
  return off <= w->size && sz <= w->size - off;
}

/* Copies a fixed-size name field that another process wrote, always
   NUL-terminated. */
static void copy_name(char *dst, const char *src, size_t sz) {
  memcpy(dst, src, sz);
  dst[sz - 1] = '\0';
}

static uint64_t load(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

static int take_tile(const sl_wksp_t *w, const sl_topo_t *topo, uint32_t id, sl_snapshot_tile_t *t,
                     sl_err_t *err) {
  const sl_topo_tile_t *tt = &topo->tile[id];
  uint64_t off = tt->metrics_off;
  if (!off || !in_map(w, off, sizeof(sl_metrics_t)) || (off & (SL_METRICS_ALIGN - 1)))
    return sl_err_set(err, "workspace %s: tile %u: metrics offset %" PRIu64 " outside the mapping",
                      w->path, id, off);
  const sl_metrics_t *m = sl_metrics_join(sl_wksp_laddr(w, off));
  if (!m || m->kind >= SL_TILE_KIND_CNT)
    return sl_err_set(err, "workspace %s: tile %u: no metrics block at offset %" PRIu64, w->path, id,
                      off);
  memset(t, 0, sizeof *t);
  t->kind = m->kind;
  t->idx = m->tile_idx;
  copy_name(t->name, m->name, sizeof t->name);
  copy_name(t->mode, m->mode, sizeof t->mode);
  if (!t->mode[0] && t->kind == SL_TILE_NET && t->idx < SL_NET_TILE_MAX)
    copy_name(t->mode, topo->net_mode[t->idx], sizeof t->mode);
  for (uint32_t i = 0; i < SL_METRICS_CNT; i++) t->v[i] = load(&m->v[i]);
  /* Until the tile writes its own record, the supervisor's (pid after
     fork, CPU from the layout) is the best there is. */
  if (t->v[SL_M_PID]) {
    t->pid = (int64_t)t->v[SL_M_PID];
    t->cpu = (int64_t)t->v[SL_M_CPU];
  } else {
    t->pid = __atomic_load_n(&tt->pid, __ATOMIC_RELAXED);
    t->cpu = tt->cpu;
  }
  return 0;
}

/* A ring at off, validated: header in the mapping, magic, every line it
   points at inside its own footprint. */
static const sl_ring_t *ring_at(const sl_wksp_t *w, uint64_t off, const char *what, uint32_t i,
                                sl_err_t *err) {
  if (!off || !in_map(w, off, sizeof(sl_ring_t))) {
    sl_err_set(err, "workspace %s: %s ring %u: offset %" PRIu64 " outside the mapping", w->path, what,
               i, off);
    return NULL;
  }
  const sl_ring_t *r = sl_wksp_laddr(w, off);
  if (r->magic != SL_RING_MAGIC || r->cons_cnt < 1 || r->cons_cnt > SL_RING_CONS_MAX ||
      !in_map(w, off, r->footprint) || r->prod_off > r->footprint ||
      sizeof(sl_ring_pline_t) > r->footprint - r->prod_off || r->cons_off > r->footprint ||
      (uint64_t)r->cons_cnt * sizeof(int64_t) > r->footprint - r->cons_off) {
    sl_err_set(err, "workspace %s: %s ring %u at offset %" PRIu64 " is not a valid ring", w->path,
               what, i, off);
    return NULL;
  }
  /* Each consumer's line may live elsewhere in the workspace: inside it,
     and aligned, or the ring is not one we follow. */
  for (uint32_t c = 0; c < r->cons_cnt; c++) {
    int64_t rel = sl_ring_fseq_rel(r, c);
    uint64_t at = off + (uint64_t)rel;
    if ((rel < 0 && (uint64_t)-rel > off) || !in_map(w, at, sizeof(sl_ring_fseq_t)) || (at & 127)) {
      sl_err_set(err, "workspace %s: %s ring %u at offset %" PRIu64 ": consumer %u's line is outside the mapping",
                 w->path, what, i, off, c);
      return NULL;
    }
  }
  return r;
}

/* The directory name of the object at off (the ring's link name). */
static void obj_name_at(const sl_wksp_t *w, uint64_t off, char *buf, size_t sz) {
  sl_wksp_obj_t o;
  for (uint32_t i = 0; i < sl_wksp_obj_cnt(w); i++)
    if (!sl_wksp_obj_at(w, i, &o) && o.off == off && o.kind == SL_OBJ_RING) {
      o.name[sizeof o.name - 1] = '\0';
      snprintf(buf, sz, "%s", o.name);
      return;
    }
  snprintf(buf, sz, "ring@%" PRIu64, off);
}

/* A link whose producer is what:i and whose consumer (the only one in a
   sluice topology) is the tile named cons_name. */
static int take_link(const sl_wksp_t *w, uint64_t off, const char *what, uint32_t i,
                     const char *cons_name, sl_snapshot_link_t *l, sl_err_t *err) {
  const sl_ring_t *r = ring_at(w, off, what, i, err);
  if (!r) return -1;
  memset(l, 0, sizeof *l);
  obj_name_at(w, off, l->name, sizeof l->name);
  snprintf(l->producer, sizeof l->producer, "%s:%u", what, i);
  l->reliable = r->reliable;
  l->cons_cnt = r->cons_cnt;
  l->depth = r->depth;
  const sl_ring_pline_t *p = sl_ring_pline(r);
  l->seq = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE);
  l->backpressure_cnt = load(&p->backpressure_cnt);
  if (l->cons_cnt > SL_SNAP_CONS_MAX) l->cons_cnt = SL_SNAP_CONS_MAX;
  for (uint32_t c = 0; c < l->cons_cnt; c++) {
    const sl_ring_fseq_t *f = sl_ring_fseq(r, c);
    sl_snapshot_cons_t *sc = &l->cons[c];
    if (c == 0) snprintf(sc->tile, sizeof sc->tile, "%s", cons_name);
    else snprintf(sc->tile, sizeof sc->tile, "%s#%u", cons_name, c);
    sc->seq = __atomic_load_n(&f->seq, __ATOMIC_ACQUIRE);
    sc->frags = load(&f->frags);
    sc->overrun_poll = load(&f->overrun_poll);
    sc->overrun_read = load(&f->overrun_read);
  }
  return 0;
}

int sl_snapshot_take(const sl_wksp_t *w, sl_snapshot_t *s, sl_err_t *err) {
  if (!w || !w->base) return sl_err_set(err, "snapshot: workspace not joined");
  const sl_wksp_hdr_t *h = sl_wksp_hdr(w);
  const sl_topo_t *topo = sl_topo_join(w);
  if (!topo)
    return sl_err_set(err,
                      "workspace %s: no topology yet (instance starting, or not made by sluice "
                      "run); retry in a moment",
                      w->path);
  uint32_t n = topo->net_cnt, v = topo->verify_cnt;
  if (n < 1 || n > SL_NET_TILE_MAX || v < 1 || v > SL_VERIFY_TILE_MAX || topo->tile_cnt != n + v + 1)
    return sl_err_set(err, "workspace %s: topology has bad tile counts (net %u, verify %u, tiles %u)",
                      w->path, n, v, topo->tile_cnt);

  memset(s, 0, offsetof(sl_snapshot_t, tile));
  copy_name(s->name, h->name, sizeof s->name);
  snprintf(s->path, sizeof s->path, "%s", w->path);
  s->creator_pid = h->creator_pid;
  s->is_huge = w->is_huge;
  s->provider = topo->net_provider;
  s->stop = __atomic_load_n(&topo->stop, __ATOMIC_RELAXED);
  s->created_wall_ns = h->creator_wall_ns;
  s->net_cnt = n;
  s->verify_cnt = v;
  s->tile_cnt = topo->tile_cnt;
  s->link_cnt = n * v + v;

  for (uint32_t id = 0; id < s->tile_cnt; id++)
    if (take_tile(w, topo, id, &s->tile[id], err)) return -1;
  char cons[SL_TILE_NAME_MAX];
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < v; j++) {
      snprintf(cons, sizeof cons, "verify:%u", j);
      if (take_link(w, topo->net_ring[i][j], "net", i, cons, &s->link[i * v + j], err)) return -1;
    }
  for (uint32_t i = 0; i < v; i++)
    if (take_link(w, topo->verify_ring[i], "verify", i, "sink:0", &s->link[n * v + i], err)) return -1;

  /* Taken after the values, so every heartbeat read is in the past. */
  s->taken_ns = sl_now_ns();
  s->taken_wall_ns = sl_wall_ns();
  s->alive = sl_wksp_alive(w);
  memset(s->total, 0, sizeof s->total);
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    sl_snapshot_tile_t *t = &s->tile[id];
    uint64_t hb = t->v[SL_M_HEARTBEAT_NS];
    t->heartbeat_age_ns = !hb ? -1 : hb >= s->taken_ns ? 0 : (int64_t)(s->taken_ns - hb);
    for (uint32_t i = 0; i < sl_metrics_cnt(t->kind); i++)
      if (sl_metrics_name(t->kind, i) && sl_metrics_type(t->kind, i) == SL_METRIC_COUNTER)
        s->total[t->kind][i] += t->v[i];
  }
  return 0;
}

const sl_snapshot_tile_t *sl_snapshot_tile_find(const sl_snapshot_t *s, const char *name) {
  for (uint32_t id = 0; id < s->tile_cnt; id++)
    if (name && !strcmp(s->tile[id].name, name)) return &s->tile[id];
  return NULL;
}

const char *sl_snapshot_provider_name(uint32_t provider) {
  return provider == SL_NET_XDP ? "xdp" : provider == SL_NET_IO_URING ? "io_uring" : "none";
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

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
