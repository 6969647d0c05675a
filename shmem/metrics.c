/* shmem/metrics.c: metrics blocks and the name tables of the schema. */
#include "shmem/metrics.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  int type;
} metric_def_t;

#define C SL_METRIC_COUNTER
#define G SL_METRIC_GAUGE

static const metric_def_t common_defs[SL_M_COMMON_CNT] = {
    [SL_M_HEARTBEAT_NS] = {"heartbeat_ns", G},
    [SL_M_PID] = {"pid", G},
    [SL_M_CPU] = {"cpu", G},
    [SL_M_STATE] = {"state", G},
    [SL_M_BUSY_NS] = {"busy_ns", C},
    [SL_M_IDLE_NS] = {"idle_ns", C},
    [SL_M_BACKPRESSURE_NS] = {"backpressure_ns", C},
    [SL_M_HOUSEKEEP_NS] = {"housekeep_ns", C},
    [SL_M_BACKPRESSURE_CNT] = {"backpressure_cnt", C},
    [SL_M_HOUSEKEEP_CNT] = {"housekeep_cnt", C},
    [SL_M_CTX_SWITCHES] = {"ctx_switches", C},
};

static const metric_def_t net_defs[SL_M_NET_END - SL_M_COMMON_CNT] = {
    [SL_M_NET_RX_PKTS - 16] = {"rx_pkts", C},
    [SL_M_NET_RX_BYTES - 16] = {"rx_bytes", C},
    [SL_M_NET_RX_MALFORMED - 16] = {"rx_malformed", C},
    [SL_M_NET_PUBLISHED - 16] = {"published", C},
    [SL_M_NET_FILL_RING_EMPTY - 16] = {"fill_ring_empty", C},
    [SL_M_NET_XDP_RX_DROPPED - 16] = {"xdp_rx_dropped", C},
    [SL_M_NET_SYSCALLS - 16] = {"syscalls", C},
    [SL_M_NET_XDP_RX_RING_FULL - 16] = {"xdp_rx_ring_full", C},
    [SL_M_NET_XDP_RX_INVALID_DESCS - 16] = {"xdp_rx_invalid_descs", C},
    [SL_M_NET_XDP_FILL_EMPTY_DESCS - 16] = {"xdp_fill_empty_descs", C},
    [SL_M_NET_RX_TRUNCATED - 16] = {"rx_truncated", C},
    [SL_M_NET_SOCK_RX_DROPPED - 16] = {"sock_rx_dropped", C},
    [SL_M_NET_RX_EMPTY - 16] = {"rx_empty", C},
    [SL_M_NET_XDP_PASS_FRAG - 16] = {"xdp_pass_frag", C},
    [SL_M_NET_XDP_PASS_IPV6 - 16] = {"xdp_pass_ipv6", C},
    [SL_M_NET_XDP_PASS_NO_SOCKET - 16] = {"xdp_pass_no_socket", C},
};

static const metric_def_t verify_defs[SL_M_VERIFY_END - SL_M_COMMON_CNT] = {
    [SL_M_VERIFY_IN_FRAGS - 16] = {"in_frags", C},
    [SL_M_VERIFY_OVERRUN - 16] = {"overrun", C},
    [SL_M_VERIFY_PARSE_FAIL - 16] = {"parse_fail", C},
    [SL_M_VERIFY_DEDUP_DROP - 16] = {"dedup_drop", C},
    [SL_M_VERIFY_SIGVERIFY_FAIL - 16] = {"sigverify_fail", C},
    [SL_M_VERIFY_VERIFIED - 16] = {"verified", C},
    [SL_M_VERIFY_OVERRUN_READ - 16] = {"overrun_read", C},
    [SL_M_VERIFY_SIGS - 16] = {"sigs", C},
};

static const metric_def_t sink_defs[SL_M_SINK_END - SL_M_COMMON_CNT] = {
    [SL_M_SINK_IN_FRAGS - 16] = {"in_frags", C},
    [SL_M_SINK_TXNS - 16] = {"txns", C},
    [SL_M_SINK_BYTES - 16] = {"bytes", C},
    [SL_M_SINK_PCAP_WRITTEN - 16] = {"pcap_written", C},
    [SL_M_SINK_LATENCY_NS - 16] = {"latency_ns", G},
    [SL_M_SINK_LATENCY_MAX_NS - 16] = {"latency_max_ns", G},
    [SL_M_SINK_OVERRUN - 16] = {"overrun", C},
    [SL_M_SINK_PCAP_ERRORS - 16] = {"pcap_errors", C},
    [SL_M_SINK_LATENCY_P50_NS - 16] = {"latency_p50_ns", G},
    [SL_M_SINK_LATENCY_P99_NS - 16] = {"latency_p99_ns", G},
};

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
