/* shmem/ring.c: ring lifecycle, handles and the rare paths (lapping,
   credit refresh). The hot paths are inline in ring.h. */
#include "shmem/ring.h"

#include <inttypes.h>
#include <string.h>

#include "util/time.h"

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

static int params_ok(uint64_t depth, uint32_t cons_max, uint32_t mtu) {
  return depth >= SL_RING_DEPTH_MIN && depth <= SL_RING_DEPTH_MAX && !(depth & (depth - 1)) &&
         cons_max >= 1 && cons_max <= SL_RING_CONS_MAX && mtu <= SL_RING_MTU_MAX;
}

/* Layout, offsets from the ring start: header, consumer line table,
   producer line, the ring's own consumer lines, meta array, payload slots.
   Every part starts on 128 bytes. */
typedef struct {
  uint64_t tbl_off, prod_off, lines_off, meta_off, payload_off, slot_sz, footprint;
} layout_t;

static layout_t layout(uint64_t depth, uint32_t cons_max, uint32_t mtu) {
  layout_t l;
  l.tbl_off = sizeof(sl_ring_t);
  l.prod_off = l.tbl_off + align_up((uint64_t)cons_max * sizeof(int64_t), SL_RING_ALIGN);
  l.lines_off = l.prod_off + sizeof(sl_ring_pline_t);
  l.meta_off = l.lines_off + (uint64_t)cons_max * sizeof(sl_ring_fseq_t);
  l.slot_sz = align_up(mtu, SL_CHUNK_SZ);
  uint64_t end = align_up(l.meta_off + depth * sizeof(sl_frag_meta_t), SL_RING_ALIGN);
  l.payload_off = mtu ? end : 0;
  l.footprint = end + (mtu ? depth * l.slot_sz : 0);
  return l;
}

uint64_t sl_ring_align(void) { return SL_RING_ALIGN; }

uint64_t sl_ring_footprint(uint64_t depth, uint32_t cons_max, uint32_t mtu) {
  if (!params_ok(depth, cons_max, mtu)) return 0;
  return layout(depth, cons_max, mtu).footprint;
}

void *sl_ring_new(void *mem, uint64_t depth, uint32_t cons_max, uint32_t mtu, int reliable) {
  if (!mem || ((uintptr_t)mem & (SL_RING_ALIGN - 1)) || !params_ok(depth, cons_max, mtu))
    return NULL;
  layout_t l = layout(depth, cons_max, mtu);
  uint8_t *p = mem;
  memset(p, 0, l.meta_off);
  sl_frag_meta_t *meta = (sl_frag_meta_t *)(p + l.meta_off);
  for (uint64_t i = 0; i < depth; i++) {
    memset(&meta[i], 0, sizeof meta[i]);
    meta[i].seq = i - depth; /* "behind" seq i for every consumer */
  }
  sl_ring_t *r = mem;
  r->depth = depth;
  r->cons_cnt = cons_max;
  r->reliable = !!reliable;
  r->mtu = mtu;
  r->slot_sz = (uint32_t)l.slot_sz;
  r->prod_off = l.prod_off;
  r->cons_off = l.tbl_off;
  int64_t *tbl = (int64_t *)(p + l.tbl_off);
  for (uint32_t c = 0; c < cons_max; c++) tbl[c] = (int64_t)(l.lines_off + c * sizeof(sl_ring_fseq_t));
  r->meta_off = l.meta_off;
  r->payload_off = l.payload_off;
  r->footprint = l.footprint;
  /* Magic last: a concurrent joiner never sees a half-made ring. */
  __atomic_store_n(&r->magic, SL_RING_MAGIC, __ATOMIC_RELEASE);
  return mem;
}

sl_ring_t *sl_ring_join(void *mem) {
  sl_ring_t *r = mem;
  if (!r || ((uintptr_t)mem & (SL_RING_ALIGN - 1)) ||
      __atomic_load_n(&r->magic, __ATOMIC_ACQUIRE) != SL_RING_MAGIC)
    return NULL;
  return r;
}

void *sl_ring_leave(sl_ring_t *ring) { return ring; }

void *sl_ring_delete(void *mem) {
  sl_ring_t *r = sl_ring_join(mem);
  if (!r) return NULL;
  __atomic_store_n(&r->magic, 0, __ATOMIC_RELEASE);
  return mem;
}

int sl_ring_fseq_create(sl_wksp_t *w, const char *name, uint32_t cnt, uint64_t *off, sl_err_t *err) {
  return sl_wksp_alloc(w, name, SL_OBJ_FSEQ, SL_RING_ALIGN, (uint64_t)cnt * sizeof(sl_ring_fseq_t), off, err);
}

int sl_ring_create(sl_wksp_t *w, const char *name, uint64_t depth, uint32_t cons_max, uint32_t mtu,
                   int reliable, const uint64_t *fseq_off, uint64_t *off, sl_err_t *err) {
  uint64_t fp = sl_ring_footprint(depth, cons_max, mtu);
  if (!fp)
    return sl_err_set(err,
                      "ring %s: bad parameters (depth %" PRIu64 " must be a power of two in "
                      "[%llu, 2^30], consumers %u in [1, %u], mtu %u <= %u)",
                      name, depth, SL_RING_DEPTH_MIN, cons_max, SL_RING_CONS_MAX, mtu,
                      SL_RING_MTU_MAX);
  if (fseq_off)
    for (uint32_t c = 0; c < cons_max; c++)
      if ((fseq_off[c] & (SL_RING_ALIGN - 1)) || fseq_off[c] >= w->size ||
          w->size - fseq_off[c] < sizeof(sl_ring_fseq_t))
        return sl_err_set(err, "ring %s: consumer %u's line at offset %" PRIu64 " is misaligned or outside the workspace",
                          name, c, fseq_off[c]);
  if (sl_wksp_alloc(w, name, SL_OBJ_RING, SL_RING_ALIGN, fp, off, err)) return -1;
  sl_ring_t *r = sl_ring_new(sl_wksp_laddr(w, *off), depth, cons_max, mtu, reliable);
  if (fseq_off) {
    int64_t *tbl = (int64_t *)((uint8_t *)r + r->cons_off);
    for (uint32_t c = 0; c < cons_max; c++) {
      memset(sl_wksp_laddr(w, fseq_off[c]), 0, sizeof(sl_ring_fseq_t));
      tbl[c] = (int64_t)fseq_off[c] - (int64_t)*off;
    }
  }
  return 0;
}

static sl_ring_t *ring_at(const sl_wksp_t *w, uint64_t ring_off, const char *who, sl_err_t *err) {
  if (!w->base || ring_off >= w->size || w->size - ring_off < sizeof(sl_ring_t)) {
    sl_err_set(err, "%s: offset %" PRIu64 " outside workspace %s", who, ring_off, w->path);
    return NULL;
  }
  if (w->read_only) {
    sl_err_set(err, "%s: workspace %s is joined read-only", who, w->path);
    return NULL;
  }
  sl_ring_t *r = sl_ring_join(sl_wksp_laddr(w, ring_off));
  if (!r || r->footprint > w->size - ring_off) {
    sl_err_set(err, "%s: no ring at offset %" PRIu64 " of workspace %s", who, ring_off, w->path);
    return NULL;
  }
  return r;
}

int sl_ring_prod_init(sl_ring_prod_t *prod, const sl_wksp_t *w, uint64_t ring_off, sl_err_t *err) {
  memset(prod, 0, sizeof *prod);
  sl_ring_t *r = ring_at(w, ring_off, "ring producer", err);
  if (!r) return -1;
  uint8_t *rb = (uint8_t *)r;
  prod->meta = (sl_frag_meta_t *)(rb + r->meta_off);
  prod->base = w->base;
  prod->ring = r;
  prod->pline = (sl_ring_pline_t *)(rb + r->prod_off);
  for (uint32_t c = 0; c < r->cons_cnt; c++) prod->fseq[c] = sl_ring_fseq(r, c);
  prod->seq = __atomic_load_n(&prod->pline->seq, __ATOMIC_ACQUIRE);
  prod->backpressure_cnt = prod->pline->backpressure_cnt;
  prod->mask = r->depth - 1;
  prod->depth = r->depth;
  prod->reliable = r->reliable;
  prod->cons_cnt = r->cons_cnt;
  prod->chunk0 = r->mtu ? (uint32_t)((ring_off + r->payload_off) >> 6) : 0;
  prod->slot_chunks = r->slot_sz >> 6;
  sl_ring_prod_housekeep(prod);
  return 0;
}

uint64_t sl_ring_prod_housekeep(sl_ring_prod_t *prod) {
  if (prod->reliable) {
    /* Slowest consumer, measured as distance behind our seq (signed, so
       it stays right across u64 wrap). Acquire pairs with the consumer's
       release in sl_ring_cons_publish: its payload reads are done. */
    uint64_t lag_max = 0;
    for (uint32_t i = 0; i < prod->cons_cnt; i++) {
      uint64_t s = __atomic_load_n(&prod->fseq[i]->seq, __ATOMIC_ACQUIRE);
      int64_t lag = (int64_t)(prod->seq - s);
      if (lag > (int64_t)lag_max) lag_max = (uint64_t)lag;
    }
    prod->cr_limit = prod->seq - lag_max + prod->depth;
  }
  __atomic_store_n(&prod->pline->backpressure_cnt, prod->backpressure_cnt, __ATOMIC_RELAXED);
  __atomic_store_n(&prod->pline->seq, prod->seq, __ATOMIC_RELEASE);
  return sl_ring_credits(prod);
}

int sl_ring_wait_credits(sl_ring_prod_t *prod, uint64_t need, uint64_t timeout_ns) {
  if (need > prod->depth) need = prod->depth;
  if (sl_ring_credits(prod) >= need) return 0;
  if (sl_ring_prod_housekeep(prod) >= need) return 0;
  prod->backpressure_cnt++;
  uint64_t deadline = sl_now_ns() + timeout_ns;
  for (uint64_t spins = 1;; spins++) {
    __builtin_ia32_pause();
    if (sl_ring_prod_housekeep(prod) >= need) return 0;
    /* Clock read every 256 spins keeps the loop tight yet bounded. */
    if (!(spins & 255) && sl_now_ns() > deadline) return -1;
  }
}

int sl_ring_cons_init(sl_ring_cons_t *cons, const sl_wksp_t *w, uint64_t ring_off, uint32_t cons_idx,
                      sl_err_t *err) {
  memset(cons, 0, sizeof *cons);
  sl_ring_t *r = ring_at(w, ring_off, "ring consumer", err);
  if (!r) return -1;
  if (cons_idx >= r->cons_cnt)
    return sl_err_set(err, "ring consumer: index %u out of range (ring at %" PRIu64 " has %u)",
                      cons_idx, ring_off, r->cons_cnt);
  uint8_t *rb = (uint8_t *)r;
  cons->meta = (const sl_frag_meta_t *)(rb + r->meta_off);
  cons->base = w->base;
  cons->fseq = (sl_ring_fseq_t *)sl_ring_fseq(r, cons_idx);
  cons->seq = __atomic_load_n(&cons->fseq->seq, __ATOMIC_ACQUIRE);
  cons->frags = cons->fseq->frags;
  cons->overrun_poll = cons->fseq->overrun_poll;
  cons->overrun_read = cons->fseq->overrun_read;
  cons->mask = r->depth - 1;
  cons->depth = r->depth;
  cons->idx = cons_idx;
  cons->reliable = r->reliable;
  if (r->mtu) {
    cons->payload_lo = ring_off + r->payload_off;
    cons->payload_hi = cons->payload_lo + r->depth * r->slot_sz;
    if (cons->payload_hi > ring_off + r->footprint) cons->payload_hi = ring_off + r->footprint;
  }
  return 0;
}

void sl_ring_cons_lapped(sl_ring_cons_t *cons, uint64_t found) {
  /* found sits in the slot of cons->seq, so it is either a seq (congruent
     to cons->seq) or the producer's "being written" marker for seq found+1
     (congruent to cons->seq - 1). Either way the producer has reached
     newest = found or found+1. Resume there, at the head, not at the oldest
     frag that might still be valid: a consumer slow enough to be lapped
     would otherwise sit at the tail, where every frag it reads is
     overwritten while it reads it (a lapped verify tile would deliver
     nothing), and creep forward one lost frag per poll. From the head it
     has a whole ring of slack. */
  uint64_t newest = found + (((found - cons->seq) & cons->mask) == cons->mask);
  if ((int64_t)(newest - cons->seq) <= 0) newest = cons->seq + 1; /* always progress */
  cons->overrun_poll += newest - cons->seq;
  cons->seq = newest;
}
