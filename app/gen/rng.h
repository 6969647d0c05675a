/* app/gen/rng.h: the generator's deterministic PRNG (xoshiro256**, seeded
   through splitmix64), so `--seed` reproduces the same traffic byte for byte.
   Not cryptographic: key seeds drawn from it are only as secret as --seed. */
#ifndef SL_GEN_RNG_H
#define SL_GEN_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} sl_rng_t;

static inline uint64_t sl_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* sl_rng_seed starts the independent stream number `stream` of `seed`:
   streams let each pre-built packet have its own generator, so packets can
   be built in any order (or in parallel) and still come out the same. */
static inline void sl_rng_seed(sl_rng_t *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ sl_splitmix64(&stream);
  for (int i = 0; i < 4; i++) r->s[i] = sl_splitmix64(&x);
}

static inline uint64_t sl_rng_u64(sl_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t x = s[1] * 5;
  uint64_t out = ((x << 7) | (x >> 57)) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return out;
}

/* sl_rng_below returns a value in [0, n), n >= 1 (multiply-shift; the bias
   is below 2^-32 for the small n used here). */
static inline uint32_t sl_rng_below(sl_rng_t *r, uint32_t n) {
  return (uint32_t)(((sl_rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

/* sl_rng_unit returns a double in [0, 1). */
static inline double sl_rng_unit(sl_rng_t *r) { return (double)(sl_rng_u64(r) >> 11) * 0x1.0p-53; }

static inline void sl_rng_fill(sl_rng_t *r, uint8_t *p, uint32_t n) {
  for (uint32_t i = 0; i < n; i += 8) {
    uint64_t v = sl_rng_u64(r);
    for (uint32_t j = 0; j < 8 && i + j < n; j++) p[i + j] = (uint8_t)(v >> (8 * j));
  }
}

#endif
