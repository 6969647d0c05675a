/* shmem/tcache.h: a fixed-size cache of the most recent 64-bit tags, for
   dedup (the verify tile keys it on a transaction's first signature).

   depth tags at most; when full, inserting a new tag evicts the oldest
   (FIFO, in insertion order). Lookup is an open-addressing hash map (linear
   probing, 2 x depth slots, backward-shift deletion, no tombstones), so
   query and insert cost O(1) expected and never allocate. Every tag value,
   0 included, is exact: no false positives, no false negatives within the
   last depth distinct inserts.

   Lives in caller memory (e.g. the workspace) with the usual lifecycle; a
   single process writes it. A reader in another process may query but can
   see a half-done insert: only the owner should rely on answers. */
#ifndef SL_SHMEM_TCACHE_H
#define SL_SHMEM_TCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "shmem/wksp.h"
#include "util/err.h"

#define SL_TCACHE_MAGIC 0x48434354534cull /* "SLTCCH" */
#define SL_TCACHE_ALIGN 128ull
#define SL_TCACHE_DEPTH_MIN 4ull
#define SL_TCACHE_DEPTH_MAX (1ull << 30)

/* Shared header, followed by the FIFO (depth u64) and the map (map_cnt
   u64). Offsets are from the header. The map marks an empty slot with 0;
   tag 0 is tracked by has_zero instead of the map. */
typedef struct {
  uint64_t magic;
  uint64_t depth;    /* power of two */
  uint64_t map_cnt;  /* power of two, 2 x depth */
  uint32_t map_lg;   /* log2(map_cnt) */
  uint32_t has_zero; /* tag 0 is present */
  uint64_t cnt;      /* tags present (<= depth) */
  uint64_t head;     /* FIFO index of the oldest tag (when cnt == depth) */
  uint64_t fifo_off;
  uint64_t map_off;
  uint64_t footprint;
  uint8_t _pad[128 - 80];
} sl_tcache_t;

/* sl_tcache_align: 128. sl_tcache_footprint: bytes for a cache of depth
   tags, or 0 if depth is not a power of two in [4, 2^30]. */
uint64_t sl_tcache_align(void);
uint64_t sl_tcache_footprint(uint64_t depth);

/* sl_tcache_new formats mem (footprint bytes, aligned) as an empty cache.
   Returns mem, or NULL on a bad depth or misaligned mem. Writes the whole
   footprint (the map must start zero). */
void *sl_tcache_new(void *mem, uint64_t depth);

/* sl_tcache_join returns mem as a cache if it holds one, else NULL. */
sl_tcache_t *sl_tcache_join(void *mem);
void *sl_tcache_leave(sl_tcache_t *tc);
/* sl_tcache_delete clears the magic and returns mem (NULL if not a cache). */
void *sl_tcache_delete(void *mem);

/* sl_tcache_create allocates (kind SL_OBJ_TCACHE, under name) and formats a
   cache in the workspace; *off is its offset. Creator only. */
int sl_tcache_create(sl_wksp_t *w, const char *name, uint64_t depth, uint64_t *off, sl_err_t *err);

/* sl_tcache_query returns 1 if tag is in the cache, else 0. Read-only. */
int sl_tcache_query(const sl_tcache_t *tc, uint64_t tag);

/* sl_tcache_insert inserts tag if absent, evicting the oldest tag when the
   cache holds depth tags. Returns 1 if tag was already present (nothing
   changes: its age is not refreshed), 0 if it was inserted. */
int sl_tcache_insert(sl_tcache_t *tc, uint64_t tag);

/* sl_tcache_cnt: tags present. */
static inline uint64_t sl_tcache_cnt(const sl_tcache_t *tc) { return tc->cnt; }

/* sl_tag_hash: keyed 64-bit hash of bytes (XXH3_64bits_withSeed). Keyed with
   a secret random seed so a sender cannot aim collisions; the same seed in
   every tile of an instance (sl_wksp_hdr(w)->tag_seed) gives every tile the
   same tag for the same bytes. */
uint64_t sl_tag_hash(uint64_t seed, const void *bytes, size_t len);

/* sl_tag_seed_random: 64 random bits from getrandom(2) (blocks only until
   the kernel's pool is initialized, at boot). Never returns 0. */
uint64_t sl_tag_seed_random(void);

#endif
