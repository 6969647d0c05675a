#include "tiles/topo.h"

#include <stdio.h>
#include <string.h>

#include "shmem/ring.h"
#include "shmem/tcache.h"
#include "tiles/frame.h"

/* Verified frames are copied once into the verify ring's payload slots, so
   a slot holds the largest frame a net tile may publish. */
#define SL_TOPO_VERIFY_MTU SL_FRAME_MAX_SZ

/* Pools are page aligned: AF_XDP registers them as UMEM. */
#define SL_TOPO_POOL_ALIGN 4096ull

static uint64_t link_depth(const sl_config_t *cfg) {
  uint64_t d = cfg->shmem.ring_depth / cfg->layout.verify_tile_count;
  uint64_t p = SL_TOPO_LINK_DEPTH_MIN;
  while (p * 2 <= d) p *= 2;
  return p;
}

static uint64_t pool_frames(const sl_config_t *cfg) {
  return cfg->layout.verify_tile_count * link_depth(cfg) + SL_TOPO_POOL_SLACK(cfg->net.rx_queue_size);
}

uint64_t sl_topo_footprint(const sl_config_t *cfg) {
  uint32_t n = cfg->layout.net_tile_count, v = cfg->layout.verify_tile_count;
  uint32_t tiles = n + v + 1 + (*cfg->monitor.prometheus_listen ? 1 : 0);
  uint64_t depth = cfg->shmem.ring_depth;
  uint64_t fseq = sizeof(sl_ring_fseq_t); /* lines come in one object per consumer tile */
  /* One page break before the topology and one around each tile's region;
     the page size is the largest the workspace may get. */
  uint64_t sz = (uint64_t)(tiles + 2) * cfg->shmem.page_size;
  sz += sl_wksp_budget(128, sizeof(sl_topo_t));
  sz += (uint64_t)tiles * sl_wksp_budget(sl_metrics_align(), sl_metrics_footprint());
  sz += (uint64_t)n * v * (fseq + sl_wksp_budget(sl_ring_align(), sl_ring_footprint(link_depth(cfg), 1, 0)));
  sz += (uint64_t)(v + 1) * sl_wksp_budget(sl_ring_align(), 0); /* those objects' alignment */
  sz += n * sl_wksp_budget(SL_TOPO_POOL_ALIGN, pool_frames(cfg) * cfg->net.frame_size);
  sz += v * (fseq + sl_wksp_budget(sl_ring_align(), sl_ring_footprint(depth, 1, SL_TOPO_VERIFY_MTU)));
  sz += v * sl_wksp_budget(sl_tcache_align(), sl_tcache_footprint(cfg->verify.dedup_cache_size));
  return sz;
}

/* The objects of tile id, in its own region. verify_in[j][i] is the
   progress line verify:j keeps for its input from net:i, sink_in[j] the
   one the sink keeps for verify:j's ring: a consumer's build fills them,
   its producer's (built after it) uses them. */
static int build_tile(sl_wksp_t *w, sl_topo_t *t, const sl_config_t *cfg, uint32_t id,
                      uint64_t verify_in[][SL_NET_TILE_MAX], uint64_t *sink_in, sl_err_t *err) {
  sl_topo_tile_t *tt = &t->tile[id];
  char name[SL_WKSP_OBJ_NAME_MAX];
  uint32_t n = t->net_cnt, v = t->verify_cnt, i = tt->idx;
  if (sl_wksp_page_break(w, &tt->rgn_off, err) ||
      sl_metrics_create(w, tt->kind, tt->idx, &tt->metrics_off, err))
    return -1;
  uint64_t lines;
  if (tt->kind == SL_TILE_SINK) {
    if (sl_ring_fseq_create(w, "sink:0.in", v, &lines, err)) return -1;
    for (uint32_t j = 0; j < v; j++) sink_in[j] = lines + j * sizeof(sl_ring_fseq_t);
  } else if (tt->kind == SL_TILE_VERIFY) {
    snprintf(name, sizeof name, "verify:%u.in", i);
    if (sl_ring_fseq_create(w, name, n, &lines, err)) return -1;
    for (uint32_t k = 0; k < n; k++) verify_in[i][k] = lines + k * sizeof(sl_ring_fseq_t);
    snprintf(name, sizeof name, "verify:%u->sink", i);
    if (sl_ring_create(w, name, t->ring_depth, 1, SL_TOPO_VERIFY_MTU, 1, &sink_in[i], &t->verify_ring[i], err))
      return -1;
    snprintf(name, sizeof name, "verify:%u.tcache", i);
    if (sl_tcache_create(w, name, cfg->verify.dedup_cache_size, &t->tcache[i], err)) return -1;
  } else if (tt->kind == SL_TILE_NET) {
    for (uint32_t j = 0; j < v; j++) {
      snprintf(name, sizeof name, "net:%u->verify:%u", i, j);
      if (sl_ring_create(w, name, t->link_depth, 1, 0, 0, &verify_in[j][i], &t->net_ring[i][j], err)) return -1;
    }
    snprintf(name, sizeof name, "net:%u.pool", i);
    if (sl_wksp_alloc(w, name, SL_OBJ_UMEM, SL_TOPO_POOL_ALIGN, t->pool_frame_cnt * t->frame_sz, &t->pool[i], err))
      return -1;
  }
  uint64_t end;
  if (sl_wksp_page_break(w, &end, err)) return -1;
  tt->rgn_sz = end - tt->rgn_off;
  return 0;
}

int sl_topo_build(sl_wksp_t *w, const sl_config_t *cfg, const int32_t *cpus, uint32_t cpu_cnt,
                  sl_topo_t **out, sl_err_t *err) {
  uint32_t n = cfg->layout.net_tile_count, v = cfg->layout.verify_tile_count;
  if (n < 1 || n > SL_NET_TILE_MAX || v < 1 || v > SL_VERIFY_TILE_MAX)
    return sl_err_set(err, "tile counts out of range (net %u, verify %u; each 1..64)", n, v);
  uint64_t off, brk;
  if (sl_wksp_page_break(w, &brk, err) || sl_wksp_alloc(w, SL_TOPO_NAME, SL_OBJ_OTHER, 128, sizeof(sl_topo_t), &off, err))
    return -1;
  sl_topo_t *t = sl_wksp_laddr(w, off);
  memset(t, 0, sizeof *t);
  t->net_cnt = n;
  t->verify_cnt = v;
  t->metric_cnt = *cfg->monitor.prometheus_listen ? 1 : 0;
  t->tile_cnt = n + v + 1 + t->metric_cnt;
  t->sig_seed = sl_wksp_hdr(w)->tag_seed;
  t->ring_depth = cfg->shmem.ring_depth;
  t->link_depth = link_depth(cfg);
  t->frame_sz = cfg->net.frame_size;
  t->pool_frame_cnt = pool_frames(cfg);
  for (uint32_t id = 0; id < t->tile_cnt; id++) {
    sl_topo_tile_t *tt = &t->tile[id];
    tt->kind = id < n ? SL_TILE_NET : id < n + v ? SL_TILE_VERIFY : id == n + v ? SL_TILE_SINK : SL_TILE_METRIC;
    tt->idx = id < n ? id : id < n + v ? id - n : 0;
    /* The metric tile floats: it takes no CPU of the plan. */
    tt->cpu = cpu_cnt && tt->kind != SL_TILE_METRIC ? cpus[id % cpu_cnt] : -1;
  }
  /* Consumers before producers: a ring is made in its producer's region
     with its consumer's line, which must exist by then. */
  static uint64_t verify_in[SL_VERIFY_TILE_MAX][SL_NET_TILE_MAX];
  uint64_t sink_in[SL_VERIFY_TILE_MAX];
  for (uint32_t id = t->tile_cnt; id-- > 0;)
    if (build_tile(w, t, cfg, id, verify_in, sink_in, err)) return -1;
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
