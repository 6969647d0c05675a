/* tiles/topo.h: the topology of one instance, as laid out in its workspace.

   The supervisor builds it once (sl_topo_build) before forking any tile;
   afterwards only the supervisor writes it (`stop`, each tile's pid). Tiles
   and the monitor find every ring, metrics block, tag cache and frame pool
   through it (workspace object "topo"), by offset.

     net:i    --net_ring[i][j] (unreliable, 1 consumer,       --> verify:j
                 link_depth slots; frames published in place
                 from pool[i]; carries exactly the frags with
                 sig % verify_cnt == j)
     verify:j --verify_ring[j] (reliable, 1 consumer, payload   --> sink:0
                 slots: the verified frame is copied once)

   Every frag has one owner: the verify tile whose ring it is in. It alone
   reads it and it alone counts it lost, so with any number of verify tiles
   what net:i published is, exactly, the sum over j of what verify:j judged
   and lost on net_ring[i][j], and a verify tile never reads another's
   share.

   Memory. Each tile's writable memory is one region, [rgn_off, rgn_off +
   rgn_sz), on whole pages of the workspace (sl_wksp_page_break): its
   metrics, its consumer progress lines, its output rings, its tag cache,
   its frame pool. Everything else, the topology included, it may only
   read, so a tile can map the rest of the workspace read-only (a write
   there faults). Regions are laid out from the last tile to the first, so
   each ring can name its consumer's progress line, already placed in the
   consumer's region. */
#ifndef SL_TILES_TOPO_H
#define SL_TILES_TOPO_H

#include <stdint.h>

#include "config/config.h"
#include "shmem/metrics.h"
#include "shmem/wksp.h"
#include "util/err.h"
#include "util/limits.h"

#define SL_TOPO_MAGIC 0x4f504f544c53ull /* "SLTOPO" */
#define SL_TOPO_TILE_MAX (SL_NET_TILE_MAX + SL_VERIFY_TILE_MAX + 2u) /* + sink + metric */
#define SL_TOPO_NAME "topo"

/* The net provider the instance resolved to (config "auto" resolved). */
enum { SL_NET_NONE = 0, SL_NET_IO_URING = 1, SL_NET_XDP = 2 };

/* Frames per pool beyond what the net tile's ring slots hold (verify_cnt x
   link_depth): what the kernel can hold (AF_XDP fill ring 2x + RX ring 1x
   the queue size; io_uring's buffer ring uses 2x) plus two bursts in the
   tile's hands. */
#define SL_TOPO_POOL_SLACK(rxq) (3ull * (rxq) + 256ull)

/* The smallest net->verify ring (see link_depth). */
#define SL_TOPO_LINK_DEPTH_MIN 256ull

typedef struct {
  uint32_t kind;        /* SL_TILE_NET.. */
  uint32_t idx;         /* within its kind */
  int32_t cpu;          /* pinned CPU, -1 = none */
  int32_t pid;          /* set by the supervisor after fork */
  uint64_t metrics_off; /* sl_metrics_t */
  uint64_t rgn_off;     /* the memory only this tile writes: page aligned */
  uint64_t rgn_sz;      /* a multiple of the workspace's page size */
} sl_topo_tile_t;

typedef struct {
  uint64_t magic;
  uint32_t net_cnt;
  uint32_t verify_cnt;
  uint32_t tile_cnt;     /* net_cnt + verify_cnt + 1 + metric_cnt; in order net, verify, sink, metric */
  uint32_t net_provider; /* SL_NET_* */
  uint64_t sig_seed;     /* key of the frag sig hash (sl_frame_sig) */
  uint64_t stop;         /* 0 run, 1 stop intake and drain (supervisor writes) */
  uint64_t ring_depth;   /* verify->sink rings ([shmem] ring_depth) */
  uint64_t link_depth;   /* net->verify rings: ring_depth / verify_cnt (a power of two, at least
                            SL_TOPO_LINK_DEPTH_MIN), so a verify tile's share is buffered for as
                            long as a single ring of ring_depth would buffer the whole stream */
  uint32_t frame_sz;     /* pool frame size */
  uint32_t metric_cnt;   /* 1 with [monitor] prometheus_listen, else 0 */
  uint64_t pool_frame_cnt;                   /* frames in each net tile's pool */
  uint64_t net_ring[SL_NET_TILE_MAX][SL_VERIFY_TILE_MAX]; /* ring offsets, [net][verify] */
  uint64_t pool[SL_NET_TILE_MAX];            /* frame pool offsets (SL_OBJ_UMEM) */
  uint64_t verify_ring[SL_VERIFY_TILE_MAX];  /* ring offsets */
  uint64_t tcache[SL_VERIFY_TILE_MAX];       /* tag cache offsets */
  char net_mode[SL_NET_TILE_MAX][16];        /* "io_uring", "xdp/drv", "xdp/skb" */
  sl_topo_tile_t tile[SL_TOPO_TILE_MAX];
} sl_topo_t;

/* sl_topo_footprint: workspace bytes (with alignment slack) that
   sl_topo_build will allocate for cfg, so the supervisor can size the
   workspace before creating it. */
uint64_t sl_topo_footprint(const sl_config_t *cfg);

/* sl_topo_build allocates and formats every object of cfg's topology in w
   (creator, before fork) and returns the topo in *out. Tile CPUs come from
   cpus[0..cpu_cnt) in tile order (wrapping), or -1 when cpu_cnt is 0; the
   metric tile, off the data path, always gets -1 (not pinned). */
int sl_topo_build(sl_wksp_t *w, const sl_config_t *cfg, const int32_t *cpus, uint32_t cpu_cnt,
                  sl_topo_t **out, sl_err_t *err);

/* sl_topo_join finds the topology in a joined workspace (read-only is
   fine). NULL if the workspace has none (not a sluice instance). */
sl_topo_t *sl_topo_join(const sl_wksp_t *w);

/* sl_topo_tile_id: index in tile[] of tile (kind, idx). */
static inline uint32_t sl_topo_tile_id(const sl_topo_t *t, uint32_t kind, uint32_t idx) {
  return kind == SL_TILE_NET      ? idx
         : kind == SL_TILE_VERIFY ? t->net_cnt + idx
         : kind == SL_TILE_SINK   ? t->net_cnt + t->verify_cnt
                                  : t->net_cnt + t->verify_cnt + 1;
}

/* sl_topo_metrics: the metrics block of tile id. */
static inline sl_metrics_t *sl_topo_metrics(const sl_wksp_t *w, const sl_topo_t *t, uint32_t id) {
  return (sl_metrics_t *)sl_wksp_laddr(w, t->tile[id].metrics_off);
}

#endif
