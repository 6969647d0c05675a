/* The net tile loop: rx burst -> validate -> publish in place.

   Zero copy: a frame delivered by the provider is published as is (its
   workspace offset is the frag's chunk). The tile remembers which frame each
   ring slot published; when the slot is reused it first invalidates the
   slot (a verify tile still reading that frame then fails its
   sl_ring_check) and only then hands the old frame back to the provider.
   So the pool holds ring_depth frames in ring slots plus what the kernel
   and the provider hold (tiles/topo.h sizes it). */
#include "tiles/net/net_tile.h"

#include <stdlib.h>
#include <string.h>

#include "shmem/ring.h"
#include "tiles/frame.h"
#include "tiles/net/net_rx.h"
#include "tiles/net/uring_rx.h"
#include "util/log.h"
#include "util/time.h"

#define NET_BURST 64u
#define NET_NO_FRAME UINT32_MAX

typedef struct {
  sl_net_rx_t rx;
  sl_ring_prod_t out;
  uint32_t *slot_frame; /* ring slot -> pool frame it published (NET_NO_FRAME) */
  uint64_t sig_seed;
  uint8_t *base;
  int stopped;
  /* Local counters, flushed to metrics in housekeeping. */
  uint64_t rx_pkts, rx_bytes, rx_malformed, published;
  uint64_t rx_empty; /* empty datagrams the io_uring provider dropped (malformed too) */
  int is_uring;
} net_ctx_t;

static int net_init(sl_tile_t *t, sl_err_t *err) {
  net_ctx_t *c = calloc(1, sizeof *c);
  if (!c) return sl_err_set(err, "out of memory");
  t->ctx = c;
  const sl_topo_t *topo = t->topo;
  c->base = t->wksp->base;
  c->sig_seed = topo->sig_seed;
  c->slot_frame = malloc(topo->ring_depth * sizeof *c->slot_frame);
  if (!c->slot_frame) return sl_err_set(err, "out of memory");
  for (uint64_t i = 0; i < topo->ring_depth; i++) c->slot_frame[i] = NET_NO_FRAME;
  if (sl_ring_prod_init(&c->out, t->wksp, topo->net_ring[t->idx], err)) return -1;

  sl_net_pool_t pool = {
      .wksp_base = t->wksp->base,
      .pool_off = topo->pool[t->idx],
      .frame_sz = topo->frame_sz,
      .frame_cnt = (uint32_t)topo->pool_frame_cnt,
  };
  const sl_net_provider_t *prov = t->net_ctx;
  if (prov) {
    if (prov->open(&c->rx, prov->arg, t, &pool, err)) return -1;
  } else {
    const sl_config_t *cfg = t->cfg;
    sl_net_uring_params_t p;
    memset(&p, 0, sizeof p);
    memcpy(p.ports, cfg->net.ports, sizeof p.ports);
    p.port_cnt = cfg->net.port_cnt;
    p.bind_addr = cfg->net.bind_address;
    p.queue_size = cfg->net.rx_queue_size;
    p.rcvbuf = 16u << 20;
    p.tile_idx = t->idx;
    if (sl_net_uring_open(&c->rx, &pool, &p, err)) return -1;
    c->is_uring = 1;
  }
  sl_metrics_set_mode(sl_topo_metrics(t->wksp, topo, t->id), c->rx.mode);
  SL_INFO("receiving on %s via %s", t->cfg->net.interface, c->rx.mode);
  return 0;
}

static uint32_t net_poll(sl_tile_t *t) {
  net_ctx_t *c = t->ctx;
  if (c->stopped) return 0;
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
    if (__builtin_expect(sl_frame_parse(f, p->sz, &fr) != 0 || fr.payload_sz == 0, 0)) {
      c->rx_malformed++;
      give_back[give_cnt++] = p->frame;
      continue;
    }
    uint64_t seq = sl_ring_next_seq(&c->out);
    uint32_t *owner = &c->slot_frame[seq & c->out.mask];
    if (*owner != NET_NO_FRAME) {
      /* Invalidate before the frame can go back to the kernel: a reader of
         the old frag then sees its read voided rather than torn. */
      sl_ring_invalidate(&c->out, seq);
      give_back[give_cnt++] = *owner;
    }
    *owner = p->frame;
    uint64_t sig = sl_frame_sig(c->sig_seed, f + fr.payload_off, fr.payload_sz);
    sl_ring_publish(&c->out, sig, (uint32_t)(p->addr >> 6), (uint16_t)p->sz, 0, ts, ts);
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
  /* rx_malformed is every packet dropped for its shape: unparseable frames,
     and the datagrams the provider dropped before we saw them (empty, or
     truncated because larger than a frame; the latter also counted apart
     as rx_truncated). */
  sl_metrics_set(m, SL_M_NET_RX_MALFORMED,
                 c->rx_malformed + c->rx_empty + sl_metrics_get(m, SL_M_NET_RX_TRUNCATED));
  sl_metrics_set(m, SL_M_NET_PUBLISHED, c->published);
}

static void net_housekeep(sl_tile_t *t) {
  net_ctx_t *c = t->ctx;
  if (!c->stopped) {
    c->rx.ops->housekeep(&c->rx, sl_topo_metrics(t->wksp, t->topo, t->id));
    if (c->is_uring) c->rx_empty = sl_net_uring_empty_cnt(&c->rx);
  }
  sl_ring_prod_housekeep(&c->out);
  net_flush(t);
}

static void net_stop(sl_tile_t *t) {
  net_ctx_t *c = t->ctx;
  /* Take what the kernel already delivered, then close: nothing that
     reached our sockets before the stop is left unpublished. */
  for (int i = 0; i < 1024 && net_poll(t); i++) {
  }
  c->rx.ops->housekeep(&c->rx, sl_topo_metrics(t->wksp, t->topo, t->id));
  if (c->is_uring) c->rx_empty = sl_net_uring_empty_cnt(&c->rx);
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
  sl_ring_prod_housekeep(&c->out);
  net_flush(t);
  free(c->slot_frame);
  free(c);
  t->ctx = NULL;
}

const sl_tile_ops_t sl_net_tile_ops = {
    .init = net_init,
    .poll = net_poll,
    .wait = net_wait,
    .housekeep = net_housekeep,
    .stop = net_stop,
    .drained = net_drained,
    .fini = net_fini,
};
