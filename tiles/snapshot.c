/* tiles/snapshot.c: copying an instance's tiles and links out of its
   workspace. */
#include "tiles/snapshot.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
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
  if (!m || m->kind >= SL_TILE_KIND_CNT || m->kind != tt->kind)
    return sl_err_set(err, "workspace %s: tile %u: no metrics block of its kind at offset %" PRIu64,
                      w->path, id, off);
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
  /* Consumers first: what they have read was published before, so the
     producer line read after them is at least as recent. It is written only
     in the producer's housekeeping, though, and may still trail a consumer
     that publishes per burst: a consumer's seq proves the producer got that
     far. */
  uint64_t furthest = 0;
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
    if (sc->seq > furthest) furthest = sc->seq;
  }
  const sl_ring_pline_t *p = sl_ring_pline(r);
  l->seq = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE);
  l->backpressure_cnt = load(&p->backpressure_cnt);
  if (l->seq < furthest) l->seq = furthest;
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
  if (!in_map(w, sl_wksp_gaddr(w, topo), sizeof *topo))
    return sl_err_set(err, "workspace %s: topology outside the mapping", w->path);
  uint32_t n = topo->net_cnt, v = topo->verify_cnt;
  if (n < 1 || n > SL_NET_TILE_MAX || v < 1 || v > SL_VERIFY_TILE_MAX || topo->metric_cnt > 1 ||
      topo->tile_cnt != n + v + 1 + topo->metric_cnt)
    return sl_err_set(err,
                      "workspace %s: topology has bad tile counts (net %u, verify %u, metric %u, "
                      "tiles %u)",
                      w->path, n, v, topo->metric_cnt, topo->tile_cnt);

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

  /* Downstream first (topology order is upstream first), so a count a
     consumer reports never runs ahead of its producer's in one snapshot. */
  for (uint32_t id = s->tile_cnt; id-- > 0;)
    if (take_tile(w, topo, id, &s->tile[id], err)) return -1;
  /* Downstream first here too: the verify rings, then the net rings. */
  char cons[SL_TILE_NAME_MAX];
  for (uint32_t i = v; i-- > 0;)
    if (take_link(w, topo->verify_ring[i], "verify", i, "sink:0", &s->link[n * v + i], err)) return -1;
  for (uint32_t i = n; i-- > 0;)
    for (uint32_t j = v; j-- > 0;) {
      snprintf(cons, sizeof cons, "verify:%u", j);
      if (take_link(w, topo->net_ring[i][j], "net", i, cons, &s->link[i * v + j], err)) return -1;
    }

  /* Taken after the values, so every heartbeat read is in the past. */
  s->taken_ns = sl_now_ns();
  s->taken_wall_ns = sl_wall_ns();
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
