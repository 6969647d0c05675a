/* tiles/tile.h: the runtime every tile runs on.

   A tile is one process pinned to one CPU. Its whole life is one loop:

     init (privileged setup in the tile's own process)
     loop:  poll inputs in bursts and publish     -> busy_ns or idle_ns
            every SL_TILE_HOUSEKEEP_NS: heartbeat, metrics, credits,
            progress, stop flag                   -> housekeep_ns
            when idle: spin ("spin"), or ("adaptive") sleep: in the
            kernel until input arrives (the net tile's wait), else in
            short naps, never spinning or yielding

   Why adaptive never spins: a tile often shares its CPU with the kernel's
   receive work for its queue (a threaded NAPI kthread, or ksoftirqd when
   softirqs overflow). Under EEVDF a tile that spins or sched_yields while
   idle keeps that thread from running (measured: 13 k vs 1.33 M pkt/s),
   so the tile starves its own input. Sleeping gives the CPU away for real.
     stop requested: keep polling until the tile says it has drained
     fini

   The supervisor (app/run.c) builds the topology (tiles/topo.h) in the
   workspace, forks one process per tile and calls sl_tile_main there. */
#ifndef SL_TILES_TILE_H
#define SL_TILES_TILE_H

#include <stdint.h>

#include "config/config.h"
#include "shmem/metrics.h"
#include "shmem/wksp.h"
#include "tiles/topo.h"
#include "util/err.h"

/* Housekeeping period: heartbeats and counters are at most this stale, and
   a stop request is seen within it. */
#define SL_TILE_HOUSEKEEP_NS 1000000ull /* 1 ms */

typedef struct sl_tile sl_tile_t;

typedef struct {
  /* init runs in the tile's process after fork and pinning, before the
     loop (still privileged: sockets, XSK bind). 0, or -1 with err. */
  int (*init)(sl_tile_t *t, sl_err_t *err);
  /* poll does one pass over the inputs, handling at most a burst per input;
     returns how many frags or packets it handled (0: nothing to do). Never
     blocks. */
  uint32_t (*poll)(sl_tile_t *t);
  /* wait (adaptive idle, optional) sleeps until the tile's input may
     have work or timeout_ns passes, whichever is first, in the kernel
     (poll on a socket, io_uring wait). Returns early on a signal. Tiles
     without it nap (SL_TILE_NAP_NS). May be NULL. */
  void (*wait)(sl_tile_t *t, uint64_t timeout_ns);
  /* housekeep runs every SL_TILE_HOUSEKEEP_NS and once more before fini:
     refresh credits, publish progress, read kernel statistics. May be
     NULL. */
  void (*housekeep)(sl_tile_t *t);
  /* stop is called once when the supervisor asks the instance to stop:
     producers of new work (net tiles) stop their intake here. May be NULL. */
  void (*stop)(sl_tile_t *t);
  /* drained returns 1 once, after stop, the tile has nothing left in
     flight: its inputs are empty and every upstream tile has stopped. */
  int (*drained)(sl_tile_t *t);
  /* fini releases what init acquired (flush the pcap, close sockets). */
  void (*fini)(sl_tile_t *t);
} sl_tile_ops_t;

struct sl_tile {
  const sl_tile_ops_t *ops;
  uint32_t kind; /* SL_TILE_NET | SL_TILE_VERIFY | SL_TILE_SINK (topo.h) */
  uint32_t idx;  /* index within its kind */
  uint32_t id;   /* index in the topology's tile table */
  char name[16]; /* "net:0" */
  int cpu;       /* pinned CPU, -1 if not pinned */
  int idle;      /* SL_IDLE_SPIN | SL_IDLE_ADAPTIVE */

  sl_wksp_t *wksp;
  const sl_config_t *cfg;
  sl_topo_t *topo;   /* in the workspace */
  uint64_t *metrics; /* this tile's counters (in the workspace) */
  const char *user;  /* drop to this user after init ("" = stay) */
  void *ctx;         /* the tile kind's private state */
  void *net_ctx;     /* net tiles: provider handed over by the supervisor */
};

/* sl_tile_main runs the tile's whole life in the calling process and
   returns its exit status: 0 after an orderly drain, 1 if init failed
   (logged with the tile's name and the reason). Sets the tile's state
   metric through booting, running, stopping, stopped (or failed). */
int sl_tile_main(sl_tile_t *t);

/* sl_tile_stop_requested: 1 once the supervisor has asked for a stop. */
int sl_tile_stop_requested(const sl_tile_t *t);

/* sl_tile_upstream_stopped: 1 if every tile of kind `kind` has reached
   the stopped state (so nothing more will be published to its links). */
int sl_tile_upstream_stopped(const sl_tile_t *t, uint32_t kind);

#endif
