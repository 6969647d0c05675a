/* The verify tile loop.

   Its inputs are its own rings, one per net tile (net_ring[i][idx]): they
   carry exactly its share of the frags (sig % verify_cnt == idx), so it
   reads no other tile's share and every frag it loses is its own to count.
   Per frag: copy the frame out of the net tile's pool into the output
   ring's payload slot (the only copy on the path), check the input slot
   still holds the frag (else the net tile reused the frame while we
   copied: an overrun, not a verdict), then parse and dedup. Working on the
   copy means nothing the net tile does afterwards can change the bytes we
   judged.

   Signatures are checked in groups: the transactions that parse and are
   not known duplicates wait, each in the payload slot of the seq it would
   be published under if every one before it passes, until the group holds
   enough signatures for several full passes of the backend's lanes (one
   transaction rarely fills them), or the poll found no more input: a
   group never outlives the poll that gathered it, so no frame waits for
   input that may not come. Then all of the group's signatures are checked
   together (sl_sigverify_txns) and the transactions are settled in
   arrival order: one passes only if all its signatures did, and a passing
   one behind a failed one moves down to its seq's slot (the group's slots
   are all within the credit the poll started with).

   The dedup tag is the frag's sig (keyed hash of the first signature) and
   goes into the cache only after every signature passed, so a forged copy
   seen first cannot shadow the real transaction. A second copy of a
   waiting transaction settles the group first and is then judged against
   the cache as it stands, exactly as if the frames had been judged one by
   one: one verified and one dedup_drop when the first copy is genuine,
   and the second judged on its own when the first was forged. */
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

/* A group is checked once it holds this many passes' worth of
   signatures: several full passes per partly filled one, and a bounded
   wait for the group's first transaction. */
#define VERIFY_GROUP_PASSES 4u

_Static_assert(VERIFY_GROUP_PASSES * SL_ED25519_LANES_MAX - 1 + SL_TXN_SIG_MAX <= SL_SIGVERIFY_GROUP_SIGS_MAX,
               "a group below its threshold takes any transaction");

/* A transaction of the group, waiting for its signatures' verdict. */
typedef struct {
  sl_txn_t t;
  uint64_t tag;
  uint32_t chunk;  /* the payload slot holding its frame */
  uint16_t sz;     /* frame bytes */
  uint16_t txn_off; /* where the transaction starts in the frame */
  uint32_t tsorig;
} waiting_t;

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
  /* The group: wait[j] sits in the slot of seq out.seq + j. */
  waiting_t wait[VERIFY_BURST];
  uint32_t wait_cnt, wait_sigs;
  uint32_t group_sigs; /* check the group once it holds this many signatures */
  uint64_t in_frags, parse_fail, dedup_drop, sigverify_fail, verified, sigs;
  uint64_t backpressure_ns, backpressure_cnt;
} verify_ctx_t;

static int verify_init(sl_tile_t *t, sl_err_t *err) {
  verify_ctx_t *c = calloc(1, sizeof *c);
  if (!c) return sl_err_set(err, "out of memory");
  t->ctx = c;
  if (sl_sigverify_init(err)) return -1;
  if (sl_sigverify_select(t->cfg->verify.ed25519, err)) return -1;
  sl_ed25519_backend_t b = sl_sigverify_backend();
  uint32_t lanes = sl_ed25519_backend_lanes(b);
  /* One lane: nothing to gather, each transaction is checked on arrival. */
  c->group_sigs = lanes == 1 ? 1 : VERIFY_GROUP_PASSES * lanes;
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
  /* The backend is the tile's mode: the monitor's table and JSON and the
     exposition's sluice_tile_info show it. */
  sl_metrics_set_mode(sl_topo_metrics(t->wksp, topo, t->id), sl_ed25519_backend_name(b));
  SL_INFO("checking signatures with the %s ed25519 backend (%u lane%s; [verify] ed25519 = \"%s\")",
          sl_ed25519_backend_name(b), lanes, lanes == 1 ? "" : "s", t->cfg->verify.ed25519);
  return 0;
}

/* Checks the group's signatures and settles its transactions in order:
   publish the ones that passed (each in its seq's slot), count the rest. */
static void group_settle(verify_ctx_t *c) {
  uint32_t n = c->wait_cnt;
  if (!n) return;
  const uint8_t *bufs[VERIFY_BURST];
  sl_txn_t txns[VERIFY_BURST];
  int ok[VERIFY_BURST];
  for (uint32_t j = 0; j < n; j++) {
    bufs[j] = (const uint8_t *)sl_chunk_laddr(c->base, c->wait[j].chunk) + c->wait[j].txn_off;
    txns[j] = c->wait[j].t;
  }
  sl_sigverify_txns(bufs, txns, n, ok);
  for (uint32_t j = 0; j < n; j++) {
    const waiting_t *w = &c->wait[j];
    if (ok[j] != 0) {
      c->sigverify_fail++;
      continue;
    }
    uint32_t chunk = sl_ring_slot_chunk(&c->out, sl_ring_next_seq(&c->out));
    if (__builtin_expect(chunk != w->chunk, 0)) { /* a failed one before it: move down */
      sl_ring_invalidate(&c->out, sl_ring_next_seq(&c->out));
      memcpy(sl_chunk_laddr(c->base, chunk), sl_chunk_laddr(c->base, w->chunk), w->sz);
    }
    sl_tcache_insert(c->tcache, w->tag);
    sl_ring_publish(&c->out, w->tag, chunk, w->sz, 0, w->tsorig, sl_ts32());
    c->verified++;
  }
  c->wait_cnt = c->wait_sigs = 0;
}

/* Judges one frame already copied to the slot at chunk (that of seq
   out.seq + wait_cnt): counts a parse failure or a duplicate, or adds it
   to the group. */
static inline void judge(verify_ctx_t *c, uint32_t chunk, uint32_t sz, uint64_t tag, uint32_t tsorig) {
  uint8_t *frame = sl_chunk_laddr(c->base, chunk);
  sl_frame_t fr;
  int r = sl_frame_parse(frame, sz, &fr);
  if (__builtin_expect(r != 0, 0)) {
    c->parse_fail++;
    SL_DEBUG("parse_fail: frame: %s", sl_frame_strerror(r));
    return;
  }
  sl_txn_t t;
  r = sl_txn_parse(frame + fr.payload_off, fr.payload_sz, &t);
  if (__builtin_expect(r != 0, 0)) {
    c->parse_fail++;
    SL_DEBUG("parse_fail: %s", sl_txn_strerror(r));
    return;
  }
  for (uint32_t j = 0; j < c->wait_cnt; j++) {
    if (c->wait[j].tag != tag) continue;
    /* A copy of a waiting transaction: settle the group, so the cache
       holds the first copy's tag if (and only if) it verified. */
    group_settle(c);
    uint32_t at = sl_ring_slot_chunk(&c->out, sl_ring_next_seq(&c->out));
    if (at != chunk) { /* the group is empty now: this frame's slot is the next seq's */
      sl_ring_invalidate(&c->out, sl_ring_next_seq(&c->out));
      memcpy(sl_chunk_laddr(c->base, at), frame, sz);
      chunk = at;
    }
    break;
  }
  if (sl_tcache_query(c->tcache, tag)) {
    c->dedup_drop++;
    return;
  }
  c->sigs += t.sig_cnt;
  c->wait[c->wait_cnt++] = (waiting_t){t, tag, chunk, (uint16_t)sz, (uint16_t)fr.payload_off, tsorig};
  c->wait_sigs += t.sig_cnt;
  if (c->wait_sigs >= c->group_sigs) group_settle(c);
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
  /* At most max frames, so every slot the group fills (seq out.seq +
     wait_cnt, which never passes the seq of the frames handled so far) is
     within the credit. */
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
      uint64_t seq = sl_ring_next_seq(&c->out) + c->wait_cnt;
      sl_ring_invalidate(&c->out, seq);
      uint32_t chunk = sl_ring_slot_chunk(&c->out, seq);
      uint8_t *dst = sl_chunk_laddr(c->base, chunk);
      memcpy(dst, bad ? dst : c->base + at, sz);
      if (!sl_ring_check(in, m->seq)) continue; /* frame reused while copying: overrun_read */
      c->in_frags++;
      if (bad) {
        c->parse_fail++;
        continue;
      }
      judge(c, chunk, sz, m->sig, m->tsorig);
    }
  }
  /* No more input waiting (or the burst is done): the group goes now. */
  group_settle(c);
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
