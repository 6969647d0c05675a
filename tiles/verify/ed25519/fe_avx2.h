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

/* The radix-2^25.5 limbs of a tight radix-2^51 element (plain C). */
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
   chains, 0 -> 5 and 4 -> 9, then 9 into 0 times 19 and 0 into 1. */
SL_AVX2_INLINE void sl_fe4_carry_cols(sl_fe4_t *r, __m256i h[10]) {
  static const int order[12] = {0, 4, 1, 5, 2, 6, 3, 7, 4, 8, 9, 0};
  SL_UNROLL
  for (int s = 0; s < 12; s++) {
    int i = order[s];
    __m256i c = sl_fe4_shr(h[i], i);
    h[i] = _mm256_and_si256(h[i], sl_fe4_mask(i));
    if (i == 9) {
      h[0] = _mm256_add_epi64(h[0], sl_fe4_times19(c)); /* c < 2^39: too wide for vpmuludq */
    } else {
      h[i + 1] = _mm256_add_epi64(h[i + 1], c);
    }
  }
  SL_UNROLL
  for (int i = 0; i < 10; i++) r->v[i] = h[i];
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

/* r = a b, per lane. a, b ready; r tight. */
SL_AVX2_INLINE void sl_fe4_mul(sl_fe4_t *r, const sl_fe4_t *a, const sl_fe4_t *b) {
  __m256i f2[10], g19[10], h[10];
  SL_UNROLL
  for (int i = 1; i < 10; i += 2) f2[i] = _mm256_add_epi64(a->v[i], a->v[i]);
  SL_UNROLL
  for (int j = 1; j < 10; j++) g19[j] = sl_fe4_times19(b->v[j]);
  h[0] = _mm256_mul_epu32(a->v[0], b->v[0]);
  h[1] = _mm256_mul_epu32(a->v[0], b->v[1]);
  h[2] = _mm256_mul_epu32(a->v[0], b->v[2]);
  h[3] = _mm256_mul_epu32(a->v[0], b->v[3]);
  h[4] = _mm256_mul_epu32(a->v[0], b->v[4]);
  h[5] = _mm256_mul_epu32(a->v[0], b->v[5]);
  h[6] = _mm256_mul_epu32(a->v[0], b->v[6]);
  h[7] = _mm256_mul_epu32(a->v[0], b->v[7]);
  h[8] = _mm256_mul_epu32(a->v[0], b->v[8]);
  h[9] = _mm256_mul_epu32(a->v[0], b->v[9]);
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[1], b->v[0]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(f2[1], b->v[1]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[1], b->v[2]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(f2[1], b->v[3]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[1], b->v[4]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(f2[1], b->v[5]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[1], b->v[6]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(f2[1], b->v[7]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[1], b->v[8]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(f2[1], g19[9]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(a->v[2], b->v[0]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[2], b->v[1]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(a->v[2], b->v[2]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[2], b->v[3]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(a->v[2], b->v[4]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[2], b->v[5]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(a->v[2], b->v[6]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[2], b->v[7]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(a->v[2], g19[8]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[2], g19[9]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[3], b->v[0]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(f2[3], b->v[1]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[3], b->v[2]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(f2[3], b->v[3]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[3], b->v[4]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(f2[3], b->v[5]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[3], b->v[6]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(f2[3], g19[7]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[3], g19[8]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(f2[3], g19[9]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(a->v[4], b->v[0]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[4], b->v[1]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(a->v[4], b->v[2]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[4], b->v[3]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(a->v[4], b->v[4]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[4], b->v[5]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(a->v[4], g19[6]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[4], g19[7]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(a->v[4], g19[8]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[4], g19[9]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[5], b->v[0]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(f2[5], b->v[1]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[5], b->v[2]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(f2[5], b->v[3]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[5], b->v[4]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(f2[5], g19[5]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[5], g19[6]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(f2[5], g19[7]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[5], g19[8]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(f2[5], g19[9]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(a->v[6], b->v[0]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[6], b->v[1]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(a->v[6], b->v[2]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[6], b->v[3]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(a->v[6], g19[4]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[6], g19[5]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(a->v[6], g19[6]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[6], g19[7]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(a->v[6], g19[8]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[6], g19[9]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[7], b->v[0]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(f2[7], b->v[1]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[7], b->v[2]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(f2[7], g19[3]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[7], g19[4]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(f2[7], g19[5]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[7], g19[6]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(f2[7], g19[7]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[7], g19[8]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(f2[7], g19[9]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(a->v[8], b->v[0]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[8], b->v[1]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(a->v[8], g19[2]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[8], g19[3]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(a->v[8], g19[4]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[8], g19[5]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(a->v[8], g19[6]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[8], g19[7]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(a->v[8], g19[8]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[8], g19[9]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(a->v[9], b->v[0]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(f2[9], g19[1]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(a->v[9], g19[2]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(f2[9], g19[3]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(a->v[9], g19[4]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(f2[9], g19[5]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(a->v[9], g19[6]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(f2[9], g19[7]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(a->v[9], g19[8]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(f2[9], g19[9]));
  sl_fe4_carry_cols(r, h);
}

/* r = a^2, per lane. a ready; r tight. Each cross product once, its
   factor 2 (and 2 again for two odd limbs) on the left, 19 on the right. */
SL_AVX2_INLINE void sl_fe4_sq(sl_fe4_t *r, const sl_fe4_t *a) {
  __m256i d2[10], d4[10], d19[10], h[10];
  SL_UNROLL
  for (int i = 0; i < 10; i++) d2[i] = _mm256_add_epi64(a->v[i], a->v[i]);
  SL_UNROLL
  for (int i = 1; i < 9; i += 2) d4[i] = _mm256_add_epi64(d2[i], d2[i]);
  SL_UNROLL
  for (int j = 5; j < 10; j++) d19[j] = sl_fe4_times19(a->v[j]);
  h[0] = _mm256_mul_epu32(a->v[0], a->v[0]);
  h[1] = _mm256_mul_epu32(d2[0], a->v[1]);
  h[2] = _mm256_mul_epu32(d2[0], a->v[2]);
  h[3] = _mm256_mul_epu32(d2[0], a->v[3]);
  h[4] = _mm256_mul_epu32(d2[0], a->v[4]);
  h[5] = _mm256_mul_epu32(d2[0], a->v[5]);
  h[6] = _mm256_mul_epu32(d2[0], a->v[6]);
  h[7] = _mm256_mul_epu32(d2[0], a->v[7]);
  h[8] = _mm256_mul_epu32(d2[0], a->v[8]);
  h[9] = _mm256_mul_epu32(d2[0], a->v[9]);
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(d2[1], a->v[1]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(d2[1], a->v[2]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(d4[1], a->v[3]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(d2[1], a->v[4]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(d4[1], a->v[5]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(d2[1], a->v[6]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(d4[1], a->v[7]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(d2[1], a->v[8]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(d4[1], d19[9]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(a->v[2], a->v[2]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(d2[2], a->v[3]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(d2[2], a->v[4]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(d2[2], a->v[5]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(d2[2], a->v[6]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(d2[2], a->v[7]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(d2[2], d19[8]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(d2[2], d19[9]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(d2[3], a->v[3]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(d2[3], a->v[4]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(d4[3], a->v[5]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(d2[3], a->v[6]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(d4[3], d19[7]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(d2[3], d19[8]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(d4[3], d19[9]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(a->v[4], a->v[4]));
  h[9] = _mm256_add_epi64(h[9], _mm256_mul_epu32(d2[4], a->v[5]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(d2[4], d19[6]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(d2[4], d19[7]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(d2[4], d19[8]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(d2[4], d19[9]));
  h[0] = _mm256_add_epi64(h[0], _mm256_mul_epu32(d2[5], d19[5]));
  h[1] = _mm256_add_epi64(h[1], _mm256_mul_epu32(d2[5], d19[6]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(d4[5], d19[7]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(d2[5], d19[8]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(d4[5], d19[9]));
  h[2] = _mm256_add_epi64(h[2], _mm256_mul_epu32(a->v[6], d19[6]));
  h[3] = _mm256_add_epi64(h[3], _mm256_mul_epu32(d2[6], d19[7]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(d2[6], d19[8]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(d2[6], d19[9]));
  h[4] = _mm256_add_epi64(h[4], _mm256_mul_epu32(d2[7], d19[7]));
  h[5] = _mm256_add_epi64(h[5], _mm256_mul_epu32(d2[7], d19[8]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(d4[7], d19[9]));
  h[6] = _mm256_add_epi64(h[6], _mm256_mul_epu32(a->v[8], d19[8]));
  h[7] = _mm256_add_epi64(h[7], _mm256_mul_epu32(d2[8], d19[9]));
  h[8] = _mm256_add_epi64(h[8], _mm256_mul_epu32(d2[9], d19[9]));
  sl_fe4_carry_cols(r, h);
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
