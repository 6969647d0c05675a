#include "tiles/sink/sink_tile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmem/ring.h"
#include "tiles/frame.h"
#include "tiles/sink/pcap_out.h"
#include "util/log.h"
#include "util/time.h"

#define SINK_BURST 64u

typedef struct {
  sl_ring_cons_t in[SL_VERIFY_TILE_MAX];
  uint32_t in_cnt;
  uint8_t *base;
  int capturing;     /* [sink] pcap is set and pcap is open */
  int warned;        /* a pcap error was logged */
  uint64_t in_frags, txns, bytes, pcap_written, bad_frag;
  uint64_t lat_sum, lat_cnt, lat_max; /* this housekeeping interval */
  uint64_t lat_total_ns;               /* since start */
  uint64_t lat_hist[SL_METRICS_LATENCY_BUCKETS]; /* since start; bucket b alone, not cumulative */
  uint64_t last_flush_ns;
  sl_pcap_out_t pcap; /* last: large */
} sink_ctx_t;

/* The rights capture files are made with: the configured user's, when we
   are root and one is set; else our own ((uid_t)-1). */
static int sink_init(sl_tile_t *t, sl_err_t *err) {
  sink_ctx_t *c = calloc(1, sizeof *c);
  if (!c) return sl_err_set(err, "out of memory");
  t->ctx = c;
  c->base = t->wksp->base;
  c->in_cnt = t->topo->verify_cnt;
  for (uint32_t i = 0; i < c->in_cnt; i++)
    if (sl_ring_cons_init(&c->in[i], t->wksp, t->topo->verify_ring[i], 0, err)) return -1;
  const sl_config_t *cfg = t->cfg;
  const char *path = cfg->sink.pcap;
  if (*path) {
    /* Files belong to the tile's user (a tile run unconfined, in a test of
       the loop: to whoever runs it). */
    uid_t uid = t->uid ? t->uid : (uid_t)-1;
    gid_t gid = t->uid ? t->gid : (gid_t)-1;
    if (sl_pcap_out_open(&c->pcap, path, (uint64_t)cfg->sink.pcap_max_mb * 1000000ull, cfg->sink.pcap_max_files,
                         uid, gid, err))
      return -1;
    c->capturing = 1;
    if (c->pcap.rotated_start)
      SL_INFO("kept the previous capture as %s.%llu", path, (unsigned long long)c->pcap.rotated_start);
    SL_INFO("writing verified transactions to %s", path);
  }
  return 0;
}

static inline void record_latency(sink_ctx_t *c, uint32_t tsorig, uint32_t now) {
  uint64_t lat = (uint32_t)(now - tsorig);
  c->lat_sum += lat;
  c->lat_cnt++;
  c->lat_total_ns += lat;
  if (lat > c->lat_max) c->lat_max = lat;
  /* The +Inf bucket ends the scan; typical latencies stop within ~8. */
  uint32_t b = 0;
  while (lat > sl_metrics_latency_le_ns(b)) b++;
  c->lat_hist[b]++;
}

static uint32_t sink_poll(sl_tile_t *t) {
  sink_ctx_t *c = t->ctx;
  uint32_t did = 0;
  for (uint32_t i = 0; i < c->in_cnt; i++) {
    sl_ring_cons_t *in = &c->in[i];
    sl_frag_meta_t metas[SINK_BURST];
    uint32_t n = sl_ring_consume_burst(in, metas, SINK_BURST);
    if (!n) continue;
    uint32_t now = sl_ts32();
    for (uint32_t j = 0; j < n; j++) {
      const sl_frag_meta_t *m = &metas[j];
      c->in_frags++;
      if (__builtin_expect(m->sz > SL_FRAME_MAX_SZ || !sl_ring_cons_payload_ok(in, m->chunk, m->sz), 0)) {
        c->bad_frag++;
        continue;
      }
      const uint8_t *frame = sl_chunk_laddr(c->base, m->chunk);
      c->txns++;
      /* bytes counts transaction bytes (the UDP payload), not frame bytes. */
      sl_frame_t fr;
      c->bytes += sl_frame_parse(frame, m->sz, &fr) == 0 ? fr.payload_sz : m->sz;
      record_latency(c, m->tsorig, now);
      if (c->capturing && !sl_pcap_out_write(&c->pcap, frame, m->sz, sl_wall_ns())) c->pcap_written++;
    }
    /* Reliable link: give the credits back as soon as the burst is done
       (the frames were read, and written to the pcap buffer). */
    sl_ring_cons_publish(in);
    did += n;
  }
  return did;
}

static void sink_flush(sl_tile_t *t) {
  sink_ctx_t *c = t->ctx;
  sl_metrics_t *m = sl_topo_metrics(t->wksp, t->topo, t->id);
  uint64_t overrun = 0;
  for (uint32_t i = 0; i < c->in_cnt; i++) overrun += c->in[i].overrun_poll + c->in[i].overrun_read;
  sl_metrics_set(m, SL_M_SINK_IN_FRAGS, c->in_frags);
  sl_metrics_set(m, SL_M_SINK_TXNS, c->txns);
  sl_metrics_set(m, SL_M_SINK_BYTES, c->bytes);
  sl_metrics_set(m, SL_M_SINK_PCAP_WRITTEN, c->pcap_written);
  sl_metrics_set(m, SL_M_SINK_PCAP_ERRORS, c->pcap.errors);
  sl_metrics_set(m, SL_M_SINK_OVERRUN, overrun);
  sl_metrics_set(m, SL_M_SINK_BAD_FRAG, c->bad_frag);
  if (c->lat_cnt) {
    sl_metrics_set(m, SL_M_SINK_LATENCY_NS, c->lat_sum / c->lat_cnt);
    sl_metrics_set(m, SL_M_SINK_LATENCY_MAX_NS, c->lat_max);
    c->lat_sum = c->lat_cnt = c->lat_max = 0;
  }
  /* The histogram as Prometheus reads it (cumulative over buckets), and
     percentiles from it (the bound of the bucket they fall in; a latency
     past the last finite bound reports that bound). */
  uint64_t total = 0;
  for (uint32_t b = 0; b < SL_METRICS_LATENCY_BUCKETS; b++) total += c->lat_hist[b];
  uint64_t acc = 0, p50 = 0, p99 = 0;
  for (uint32_t b = 0; b < SL_METRICS_LATENCY_BUCKETS; b++) {
    acc += c->lat_hist[b];
    sl_metrics_set(m, SL_M_SINK_LATENCY_LE + b, acc);
    uint64_t le = sl_metrics_latency_le_ns(b < SL_METRICS_LATENCY_BUCKETS - 1 ? b : b - 1);
    if (total && !p50 && acc * 2 >= total) p50 = le;
    if (total && !p99 && acc * 100 >= total * 99) p99 = le;
  }
  sl_metrics_set(m, SL_M_SINK_LATENCY_SUM_NS, c->lat_total_ns);
  if (total) {
    sl_metrics_set(m, SL_M_SINK_LATENCY_P50_NS, p50);
    sl_metrics_set(m, SL_M_SINK_LATENCY_P99_NS, p99);
  }
}

static void sink_housekeep(sl_tile_t *t) {
  sink_ctx_t *c = t->ctx;
  for (uint32_t i = 0; i < c->in_cnt; i++) sl_ring_cons_publish(&c->in[i]);
  uint64_t now = sl_now_ns();
  if (c->capturing && now - c->last_flush_ns > 1000000000ull) {
    /* Once a second, so a reader of the file sees recent transactions. */
    sl_pcap_out_flush(&c->pcap);
    if (c->pcap.errors && !c->warned)
      SL_WARN("%s; counted in pcap_errors (this warning once, the count in the metrics)",
              c->pcap.why.msg);
    c->warned |= c->pcap.errors != 0;
    c->last_flush_ns = now;
  }
  sink_flush(t);
}

static int sink_drained(sl_tile_t *t) {
  if (!sl_tile_upstream_stopped(t, SL_TILE_VERIFY)) return 0;
  for (int i = 0; i < 100000; i++)
    if (!sink_poll(t)) return 1;
  return 0;
}

static void sink_fini(sl_tile_t *t) {
  sink_ctx_t *c = t->ctx;
  if (!c) return;
  if (c->capturing) {
    sl_pcap_out_close(&c->pcap);
    SL_INFO("wrote %lu transactions to %s (%llu rotations)", (unsigned long)c->pcap_written,
            t->cfg->sink.pcap, (unsigned long long)c->pcap.rotations);
  }
  sink_flush(t);
  free(c);
  t->ctx = NULL;
}

/* Reading its rings needs no system call; writing the capture does:
   writes, and for a rotation the calls relative to the capture's
   directory (the only one it may create files under). */
static void sink_keep(sl_tile_t *t, sl_tile_keep_t *k) {
  sink_ctx_t *c = t->ctx;
  if (!c->capturing) return;
  int dir = c->pcap.dir_fd;
  const int fds[] = {dir, c->pcap.fd};
  sl_tile_keep_fds(k, fds, c->pcap.fd >= 0 ? 2 : 1);
  k->dir_fd = dir;
  k->writes_files = 1;
  k->fd_slack = 4; /* the next capture file, and fdopendir's dup */
  const sl_sandbox_rule_t rules[] = {
      SL_SB_ALLOW(write),
      SL_SB_ALLOW(openat, SL_SB_EQ(0, dir)),
      SL_SB_ALLOW(renameat2, SL_SB_EQ(0, dir), SL_SB_EQ(2, dir)),
      SL_SB_ALLOW(unlinkat, SL_SB_EQ(0, dir)),
      SL_SB_ALLOW(newfstatat, SL_SB_EQ(0, dir)),
      SL_SB_ALLOW(close),
      SL_SB_ALLOW(geteuid),
  };
  sl_tile_keep_rules(k, rules, sizeof rules / sizeof rules[0]);
}

const sl_tile_ops_t sl_sink_tile_ops = {
    .init = sink_init,
    .poll = sink_poll,
    .housekeep = sink_housekeep,
    .drained = sink_drained,
    .fini = sink_fini,
    .keep = sink_keep,
};
