/* app/gen/gen_engine.h: the engine behind `sluice gen` (sendmmsg mode).

   Two phases. sl_gen_pool_new decides the category of every packet and
   builds (signs) the distinct ones on worker threads, before any timing
   starts; sl_gen_send then only hands prepared buffers to the kernel with
   sendmmsg, paced to the requested rate. sl_gen_run does both.

   Categories are drawn per packet from the seeded PRNG with the given
   ratios. A duplicate re-sends, byte for byte, a random earlier valid packet
   (a valid one is sent instead while there is none yet). Only the first
   `pool` packets are distinct: packet i >= pool re-sends packet i % pool, so
   it is accounted as what the receiver will see: a duplicate if that packet
   was valid or a duplicate, otherwise (bad signature, malformed) the same
   category again. With the default pool (all packets up to
   SL_GEN_POOL_DEFAULT) there is no cycling below that count. */
#ifndef SL_GEN_ENGINE_H
#define SL_GEN_ENGINE_H

#include <stdint.h>

#include "app/gen/txn_build.h"
#include "util/err.h"
#include "util/limits.h"

#define SL_GEN_POOL_DEFAULT (1u << 17) /* distinct packets: ~3 s of signing on 2 cores */
#define SL_GEN_BATCH 64u               /* packets per sendmmsg */

/* Packet categories, as counted in the summary. */
enum { SL_GEN_VALID = 0, SL_GEN_DUP = 1, SL_GEN_BAD_SIG = 2, SL_GEN_MALFORMED = 3, SL_GEN_CAT_CNT = 4 };

typedef struct {
  uint32_t dst_ip4;                   /* network byte order */
  uint16_t dst_port[SL_PORTS_MAX]; /* host order; packet i goes to port i % dst_port_cnt */
  uint32_t dst_port_cnt;              /* 1..SL_PORTS_MAX */
  uint16_t src_port;                  /* 0: ephemeral */
  uint64_t count;                     /* packets to send */
  uint64_t rate;                      /* packets per second; 0: as fast as possible */
  double dup, bad_sig, malformed;     /* ratios, each in [0, 1], sum <= 1 */
  uint64_t seed;
  uint8_t sigs;                       /* signatures per transaction; 0: random 1..4 */
  uint8_t version;                    /* SL_TXN_VER_*; ANY: random legacy or v0 */
  uint16_t size;                      /* transaction bytes; 0: random 200..1232 */
  uint64_t pool;                      /* distinct packets; 0: min(count, SL_GEN_POOL_DEFAULT) */
  uint32_t threads;                   /* signing threads; 0: one per online CPU (<= 16) */
  volatile int *stop;                 /* if not NULL, sending ends once *stop != 0 */
} sl_gen_opts_t;

typedef struct {
  uint64_t sent;                    /* packets the kernel accepted */
  uint64_t cat[SL_GEN_CAT_CNT];     /* of those, per category; they add up to sent */
  double seconds;                   /* first send to last, wall clock (monotonic) */
  double pps;                       /* sent / seconds (0 if nothing sent) */
  double build_seconds;             /* pool construction */
} sl_gen_result_t;

/* One pre-built packet: its bytes (owned by the pool), its category and,
   for the test's sake, what the builder made. */
typedef struct {
  const uint8_t *data;
  uint16_t sz;
  uint8_t cat;     /* SL_GEN_* as built (before cycling) */
  uint8_t variant; /* SL_TXN_BADSIG_* / SL_TXN_MAL_* (0 for valid and dup) */
  uint64_t dup_of; /* for SL_GEN_DUP: the index of the packet re-sent */
} sl_gen_pkt_t;

typedef struct {
  uint64_t cnt; /* distinct packets */
  sl_gen_pkt_t *pkt;
  uint8_t **arena;
  uint32_t arena_cnt;
} sl_gen_pool_t;

/* sl_gen_opts_default: count 1000, rate 0, ratios 0, seed 1, random shapes,
   no destination (dst_port_cnt 0: callers must set one). */
void sl_gen_opts_default(sl_gen_opts_t *o);

/* sl_gen_opts_check validates ratios, ports, sizes and sigs; fails with a
   message naming the option. */
int sl_gen_opts_check(const sl_gen_opts_t *o, sl_err_t *err);

/* sl_gen_pool_new builds the first min(count, pool) packets (see top of
   file) into heap memory owned by p. Deterministic in the options (thread
   count included or not: each packet has its own PRNG stream). Fails on bad
   options, allocation or thread creation failure, or libsodium init. On
   failure p holds nothing to free. */
int sl_gen_pool_new(sl_gen_pool_t *p, const sl_gen_opts_t *o, sl_err_t *err);

/* sl_gen_pool_delete frees what sl_gen_pool_new allocated. */
void sl_gen_pool_delete(sl_gen_pool_t *p);

/* sl_gen_pkt_cat returns the category packet i of the send sequence counts
   as, cycling included. */
static inline uint32_t sl_gen_pkt_cat(const sl_gen_pool_t *p, uint64_t i) {
  if (i < p->cnt) return p->pkt[i].cat;
  uint32_t c = p->pkt[i % p->cnt].cat;
  return c == SL_GEN_VALID ? SL_GEN_DUP : c;
}

/* ---- pacer: the send schedule both senders (sendmmsg, AF_XDP) follow ----

   Packet i is due at t0 + i / rate. At rate R the sender waits until
   ~50 us of traffic (R/20000 packets, 1..burst_max) is due and then sends
   it as one burst: fewer, larger syscalls, bursts still far below any ring.
   Waits longer than ~150 us sleep (waking ~100 us early), shorter ones
   spin. A sender that makes no progress (full buffers, full rings) backs
   off in short sleeps and gives up after SL_GEN_STALL_NS. Plain state in
   caller memory, no allocation, no syscall except the sleeps. */

#define SL_GEN_STALL_NS 5000000000ull /* no progress this long: the sender fails */

typedef struct {
  uint64_t rate;       /* packets per second; 0: unpaced */
  uint64_t count;      /* packets in the run */
  uint64_t burst_max;  /* the sender's batch */
  uint64_t min_burst;  /* paced: wait until this many are due */
  uint64_t t0;         /* schedule origin (packet 0 is due at t0) */
  uint64_t t_progress; /* last progress (sl_gen_pacer_progress), t0 at first */
  uint64_t now, wake;  /* set by a next_burst that said wait: when it looked, when to go */
  volatile int *stop;  /* if not NULL, the run ends once *stop != 0 */
} sl_gen_pacer_t;

/* sl_gen_pacer_init starts the schedule for count packets at rate (0:
   unpaced) at time now (sl_now_ns), bursts of at most burst_max (>= 1).
   stop may be NULL. Never fails. */
void sl_gen_pacer_init(sl_gen_pacer_t *pc, uint64_t rate, uint64_t count, uint64_t burst_max, volatile int *stop,
                       uint64_t now);

/* sl_gen_pacer_next_burst: how many packets may go at time now when sent
   (< count) have gone. Unpaced: min(count - sent, burst_max). Paced: 0
   until min_burst packets are due (or every remaining one is), then every
   due packet up to burst_max; after 0 call sl_gen_pacer_wait and ask again.
   Pure arithmetic, no syscall. */
uint64_t sl_gen_pacer_next_burst(sl_gen_pacer_t *pc, uint64_t sent, uint64_t now);

/* sl_gen_pacer_wait, after next_burst returned 0: sleeps until ~100 us
   before the burst is due when that is over ~150 us away (a signal that
   sets the stop flag cuts the sleep short), else spins once (one pause)
   and returns, so the caller re-checks the clock and may do other work
   (e.g. reap completions). */
void sl_gen_pacer_wait(sl_gen_pacer_t *pc);

/* sl_gen_pacer_stopped: non-zero once the stop flag is set. */
static inline int sl_gen_pacer_stopped(const sl_gen_pacer_t *pc) { return pc->stop && *pc->stop; }

/* sl_gen_pacer_progress records that packets went (or completed) at now. */
static inline void sl_gen_pacer_progress(sl_gen_pacer_t *pc, uint64_t now) { pc->t_progress = now; }

/* sl_gen_pacer_stalled: non-zero when nothing progressed for over
   SL_GEN_STALL_NS before now; the sender should then fail. */
static inline int sl_gen_pacer_stalled(const sl_gen_pacer_t *pc, uint64_t now) {
  return now - pc->t_progress > SL_GEN_STALL_NS;
}

/* sl_gen_pacer_backoff sleeps 20 us (cut short like wait's sleep): what a
   sender does when the kernel took nothing and it is not stalled yet. */
void sl_gen_pacer_backoff(sl_gen_pacer_t *pc);

/* sl_gen_send sends o->count packets from p to o's destination over one
   UDP socket with sendmmsg, batches of up to SL_GEN_BATCH, paced to o->rate
   by the pacer above, and fills res with what the kernel accepted. Stops
   early, successfully, when *o->stop becomes non-zero. A full send buffer
   (ENOBUFS/EAGAIN) is retried with the pacer's backoff until it stalls
   (SL_GEN_STALL_NS without progress). Fails on socket errors and other
   send errors (errno text in err); res then counts what was sent before
   the failure. */
int sl_gen_send(const sl_gen_pool_t *p, const sl_gen_opts_t *o, sl_gen_result_t *res, sl_err_t *err);

/* sl_gen_run: sl_gen_pool_new, sl_gen_send, sl_gen_pool_delete. res is
   filled (zeros if the pool could not be built). */
int sl_gen_run(const sl_gen_opts_t *o, sl_gen_result_t *res, sl_err_t *err);

/* sl_gen_result_json writes the summary line (no newline):
   {"sent": N, "valid_unique": a, "duplicates": b, "bad_sig": c,
    "malformed": d, "seconds": s, "pps": r}. Returns what snprintf does. */
int sl_gen_result_json(const sl_gen_result_t *r, char *buf, uint32_t bufsz);

#endif
