/* shmem/tcache.c: FIFO-evicting tag cache over a linear-probing map. */
#include "shmem/tcache.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

uint64_t sl_tcache_align(void) { return SL_TCACHE_ALIGN; }

static int depth_ok(uint64_t depth) {
  return depth >= SL_TCACHE_DEPTH_MIN && depth <= SL_TCACHE_DEPTH_MAX && !(depth & (depth - 1));
}

uint64_t sl_tcache_footprint(uint64_t depth) {
  if (!depth_ok(depth)) return 0;
  return sizeof(sl_tcache_t) + depth * 8 + 2 * depth * 8;
}

void *sl_tcache_new(void *mem, uint64_t depth) {
  if (!mem || ((uintptr_t)mem & (SL_TCACHE_ALIGN - 1)) || !depth_ok(depth)) return NULL;
  uint64_t fp = sl_tcache_footprint(depth);
  memset(mem, 0, fp);
  sl_tcache_t *tc = mem;
  tc->depth = depth;
  tc->map_cnt = 2 * depth;
  tc->map_lg = (uint32_t)__builtin_ctzll(tc->map_cnt);
  tc->fifo_off = sizeof(sl_tcache_t);
  tc->map_off = tc->fifo_off + depth * 8;
  tc->footprint = fp;
  __atomic_store_n(&tc->magic, SL_TCACHE_MAGIC, __ATOMIC_RELEASE);
  return mem;
}

sl_tcache_t *sl_tcache_join(void *mem) {
  sl_tcache_t *tc = mem;
  if (!tc || __atomic_load_n(&tc->magic, __ATOMIC_ACQUIRE) != SL_TCACHE_MAGIC) return NULL;
  return tc;
}

void *sl_tcache_leave(sl_tcache_t *tc) { return tc; }

void *sl_tcache_delete(void *mem) {
  sl_tcache_t *tc = sl_tcache_join(mem);
  if (!tc) return NULL;
  __atomic_store_n(&tc->magic, 0, __ATOMIC_RELEASE);
  return mem;
}

int sl_tcache_create(sl_wksp_t *w, const char *name, uint64_t depth, uint64_t *off, sl_err_t *err) {
  uint64_t fp = sl_tcache_footprint(depth);
  if (!fp)
    return sl_err_set(err, "tag cache %s: depth %" PRIu64 " must be a power of two in [4, 2^30]",
                      name, depth);
  if (sl_wksp_alloc(w, name, SL_OBJ_TCACHE, SL_TCACHE_ALIGN, fp, off, err)) return -1;
  sl_tcache_new(sl_wksp_laddr(w, *off), depth);
  return 0;
}

static inline uint64_t *fifo_of(const sl_tcache_t *tc) {
  return (uint64_t *)((uint8_t *)tc + tc->fifo_off);
}
static inline uint64_t *map_of(const sl_tcache_t *tc) {
  return (uint64_t *)((uint8_t *)tc + tc->map_off);
}

/* Home slot: Fibonacci hashing, so tags that are not already uniformly
   random (tests, sequential ids) still spread over the map. */
static inline uint64_t home(const sl_tcache_t *tc, uint64_t tag) {
  return (tag * 0x9e3779b97f4a7c15ull) >> (64 - tc->map_lg);
}

/* Slot of tag in the map, or the empty slot where it would go. The map is
   never more than half full, so the probe always ends. */
static inline uint64_t probe(const sl_tcache_t *tc, uint64_t tag) {
  const uint64_t *map = map_of(tc);
  uint64_t mask = tc->map_cnt - 1;
  uint64_t i = home(tc, tag);
  while (map[i] && map[i] != tag) i = (i + 1) & mask;
  return i;
}

int sl_tcache_query(const sl_tcache_t *tc, uint64_t tag) {
  if (!tag) return (int)tc->has_zero;
  return map_of(tc)[probe(tc, tag)] != 0;
}

/* Backward-shift deletion: close the hole at i by moving back any later
   entry of the run whose home slot is not strictly between i and it. */
static void map_remove(sl_tcache_t *tc, uint64_t tag) {
  uint64_t *map = map_of(tc);
  uint64_t mask = tc->map_cnt - 1;
  uint64_t i = probe(tc, tag);
  if (!map[i]) return;
  for (uint64_t j = (i + 1) & mask; map[j]; j = (j + 1) & mask) {
    uint64_t h = home(tc, map[j]);
    /* Entry j may move to i unless its home lies cyclically in (i, j]. */
    int stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
    if (stays) continue;
    map[i] = map[j];
    i = j;
  }
  map[i] = 0;
}

int sl_tcache_insert(sl_tcache_t *tc, uint64_t tag) {
  uint64_t *map = map_of(tc);
  uint64_t slot = 0;
  if (tag) {
    slot = probe(tc, tag);
    if (map[slot]) return 1;
  } else if (tc->has_zero) {
    return 1;
  }
  uint64_t *fifo = fifo_of(tc);
  uint64_t mask = tc->depth - 1;
  if (tc->cnt == tc->depth) {
    uint64_t old = fifo[tc->head];
    if (old)
      map_remove(tc, old);
    else
      tc->has_zero = 0;
    fifo[tc->head] = tag;
    tc->head = (tc->head + 1) & mask;
    if (tag) slot = probe(tc, tag); /* the removal may have shifted the run */
  } else {
    fifo[(tc->head + tc->cnt) & mask] = tag;
    tc->cnt++;
  }
  if (tag)
    map[slot] = tag;
  else
    tc->has_zero = 1;
  return 0;
}

uint64_t sl_tag_hash(uint64_t seed, const void *bytes, size_t len) {
  return XXH3_64bits_withSeed(bytes, len, seed);
}

uint64_t sl_tag_seed_random(void) {
  uint64_t s = 0;
  /* getrandom(flags 0) only fails on EINTR or a bad buffer; retry. */
  while (!s) {
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s) s = 0;
  }
  return s;
}
