/* tiles/verify/ed25519/fe.h: arithmetic in GF(p), p = 2^255 - 19, plain C.

   An element is five unsigned 64-bit limbs in radix 2^51: v[0] + v[1] 2^51
   + ... + v[4] 2^204, not necessarily reduced below p. The bounds every
   function relies on, in terms of the largest limb:
     "tight"  every limb < 2^51 + 2^13: what sl_fe_mul, sl_fe_sq, sl_fe_sub,
              sl_fe_carry and sl_fe_frombytes return;
     "loose"  every limb < 2^54: what sl_fe_mul and sl_fe_sq accept (a sum
              of up to four tight elements is loose).
   sl_fe_add returns the plain limb sums (two tight inputs give limbs below
   2^52 + 2^14). The hot operations are inline so the point code compiles
   them in place; the AVX backends run the same radix (fe_avx512.h) or
   radix 2^25.5 (fe_avx2.h) in vector lanes. Nothing here is constant time:
   verification handles public data only. */
#ifndef SL_TILES_VERIFY_ED25519_FE_H
#define SL_TILES_VERIFY_ED25519_FE_H

#include <stdint.h>

#define SL_FE_MASK ((1ull << 51) - 1)

typedef struct {
  uint64_t v[5];
} sl_fe_t;

typedef unsigned __int128 sl_u128_t;

/* Field constants (tight): d = -121665/121666, 2d, sqrt(-1) = 2^((p-1)/4). */
extern const sl_fe_t sl_fe_d, sl_fe_d2, sl_fe_sqrtm1;

/* sl_fe_frombytes reads 32 little-endian bytes, ignoring bit 255 (the sign
   bit of a point encoding). Values in [p, 2^255) are taken as they are
   (congruent to value - p); whether an encoding is canonical is the
   caller's check. Returns a tight element. */
void sl_fe_frombytes(sl_fe_t *r, const uint8_t s[32]);

/* sl_fe_tobytes writes the unique representative in [0, p), little-endian.
   Accepts any loose element. */
void sl_fe_tobytes(uint8_t s[32], const sl_fe_t *a);

/* The addition chain every backend's invert and pow22523 run, as data so
   it is written once: with t[0] = a, step k sets t[dst] = t[x]^(2^n) * t[y]
   (no squaring for n = 0, no multiplication for y = SL_FE_CHAIN_NONE). It ends with t[SL_FE_CHAIN_E250] = a^(2^250 - 1),
   passing a^11 in t[SL_FE_CHAIN_A11]; then 1/a = t[E250]^(2^5) * a^11 and
   a^((p-5)/8) = t[E250]^(2^2) * a. */
typedef struct {
  uint8_t dst, x, n, y;
} sl_fe_chain_step_t;

#define SL_FE_CHAIN_STEPS 11
#define SL_FE_CHAIN_TEMPS 12
#define SL_FE_CHAIN_A11 3
#define SL_FE_CHAIN_E250 11
#define SL_FE_CHAIN_NONE 0xff
extern const sl_fe_chain_step_t sl_fe_chain[SL_FE_CHAIN_STEPS];

/* sl_fe_invert: r = a^(p-2) = 1/a (0 for a = 0). Loose in, tight out. */
void sl_fe_invert(sl_fe_t *r, const sl_fe_t *a);

/* sl_fe_pow22523: r = a^((p-5)/8), the exponent of the square root in point
   decompression. Loose in, tight out. */
void sl_fe_pow22523(sl_fe_t *r, const sl_fe_t *a);

/* sl_fe_iszero / sl_fe_isneg: 1 if a = 0 (mod p) / if the representative
   in [0, p) is odd ("negative" in the encoding's sign convention), else 0. */
int sl_fe_iszero(const sl_fe_t *a);
int sl_fe_isneg(const sl_fe_t *a);

/* r = small (< 2^51). */
static inline void sl_fe_set(sl_fe_t *r, uint64_t small) {
  *r = (sl_fe_t){{small, 0, 0, 0, 0}};
}

/* r = a + b, limb by limb, no carry. */
static inline void sl_fe_add(sl_fe_t *r, const sl_fe_t *a, const sl_fe_t *b) {
  for (int i = 0; i < 5; i++) r->v[i] = a->v[i] + b->v[i];
}

/* sl_fe_carry makes any element with limbs below 2^63 tight (same value). */
static inline void sl_fe_carry(sl_fe_t *r) {
  uint64_t c = 0;
  for (int i = 0; i < 5; i++) {
    r->v[i] += c;
    c = r->v[i] >> 51;
    r->v[i] &= SL_FE_MASK;
  }
  r->v[0] += 19 * c;
  r->v[1] += r->v[0] >> 51;
  r->v[0] &= SL_FE_MASK;
}

/* r = a - b: adds 16p (limbs 2^55 - 304, 2^55 - 16) so no limb goes below
   zero, then carries. a and b loose or tighter; r tight. */
static inline void sl_fe_sub(sl_fe_t *r, const sl_fe_t *a, const sl_fe_t *b) {
  r->v[0] = a->v[0] + ((1ull << 55) - 304) - b->v[0];
  for (int i = 1; i < 5; i++) r->v[i] = a->v[i] + ((1ull << 55) - 16) - b->v[i];
  sl_fe_carry(r);
}

/* r = -a (a loose or tighter; r tight). */
static inline void sl_fe_neg(sl_fe_t *r, const sl_fe_t *a) {
  static const sl_fe_t zero = {{0, 0, 0, 0, 0}};
  sl_fe_sub(r, &zero, a);
}

/* Shared tail of mul and sq: five 128-bit column sums (each below 2^115)
   carried into a tight element. */
static inline void sl_fe_reduce_cols(sl_fe_t *r, sl_u128_t t0, sl_u128_t t1, sl_u128_t t2,
                                     sl_u128_t t3, sl_u128_t t4) {
  t1 += (uint64_t)(t0 >> 51);
  t2 += (uint64_t)(t1 >> 51);
  t3 += (uint64_t)(t2 >> 51);
  t4 += (uint64_t)(t3 >> 51);
  /* t4 has no factor 19: t4 < 5 * 2^108 + 2^64, so c < 2^59.4 and
     19c + 2^51 < 2^64. */
  uint64_t c = (uint64_t)(t4 >> 51);
  uint64_t r0 = ((uint64_t)t0 & SL_FE_MASK) + 19 * c;
  r->v[0] = r0 & SL_FE_MASK;
  r->v[1] = ((uint64_t)t1 & SL_FE_MASK) + (r0 >> 51);
  r->v[2] = (uint64_t)t2 & SL_FE_MASK;
  r->v[3] = (uint64_t)t3 & SL_FE_MASK;
  r->v[4] = (uint64_t)t4 & SL_FE_MASK;
}

/* r = a b. a, b loose; r tight. */
static inline void sl_fe_mul(sl_fe_t *r, const sl_fe_t *a, const sl_fe_t *b) {
  uint64_t a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3], a4 = a->v[4];
  uint64_t b0 = b->v[0], b1 = b->v[1], b2 = b->v[2], b3 = b->v[3], b4 = b->v[4];
  uint64_t b1_19 = 19 * b1, b2_19 = 19 * b2, b3_19 = 19 * b3, b4_19 = 19 * b4;
  sl_u128_t t0 = (sl_u128_t)a0 * b0 + (sl_u128_t)a1 * b4_19 + (sl_u128_t)a2 * b3_19 +
                 (sl_u128_t)a3 * b2_19 + (sl_u128_t)a4 * b1_19;
  sl_u128_t t1 = (sl_u128_t)a0 * b1 + (sl_u128_t)a1 * b0 + (sl_u128_t)a2 * b4_19 +
                 (sl_u128_t)a3 * b3_19 + (sl_u128_t)a4 * b2_19;
  sl_u128_t t2 = (sl_u128_t)a0 * b2 + (sl_u128_t)a1 * b1 + (sl_u128_t)a2 * b0 +
                 (sl_u128_t)a3 * b4_19 + (sl_u128_t)a4 * b3_19;
  sl_u128_t t3 = (sl_u128_t)a0 * b3 + (sl_u128_t)a1 * b2 + (sl_u128_t)a2 * b1 +
                 (sl_u128_t)a3 * b0 + (sl_u128_t)a4 * b4_19;
  sl_u128_t t4 = (sl_u128_t)a0 * b4 + (sl_u128_t)a1 * b3 + (sl_u128_t)a2 * b2 +
                 (sl_u128_t)a3 * b1 + (sl_u128_t)a4 * b0;
  sl_fe_reduce_cols(r, t0, t1, t2, t3, t4);
}

/* r = a^2. a loose; r tight. */
static inline void sl_fe_sq(sl_fe_t *r, const sl_fe_t *a) {
  uint64_t a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3], a4 = a->v[4];
  uint64_t d0 = 2 * a0, d1 = 2 * a1, a3_19 = 19 * a3, a4_19 = 19 * a4;
  sl_u128_t t0 = (sl_u128_t)a0 * a0 + (sl_u128_t)d1 * a4_19 + (sl_u128_t)(2 * a2) * a3_19;
  sl_u128_t t1 = (sl_u128_t)d0 * a1 + (sl_u128_t)(2 * a2) * a4_19 + (sl_u128_t)a3 * a3_19;
  sl_u128_t t2 = (sl_u128_t)d0 * a2 + (sl_u128_t)a1 * a1 + (sl_u128_t)(2 * a3) * a4_19;
  sl_u128_t t3 = (sl_u128_t)d0 * a3 + (sl_u128_t)d1 * a2 + (sl_u128_t)a4 * a4_19;
  sl_u128_t t4 = (sl_u128_t)d0 * a4 + (sl_u128_t)d1 * a3 + (sl_u128_t)a2 * a2;
  sl_fe_reduce_cols(r, t0, t1, t2, t3, t4);
}

#endif
