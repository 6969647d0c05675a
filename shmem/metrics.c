/* shmem/metrics.c: metrics blocks and the name tables of the schema. */
#include "shmem/metrics.h"

#include <stdio.h>
#include <string.h>

/* Each value: the name the monitor's JSON prints, its type, the Prometheus
   family it is exposed under (one family per quantity: tiles of different
   kinds that count the same thing share it, told apart by their labels;
   NULL: not exposed as a plain sample, see sl_metrics_prom_name) and what
   it means. */
typedef struct {
  const char *name;
  int type;
  const char *prom;
  const char *help;
} metric_def_t;

#define C SL_METRIC_COUNTER
#define G SL_METRIC_GAUGE

static const metric_def_t common_defs[SL_M_COMMON_CNT] = {
    [SL_M_HEARTBEAT_NS] = {"heartbeat_ns", G, NULL, "CLOCK_MONOTONIC of the tile's last housekeeping."},
    [SL_M_PID] = {"pid", G, NULL, "Process id of the tile."},
    [SL_M_CPU] = {"cpu", G, NULL, "CPU the tile is pinned to, -1 if none."},
    [SL_M_STATE] = {"state", G, NULL, "Tile state: booting, running, stopping, stopped, failed."},
    [SL_M_BUSY_NS] = {"busy_ns", C, "sluice_tile_busy_seconds_total", "Time the tile spent working on frags or packets."},
    [SL_M_IDLE_NS] = {"idle_ns", C, "sluice_tile_idle_seconds_total", "Time the tile spent finding nothing to do."},
    [SL_M_BACKPRESSURE_NS] = {"backpressure_ns", C, "sluice_tile_backpressure_seconds_total", "Time the tile spent waiting for credit on a reliable output."},
    [SL_M_HOUSEKEEP_NS] = {"housekeep_ns", C, "sluice_tile_housekeeping_seconds_total", "Time the tile spent in housekeeping."},
    [SL_M_BACKPRESSURE_CNT] = {"backpressure_cnt", C, "sluice_tile_backpressure_waits_total", "Times the tile had to wait for credit."},
    [SL_M_HOUSEKEEP_CNT] = {"housekeep_cnt", C, "sluice_tile_housekeeping_rounds_total", "Housekeeping rounds of the tile."},
    [SL_M_CTX_SWITCHES] = {"ctx_switches", C, "sluice_tile_context_switches_total", "Voluntary and involuntary context switches of the tile process."},
    [SL_M_SYSCALL_DENIED] = {"syscall_denied", G, "sluice_tile_syscall_denied", "The system call (its number + 1) the sandbox killed the tile for; 0: none."},
};

static const metric_def_t net_defs[SL_M_NET_END - SL_M_COMMON_CNT] = {
    [SL_M_NET_RX_PKTS - 16] = {"rx_pkts", C, "sluice_rx_packets_total", "Packets taken off the RX ring or socket."},
    [SL_M_NET_RX_BYTES - 16] = {"rx_bytes", C, "sluice_rx_bytes_total", "Bytes of the packets taken (whole frames)."},
    [SL_M_NET_RX_MALFORMED - 16] = {"rx_malformed", C, "sluice_rx_malformed_packets_total", "Packets that are not a parseable Ethernet/IPv4/UDP frame with a payload."},
    [SL_M_NET_PUBLISHED - 16] = {"published", C, "sluice_published_frags_total", "Frags the net tile published to its output ring."},
    [SL_M_NET_FILL_RING_EMPTY - 16] = {"fill_ring_empty", C, "sluice_fill_ring_empty_total", "Times no frame could be given to the AF_XDP fill ring."},
    [SL_M_NET_XDP_RX_DROPPED - 16] = {"xdp_rx_dropped", C, "sluice_xdp_rx_dropped_total", "Packets the kernel dropped on the AF_XDP socket (XDP_STATISTICS rx_dropped)."},
    [SL_M_NET_SYSCALLS - 16] = {"syscalls", C, "sluice_syscalls_total", "Kernel kicks, waits and io_uring submits made by the net tile."},
    [SL_M_NET_XDP_RX_RING_FULL - 16] = {"xdp_rx_ring_full", C, "sluice_xdp_rx_ring_full_total", "Packets dropped because the AF_XDP RX ring was full (XDP_STATISTICS rx_ring_full)."},
    [SL_M_NET_XDP_RX_INVALID_DESCS - 16] = {"xdp_rx_invalid_descs", C, "sluice_xdp_rx_invalid_descs_total", "Invalid RX descriptors (XDP_STATISTICS rx_invalid_descs)."},
    [SL_M_NET_XDP_FILL_EMPTY_DESCS - 16] = {"xdp_fill_empty_descs", C, "sluice_xdp_fill_ring_empty_descs_total", "Times the kernel found the fill ring empty (XDP_STATISTICS rx_fill_ring_empty_descs)."},
    [SL_M_NET_RX_TRUNCATED - 16] = {"rx_truncated", C, "sluice_rx_truncated_packets_total", "Datagrams larger than a frame."},
    [SL_M_NET_SOCK_RX_DROPPED - 16] = {"sock_rx_dropped", C, "sluice_socket_rx_dropped_total", "Datagrams the kernel dropped on the io_uring provider's sockets (receive buffer full)."},
    [SL_M_NET_RX_EMPTY - 16] = {"rx_empty", C, "sluice_rx_empty_packets_total", "Datagrams without a payload (io_uring provider)."},
    [SL_M_NET_XDP_PASS_FRAG - 16] = {"xdp_pass_frag", C, "sluice_xdp_passed_fragments_total", "IPv4 fragments to a captured port the XDP program left to the kernel, one per datagram."},
    [SL_M_NET_XDP_PASS_IPV6 - 16] = {"xdp_pass_ipv6", C, "sluice_xdp_passed_ipv6_total", "UDP over IPv6 to a captured port the XDP program left to the kernel."},
    [SL_M_NET_XDP_PASS_NO_SOCKET - 16] = {"xdp_pass_no_socket", C, "sluice_xdp_passed_no_socket_total", "Packets to a captured port on a queue without an AF_XDP socket (net:0 reports the queues without a net tile)."},
};

static const metric_def_t verify_defs[SL_M_VERIFY_END - SL_M_COMMON_CNT] = {
    [SL_M_VERIFY_IN_FRAGS - 16] = {"in_frags", C, "sluice_in_frags_total", "Frags the tile read intact from its inputs (a verify tile: those of its share)."},
    [SL_M_VERIFY_OVERRUN - 16] = {"overrun", C, "sluice_overrun_frags_total", "Frags of the tile's own share lost to lapping on its inputs (each lost frag is counted by its owner only)."},
    [SL_M_VERIFY_PARSE_FAIL - 16] = {"parse_fail", C, "sluice_parse_failures_total", "Transactions that failed the strict parse."},
    [SL_M_VERIFY_DEDUP_DROP - 16] = {"dedup_drop", C, "sluice_dedup_drops_total", "Duplicates of transactions already verified."},
    [SL_M_VERIFY_SIGVERIFY_FAIL - 16] = {"sigverify_fail", C, "sluice_sigverify_failures_total", "Transactions with a signature that failed strict ed25519."},
    [SL_M_VERIFY_VERIFIED - 16] = {"verified", C, "sluice_verified_txns_total", "Transactions verified and published towards the sink."},
    [SL_M_VERIFY_OVERRUN_READ - 16] = {"overrun_read", C, "sluice_overrun_reads_total", "Payload reads voided by an overrun while reading."},
    [SL_M_VERIFY_SIGS - 16] = {"sigs", C, "sluice_signatures_checked_total", "Signatures checked."},
};

/* The interval gauges and percentiles stay in the JSON: Prometheus gets the
   histogram (sluice_txn_latency_seconds) and computes its own. */
static const metric_def_t sink_defs[SL_M_SINK_END - SL_M_COMMON_CNT] = {
    [SL_M_SINK_IN_FRAGS - 16] = {"in_frags", C, "sluice_in_frags_total", NULL},
    [SL_M_SINK_TXNS - 16] = {"txns", C, "sluice_txns_total", "Transactions the sink received."},
    [SL_M_SINK_BYTES - 16] = {"bytes", C, "sluice_txn_bytes_total", "Bytes of the transactions the sink received (UDP payloads)."},
    [SL_M_SINK_PCAP_WRITTEN - 16] = {"pcap_written", C, "sluice_pcap_written_txns_total", "Transactions written to the pcap capture."},
    [SL_M_SINK_LATENCY_NS - 16] = {"latency_ns", G, NULL, "Mean arrival-to-sink latency over the last housekeeping interval."},
    [SL_M_SINK_LATENCY_MAX_NS - 16] = {"latency_max_ns", G, NULL, "Max arrival-to-sink latency over the last housekeeping interval."},
    [SL_M_SINK_OVERRUN - 16] = {"overrun", C, "sluice_overrun_frags_total", NULL},
    [SL_M_SINK_PCAP_ERRORS - 16] = {"pcap_errors", C, "sluice_pcap_errors_total", "Failed pcap writes, flushes and rotations."},
    [SL_M_SINK_LATENCY_P50_NS - 16] = {"latency_p50_ns", G, NULL, "Median arrival-to-sink latency since start (a histogram bucket bound)."},
    [SL_M_SINK_LATENCY_P99_NS - 16] = {"latency_p99_ns", G, NULL, "99th percentile arrival-to-sink latency since start (a histogram bucket bound)."},
    [SL_M_SINK_LATENCY_SUM_NS - 16] = {"latency_sum_ns", C, NULL, "Sum of the arrival-to-sink latencies since start."},
#define LE(b, n) [SL_M_SINK_LATENCY_LE + (b) - 16] = {"latency_le_" n, C, NULL, "Transactions with an arrival-to-sink latency up to " n "."}
    LE(0, "1us"),    LE(1, "2us"),    LE(2, "5us"),    LE(3, "10us"),   LE(4, "20us"),
    LE(5, "50us"),   LE(6, "100us"),  LE(7, "200us"),  LE(8, "500us"),  LE(9, "1ms"),
    LE(10, "2ms"),   LE(11, "5ms"),   LE(12, "10ms"),  LE(13, "20ms"),  LE(14, "50ms"),
    LE(15, "100ms"), LE(16, "200ms"), LE(17, "500ms"), LE(18, "1s"),    LE(19, "2s"),
    [SL_M_SINK_LATENCY_LE + 20 - 16] = {"latency_le_inf", C, NULL, "Transactions the latency histogram counted."},
    [SL_M_SINK_BAD_FRAG - 16] = {"bad_frag", C, "sluice_bad_frags_total", "Frags whose metadata pointed outside their ring's payload slots (never read)."},
#undef LE
};

static const metric_def_t metric_defs[SL_M_METRIC_END - SL_M_COMMON_CNT] = {
    [SL_M_METRIC_SERVED - 16] = {"served", C, "sluice_http_responses_total", "Responses the metric tile sent completely."},
    [SL_M_METRIC_DROPPED - 16] = {"dropped", C, "sluice_http_dropped_connections_total", "Connections the metric tile closed before a complete response (deadline, I/O error, eviction)."},
    [SL_M_METRIC_EVICTED - 16] = {"evicted", C, "sluice_http_evicted_connections_total", "Idle connections dropped to make room for a new one."},
    [SL_M_METRIC_UNAVAILABLE - 16] = {"unavailable", C, "sluice_http_unavailable_total", "Scrapes answered 503 because no snapshot could be taken."},
    [SL_M_METRIC_CONNECTIONS - 16] = {"connections", G, "sluice_http_connections", "Client connections the metric tile has open."},
    [SL_M_METRIC_RENDER_NS - 16] = {"render_ns", C, "sluice_metric_render_seconds_total", "Time the metric tile spent taking snapshots and rendering them."},
};

/* The bounds the names above spell out. */
static const uint64_t latency_le_ns[SL_METRICS_LATENCY_BUCKETS - 1] = {
    1000,      2000,      5000,      10000,     20000,      50000,      100000,
    200000,    500000,    1000000,   2000000,   5000000,    10000000,   20000000,
    50000000,  100000000, 200000000, 500000000, 1000000000, 2000000000,
};

uint64_t sl_metrics_latency_le_ns(uint32_t b) {
  return b < SL_METRICS_LATENCY_BUCKETS - 1 ? latency_le_ns[b] : UINT64_MAX;
}

#undef C
#undef G

static const struct {
  const char *name;
  const metric_def_t *defs;
  uint32_t end;
} kinds[SL_TILE_KIND_CNT] = {
    [SL_TILE_NET] = {"net", net_defs, SL_M_NET_END},
    [SL_TILE_VERIFY] = {"verify", verify_defs, SL_M_VERIFY_END},
    [SL_TILE_SINK] = {"sink", sink_defs, SL_M_SINK_END},
    [SL_TILE_METRIC] = {"metric", metric_defs, SL_M_METRIC_END},
};

static const metric_def_t *def_of(uint32_t kind, uint32_t idx) {
  if (kind >= SL_TILE_KIND_CNT || idx >= kinds[kind].end) return NULL;
  const metric_def_t *d = idx < SL_M_COMMON_CNT ? &common_defs[idx]
                                                : &kinds[kind].defs[idx - SL_M_COMMON_CNT];
  return d->name ? d : NULL;
}

const char *sl_tile_kind_name(uint32_t kind) {
  return kind < SL_TILE_KIND_CNT ? kinds[kind].name : NULL;
}

int sl_tile_kind_parse(const char *name) {
  for (int k = 0; k < SL_TILE_KIND_CNT; k++)
    if (name && !strcmp(name, kinds[k].name)) return k;
  return -1;
}

const char *sl_tile_state_name(uint64_t state) {
  static const char *const names[] = {"booting", "running", "stopping", "stopped", "failed"};
  return state < 5 ? names[state] : "unknown";
}

uint32_t sl_metrics_cnt(uint32_t kind) { return kind < SL_TILE_KIND_CNT ? kinds[kind].end : 0; }

const char *sl_metrics_name(uint32_t kind, uint32_t idx) {
  const metric_def_t *d = def_of(kind, idx);
  return d ? d->name : NULL;
}

int sl_metrics_type(uint32_t kind, uint32_t idx) {
  const metric_def_t *d = def_of(kind, idx);
  return d ? d->type : SL_METRIC_COUNTER;
}

const char *sl_metrics_prom_name(uint32_t kind, uint32_t idx) {
  const metric_def_t *d = def_of(kind, idx);
  return d ? d->prom : NULL;
}

/* A family's help is written once, on its first member. */
const char *sl_metrics_help(uint32_t kind, uint32_t idx) {
  const metric_def_t *d = def_of(kind, idx);
  if (!d) return NULL;
  if (d->help || !d->prom) return d->help;
  for (uint32_t k = 0; k < SL_TILE_KIND_CNT; k++)
    for (uint32_t i = 0; i < sl_metrics_cnt(k); i++) {
      const metric_def_t *e = def_of(k, i);
      if (e && e->help && e->prom && !strcmp(e->prom, d->prom)) return e->help;
    }
  return NULL;
}

int sl_metrics_index(uint32_t kind, const char *name) {
  for (uint32_t i = 0; i < sl_metrics_cnt(kind); i++) {
    const char *n = sl_metrics_name(kind, i);
    if (n && name && !strcmp(n, name)) return (int)i;
  }
  return -1;
}

uint64_t sl_metrics_align(void) { return SL_METRICS_ALIGN; }
uint64_t sl_metrics_footprint(void) { return sizeof(sl_metrics_t); }

void *sl_metrics_new(void *mem, uint32_t kind, uint32_t tile_idx) {
  if (!mem || ((uintptr_t)mem & (SL_METRICS_ALIGN - 1)) || kind >= SL_TILE_KIND_CNT) return NULL;
  sl_metrics_t *m = mem;
  memset(m, 0, sizeof *m);
  m->kind = kind;
  m->tile_idx = tile_idx;
  snprintf(m->name, sizeof m->name, "%s:%u", kinds[kind].name, tile_idx);
  m->v[SL_M_STATE] = SL_TILE_BOOTING;
  __atomic_store_n(&m->magic, SL_METRICS_MAGIC, __ATOMIC_RELEASE);
  return mem;
}

sl_metrics_t *sl_metrics_join(void *mem) {
  sl_metrics_t *m = mem;
  if (!m || __atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) != SL_METRICS_MAGIC) return NULL;
  return m;
}

void *sl_metrics_leave(sl_metrics_t *m) { return m; }

void *sl_metrics_delete(void *mem) {
  sl_metrics_t *m = sl_metrics_join(mem);
  if (!m) return NULL;
  __atomic_store_n(&m->magic, 0, __ATOMIC_RELEASE);
  return mem;
}

int sl_metrics_create(sl_wksp_t *w, uint32_t kind, uint32_t tile_idx, uint64_t *off, sl_err_t *err) {
  if (kind >= SL_TILE_KIND_CNT) return sl_err_set(err, "metrics: bad tile kind %u", kind);
  char name[SL_TILE_NAME_MAX];
  snprintf(name, sizeof name, "%s:%u", kinds[kind].name, tile_idx);
  if (sl_wksp_alloc(w, name, SL_OBJ_METRICS, SL_METRICS_ALIGN, sizeof(sl_metrics_t), off, err))
    return -1;
  sl_metrics_new(sl_wksp_laddr(w, *off), kind, tile_idx);
  return 0;
}

void sl_metrics_set_mode(sl_metrics_t *m, const char *text) {
  char buf[SL_TILE_MODE_MAX];
  memset(buf, 0, sizeof buf);
  snprintf(buf, sizeof buf, "%s", text ? text : "");
  memcpy(m->mode, buf, sizeof buf);
}
