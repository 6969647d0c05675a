/* tiles/tile.h: the runtime every tile runs on.

   A tile is one process pinned to one CPU. Its whole life is one loop:

     init (privileged setup in the tile's own process)
     loop:  poll inputs in bursts and publish     -> busy_ns or idle_ns
            every SL_TILE_HOUSEKEEP_NS: heartbeat, metrics, credits,
            progress, stop flag                   -> housekeep_ns
            when idle: spin ("spin"), or ("adaptive") sleep: in the
            kernel until input arrives (the net tile's wait, when its
            input is idle or sparse), else in naps sized to the input,
            never spinning or yielding
     stop requested: keep polling until the tile says it has drained
     fini

   Why adaptive never spins: a tile often shares its CPU with the kernel's
   receive work for its queue (a threaded NAPI kthread, or ksoftirqd when
   softirqs overflow). Under EEVDF a tile that spins or sched_yields while
   idle keeps that thread from running (measured: 13 k vs 1.33 M pkt/s),
   so the tile starves its own input. Sleeping gives the CPU away for real.

   Why SCHED_BATCH (every tile): a tile sleeps often, and a task the fair
   scheduler wakes (the net tile by its socket, a napping tile by its
   timer) preempts what runs on its CPU at once, the NAPI thread in the
   middle of its batch included: the thread that just handed the tile
   packets is displaced by the tile, which finds a few of them and sleeps
   again, tens of thousands of times a second. A SCHED_BATCH task has the
   same share of the CPU but does not preempt on wake-up: it runs when
   the CPU is free or the running task's slice ends, and then finds a
   batch. Measured (bench_net, 200 B, one run each, naps of
   sl_tile_nap_ns): the net tile at 0.58x the bare AF_XDP loop without it,
   0.77-0.86x with it on the net tile or on every tile.

   The supervisor (app/run.c) builds the topology (tiles/topo.h) in the
   workspace, forks one process per tile and calls sl_tile_main there. */
#ifndef SL_TILES_TILE_H
#define SL_TILES_TILE_H

#include <stdint.h>

#include <sys/types.h>

#include "config/config.h"
#include "shmem/metrics.h"
#include "shmem/wksp.h"
#include "tiles/sandbox.h"
#include "tiles/topo.h"
#include "util/err.h"

/* Housekeeping period: heartbeats and counters are at most this stale, and
   a stop request is seen within it. */
#define SL_TILE_HOUSEKEEP_NS 1000000ull /* 1 ms */

typedef struct sl_tile sl_tile_t;

#define SL_TILE_KEEP_MAX 32u

/* What a tile keeps once it is sandboxed (tiles/sandbox.h), beyond what
   the runtime keeps for every tile: the log's descriptor, and the system
   calls of the loop itself (clock reads, naps, getrusage, log writes,
   exit, and the heap's brk/munmap for fini's frees). */
typedef struct {
  int fds[SL_TILE_KEEP_MAX];                  /* descriptors it still uses */
  uint32_t fd_cnt;
  sl_sandbox_rule_t rules[SL_TILE_KEEP_MAX];  /* the system calls its loop makes */
  uint32_t rule_cnt;
  uint32_t fd_slack;  /* descriptors it may still create (accept, a rotated capture) */
  int writes_files;   /* 1: writes regular files (a capture): no file size limit */
  int dir_fd;         /* the one directory it may create files under (Landlock), or -1 */
} sl_tile_keep_t;

/* sl_tile_keep_rules appends rules[0..n) to k's allow-list, as many as fit
   in SL_TILE_KEEP_MAX (a rule left out makes its call kill the tile, with
   the call named: never a silent allowance). For keep ops and the runtime. */
void sl_tile_keep_rules(sl_tile_keep_t *k, const sl_sandbox_rule_t *rules, uint32_t n);

/* sl_tile_keep_fds appends fds[0..n) to k's descriptors, as many as fit in
   SL_TILE_KEEP_MAX (one left out is closed by the sandbox: its next use
   fails with EBADF, never silently works). For keep ops and the runtime. */
void sl_tile_keep_fds(sl_tile_keep_t *k, const int *fds, uint32_t n);

/* sl_tile_keep_runtime appends what the runtime's own loop keeps in every
   tile: log_fd, and the calls of the loop (clock reads, naps, getrusage,
   write on log_fd, exit, the heap's brk/munmap). sl_tile_main does it for
   every tile it confines; a test or bench that confines a process as a
   tile calls it to get the same list. */
void sl_tile_keep_runtime(sl_tile_keep_t *k, int log_fd);
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
     without it nap (sl_tile_nap_ns). May be NULL. */
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
  /* keep declares what the tile keeps once sandboxed (k starts empty,
     dir_fd -1). Called once, after init, before the sandbox is entered.
     May be NULL: the tile keeps only what the runtime keeps. */
  void (*keep)(sl_tile_t *t, sl_tile_keep_t *k);
} sl_tile_ops_t;

struct sl_tile {
  const sl_tile_ops_t *ops;
  uint32_t kind; /* SL_TILE_NET | SL_TILE_VERIFY | SL_TILE_SINK | SL_TILE_METRIC */
  uint32_t idx;  /* index within its kind */
  uint32_t id;   /* index in the topology's tile table */
  char name[16]; /* "net:0" */
  int cpu;       /* pinned CPU, -1 if not pinned */
  int idle;      /* SL_IDLE_SPIN | SL_IDLE_ADAPTIVE */

  sl_wksp_t *wksp;
  const sl_config_t *cfg;
  sl_topo_t *topo;   /* in the workspace */
  uint64_t *metrics; /* this tile's counters (in the workspace) */
  uid_t uid;         /* the sandbox's user and group (sl_sandbox_resolve_user); */
  gid_t gid;         /* uid 0: run unsandboxed, which only tests of the loop do */
  pid_t parent;      /* the supervisor: the sandbox kills the tile when it dies */
  void *ctx;         /* the tile kind's private state */
  void *net_ctx;     /* net tiles: provider handed over by the supervisor */
  int listen_fd;     /* metric tile: the /metrics socket the supervisor opened; else -1 */
  /* Tiles with a wait op (set by init; 0: always wait): the slots the
     kernel fills for the tile on its own while it sleeps (the AF_XDP RX
     ring). With it, a flowing input is taken after a nap sized to these
     slots instead of at the kernel's wake-up (sl_tile_waits). */
  uint64_t nap_depth;
};

/* Nap bounds ([layout] idle = "adaptive", tiles without a wait op). The
   longest nap is how late a napping tile may take a frag that lands just
   after it fell asleep, per hop; the shortest, how soon a tile that was
   idle looks again after its first empty polls. */
#define SL_TILE_NAP_MIN_NS 10000ull  /* 10 us */
#define SL_TILE_NAP_MAX_NS 320000ull /* 320 us */

/* sl_tile_nap_ns sizes a napping tile's next nap from its last one:
   last_ns, and the found frags or packets it handled in the period_ns
   since that nap began.
     Nothing found: twice last_ns (the input is idle: back off).
     Sparse input (fewer than one frag per SL_TILE_NAP_MIN_NS): the
     shortest nap, so a lone frag waits little (cheap: such an input
     wakes the tile a few times per frag).
     Flowing input: the time it takes, at the rate just seen
     (found / period_ns), to fill a quarter of depth (the smallest input
     ring's slots), so it is taken in batches the ring holds safely and a
     ring filling fast is looked at sooner.
   Always within [SL_TILE_NAP_MIN_NS, SL_TILE_NAP_MAX_NS]. Pure; never
   fails. Measured (bench_net, 200 B, five rounds, without SCHED_BATCH),
   the net tile beside a tile napping so: 0.46-0.63 M pkt/s with the naps
   this replaced (back to 10 µs after any work: 10^5 wake-ups a second),
   1.29-1.37 M with flowing naps up to 160 µs, 1.61-1.72 M up to 320 µs,
   no more at 640 µs or 1 ms. The sparse rule keeps the end-to-end
   latency of a light load (e2e.sh, 4000 txn/s: p50 200 µs, p99 500-1000
   against 500 and 1000 without it) and the throughput (1.78-1.96 M). */
uint64_t sl_tile_nap_ns(uint64_t last_ns, uint64_t period_ns, uint64_t found, uint64_t depth);

/* sl_tile_flowing: found frags or packets in period_ns are a flowing
   input (at least one, and one per SL_TILE_NAP_MIN_NS), not an idle or
   sparse one. Pure. */
int sl_tile_flowing(uint64_t period_ns, uint64_t found);

/* sl_tile_waits: whether an idle tile with a wait op sleeps in it (1) or
   naps by sl_tile_nap_ns over nap_depth slots (0), after found frags or
   packets in the period_ns since it last slept. It waits where it has no
   nap_depth (its receive work runs only in its own calls: io_uring under
   DEFER_TASKRUN), or where the input is idle or sparse (the kernel's
   wake-up comes soon after a lone packet, so the latency stays low). A
   flowing input naps: woken by the kernel, the tile would run after every
   batch of receive work (a NAPI poll) and take a few packets each time;
   after a nap it takes what the kernel queued meanwhile in one go.
   Measured (bench_net, net tile, 1.6 M pkt/s, 200 B, 2 s probes, builds
   alternating, four probes each): the net tile's own CPU per packet 89-95
   ns waking, 62-78 napping, the NAPI thread's and the loss unchanged
   within their spread. Pure. */
int sl_tile_waits(uint64_t nap_depth, uint64_t period_ns, uint64_t found);

/* The longest a tile works on without offering its CPU to what else is
   runnable there ([layout] idle = "adaptive"; "spin" means a dedicated
   core and never yields). A tile does not preempt the NAPI thread it
   shares a core with (SCHED_BATCH), and NAPI, woken while the tile works
   through a backlog (an RX ring refilled during a stall holds 4096
   packets, ~250 us of work), does not preempt the tile either: the veth's
   256-frame queue (183 us at 1.4 M pkt/s) overflows meanwhile. So after
   SL_TILE_RUN_MAX_NS of polls that all found work the tile calls
   sched_yield: NAPI runs if it waits, else the call returns at once (a
   system call per 50 us of work). Measured (bench_net, net tile, 1.4 M
   pkt/s, 200 B, 2 s probes, alternating, 15 probes each): lost 2.6-8.5 %
   (median 3.4) without, 1.0-6.0 % (median 2.5) yielding after 50 us,
   1.6-2.8 % after 20 us (9 probes); CPU per packet unchanged. */
#define SL_TILE_RUN_MAX_NS 50000ull /* 50 us */

/* sl_tile_yields: whether a tile of the given idle policy that has found
   work at every poll for busy_ns yields its CPU now. Pure. */
int sl_tile_yields(int idle, uint64_t busy_ns);

/* sl_tile_main runs the tile's whole life in the calling process and
   returns its exit status: 0 after an orderly drain, 1 if init failed
   (logged with the tile's name and the reason). Sets the tile's state
   metric through booting, running, stopping, stopped (or failed).

   Between init and the first poll the tile is confined for good: every
   page of the workspace but its own region (tiles/topo.h) becomes
   read-only (a write elsewhere faults), then it enters its sandbox with
   what its keep op declares plus the runtime's own needs: the configured
   user, no capability, its descriptors only, private namespaces under an
   empty root, and a seccomp allow-list; a call off the list kills it with
   SIGSYS after writing the call's number + 1 into SL_M_SYSCALL_DENIED, so
   the supervisor can name it. */
int sl_tile_main(sl_tile_t *t);

/* sl_tile_stop_requested: 1 once the supervisor has asked for a stop. */
int sl_tile_stop_requested(const sl_tile_t *t);

/* sl_tile_upstream_stopped: 1 if every tile of kind `kind` has reached
   the stopped state (so nothing more will be published to its links). */
int sl_tile_upstream_stopped(const sl_tile_t *t, uint32_t kind);

#endif
