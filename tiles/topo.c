#include "tiles/topo.h"

#include <stdio.h>
#include <string.h>

#include "shmem/ring.h"
#include "shmem/tcache.h"
#include "tiles/frame.h"

/* Verified frames are copied once into the verify ring's payload slots, so
   a slot holds the largest frame a net tile may publish. */
#define SL_TOPO_VERIFY_MTU SL_FRAME_MAX_SZ

static uint64_t pool_frames(const sl_config_t *cfg) {
  return cfg->shmem.ring_depth + SL_TOPO_POOL_SLACK(cfg->net.rx_queue_size);
}

/* Pools are page aligned: AF_XDP registers them as UMEM. */
#define SL_TOPO_POOL_ALIGN 4096ull

uint64_t sl_topo_footprint(const sl_config_t *cfg) {
  uint32_t n = cfg->layout.net_tile_count, v = cfg->layout.verify_tile_count;
  uint64_t depth = cfg->shmem.ring_depth;
  uint64_t sz = sl_wksp_budget(128, sizeof(sl_topo_t));
  uint32_t m = *cfg->monitor.prometheus_listen ? 1 : 0;
  sz += (uint64_t)(n + v + 1 + m) * sl_wksp_budget(sl_metrics_align(), sl_metrics_footprint());
  sz += n * sl_wksp_budget(sl_ring_align(), sl_ring_footprint(depth, v, 0));
  sz += n * sl_wksp_budget(SL_TOPO_POOL_ALIGN, pool_frames(cfg) * cfg->net.frame_size);
  sz += v * sl_wksp_budget(sl_ring_align(), sl_ring_footprint(depth, 1, SL_TOPO_VERIFY_MTU));
  sz += v * sl_wksp_budget(sl_tcache_align(), sl_tcache_footprint(cfg->verify.dedup_cache_size));
  return sz;
}

int sl_topo_build(sl_wksp_t *w, const sl_config_t *cfg, const int32_t *cpus, uint32_t cpu_cnt,
                  sl_topo_t **out, sl_err_t *err) {
  uint32_t n = cfg->layout.net_tile_count, v = cfg->layout.verify_tile_count;
  if (n < 1 || n > SL_TOPO_NET_MAX || v < 1 || v > SL_TOPO_VERIFY_MAX)
    return sl_err_set(err, "tile counts out of range (net %u, verify %u; each 1..64)", n, v);
  uint64_t off;
  if (sl_wksp_alloc(w, SL_TOPO_NAME, SL_OBJ_OTHER, 128, sizeof(sl_topo_t), &off, err)) return -1;
  sl_topo_t *t = sl_wksp_laddr(w, off);
  memset(t, 0, sizeof *t);
  t->net_cnt = n;
  t->verify_cnt = v;
  t->metric_cnt = *cfg->monitor.prometheus_listen ? 1 : 0;
  t->tile_cnt = n + v + 1 + t->metric_cnt;
  t->sig_seed = sl_wksp_hdr(w)->tag_seed;
  t->ring_depth = cfg->shmem.ring_depth;
  t->frame_sz = cfg->net.frame_size;
  t->pool_frame_cnt = pool_frames(cfg);

  for (uint32_t id = 0; id < t->tile_cnt; id++) {
    sl_topo_tile_t *tt = &t->tile[id];
    tt->kind = id < n ? SL_TILE_NET : id < n + v ? SL_TILE_VERIFY : id == n + v ? SL_TILE_SINK : SL_TILE_METRIC;
    tt->idx = id < n ? id : id < n + v ? id - n : 0;
    /* The metric tile floats: it takes no CPU of the plan. */
    tt->cpu = cpu_cnt && tt->kind != SL_TILE_METRIC ? cpus[id % cpu_cnt] : -1;
    if (sl_metrics_create(w, tt->kind, tt->idx, &tt->metrics_off, err)) return -1;
  }
  char name[SL_WKSP_OBJ_NAME_MAX];
  for (uint32_t i = 0; i < n; i++) {
    snprintf(name, sizeof name, "net:%u->verify", i);
    if (sl_ring_create(w, name, t->ring_depth, v, 0, 0, &t->net_ring[i], err)) return -1;
    snprintf(name, sizeof name, "net:%u.pool", i);
    if (sl_wksp_alloc(w, name, SL_OBJ_UMEM, SL_TOPO_POOL_ALIGN, t->pool_frame_cnt * t->frame_sz,
                      &t->pool[i], err))
      return -1;
  }
  for (uint32_t i = 0; i < v; i++) {
    snprintf(name, sizeof name, "verify:%u->sink", i);
    if (sl_ring_create(w, name, t->ring_depth, 1, SL_TOPO_VERIFY_MTU, 1, &t->verify_ring[i], err))
      return -1;
    snprintf(name, sizeof name, "verify:%u.tcache", i);
    if (sl_tcache_create(w, name, cfg->verify.dedup_cache_size, &t->tcache[i], err)) return -1;
  }
  t->magic = SL_TOPO_MAGIC;
  *out = t;
  return 0;
}

sl_topo_t *sl_topo_join(const sl_wksp_t *w) {
  sl_wksp_obj_t o;
  if (sl_wksp_find(w, SL_TOPO_NAME, &o) || o.sz < sizeof(sl_topo_t)) return NULL;
  sl_topo_t *t = sl_wksp_laddr(w, o.off);
  return t->magic == SL_TOPO_MAGIC ? t : NULL;
}
