/* tiles/snapshot.h: one copy of everything the monitor and the metric tile
   show, taken from a joined workspace (read-only is enough).

   A snapshot is plain process-local memory: once taken, views (the
   monitor's table and JSON, the Prometheus text) read it without touching
   the workspace again, and two snapshots give rates. Each value is read
   whole (8-byte atomic loads). The tiles keep running while it is taken (a
   few microseconds), so it is made consistent where a reader would notice:
   every consumer is read before its producer (downstream tiles first, a
   link's consumer lines before its producer line), and a link's published
   count is never below what a consumer has already read.

   The workspace is hostile input (any tile may have scribbled over it):
   every offset, size, count, kind and name read from it is checked before
   use. Taking a snapshot makes no system call but clock_gettime. */
#ifndef SL_TILES_SNAPSHOT_H
#define SL_TILES_SNAPSHOT_H

#include <stdint.h>

#include "shmem/metrics.h"
#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "tiles/topo.h"
#include "util/err.h"

#define SL_SNAP_TILE_MAX SL_TOPO_TILE_MAX
/* net:i -> verify:j for every pair, then verify:j -> sink:0. */
#define SL_SNAP_LINK_MAX (SL_NET_TILE_MAX * SL_VERIFY_TILE_MAX + SL_VERIFY_TILE_MAX)
/* Every ring of a sluice topology has one consumer; a ring with more is
   shown with its first SL_SNAP_CONS_MAX. */
#define SL_SNAP_CONS_MAX 4u

/* One tile: its identity and every value of its metrics block. */
typedef struct {
  uint32_t kind;                /* SL_TILE_* */
  uint32_t idx;                 /* within its kind */
  char name[SL_TILE_NAME_MAX];  /* "net:0" */
  char mode[SL_TILE_MODE_MAX];  /* net: "io_uring", "xdp/drv", "xdp/skb"; verify: its ed25519 backend
                                   ("avx512", "avx2", "libsodium"); "" for other kinds */
  int64_t pid;                  /* the tile's own record, else the supervisor's; 0 = not started */
  int64_t cpu;                  /* pinned CPU, -1 = not pinned */
  int64_t heartbeat_age_ns;     /* taken_ns - heartbeat_ns; -1 = no heartbeat yet */
  uint64_t v[SL_METRICS_CNT];   /* v[i] for every index; unnamed ones are 0 */
} sl_snapshot_tile_t;

/* One consumer of a link, as its progress line says (published by the
   consumer in its housekeeping, so it may trail the consumer a little). */
typedef struct {
  char tile[SL_TILE_NAME_MAX]; /* consuming tile, "verify:1" */
  uint64_t seq;                /* next seq it will read */
  uint64_t frags;              /* frags consumed */
  uint64_t overrun_poll;       /* frags lost to lapping */
  uint64_t overrun_read;       /* payload reads voided */
} sl_snapshot_cons_t;

/* One link (ring). */
typedef struct {
  char name[SL_WKSP_OBJ_NAME_MAX]; /* workspace object name, "net:0->verify:1" */
  char producer[SL_TILE_NAME_MAX]; /* "net:0" */
  uint32_t reliable;
  uint32_t cons_cnt;
  uint64_t depth;
  uint64_t seq;              /* frags published: the producer line (written in its housekeeping),
                                raised to the furthest consumer's seq if that is ahead */
  uint64_t backpressure_cnt; /* times the producer waited for credit */
  sl_snapshot_cons_t cons[SL_SNAP_CONS_MAX];
} sl_snapshot_link_t;

/* The whole instance. About 1.5 MB: allocate it (static or heap), not on a
   small stack. */
typedef struct {
  char name[SL_WKSP_NAME_MAX];  /* instance name */
  char path[SL_WKSP_PATH_MAX];  /* workspace file */
  int32_t creator_pid;          /* supervisor */
  int32_t alive;                /* left 0 by sl_snapshot_take; the monitor sets it (sl_wksp_alive) */
  int32_t is_huge;              /* backed by hugetlbfs */
  uint32_t provider;            /* SL_NET_* (tiles/topo.h) */
  uint64_t stop;                /* topo stop flag: 1 = draining */
  uint64_t created_wall_ns;     /* CLOCK_REALTIME when the workspace was made */
  uint64_t taken_ns;            /* CLOCK_MONOTONIC when taken (rates, heartbeat age) */
  uint64_t taken_wall_ns;       /* CLOCK_REALTIME when taken */
  uint32_t net_cnt, verify_cnt;
  uint32_t tile_cnt;            /* tiles in topology order: net, verify, sink, metric */
  uint32_t link_cnt;            /* net rings ([net][verify], row by row), then verify rings */
  sl_snapshot_tile_t tile[SL_SNAP_TILE_MAX];
  sl_snapshot_link_t link[SL_SNAP_LINK_MAX];
  /* Sums over the tiles of each kind, counters only (gauges stay 0: a sum
     of pids or latencies means nothing). */
  uint64_t total[SL_TILE_KIND_CNT][SL_METRICS_CNT];
} sl_snapshot_t;

/* sl_snapshot_take fills s from the workspace w (joined read-only or not).
   Never writes to w. Every offset found in the workspace is checked against
   the mapping before it is followed, so a damaged or foreign file fails
   instead of faulting; names are copied NUL-terminated. Fails (-1, err says which object is wrong) when w
   holds no complete topology (an instance still starting, or not a sluice
   workspace) or an object is out of bounds. */
int sl_snapshot_take(const sl_wksp_t *w, sl_snapshot_t *s, sl_err_t *err);

/* sl_snapshot_tile_find: the tile named name ("verify:0") in s, or NULL. */
const sl_snapshot_tile_t *sl_snapshot_tile_find(const sl_snapshot_t *s, const char *name);

/* sl_snapshot_provider_name: "xdp", "io_uring" or "none" for SL_NET_*. */
const char *sl_snapshot_provider_name(uint32_t provider);

#endif
