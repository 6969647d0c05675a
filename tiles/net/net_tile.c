/* The net tile loop: rx burst -> validate -> publish in place to the ring
   of the verify tile that owns the frag (sig % verify_cnt).

   Zero copy: a frame delivered by the provider is published as is (its
   workspace offset is the frag's chunk). The tile remembers which frame
   each slot of each output ring published. A frame goes back to the
   provider as soon as the ring's verify tile says it is done with it (its
   progress line, read in housekeeping), or at the latest when its slot is
   reused: then the tile first invalidates the slot (a verify tile still
   reading that frame fails its sl_ring_check) and only then hands the
   frame back. So the pool holds up to verify_cnt x link_depth frames in
   ring slots plus what the kernel and the provider hold (tiles/topo.h
   sizes it), but while the verify tiles keep up only a housekeeping
   interval's worth sits in the rings: the frames cycling through the
   kernel's copy are about the fill and RX rings' worth, as few as a bare
   AF_XDP loop cycles, not the whole pool (bench_net measures both).

   The loop knows nothing of the provider behind net_rx.h: the supervisor
   opened it (privileged) and the tile only takes it over in init. */
#include "tiles/net/net_tile.h"

#include <stdlib.h>
#include <string.h>

#include "shmem/ring.h"
#include "tiles/frame.h"
#include "tiles/net/net_rx.h"
#include "util/log.h"
#include "util/time.h"

#define NET_BURST 64u
#define NET_NO_FRAME UINT32_MAX

typedef struct {
  sl_ring_prod_t prod;
  uint32_t *slot_frame; /* ring slot -> pool frame it published (NET_NO_FRAME) */
  uint64_t done_seq;    /* the frames of the seqs below it went back already */
} net_out_t;

typedef struct {
  sl_net_rx_t rx;
  uint32_t out_cnt; /* verify tiles: output j carries the frags with sig % out_cnt == j */
  net_out_t out[SL_VERIFY_TILE_MAX];
  uint64_t sig_seed;
  uint8_t *base;
  int stopped;
  /* Local counters, flushed to metrics in housekeeping. */
  uint64_t rx_pkts, rx_bytes, rx_malformed, published;
} net_ctx_t;

static int net_init(sl_tile_t *t, sl_err_t *err) {
  net_ctx_t *c = calloc(1, sizeof *c);
  if (!c) return sl_err_set(err, "out of memory");
  t->ctx = c;
  const sl_topo_t *topo = t->topo;
  c->base = t->wksp->base;
  c->sig_seed = topo->sig_seed;
  c->out_cnt = topo->verify_cnt;
  for (uint32_t j = 0; j < c->out_cnt; j++) {
    net_out_t *o = &c->out[j];
    if (sl_ring_prod_init(&o->prod, t->wksp, topo->net_ring[t->idx][j], err)) return -1;
    o->slot_frame = malloc(o->prod.depth * sizeof *o->slot_frame);
    if (!o->slot_frame) return sl_err_set(err, "out of memory");
    for (uint64_t i = 0; i < o->prod.depth; i++) o->slot_frame[i] = NET_NO_FRAME;
  }
  sl_net_pool_t pool = {
      .wksp_base = t->wksp->base,
      .pool_off = topo->pool[t->idx],
      .frame_sz = topo->frame_sz,
      .frame_cnt = (uint32_t)topo->pool_frame_cnt,
  };
  const sl_net_provider_t *prov = t->net_ctx;
  if (!prov) return sl_err_set(err, "no packet provider was handed to this net tile");
  if (prov->open(&c->rx, prov->arg, t, &pool, err)) return -1;
  t->nap_depth = c->rx.nap_depth;
  sl_metrics_set_mode(sl_topo_metrics(t->wksp, topo, t->id), c->rx.mode);
  SL_INFO("receiving on %s via %s", t->cfg->net.interface, c->rx.mode);
  return 0;
}

static uint32_t net_poll(sl_tile_t *t) {
  net_ctx_t *c = t->ctx;
  sl_net_pkt_t pkts[NET_BURST];
  uint32_t n = c->rx.ops->rx_burst(&c->rx, pkts, NET_BURST);
  if (!n) return 0;
  /* One clock read per burst: every frame of a burst arrived within it, and
     a read per frame cost ~25 ns of the tile's ~80 ns per packet. */
  uint32_t ts = sl_ts32();
  uint32_t give_back[2 * NET_BURST];
  uint32_t give_cnt = 0;
  for (uint32_t i = 0; i < n; i++) {
    const sl_net_pkt_t *p = &pkts[i];
    const uint8_t *f = c->base + p->addr;
    c->rx_pkts++;
    c->rx_bytes += p->sz;
    sl_frame_t fr;
    if (__builtin_expect(sl_frame_parse(f, p->sz, &fr) != 0, 0)) {
      c->rx_malformed++;
      give_back[give_cnt++] = p->frame;
      continue;
    }
    uint64_t sig = sl_frame_sig(c->sig_seed, f + fr.payload_off, fr.payload_sz);
    net_out_t *o = &c->out[c->out_cnt == 1 ? 0 : sig % c->out_cnt];
    uint64_t seq = sl_ring_next_seq(&o->prod);
    uint32_t *owner = &o->slot_frame[seq & o->prod.mask];
    if (*owner != NET_NO_FRAME) {
      /* Invalidate before the frame can go back to the kernel: a reader of
         the old frag then sees its read voided rather than torn. */
      sl_ring_invalidate(&o->prod, seq);
      give_back[give_cnt++] = *owner;
    }
    *owner = p->frame;
    sl_ring_publish(&o->prod, sig, (uint32_t)(p->addr >> 6), (uint16_t)p->sz, 0, ts, ts);
    c->published++;
  }
  if (give_cnt) c->rx.ops->release(&c->rx, give_back, give_cnt);
  return n;
}

static void net_wait(sl_tile_t *t, uint64_t timeout_ns) {
  net_ctx_t *c = t->ctx;
  c->rx.ops->wait(&c->rx, timeout_ns);
}

static void net_flush(sl_tile_t *t) {
  net_ctx_t *c = t->ctx;
  sl_metrics_t *m = sl_topo_metrics(t->wksp, t->topo, t->id);
  sl_metrics_set(m, SL_M_NET_RX_PKTS, c->rx_pkts);
  sl_metrics_set(m, SL_M_NET_RX_BYTES, c->rx_bytes);
  /* rx_malformed is every packet dropped for its shape: unparseable frames
     (an empty payload included), and the datagrams the provider dropped
     before we saw them (empty, or truncated because larger than a frame;
     counted apart too by the provider's housekeeping). */
  sl_metrics_set(m, SL_M_NET_RX_MALFORMED,
                 c->rx_malformed + sl_metrics_get(m, SL_M_NET_RX_EMPTY) + sl_metrics_get(m, SL_M_NET_RX_TRUNCATED));
  sl_metrics_set(m, SL_M_NET_PUBLISHED, c->published);
}

/* Hands back the frames of o's ring that its verify tile is done with:
   those below the seq on its progress line (its sl_ring_cons_publish:
   every read of them finished). The line is the verify tile's word, so it
   is clamped to what was published and never moves done_seq back: each
   frame goes back exactly once, whatever the line says, and a lying verify
   tile can only void its own reads. */
static void net_reclaim(net_ctx_t *c, net_out_t *o) {
  if (!o->prod.cons_cnt) return;
  uint64_t done = __atomic_load_n(&o->prod.fseq[0]->seq, __ATOMIC_ACQUIRE);
  uint64_t head = o->prod.seq;
  if ((int64_t)(done - head) > 0) done = head;
  uint64_t from = o->done_seq;
  if (head - from > o->prod.depth) from = head - o->prod.depth; /* older slots were reused */
  if ((int64_t)(done - from) <= 0) return;
  uint32_t give[256];
  uint32_t n = 0;
  for (uint64_t seq = from; seq != done; seq++) {
    uint32_t *owner = &o->slot_frame[seq & o->prod.mask];
    if (*owner == NET_NO_FRAME) continue;
    give[n++] = *owner;
    *owner = NET_NO_FRAME;
    if (n == sizeof give / sizeof give[0]) {
      c->rx.ops->release(&c->rx, give, n);
      n = 0;
    }
  }
  if (n) c->rx.ops->release(&c->rx, give, n);
  o->done_seq = done;
}

static void net_housekeep(sl_tile_t *t) {
  net_ctx_t *c = t->ctx;
  c->rx.ops->housekeep(&c->rx, sl_topo_metrics(t->wksp, t->topo, t->id));
  for (uint32_t j = 0; j < c->out_cnt; j++) {
    sl_ring_prod_housekeep(&c->out[j].prod);
    net_reclaim(c, &c->out[j]);
  }
  net_flush(t);
}

static void net_stop(sl_tile_t *t) {
  net_ctx_t *c = t->ctx;
  /* Take what the kernel already delivered, then close: nothing that
     reached our sockets before the stop is left unpublished. */
  for (int i = 0; i < 1024 && net_poll(t); i++) {
  }
  c->rx.ops->housekeep(&c->rx, sl_topo_metrics(t->wksp, t->topo, t->id));
  c->rx.ops->stop(&c->rx);
  c->stopped = 1;
}

static int net_drained(sl_tile_t *t) {
  (void)t;
  return 1; /* everything received was published in net_stop */
}

static void net_fini(sl_tile_t *t) {
  net_ctx_t *c = t->ctx;
  if (!c) return;
  if (!c->stopped && c->rx.ops) c->rx.ops->stop(&c->rx);
  for (uint32_t j = 0; j < c->out_cnt; j++) {
    if (c->out[j].prod.ring) sl_ring_prod_housekeep(&c->out[j].prod);
    free(c->out[j].slot_frame);
  }
  net_flush(t);
  free(c);
  t->ctx = NULL;
}

/* The provider's descriptors and system calls: nothing else. */
static void net_keep(sl_tile_t *t, sl_tile_keep_t *k) {
  net_ctx_t *c = t->ctx;
  sl_tile_keep_fds(k, c->rx.fds, c->rx.fd_cnt);
  sl_tile_keep_rules(k, c->rx.rules, c->rx.rule_cnt);
}

const sl_tile_ops_t sl_net_tile_ops = {
    .init = net_init,
    .poll = net_poll,
    .wait = net_wait,
    .housekeep = net_housekeep,
    .stop = net_stop,
    .drained = net_drained,
    .fini = net_fini,
    .keep = net_keep,
};
