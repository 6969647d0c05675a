/* tiles/verify/ed25519/fe_avx2.h: GF(2^255 - 19) in the four 64-bit lanes
   of an AVX2 register, one independent element per lane, in radix 2^25.5:
   ten limbs of alternately 26 and 25 bits (limb i weighs 2^ceil(25.5 i)),
   multiplied with vpmuludq (32 x 32 -> 64 bits, unsigned, per lane).

   vpmuludq reads the low 32 bits of each factor, and the columns of a
   product are 64-bit sums, so the limbs carry bounds:
     "tight"  even limbs < 2^26 + 2^17, odd limbs < 2^25 + 2^17: what mul,
              sq and carry return;
     "ready"  every limb < 13 * 2^24 (3.25 * 2^26): what mul and sq take.
              19 times a ready limb is below 2^32, and the largest column
              (267 products' worth, with the factors 2 and 19 folded in) is
              below 2^63.5. Sums of up to three tight elements, a tight
              element minus another (sub), and a negated one are ready.
   sub's subtrahend may be any tight or negated element (its limbs stay at
   or below 2p's). A product of two odd limbs weighs twice its column
   (25.5 i + 25.5 j rounds up by one), and columns 10..18 fold into 0..8
   times 19 (2^255 = 19 mod p).

   Compiled for AVX2 by target attribute, never by file flags: only
   sl_ed25519's dispatch, after CPUID and XGETBV, may call into it. */
#ifndef SL_TILES_VERIFY_ED25519_FE_AVX2_H
#define SL_TILES_VERIFY_ED25519_FE_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include "tiles/verify/ed25519/fe.h"

#define SL_AVX2 __attribute__((target("avx2")))
#define SL_AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))
/* Loops over limbs and columns run fully unrolled, so the limbs stay in
   registers (GCC's -O2 keeps such loops, and their arrays on the stack). */
#define SL_UNROLL _Pragma("GCC unroll 20")

typedef struct {
  __m256i v[10];
} sl_fe4_t;

/* The radix-2^25.5 limbs of a radix-2^51 element (any limbs below 2^63;
   plain C, safe on any CPU): tight, even limbs < 2^26, odd < 2^25 + 2^13. */
static inline void sl_fe4_split(uint32_t out[10], const sl_fe_t *a) {
  sl_fe_t t = *a;
  sl_fe_carry(&t);
  SL_UNROLL
  for (int i = 0; i < 5; i++) {
    out[2 * i] = (uint32_t)(t.v[i] & ((1u << 26) - 1));
    out[2 * i + 1] = (uint32_t)(t.v[i] >> 26); /* < 2^25 + 2^13 */
  }
}

/* r = a broadcast to every lane. */
SL_AVX2_INLINE void sl_fe4_bcast(sl_fe4_t *r, const sl_fe_t *a) {
  uint32_t l[10];
  sl_fe4_split(l, a);
  SL_UNROLL
  for (int i = 0; i < 10; i++) r->v[i] = _mm256_set1_epi64x(l[i]);
}

/* 19x as x + 2x + 16x: the multipliers are the busy units (vpmuludq runs
   on fewer ports than shifts and adds). */
SL_AVX2_INLINE __m256i sl_fe4_times19(__m256i x) {
  return _mm256_add_epi64(_mm256_add_epi64(x, _mm256_slli_epi64(x, 1)), _mm256_slli_epi64(x, 4));
}

/* Limb i's mask (2^26 - 1 even, 2^25 - 1 odd) and limb i's carry out
   (x >> 26 or x >> 25), in every lane. */
SL_AVX2_INLINE __m256i sl_fe4_mask(int i) {
  return _mm256_set1_epi64x((i & 1) ? (1 << 25) - 1 : (1 << 26) - 1);
}

SL_AVX2_INLINE __m256i sl_fe4_shr(__m256i x, int i) {
  return (i & 1) ? _mm256_srli_epi64(x, 25) : _mm256_srli_epi64(x, 26);
}

/* sl_fe4_carry: limbs below 2^36 in, tight out (same value): one carry
   step on every limb at once, the top carry folded into limb 0 times 19. */
SL_AVX2_INLINE void sl_fe4_carry(sl_fe4_t *r) {
  __m256i c[10];
  SL_UNROLL
  for (int i = 0; i < 10; i++) c[i] = sl_fe4_shr(r->v[i], i);
  SL_UNROLL
  for (int i = 0; i < 10; i++) r->v[i] = _mm256_and_si256(r->v[i], sl_fe4_mask(i));
  r->v[0] = _mm256_add_epi64(r->v[0], sl_fe4_times19(c[9]));
  SL_UNROLL
  for (int i = 1; i < 10; i++) r->v[i] = _mm256_add_epi64(r->v[i], c[i - 1]);
}

/* Columns (each below 2^63.5) to a tight element: two interleaved carry
   chains, 0 -> 5 and 4 -> 9, then 9 into 0 times 19 and 0 into 1. The
   columns come as ten values, not an array, so they stay in registers. */
SL_AVX2_INLINE void sl_fe4_carry_cols(sl_fe4_t *r, __m256i h0, __m256i h1, __m256i h2, __m256i h3, __m256i h4,
                                      __m256i h5, __m256i h6, __m256i h7, __m256i h8, __m256i h9) {
  const __m256i m26 = sl_fe4_mask(0), m25 = sl_fe4_mask(1);
  __m256i c;
  c = _mm256_srli_epi64(h0, 26), h0 = _mm256_and_si256(h0, m26), h1 = _mm256_add_epi64(h1, c);
  c = _mm256_srli_epi64(h4, 26), h4 = _mm256_and_si256(h4, m26), h5 = _mm256_add_epi64(h5, c);
  c = _mm256_srli_epi64(h1, 25), h1 = _mm256_and_si256(h1, m25), h2 = _mm256_add_epi64(h2, c);
  c = _mm256_srli_epi64(h5, 25), h5 = _mm256_and_si256(h5, m25), h6 = _mm256_add_epi64(h6, c);
  c = _mm256_srli_epi64(h2, 26), h2 = _mm256_and_si256(h2, m26), h3 = _mm256_add_epi64(h3, c);
  c = _mm256_srli_epi64(h6, 26), h6 = _mm256_and_si256(h6, m26), h7 = _mm256_add_epi64(h7, c);
  c = _mm256_srli_epi64(h3, 25), h3 = _mm256_and_si256(h3, m25), h4 = _mm256_add_epi64(h4, c);
  c = _mm256_srli_epi64(h7, 25), h7 = _mm256_and_si256(h7, m25), h8 = _mm256_add_epi64(h8, c);
  c = _mm256_srli_epi64(h4, 26), h4 = _mm256_and_si256(h4, m26), h5 = _mm256_add_epi64(h5, c);
  c = _mm256_srli_epi64(h8, 26), h8 = _mm256_and_si256(h8, m26), h9 = _mm256_add_epi64(h9, c);
  /* c < 2^39: 19c by shifts (vpmuludq would drop its top bits) */
  c = _mm256_srli_epi64(h9, 25), h9 = _mm256_and_si256(h9, m25), h0 = _mm256_add_epi64(h0, sl_fe4_times19(c));
  c = _mm256_srli_epi64(h0, 26), h0 = _mm256_and_si256(h0, m26), h1 = _mm256_add_epi64(h1, c);
  r->v[0] = h0, r->v[1] = h1, r->v[2] = h2, r->v[3] = h3, r->v[4] = h4;
  r->v[5] = h5, r->v[6] = h6, r->v[7] = h7, r->v[8] = h8, r->v[9] = h9;
}

/* r = a + b, limb sums. */
SL_AVX2_INLINE void sl_fe4_add(sl_fe4_t *r, const sl_fe4_t *a, const sl_fe4_t *b) {
  SL_UNROLL
  for (int i = 0; i < 10; i++) r->v[i] = _mm256_add_epi64(a->v[i], b->v[i]);
}

/* r = a + kp - b for b with limbs below the bias: k = 2 takes a tight or
   negated b, k = 4 a sum of two tight elements. */
SL_AVX2_INLINE void sl_fe4_sub_bias(sl_fe4_t *r, const sl_fe4_t *a, const sl_fe4_t *b, int k) {
  SL_UNROLL
  for (int i = 0; i < 10; i++) {
    long long limb = i == 0 ? (1 << 26) - 19 : (i & 1) ? (1 << 25) - 1 : (1 << 26) - 1;
    r->v[i] = _mm256_sub_epi64(_mm256_add_epi64(a->v[i], _mm256_set1_epi64x(k * limb)), b->v[i]);
  }
}

/* r = a + 2p - b, b tight or negated. */
SL_AVX2_INLINE void sl_fe4_sub(sl_fe4_t *r, const sl_fe4_t *a, const sl_fe4_t *b) {
  sl_fe4_sub_bias(r, a, b, 2);
}

/* Sum and difference carried: tight out. */
SL_AVX2_INLINE void sl_fe4_addc(sl_fe4_t *r, const sl_fe4_t *a, const sl_fe4_t *b) {
  sl_fe4_add(r, a, b);
  sl_fe4_carry(r);
}

SL_AVX2_INLINE void sl_fe4_subc(sl_fe4_t *r, const sl_fe4_t *a, const sl_fe4_t *b) {
  sl_fe4_sub(r, a, b);
  sl_fe4_carry(r);
}

/* r = -a (2p - a) for tight a: ready, and a valid subtrahend. */
SL_AVX2_INLINE void sl_fe4_neg(sl_fe4_t *r, const sl_fe4_t *a) {
  sl_fe4_t zero;
  SL_UNROLL
  for (int i = 0; i < 10; i++) zero.v[i] = _mm256_setzero_si256();
  sl_fe4_sub(r, &zero, a);
}

/* An empty asm that "changes" the ten column sums: it closes one row of
   products, so the compiler adds each row in as it comes instead of
   forming all the products first (GCC's reassociation does, keeping them
   all live: a hundred spills per multiplication). */
#define SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9)                                              \
  __asm__("" : "+x"(h0), "+x"(h1), "+x"(h2), "+x"(h3), "+x"(h4), "+x"(h5), "+x"(h6), "+x"(h7), "+x"(h8), \
          "+x"(h9))

/* r = a b, per lane. a, b ready; r tight. Operand scanning: a's limbs in
   turn times all of b's (b, 19b in registers or memory operands), into ten
   column sums. */
SL_AVX2_INLINE void sl_fe4_mul(sl_fe4_t *r, const sl_fe4_t *a, const sl_fe4_t *b) {
  sl_fe4_t g; /* 19 b, limb by limb (g.v[0] unused) */
  SL_UNROLL
  for (int j = 1; j < 10; j++) g.v[j] = sl_fe4_times19(b->v[j]);
  __m256i h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, f;
  f = a->v[0];
  h0 = _mm256_mul_epu32(f, b->v[0]);
  h1 = _mm256_mul_epu32(f, b->v[1]);
  h2 = _mm256_mul_epu32(f, b->v[2]);
  h3 = _mm256_mul_epu32(f, b->v[3]);
  h4 = _mm256_mul_epu32(f, b->v[4]);
  h5 = _mm256_mul_epu32(f, b->v[5]);
  h6 = _mm256_mul_epu32(f, b->v[6]);
  h7 = _mm256_mul_epu32(f, b->v[7]);
  h8 = _mm256_mul_epu32(f, b->v[8]);
  h9 = _mm256_mul_epu32(f, b->v[9]);
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = _mm256_add_epi64(a->v[1], a->v[1]); /* odd x odd weighs twice */
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(a->v[1], b->v[0]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, b->v[1]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(a->v[1], b->v[2]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, b->v[3]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(a->v[1], b->v[4]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, b->v[5]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(a->v[1], b->v[6]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, b->v[7]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(a->v[1], b->v[8]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = a->v[2];
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, b->v[0]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(f, b->v[1]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, b->v[2]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(f, b->v[3]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, b->v[4]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(f, b->v[5]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, b->v[6]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(f, b->v[7]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[8]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(f, g.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = _mm256_add_epi64(a->v[3], a->v[3]); /* odd x odd weighs twice */
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(a->v[3], b->v[0]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, b->v[1]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(a->v[3], b->v[2]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, b->v[3]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(a->v[3], b->v[4]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, b->v[5]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(a->v[3], b->v[6]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[7]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(a->v[3], g.v[8]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, g.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = a->v[4];
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, b->v[0]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(f, b->v[1]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, b->v[2]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(f, b->v[3]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, b->v[4]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(f, b->v[5]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[6]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(f, g.v[7]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, g.v[8]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(f, g.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = _mm256_add_epi64(a->v[5], a->v[5]); /* odd x odd weighs twice */
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(a->v[5], b->v[0]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, b->v[1]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(a->v[5], b->v[2]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, b->v[3]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(a->v[5], b->v[4]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[5]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(a->v[5], g.v[6]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, g.v[7]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(a->v[5], g.v[8]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, g.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = a->v[6];
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, b->v[0]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(f, b->v[1]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, b->v[2]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(f, b->v[3]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[4]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(f, g.v[5]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, g.v[6]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(f, g.v[7]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, g.v[8]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(f, g.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = _mm256_add_epi64(a->v[7], a->v[7]); /* odd x odd weighs twice */
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(a->v[7], b->v[0]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, b->v[1]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(a->v[7], b->v[2]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[3]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(a->v[7], g.v[4]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, g.v[5]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(a->v[7], g.v[6]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, g.v[7]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(a->v[7], g.v[8]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, g.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = a->v[8];
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, b->v[0]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(f, b->v[1]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[2]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(f, g.v[3]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, g.v[4]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(f, g.v[5]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, g.v[6]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(f, g.v[7]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, g.v[8]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(f, g.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  f = _mm256_add_epi64(a->v[9], a->v[9]); /* odd x odd weighs twice */
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(a->v[9], b->v[0]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(f, g.v[1]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(a->v[9], g.v[2]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(f, g.v[3]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(a->v[9], g.v[4]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(f, g.v[5]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(a->v[9], g.v[6]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(f, g.v[7]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(a->v[9], g.v[8]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(f, g.v[9]));
  sl_fe4_carry_cols(r, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/* r = a^2, per lane. a ready; r tight. Each cross product once, its
   factor 2 (and 2 again for two odd limbs) on the left, 19 on the right. */
SL_AVX2_INLINE void sl_fe4_sq(sl_fe4_t *r, const sl_fe4_t *a) {
  sl_fe4_t e; /* 19 a, limb by limb (e.v[5..9] used) */
  SL_UNROLL
  for (int j = 5; j < 10; j++) e.v[j] = sl_fe4_times19(a->v[j]);
  __m256i h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, d2, d4;
  d2 = _mm256_add_epi64(a->v[0], a->v[0]);
  h0 = _mm256_mul_epu32(a->v[0], a->v[0]);
  h1 = _mm256_mul_epu32(d2, a->v[1]);
  h2 = _mm256_mul_epu32(d2, a->v[2]);
  h3 = _mm256_mul_epu32(d2, a->v[3]);
  h4 = _mm256_mul_epu32(d2, a->v[4]);
  h5 = _mm256_mul_epu32(d2, a->v[5]);
  h6 = _mm256_mul_epu32(d2, a->v[6]);
  h7 = _mm256_mul_epu32(d2, a->v[7]);
  h8 = _mm256_mul_epu32(d2, a->v[8]);
  h9 = _mm256_mul_epu32(d2, a->v[9]);
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[1], a->v[1]);
  d4 = _mm256_add_epi64(d2, d2);
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(d2, a->v[1]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(d2, a->v[2]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(d4, a->v[3]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(d2, a->v[4]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(d4, a->v[5]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(d2, a->v[6]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(d4, a->v[7]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(d2, a->v[8]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(d4, e.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[2], a->v[2]);
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(a->v[2], a->v[2]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(d2, a->v[3]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(d2, a->v[4]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(d2, a->v[5]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(d2, a->v[6]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(d2, a->v[7]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(d2, e.v[8]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(d2, e.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[3], a->v[3]);
  d4 = _mm256_add_epi64(d2, d2);
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(d2, a->v[3]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(d2, a->v[4]));
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(d4, a->v[5]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(d2, a->v[6]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(d4, e.v[7]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(d2, e.v[8]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(d4, e.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[4], a->v[4]);
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(a->v[4], a->v[4]));
  h9 = _mm256_add_epi64(h9, _mm256_mul_epu32(d2, a->v[5]));
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(d2, e.v[6]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(d2, e.v[7]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(d2, e.v[8]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(d2, e.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[5], a->v[5]);
  d4 = _mm256_add_epi64(d2, d2);
  h0 = _mm256_add_epi64(h0, _mm256_mul_epu32(d2, e.v[5]));
  h1 = _mm256_add_epi64(h1, _mm256_mul_epu32(d2, e.v[6]));
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(d4, e.v[7]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(d2, e.v[8]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(d4, e.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[6], a->v[6]);
  h2 = _mm256_add_epi64(h2, _mm256_mul_epu32(a->v[6], e.v[6]));
  h3 = _mm256_add_epi64(h3, _mm256_mul_epu32(d2, e.v[7]));
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(d2, e.v[8]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(d2, e.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[7], a->v[7]);
  d4 = _mm256_add_epi64(d2, d2);
  h4 = _mm256_add_epi64(h4, _mm256_mul_epu32(d2, e.v[7]));
  h5 = _mm256_add_epi64(h5, _mm256_mul_epu32(d2, e.v[8]));
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(d4, e.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[8], a->v[8]);
  h6 = _mm256_add_epi64(h6, _mm256_mul_epu32(a->v[8], e.v[8]));
  h7 = _mm256_add_epi64(h7, _mm256_mul_epu32(d2, e.v[9]));
  SL_FE4_ROW(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
  d2 = _mm256_add_epi64(a->v[9], a->v[9]);
  d4 = _mm256_add_epi64(d2, d2);
  h8 = _mm256_add_epi64(h8, _mm256_mul_epu32(d2, e.v[9]));
  sl_fe4_carry_cols(r, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/* As fe_avx512.h: per-lane invert and pow22523 (fe.c's chain), the
   canonical limbs, the zero test, loads, stores and selects. */
SL_AVX2 void sl_fe4_invert(sl_fe4_t *r, const sl_fe4_t *a);
SL_AVX2 void sl_fe4_pow22523(sl_fe4_t *r, const sl_fe4_t *a);

/* sl_fe4_tofe: lane l of a (tight) as a plain radix-2^51 element (exact
   same value, tight), for the encoding's last steps in plain C. */
SL_AVX2 void sl_fe4_tofe(sl_fe_t out[4], const sl_fe4_t *a);

/* sl_fe4_iszero: bit l set if lane l of a (any limbs < 2^36) is 0 mod p. */
SL_AVX2 int sl_fe4_iszero(const sl_fe4_t *a);

/* r = lane l of m set ? b : a (m: lane l all ones or all zeros). */
SL_AVX2_INLINE void sl_fe4_select(sl_fe4_t *r, __m256i m, const sl_fe4_t *a, const sl_fe4_t *b) {
  SL_UNROLL
  for (int i = 0; i < 10; i++) r->v[i] = _mm256_blendv_epi8(a->v[i], b->v[i], m);
}

#endif
