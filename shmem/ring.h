/* shmem/ring.h: a link between tiles: a ring of 32-byte frag metadata
   entries, an optional payload slot per entry, and one progress line per
   consumer. One producer process, cons_cnt consumer processes, all in the
   workspace (after Firedancer tango's mcache/dcache/fseq).

   Sequence protocol. Frag number seq lives in meta slot seq & (depth-1).
   The producer stores seq-1 into the slot's seq (the slot is "being
   written"), then the body, then release-stores seq. A consumer that
   expects seq e acquire-loads the slot's seq s:
     s == e  the frag is there: copy the body, re-load seq; a change means
             the copy may be torn and the consumer was lapped;
     s <  e  (signed) nothing new yet;
     s >  e  (signed) the producer lapped the consumer: frags were lost.
   Initially slot i holds i - depth ("behind" for everyone), and seq 0 is the
   first frag.

   Payload. chunk is a byte offset from the WORKSPACE base divided by 64, so
   a frag may point at its ring payload slot (sl_ring_prepare) or at any
   other workspace memory (a UMEM frame published in place). A consumer that
   reads a payload in place calls sl_ring_check afterwards: the producer
   invalidates the meta slot before it reuses the memory a frag pointed at,
   so a passing check proves the payload read was not torn.

   Flow control. Unreliable link: the producer never waits; a slow consumer
   is lapped, detects it and counts what it lost. Reliable link: each
   consumer publishes its progress (the next seq it will read); the producer
   may publish while seq < min(progress) + depth, so it never overwrites a
   frag some consumer has not finished with. Credits are refreshed in the
   producer's housekeeping, not per frag.

   Ownership. Everything in the ring object is written by its producer
   only, except each consumer's progress line, which only that consumer
   writes. A ring made by sl_ring_new keeps those lines inside itself; one
   made by sl_ring_create with fseq_off keeps each line where its consumer
   asked (in memory only that consumer may write: the workspace can then
   be write-protected per tile). The ring header finds consumer c's line
   through a table of offsets relative to the ring's start.

   Nothing here allocates, locks or makes a syscall. The shared object holds
   no pointers; the producer and consumer handles are process-local. */
#ifndef SL_SHMEM_RING_H
#define SL_SHMEM_RING_H

#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "shmem/wksp.h"
#include "util/err.h"

#define SL_RING_MAGIC 0x474e4952534cull /* "SLRING" */
#define SL_RING_ALIGN 128ull
#define SL_RING_CONS_MAX 64u
#define SL_RING_DEPTH_MIN 4ull
#define SL_RING_DEPTH_MAX (1ull << 30)
#define SL_RING_MTU_MAX 65535u /* sz is a u16 */
#define SL_CHUNK_SZ 64ull

/* ctl bits of a frag. Bits 1..15 are free for later use (leave them 0). */
#define SL_CTL_ERR ((uint16_t)1u) /* the producer flags this frag as bad */

/* Return codes of sl_ring_poll. */
enum { SL_RING_OK = 0, SL_RING_EMPTY = 1, SL_RING_OVERRUN = 2 };

/* One metadata entry, exactly 32 bytes, as DESIGN.md "Rings" states. The
   word view w[] lets the hot path move it as four 8-byte words. */
typedef union {
  struct {
    uint64_t seq;
    uint64_t sig;    /* for the net ring: keyed hash of the first signature */
    uint32_t chunk;  /* payload at workspace base + chunk*64 */
    uint16_t sz;     /* payload bytes */
    uint16_t ctl;    /* SL_CTL_* */
    uint32_t tsorig; /* sl_ts32() when the data first entered sluice */
    uint32_t tspub;  /* sl_ts32() when this link published it */
  };
  uint64_t w[4];
} __attribute__((aligned(32))) sl_frag_meta_t;

_Static_assert(sizeof(sl_frag_meta_t) == 32, "frag meta is 32 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "word view assumes little endian");

/* Shared header of a ring (128 bytes), followed at fixed offsets by the
   producer line, the consumer lines, the meta array and the payload slots.
   Offsets are from the ring's own start. Read-only after sl_ring_new. */
typedef struct {
  uint64_t magic;
  uint64_t depth;       /* power of two */
  uint32_t cons_cnt;    /* consumers 0..cons_cnt-1; on a reliable link each must consume */
  uint32_t reliable;    /* 1: credit flow control */
  uint32_t mtu;         /* max payload bytes per slot, 0 = no payload slots */
  uint32_t slot_sz;     /* mtu rounded up to 64 */
  uint64_t prod_off;    /* sl_ring_pline_t */
  uint64_t cons_off;    /* cons_cnt x int64: consumer c's sl_ring_fseq_t is at ring start + cons_off[c] */
  uint64_t meta_off;    /* depth x sl_frag_meta_t */
  uint64_t payload_off; /* depth x slot_sz, 0 if mtu == 0 */
  uint64_t footprint;
  uint8_t _pad[128 - 72];
} sl_ring_t;

/* The producer's line, written only in its housekeeping (for the monitor). */
typedef struct {
  uint64_t seq;              /* next seq to publish, as of the last housekeeping */
  uint64_t backpressure_cnt; /* times the producer had to wait for credit */
  uint8_t _pad[128 - 16];
} __attribute__((aligned(128))) sl_ring_pline_t;

/* A consumer's line, on its own 128 bytes (adjacent-line prefetch pairs
   64-byte lines), written only by that consumer in sl_ring_cons_publish. */
typedef struct {
  uint64_t seq;          /* every frag < seq is done with: the producer's credit source */
  uint64_t overrun_poll; /* frags lost to lapping, seen while polling */
  uint64_t overrun_read; /* payload reads voided by sl_ring_check */
  uint64_t frags;        /* frags returned by sl_ring_poll (OK) */
  uint8_t _pad[128 - 32];
} __attribute__((aligned(128))) sl_ring_fseq_t;

_Static_assert(sizeof(sl_ring_t) == 128, "ring header is one 128-byte line");

/* Lifecycle of the shared object. */

/* sl_ring_align: alignment of a ring's memory (128). */
uint64_t sl_ring_align(void);

/* sl_ring_footprint: bytes a ring with these parameters needs, or 0 if the
   parameters are invalid (depth not a power of two in [4, 2^30], cons_max
   not in [1, 64], mtu > 65535). */
uint64_t sl_ring_footprint(uint64_t depth, uint32_t cons_max, uint32_t mtu);

/* sl_ring_new formats mem (sl_ring_footprint bytes, sl_ring_align-aligned)
   as an empty ring with cons_max consumers, all at seq 0, producer at seq 0.
   Returns mem, or NULL on bad parameters or a misaligned mem (mem is then
   untouched). Does not zero the payload slots. */
void *sl_ring_new(void *mem, uint64_t depth, uint32_t cons_max, uint32_t mtu, int reliable);

/* sl_ring_join returns mem as a ring if it holds one (magic), else NULL. */
sl_ring_t *sl_ring_join(void *mem);

/* sl_ring_leave returns the memory of a joined ring. Nothing to release. */
void *sl_ring_leave(sl_ring_t *ring);

/* sl_ring_delete clears the magic (so later joins fail) and returns mem, or
   NULL if mem held no ring. Caller guarantees nobody uses it any more. */
void *sl_ring_delete(void *mem);

/* sl_ring_create allocates (sl_wksp_alloc, kind SL_OBJ_RING, under name)
   and formats a ring in the workspace; *off is its offset. Creator only.
   fseq_off NULL: the consumer lines are inside the ring. Otherwise
   fseq_off[c] (c < cons_max) is the workspace offset of consumer c's line,
   made with sl_ring_fseq_create; the lines are reset to seq 0. */
int sl_ring_create(sl_wksp_t *w, const char *name, uint64_t depth, uint32_t cons_max, uint32_t mtu,
                   int reliable, const uint64_t *fseq_off, uint64_t *off, sl_err_t *err);

/* sl_ring_fseq_create allocates cnt consumer progress lines (kind
   SL_OBJ_FSEQ, 128 bytes each, contiguous, 128-aligned) under name, for
   sl_ring_create's fseq_off: line k is at *off + k * sizeof(sl_ring_fseq_t).
   The caller places them in the consuming tile's memory. */
int sl_ring_fseq_create(sl_wksp_t *w, const char *name, uint32_t cnt, uint64_t *off, sl_err_t *err);

/* Monitor view (read-only, any process). */
static inline const sl_ring_pline_t *sl_ring_pline(const sl_ring_t *r) {
  return (const sl_ring_pline_t *)((const uint8_t *)r + r->prod_off);
}
/* sl_ring_fseq_rel: where consumer cons_idx's line is, from the ring's
   start (it may be outside the ring; a reader that does not trust the
   workspace checks it against the mapping before sl_ring_fseq). */
static inline int64_t sl_ring_fseq_rel(const sl_ring_t *r, uint32_t cons_idx) {
  return ((const int64_t *)((const uint8_t *)r + r->cons_off))[cons_idx];
}
static inline const sl_ring_fseq_t *sl_ring_fseq(const sl_ring_t *r, uint32_t cons_idx) {
  return (const sl_ring_fseq_t *)((const uint8_t *)r + sl_ring_fseq_rel(r, cons_idx));
}

/* sl_chunk_laddr: local address of chunk in the mapping at base. */
static inline void *sl_chunk_laddr(const void *base, uint32_t chunk) {
  return (void *)((const uint8_t *)base + ((uint64_t)chunk << 6));
}
/* sl_chunk_of: chunk of a 64-byte aligned address in the mapping at base. */
static inline uint32_t sl_chunk_of(const void *base, const void *laddr) {
  return (uint32_t)(((uint64_t)((const uint8_t *)laddr - (const uint8_t *)base)) >> 6);
}

/* ------------------------------------------------------------------ */
/* Producer (exactly one process per ring).                            */

typedef struct {
  sl_frag_meta_t *meta;   /* local address of the meta array */
  uint8_t *base;          /* workspace base: chunk 0 */
  sl_ring_t *ring;
  sl_ring_pline_t *pline;
  const sl_ring_fseq_t *fseq[SL_RING_CONS_MAX]; /* the consumers' lines */
  uint64_t seq;           /* next seq to publish */
  uint64_t mask;          /* depth - 1 */
  uint64_t depth;
  uint64_t cr_limit;      /* reliable: may publish while seq < cr_limit */
  uint32_t reliable;
  uint32_t cons_cnt;
  uint32_t chunk0;        /* chunk of payload slot 0 (0 if no payload slots) */
  uint32_t slot_chunks;   /* payload slot stride in chunks */
  uint64_t backpressure_cnt; /* waits counted by sl_ring_wait_credits */
} sl_ring_prod_t;

/* sl_ring_prod_init joins the ring at ring_off of w as its producer,
   continuing from the seq last published in the producer line (0 for a new
   ring), with credits freshly computed. Fails if no ring is at ring_off or
   w is read-only. Only one producer may exist per ring. */
int sl_ring_prod_init(sl_ring_prod_t *prod, const sl_wksp_t *w, uint64_t ring_off, sl_err_t *err);

/* sl_ring_next_seq: the seq the next publish will carry. */
static inline uint64_t sl_ring_next_seq(const sl_ring_prod_t *prod) { return prod->seq; }

/* sl_ring_slot_chunk: chunk of the ring payload slot of seq (mtu > 0). */
static inline uint32_t sl_ring_slot_chunk(const sl_ring_prod_t *prod, uint64_t seq) {
  return prod->chunk0 + (uint32_t)(seq & prod->mask) * prod->slot_chunks;
}

/* sl_ring_invalidate marks the meta slot of seq (next_seq <= seq <
   next_seq + depth) as being written, voiding the frag seq - depth it held.
   Call it BEFORE overwriting memory that frag pointed at (its ring payload
   slot, or a UMEM frame about to go back to the kernel), so a consumer
   reading it in place fails sl_ring_check instead of using torn data. On a
   reliable link only with credit for seq. */
static inline void sl_ring_invalidate(sl_ring_prod_t *prod, uint64_t seq) {
  sl_frag_meta_t *m = prod->meta + (seq & prod->mask);
  __atomic_store_n(&m->seq, seq - 1, __ATOMIC_RELAXED);
  /* Release fence: the invalid marker must be visible before any later
     store to the payload (x86: compiler barrier only; TSO keeps order). */
  __atomic_thread_fence(__ATOMIC_RELEASE);
}

/* sl_ring_prepare invalidates the slot of the next seq and returns the
   chunk of its payload slot, ready to be filled with up to mtu bytes and
   then published with that chunk. Ring must have mtu > 0. */
static inline uint32_t sl_ring_prepare(sl_ring_prod_t *prod) {
  sl_ring_invalidate(prod, prod->seq);
  return sl_ring_slot_chunk(prod, prod->seq);
}

/* sl_ring_publish makes one frag visible with seq = next_seq, then
   advances. Never waits and never checks credits: on a reliable link the
   caller first made sure sl_ring_credits() > 0. sz <= mtu is not checked. */
static inline void sl_ring_publish(sl_ring_prod_t *prod, uint64_t sig, uint32_t chunk, uint16_t sz,
                                   uint16_t ctl, uint32_t tsorig, uint32_t tspub) {
  uint64_t seq = prod->seq;
  sl_frag_meta_t *m = prod->meta + (seq & prod->mask);
  /* 1. Mark the slot invalid (seq-1: "behind" for a consumer expecting
        seq, "ahead" for one still expecting seq-depth). The release fence
        keeps the marker ahead of the body stores (x86: compiler barrier). */
  __atomic_store_n(&m->seq, seq - 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  /* 2. Body, as three words (relaxed: may race with a consumer's copy,
        which the consumer detects by re-reading seq). */
  __atomic_store_n(&m->w[1], sig, __ATOMIC_RELAXED);
  __atomic_store_n(&m->w[2], (uint64_t)chunk | ((uint64_t)sz << 32) | ((uint64_t)ctl << 48),
                   __ATOMIC_RELAXED);
  __atomic_store_n(&m->w[3], (uint64_t)tsorig | ((uint64_t)tspub << 32), __ATOMIC_RELAXED);
  /* 3. Release-store seq: a consumer that acquire-loads seq sees the body
        (and any payload written before this call). */
  __atomic_store_n(&m->seq, seq, __ATOMIC_RELEASE);
  prod->seq = seq + 1;
}

/* Copy of a run of meta entries in 16-byte units (SSE2 is baseline on
   x86-64). Used on shared slots whose validity is proven by seq checks
   around the copy, never on its own. */
static inline void sl_ring__copy16(void *dst, const void *src) {
#ifdef __SSE2__
  _mm_store_si128((__m128i *)dst, _mm_load_si128((const __m128i *)src));
#else
  uint64_t *d = dst;
  const uint64_t *s = src;
  __atomic_store_n(&d[0], __atomic_load_n(&s[0], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
  __atomic_store_n(&d[1], __atomic_load_n(&s[1], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
#endif
}

/* sl_ring_publish_burst publishes frags[0..cnt) in order (their seq fields
   are ignored and get next_seq, next_seq+1, ...). cnt <= depth. Same
   contract as sl_ring_publish: no waiting, no credit check. Returns cnt.
   Per contiguous run of slots: mark and write every slot, then
   release-store the seqs, so a consumer polling meanwhile finds nothing
   half-done to bounce cache lines over. */
static inline uint32_t sl_ring_publish_burst(sl_ring_prod_t *prod, const sl_frag_meta_t *frags,
                                             uint32_t cnt) {
  for (uint32_t done = 0; done < cnt;) {
    uint64_t seq = prod->seq;
    uint64_t idx = seq & prod->mask;
    uint32_t n = cnt - done;
    if (n > prod->depth - idx) n = (uint32_t)(prod->depth - idx); /* up to the wrap */
    sl_frag_meta_t *m = prod->meta + idx;
    const sl_frag_meta_t *f = frags + done;
    /* Forward, slot by slot: overwriting in seq order is what lets
       sl_ring_consume_burst validate a whole run by its first slot. */
#pragma GCC unroll 4
    for (uint32_t i = 0; i < n; i++) {
      __atomic_store_n(&m[i].seq, seq + i - 1, __ATOMIC_RELAXED);
      /* The slot's marker before its body (x86: compiler barrier). */
      __atomic_thread_fence(__ATOMIC_RELEASE);
      __atomic_store_n(&m[i].w[1], f[i].w[1], __ATOMIC_RELAXED);
      sl_ring__copy16(&m[i].w[2], &f[i].w[2]);
    }
    /* Bodies before seqs; each release-store publishes its body. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
#pragma GCC unroll 8
    for (uint32_t i = 0; i < n; i++) __atomic_store_n(&m[i].seq, seq + i, __ATOMIC_RELEASE);
    prod->seq = seq + n;
    done += n;
  }
  return cnt;
}

/* sl_ring_credits: how many frags may be published now, from the credits
   cached at the last housekeeping (may be stale-low, never stale-high).
   Reliable: min(progress) + depth - next_seq, 0 when the slowest consumer
   is a full ring behind. Unreliable: always depth (never wait). */
static inline uint64_t sl_ring_credits(const sl_ring_prod_t *prod) {
  if (!prod->reliable) return prod->depth;
  int64_t cr = (int64_t)(prod->cr_limit - prod->seq);
  return cr > 0 ? (uint64_t)cr : 0;
}

/* sl_ring_prod_housekeep refreshes the credits from the consumers' progress
   lines (reliable) and publishes the producer line (seq, backpressure count)
   for the monitor. Call it in the tile's housekeeping and whenever credits
   are 0. Returns the new credits. Cost: one cache-line read per consumer. */
uint64_t sl_ring_prod_housekeep(sl_ring_prod_t *prod);

/* sl_ring_wait_credits spins (housekeeping as it goes) until at least need
   credits are available (need <= depth) or timeout_ns passes. Counts one
   backpressure event in prod->backpressure_cnt if it had to wait. Returns
   0, or -1 on timeout (a consumer is stuck or dead). For tests, benches and
   simple producers; a tile loop does its own waiting to keep heartbeating. */
int sl_ring_wait_credits(sl_ring_prod_t *prod, uint64_t need, uint64_t timeout_ns);

/* ------------------------------------------------------------------ */
/* Consumer (one process per consumer index).                          */

typedef struct {
  const sl_frag_meta_t *meta; /* local address of the meta array */
  uint8_t *base;              /* workspace base: chunk 0 */
  sl_ring_fseq_t *fseq;       /* this consumer's progress line */
  uint64_t seq;               /* next seq expected */
  uint64_t mask;
  uint64_t depth;
  uint64_t frags;             /* frags returned (SL_RING_OK) */
  uint64_t overrun_poll;      /* frags lost to lapping (this is "the overrun count") */
  uint64_t overrun_read;      /* reads voided by sl_ring_check */
  uint32_t idx;
  uint32_t reliable;
  uint64_t payload_lo, payload_hi; /* the ring's payload slots, bytes from base ([0, 0): none) */
} sl_ring_cons_t;

/* sl_ring_cons_payload_ok: the sz bytes at chunk lie in the ring's own
   payload slots. A consumer of a ring with payload checks this before it
   reads: the producer is another process, and may have gone wrong. */
static inline int sl_ring_cons_payload_ok(const sl_ring_cons_t *cons, uint32_t chunk, uint32_t sz) {
  uint64_t at = (uint64_t)chunk << 6;
  return at >= cons->payload_lo && at + sz <= cons->payload_hi;
}

/* sl_ring_cons_init joins the ring at ring_off of w as consumer cons_idx
   (< cons_cnt), continuing from the seq that index last published (0 for a
   new ring). Fails if no ring is there, cons_idx is out of range, or w is
   read-only (the consumer writes its progress line). */
int sl_ring_cons_init(sl_ring_cons_t *cons, const sl_wksp_t *w, uint64_t ring_off, uint32_t cons_idx,
                      sl_err_t *err);

/* Out of line, rare: the consumer expected cons->seq and found seq found
   (ahead). Counts the frags skipped as lost and resynchronizes to the
   newest seq the producer is known to have reached (the head: a lapped
   consumer gets a whole ring of slack; see ring.c for why not the tail).
   (Returns nothing so that the compiler sees poll's
   OVERRUN as a constant: callers then get no maybe-uninitialized noise.) */
void sl_ring_cons_lapped(sl_ring_cons_t *cons, uint64_t found);

/* sl_ring_poll reads the next frag's metadata.
   SL_RING_OK:      *out holds frag cons->seq (out->seq), cons->seq advanced.
   SL_RING_EMPTY:   nothing new; *out untouched.
   SL_RING_OVERRUN: the producer lapped this consumer (or overwrote the entry
                    while it was being copied): cons->overrun_poll grew by the
                    number of frags skipped and cons->seq jumped to the newest
                    seq the producer is known to have reached (the seq found
                    in the slot); *out is garbage. Poll again.
   Never blocks, never writes shared memory. */
static inline int sl_ring_poll(sl_ring_cons_t *cons, sl_frag_meta_t *out) {
  uint64_t seq = cons->seq;
  const sl_frag_meta_t *m = cons->meta + (seq & cons->mask);
  /* Acquire: if seq is ours, the body and payload stored before the
     producer's release-store of seq are visible. */
  uint64_t s1 = __atomic_load_n(&m->seq, __ATOMIC_ACQUIRE);
  int64_t d = (int64_t)(s1 - seq);
  if (__builtin_expect(d < 0, 0)) return SL_RING_EMPTY;
  if (__builtin_expect(d > 0, 0)) {
    sl_ring_cons_lapped(cons, s1);
    return SL_RING_OVERRUN;
  }
  uint64_t w1 = __atomic_load_n(&m->w[1], __ATOMIC_RELAXED);
  uint64_t w2 = __atomic_load_n(&m->w[2], __ATOMIC_RELAXED);
  uint64_t w3 = __atomic_load_n(&m->w[3], __ATOMIC_RELAXED);
  /* Acquire fence: the body loads complete before seq is re-read, so an
     unchanged seq proves the copy was not torn (x86: compiler barrier). */
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  uint64_t s2 = __atomic_load_n(&m->seq, __ATOMIC_RELAXED);
  if (__builtin_expect(s2 != s1, 0)) {
    sl_ring_cons_lapped(cons, s2);
    return SL_RING_OVERRUN;
  }
  out->w[0] = s1;
  out->w[1] = w1;
  out->w[2] = w2;
  out->w[3] = w3;
  cons->seq = seq + 1;
  cons->frags++;
  return SL_RING_OK;
}

/* sl_ring_consume_burst reads up to max frags into out[0..n) in seq order.
   Stops at the first EMPTY; an OVERRUN is counted (as in sl_ring_poll) and
   reading goes on from the resynchronized seq (so out may have a seq gap
   there). Returns n (0..max). Never blocks, never writes shared memory.
   Fast path: when the max-th frag is already published, the whole run is
   copied at once and validated by re-reading only the first slot (the
   producer overwrites in seq order, so if the first is intact, all are). */
static inline uint32_t sl_ring_consume_burst(sl_ring_cons_t *cons, sl_frag_meta_t *out, uint32_t max) {
  uint64_t seq = cons->seq;
  const sl_frag_meta_t *first = cons->meta + (seq & cons->mask);
  /* Idle consumers spin here: touch only the first slot's line, so the
     producer's lines are not pulled away from it while it writes them. */
  if ((int64_t)(__atomic_load_n(&first->seq, __ATOMIC_RELAXED) - seq) < 0) return 0;
  if (max > 1 && max <= cons->depth) {
    const sl_frag_meta_t *last = cons->meta + ((seq + max - 1) & cons->mask);
    /* Acquire: every frag before the last one is published too. */
    if (__atomic_load_n(&last->seq, __ATOMIC_ACQUIRE) == seq + max - 1) {
      uint64_t idx = seq & cons->mask;
      uint32_t n1 = max;
      if (n1 > cons->depth - idx) n1 = (uint32_t)(cons->depth - idx); /* up to the wrap */
      const sl_frag_meta_t *m = cons->meta + idx;
#pragma GCC unroll 4
      for (uint32_t i = 0; i < n1; i++) {
        sl_ring__copy16(&out[i].w[0], &m[i].w[0]);
        sl_ring__copy16(&out[i].w[2], &m[i].w[2]);
      }
      for (uint32_t i = n1; i < max; i++) {
        sl_ring__copy16(&out[i].w[0], &cons->meta[i - n1].w[0]);
        sl_ring__copy16(&out[i].w[2], &cons->meta[i - n1].w[2]);
      }
      /* Acquire fence: the copies complete before the first slot is
         re-read (x86: compiler barrier). */
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      if (__builtin_expect(__atomic_load_n(&first->seq, __ATOMIC_RELAXED) == seq, 1)) {
        cons->seq = seq + max;
        cons->frags += max;
        return max;
      }
      /* Lapped during the copy: the slow path below counts it. */
    }
  }
  uint32_t n = 0;
  for (uint32_t i = 0; i < max; i++) {
    int r = sl_ring_poll(cons, out + n);
    if (r == SL_RING_OK) n++;
    else if (r == SL_RING_EMPTY) break;
  }
  return n;
}

/* sl_ring_check, called after reading the payload of frag seq in place:
   returns 1 if the meta slot still holds seq, so what was read is intact;
   else 0 and counts it in cons->overrun_read ("overrun while reading"): drop
   what was read. */
static inline int sl_ring_check(sl_ring_cons_t *cons, uint64_t seq) {
  const sl_frag_meta_t *m = cons->meta + (seq & cons->mask);
  /* Acquire fence: payload loads complete before seq is re-read; the
     producer invalidates the slot before reusing the payload memory. */
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  if (__builtin_expect(__atomic_load_n(&m->seq, __ATOMIC_RELAXED) == seq, 1)) return 1;
  cons->overrun_read++;
  return 0;
}

/* sl_ring_cons_publish publishes this consumer's progress (cons->seq: every
   frag before it is done with, its payload no longer needed) and counters
   to its line. cons->seq already counts every frag poll/consume_burst
   returned: on a reliable link publish only once all of them are handled,
   or the producer may overwrite a payload still in use. Release store: the reads of those payloads happen before the
   producer may reuse them. Call it in housekeeping; on a reliable link also
   whenever idle and at least every depth/4 frags, or the producer starves.
   One store to a line only this consumer writes. */
static inline void sl_ring_cons_publish(sl_ring_cons_t *cons) {
  sl_ring_fseq_t *f = cons->fseq;
  __atomic_store_n(&f->overrun_poll, cons->overrun_poll, __ATOMIC_RELAXED);
  __atomic_store_n(&f->overrun_read, cons->overrun_read, __ATOMIC_RELAXED);
  __atomic_store_n(&f->frags, cons->frags, __ATOMIC_RELAXED);
  __atomic_store_n(&f->seq, cons->seq, __ATOMIC_RELEASE);
}

#endif
