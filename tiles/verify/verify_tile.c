/* The verify tile loop.

   Its inputs are its own rings, one per net tile (net_ring[i][idx]): they
   carry exactly its share of the frags (sig % verify_cnt == idx), so it
   reads no other tile's share and every frag it loses is its own to count.
   Per frag: copy the frame out of the net tile's pool into the
   output ring's payload slot (the only copy on the path), check the input
   slot still holds the frag (else the net tile reused the frame while we
   copied: an overrun, not a verdict), then parse, dedup, verify, publish.
   Working on the copy means nothing the net tile does afterwards can change
   the bytes we judged. The dedup tag is the frag's sig (keyed hash of the
   first signature) and goes into the cache only after every signature
   passed, so a forged copy seen first cannot shadow the real transaction. */
#include "tiles/verify/verify_tile.h"

#include <stdlib.h>
#include <string.h>

#include "shmem/ring.h"
#include "shmem/tcache.h"
#include "tiles/frame.h"
#include "tiles/verify/sigverify.h"
#include "tiles/verify/txn.h"
#include "util/log.h"
#include "util/time.h"

#define VERIFY_BURST 32u

typedef struct {
  sl_ring_cons_t in[SL_NET_TILE_MAX]; /* in[i]: net_ring[i][this tile] */
  /* in[i]'s frames must lie in net tile i's pool: [lo, hi) in bytes from
     the workspace base. A chunk elsewhere is no frame (a net tile gone
     wrong): judged malformed, never read. */
  uint64_t pool_lo[SL_NET_TILE_MAX], pool_hi[SL_NET_TILE_MAX];
  uint32_t in_cnt;
  uint32_t next_in; /* round-robin start, so no input starves */
  sl_ring_prod_t out;
  sl_tcache_t *tcache;
  uint8_t *base;
  int blocked;                /* last poll stopped for lack of credit */
  uint64_t blocked_since;     /* sl_now_ns() when it started waiting */
  uint64_t in_frags, parse_fail, dedup_drop, sigverify_fail, verified, sigs;
  uint64_t backpressure_ns, backpressure_cnt;
} verify_ctx_t;

static int verify_init(sl_tile_t *t, sl_err_t *err) {
  verify_ctx_t *c = calloc(1, sizeof *c);
  if (!c) return sl_err_set(err, "out of memory");
  t->ctx = c;
  if (sl_sigverify_init(err)) return -1;
  const sl_topo_t *topo = t->topo;
  c->base = t->wksp->base;
  c->in_cnt = topo->net_cnt;
  for (uint32_t i = 0; i < c->in_cnt; i++) {
    if (sl_ring_cons_init(&c->in[i], t->wksp, topo->net_ring[i][t->idx], 0, err)) return -1;
    c->pool_lo[i] = topo->pool[i];
    c->pool_hi[i] = topo->pool[i] + topo->pool_frame_cnt * topo->frame_sz;
  }
  if (sl_ring_prod_init(&c->out, t->wksp, topo->verify_ring[t->idx], err)) return -1;
  c->tcache = sl_tcache_join(sl_wksp_laddr(t->wksp, topo->tcache[t->idx]));
  if (!c->tcache) return sl_err_set(err, "verify:%u: no tag cache in the workspace", t->idx);
  return 0;
}

/* judge one frame already copied to dst: 1 if it is to be published. */
static inline int judge(verify_ctx_t *c, const uint8_t *frame, uint32_t sz, uint64_t tag) {
  sl_frame_t fr;
  int r = sl_frame_parse(frame, sz, &fr);
  if (__builtin_expect(r != 0, 0)) {
    c->parse_fail++;
    SL_DEBUG("parse_fail: frame: %s", sl_frame_strerror(r));
    return 0;
  }
  const uint8_t *txn = frame + fr.payload_off;
  sl_txn_t t;
  r = sl_txn_parse(txn, fr.payload_sz, &t);
  if (__builtin_expect(r != 0, 0)) {
    c->parse_fail++;
    SL_DEBUG("parse_fail: %s", sl_txn_strerror(r));
    return 0;
  }
  if (sl_tcache_query(c->tcache, tag)) {
    c->dedup_drop++;
    return 0;
  }
  c->sigs += t.sig_cnt;
  if (sl_sigverify_txn(txn, &t) != 0) {
    c->sigverify_fail++;
    return 0;
  }
  sl_tcache_insert(c->tcache, tag);
  return 1;
}

static uint32_t verify_poll(sl_tile_t *t) {
  verify_ctx_t *c = t->ctx;
  uint64_t credits = sl_ring_credits(&c->out);
  if (__builtin_expect(credits < VERIFY_BURST, 0)) {
    credits = sl_ring_prod_housekeep(&c->out);
    if (credits == 0) {
      /* The sink is a full ring behind: wait (reliable link), and count it. */
      uint64_t now = sl_now_ns();
      if (!c->blocked) {
        c->blocked = 1;
        c->blocked_since = now;
        c->backpressure_cnt++;
      }
      return 0;
    }
  }
  if (c->blocked) {
    c->backpressure_ns += sl_now_ns() - c->blocked_since;
    c->blocked = 0;
  }
  uint32_t max = credits < VERIFY_BURST ? (uint32_t)credits : VERIFY_BURST;
  uint32_t did = 0;
  for (uint32_t k = 0; k < c->in_cnt && did < max; k++) {
    uint32_t i = (c->next_in + k) % c->in_cnt;
    sl_ring_cons_t *in = &c->in[i];
    sl_frag_meta_t metas[VERIFY_BURST];
    uint32_t n = sl_ring_consume_burst(in, metas, max - did);
    for (uint32_t j = 0; j < n; j++) {
      const sl_frag_meta_t *m = &metas[j];
      did++;
      uint32_t sz = m->sz;
      uint64_t at = (uint64_t)m->chunk << 6;
      int bad = sz > SL_FRAME_MAX_SZ || at < c->pool_lo[i] || at + sz > c->pool_hi[i];
      if (__builtin_expect(bad, 0)) sz = 0; /* judged malformed below, never read */
      uint32_t chunk = sl_ring_prepare(&c->out);
      uint8_t *dst = sl_chunk_laddr(c->base, chunk);
      memcpy(dst, bad ? dst : c->base + at, sz);
      if (!sl_ring_check(in, m->seq)) continue; /* frame reused while copying: overrun_read */
      c->in_frags++;
      if (bad) {
        c->parse_fail++;
        continue;
      }
      if (judge(c, dst, sz, m->sig)) {
        sl_ring_publish(&c->out, m->sig, chunk, (uint16_t)sz, 0, m->tsorig, sl_ts32());
        c->verified++;
      }
    }
  }
  c->next_in++;
  return did;
}

static void verify_flush(sl_tile_t *t) {
  verify_ctx_t *c = t->ctx;
  sl_metrics_t *m = sl_topo_metrics(t->wksp, t->topo, t->id);
  uint64_t overrun = 0, overrun_read = 0;
  for (uint32_t i = 0; i < c->in_cnt; i++) {
    overrun += c->in[i].overrun_poll;
    overrun_read += c->in[i].overrun_read;
  }
  sl_metrics_set(m, SL_M_VERIFY_IN_FRAGS, c->in_frags);
  sl_metrics_set(m, SL_M_VERIFY_OVERRUN, overrun);
  sl_metrics_set(m, SL_M_VERIFY_OVERRUN_READ, overrun_read);
  sl_metrics_set(m, SL_M_VERIFY_PARSE_FAIL, c->parse_fail);
  sl_metrics_set(m, SL_M_VERIFY_DEDUP_DROP, c->dedup_drop);
  sl_metrics_set(m, SL_M_VERIFY_SIGVERIFY_FAIL, c->sigverify_fail);
  sl_metrics_set(m, SL_M_VERIFY_VERIFIED, c->verified);
  sl_metrics_set(m, SL_M_VERIFY_SIGS, c->sigs);
  uint64_t bp_ns = c->backpressure_ns + (c->blocked ? sl_now_ns() - c->blocked_since : 0);
  sl_metrics_set(m, SL_M_BACKPRESSURE_NS, bp_ns);
  sl_metrics_set(m, SL_M_BACKPRESSURE_CNT, c->backpressure_cnt);
}

static void verify_housekeep(sl_tile_t *t) {
  verify_ctx_t *c = t->ctx;
  for (uint32_t i = 0; i < c->in_cnt; i++) sl_ring_cons_publish(&c->in[i]);
  sl_ring_prod_housekeep(&c->out);
  verify_flush(t);
}

static int verify_drained(sl_tile_t *t) {
  verify_ctx_t *c = t->ctx;
  /* Upstream first: a net tile stores STOPPED after its last publish, so
     once all read STOPPED an empty pass means nothing more will come. */
  if (!sl_tile_upstream_stopped(t, SL_TILE_NET)) return 0;
  /* Work off what is left (bounded: the loop heartbeats between calls). A
     pass that found nothing while not waiting for credit means empty. */
  for (int i = 0; i < 100000; i++)
    if (!verify_poll(t)) return !c->blocked;
  return 0;
}

static void verify_fini(sl_tile_t *t) {
  verify_ctx_t *c = t->ctx;
  if (!c) return;
  verify_housekeep(t);
  free(c);
  t->ctx = NULL;
}

const sl_tile_ops_t sl_verify_tile_ops = {
    .init = verify_init,
    .poll = verify_poll,
    .housekeep = verify_housekeep,
    .drained = verify_drained,
    .fini = verify_fini,
};
