/* shmem/metrics.h: a tile's metrics block and the schema of its counters.

   Each tile owns one block in the workspace (directory entry named after
   the tile, "net:0", kind SL_OBJ_METRICS): a header and u64 v[64]. Only the
   tile writes it (plain relaxed stores; no read-modify-write atomics needed
   with a single writer); anyone, read-only included, may read it at any
   time and sees each value whole (aligned 8-byte stores are atomic), though
   not a consistent snapshot across values.

   Indices: 0..15 are common to every tile (SL_M_*), 16..63 depend on the
   tile kind (SL_M_NET_*, SL_M_VERIFY_*, SL_M_SINK_*, SL_M_METRIC_*). sl_metrics_name gives
   the name the monitor prints (the names of DESIGN.md's table); an index
   without a name is unused and stays 0. */
#ifndef SL_SHMEM_METRICS_H
#define SL_SHMEM_METRICS_H

#include <stdint.h>

#include "shmem/wksp.h"
#include "util/err.h"

#define SL_METRICS_MAGIC 0x4352544d534cull /* "SLMTRC" */
#define SL_METRICS_CNT 64u
#define SL_METRICS_ALIGN 128ull
#define SL_TILE_NAME_MAX 16u
#define SL_TILE_MODE_MAX 16u

/* Tile kinds. */
enum { SL_TILE_NET = 0, SL_TILE_VERIFY = 1, SL_TILE_SINK = 2, SL_TILE_METRIC = 3, SL_TILE_KIND_CNT = 4 };

/* Values of v[SL_M_STATE]. */
enum {
  SL_TILE_BOOTING = 0,
  SL_TILE_RUNNING = 1,
  SL_TILE_STOPPING = 2,
  SL_TILE_STOPPED = 3,
  SL_TILE_FAILED = 4,
};

/* Common to every tile. _ns values are nanoseconds (CLOCK_MONOTONIC for
   heartbeat_ns; accumulated durations for the others). */
enum {
  SL_M_HEARTBEAT_NS = 0,    /* gauge: sl_now_ns() at the last housekeeping */
  SL_M_PID = 1,             /* gauge */
  SL_M_CPU = 2,             /* gauge: the CPU the tile is pinned to */
  SL_M_STATE = 3,           /* gauge: SL_TILE_BOOTING.. */
  SL_M_BUSY_NS = 4,         /* time spent on frags */
  SL_M_IDLE_NS = 5,         /* time spent finding nothing to do */
  SL_M_BACKPRESSURE_NS = 6, /* time spent waiting for credit on a reliable output */
  SL_M_HOUSEKEEP_NS = 7,    /* time spent in housekeeping */
  SL_M_BACKPRESSURE_CNT = 8,/* times the tile had to wait for credit */
  SL_M_HOUSEKEEP_CNT = 9,   /* housekeeping rounds */
  SL_M_CTX_SWITCHES = 10,   /* voluntary + involuntary context switches (getrusage) */
  SL_M_SYSCALL_DENIED = 11, /* the system call (its number + 1) the sandbox killed the tile for; 0: none */
  SL_M_COMMON_CNT = 16,     /* first kind-specific index */
};

/* Net tile. */
enum {
  SL_M_NET_RX_PKTS = 16,      /* packets taken off the RX ring / socket */
  SL_M_NET_RX_BYTES = 17,
  SL_M_NET_RX_MALFORMED = 18, /* not a parseable Ethernet/IPv4/UDP frame with a payload */
  SL_M_NET_PUBLISHED = 19,    /* frags published to the output ring */
  SL_M_NET_FILL_RING_EMPTY = 20, /* times no frame could be given to the fill ring */
  SL_M_NET_XDP_RX_DROPPED = 21,  /* XDP_STATISTICS rx_dropped */
  SL_M_NET_SYSCALLS = 22,     /* kernel kicks, waits and io_uring submits */
  SL_M_NET_XDP_RX_RING_FULL = 24,     /* XDP_STATISTICS rx_ring_full */
  SL_M_NET_XDP_RX_INVALID_DESCS = 25, /* XDP_STATISTICS rx_invalid_descs */
  SL_M_NET_XDP_FILL_EMPTY_DESCS = 26, /* XDP_STATISTICS rx_fill_ring_empty_descs */
  SL_M_NET_RX_TRUNCATED = 27, /* datagrams larger than a frame */
  SL_M_NET_SOCK_RX_DROPPED = 28, /* io_uring: datagrams the kernel dropped on our sockets
                                    (receive buffer full), SO_MEMINFO */
  SL_M_NET_RX_EMPTY = 29,     /* io_uring: datagrams with no payload (given back, never delivered) */
  /* What the XDP program handed to the kernel stack although it was meant
     for a captured port and address (tiles/net/xdp_counters.h); net:0 also
     counts what arrived on queues without a net tile. */
  SL_M_NET_XDP_PASS_FRAG = 30,      /* IPv4 fragments (counted once, by the first fragment) */
  SL_M_NET_XDP_PASS_IPV6 = 31,      /* UDP over IPv6 (sluice captures IPv4 only) */
  SL_M_NET_XDP_PASS_NO_SOCKET = 32, /* the queue had no AF_XDP socket */
  SL_M_NET_END = 33,
};

/* Verify tile. in_frags = parse_fail + dedup_drop + sigverify_fail + verified. */
enum {
  SL_M_VERIFY_IN_FRAGS = 16,     /* frags of this tile's share read intact */
  SL_M_VERIFY_OVERRUN = 17,      /* frags of this tile's share lost to lapping (polling), all its input rings */
  SL_M_VERIFY_PARSE_FAIL = 18,
  SL_M_VERIFY_DEDUP_DROP = 19,
  SL_M_VERIFY_SIGVERIFY_FAIL = 20,
  SL_M_VERIFY_VERIFIED = 21,
  SL_M_VERIFY_OVERRUN_READ = 22, /* payload reads voided (overrun while reading) */
  SL_M_VERIFY_SIGS = 24,         /* signatures checked */
  SL_M_VERIFY_END = 25,
};

/* Sink tile. */
enum {
  SL_M_SINK_IN_FRAGS = 16,
  SL_M_SINK_TXNS = 17,
  SL_M_SINK_BYTES = 18,
  SL_M_SINK_PCAP_WRITTEN = 19,
  SL_M_SINK_LATENCY_NS = 20,     /* gauge: mean tsorig -> sink over the last housekeeping interval */
  SL_M_SINK_LATENCY_MAX_NS = 21, /* gauge: max over the same interval */
  SL_M_SINK_OVERRUN = 22,        /* should stay 0: inputs are reliable */
  SL_M_SINK_PCAP_ERRORS = 23,
  SL_M_SINK_LATENCY_P50_NS = 24, /* gauge: median tsorig -> sink since start (histogram bucket bound) */
  SL_M_SINK_LATENCY_P99_NS = 25, /* gauge: 99th percentile, same */
  SL_M_SINK_LATENCY_SUM_NS = 26, /* sum of every tsorig -> sink latency since start */
  /* The latency histogram since start, cumulative as Prometheus reads it:
     v[SL_M_SINK_LATENCY_LE + b] counts the transactions whose latency was
     <= sl_metrics_latency_le_ns(b); the last bucket (le = +Inf) counts them
     all. Written together in the sink's housekeeping. */
  SL_M_SINK_LATENCY_LE = 27,
  /* Frags whose metadata point outside the verify ring's payload slots (a
     verify tile gone wrong): counted in in_frags, never read. */
  SL_M_SINK_BAD_FRAG = 27 + 21,
  SL_M_SINK_END = 27 + 21 + 1,
};

/* Buckets of the sink's latency histogram: 1-2-5 steps from 1 us to 2 s
   (ts32 latencies wrap at 4.29 s), then +Inf. */
#define SL_METRICS_LATENCY_BUCKETS 21u
_Static_assert(SL_M_SINK_LATENCY_LE + SL_METRICS_LATENCY_BUCKETS == SL_M_SINK_BAD_FRAG, "latency buckets");
_Static_assert(SL_M_SINK_END <= SL_METRICS_CNT, "sink metrics fit the block");

/* Metric tile (serves /metrics). */
enum {
  SL_M_METRIC_SERVED = 16,      /* responses sent completely */
  SL_M_METRIC_DROPPED = 17,     /* connections closed before a complete response */
  SL_M_METRIC_EVICTED = 18,     /* of those, idle ones dropped to make room at the cap */
  SL_M_METRIC_UNAVAILABLE = 19, /* scrapes answered 503 (no snapshot could be taken) */
  SL_M_METRIC_CONNECTIONS = 20, /* gauge: client connections open */
  SL_M_METRIC_RENDER_NS = 21,   /* time spent taking snapshots and rendering them */
  SL_M_METRIC_END = 22,
};

/* Metric types, for the Prometheus exposition. */
enum { SL_METRIC_COUNTER = 0, SL_METRIC_GAUGE = 1 };

/* The block. v[] is 128-byte aligned. */
typedef struct {
  uint64_t magic;
  uint32_t kind;                /* SL_TILE_* */
  uint32_t tile_idx;            /* index among tiles of its kind */
  char name[SL_TILE_NAME_MAX];  /* "net:0" */
  char mode[SL_TILE_MODE_MAX];  /* net: provider/mode ("xdp/drv", "xdp/skb", "io_uring"); verify: its
                                   ed25519 backend ("avx512", "avx2", "libsodium"); "" else */
  uint8_t _pad[128 - 48];
  uint64_t v[SL_METRICS_CNT];
} sl_metrics_t;

_Static_assert(sizeof(sl_metrics_t) == 128 + 8 * SL_METRICS_CNT, "metrics layout");

/* Lifecycle. footprint = sizeof(sl_metrics_t); align 128. new formats mem
   (all values 0, state BOOTING) for tile kind/tile_idx and names it
   "<kind>:<idx>"; returns mem, or NULL on a bad kind or misaligned mem. */
uint64_t sl_metrics_align(void);
uint64_t sl_metrics_footprint(void);
void *sl_metrics_new(void *mem, uint32_t kind, uint32_t tile_idx);
/* join returns the block (read-only use is fine), or NULL if mem holds none. */
sl_metrics_t *sl_metrics_join(void *mem);
void *sl_metrics_leave(sl_metrics_t *m);
void *sl_metrics_delete(void *mem);

/* sl_metrics_create allocates and formats the block of tile kind/tile_idx
   in the workspace under the tile's name ("net:0", kind SL_OBJ_METRICS);
   *off is its offset. Creator only. */
int sl_metrics_create(sl_wksp_t *w, uint32_t kind, uint32_t tile_idx, uint64_t *off, sl_err_t *err);

/* sl_metrics_set_mode copies text (truncated to 15 chars) into m->mode. */
void sl_metrics_set_mode(sl_metrics_t *m, const char *text);

/* Single-writer accessors (the owning tile only for set/add). Relaxed
   atomics: no fences, no lock prefix; a reader never sees a torn value. */
static inline void sl_metrics_set(sl_metrics_t *m, uint32_t idx, uint64_t val) {
  __atomic_store_n(&m->v[idx], val, __ATOMIC_RELAXED);
}
static inline void sl_metrics_add(sl_metrics_t *m, uint32_t idx, uint64_t delta) {
  __atomic_store_n(&m->v[idx], __atomic_load_n(&m->v[idx], __ATOMIC_RELAXED) + delta,
                   __ATOMIC_RELAXED);
}
static inline uint64_t sl_metrics_get(const sl_metrics_t *m, uint32_t idx) {
  return __atomic_load_n(&m->v[idx], __ATOMIC_RELAXED);
}

/* Schema. */

/* sl_tile_kind_name: "net", "verify", "sink", "metric"; NULL for an unknown
   kind. */
const char *sl_tile_kind_name(uint32_t kind);
/* sl_tile_kind_parse: the kind named name, or -1. */
int sl_tile_kind_parse(const char *name);
/* sl_tile_state_name: "booting", "running", "stopping", "stopped", "failed";
   "unknown" otherwise. */
const char *sl_tile_state_name(uint64_t state);

/* sl_metrics_cnt: 1 + the highest named index of kind (iterate idx from 0
   to this, skipping NULL names); 0 for an unknown kind. */
uint32_t sl_metrics_cnt(uint32_t kind);
/* sl_metrics_name: the name of v[idx] for a tile of kind ("heartbeat_ns",
   "rx_pkts", ...), or NULL if idx is unused for that kind. */
const char *sl_metrics_name(uint32_t kind, uint32_t idx);
/* sl_metrics_type: SL_METRIC_COUNTER or SL_METRIC_GAUGE for a named index. */
int sl_metrics_type(uint32_t kind, uint32_t idx);
/* sl_metrics_prom_name: the Prometheus family v[idx] of a tile of kind is
   exposed under ("sluice_rx_packets_total"): one family per quantity, so
   the kinds that count the same thing share a name ("sluice_in_frags_total"
   for verify and sink); a counter's ends in _total, and a duration kept in
   nanoseconds (name ending _ns) is exposed in seconds (family ending
   _seconds or _seconds_total). NULL for an unused index and for values the
   exposition renders its own way or leaves to the JSON: heartbeat_ns (as
   an age), pid, cpu, state (as labels), the sink's latency histogram and
   its interval gauges and percentiles. */
const char *sl_metrics_prom_name(uint32_t kind, uint32_t idx);
/* sl_metrics_help: one sentence saying what v[idx] of kind means (the
   family's, for members that share one), or NULL for an unused index. */
const char *sl_metrics_help(uint32_t kind, uint32_t idx);

/* sl_metrics_index: the index named name for kind, or -1. */
int sl_metrics_index(uint32_t kind, const char *name);

/* sl_metrics_latency_le_ns: the upper bound in nanoseconds of latency
   bucket b (< SL_METRICS_LATENCY_BUCKETS), increasing; UINT64_MAX for the
   last one (+Inf) and for b out of range. */
uint64_t sl_metrics_latency_le_ns(uint32_t b);

#endif
