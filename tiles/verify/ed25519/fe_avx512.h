/* tiles/verify/ed25519/fe_avx512.h: GF(2^255 - 19) in the eight 64-bit
   lanes of an AVX-512 register, one independent element per lane: the
   radix 2^51 of fe.h, multiplied with AVX-512 IFMA (vpmadd52luq/huq, the
   low and high 52 bits of a 52 x 52-bit product added to a lane).

   IFMA reads only the low 52 bits of each factor, so every limb that goes
   into sl_fe8_mul or sl_fe8_sq must be below 2^52 ("ready"). The bounds:
     "tight"  every limb < 2^51 + 2^18: what mul, sq and carry return;
     "ready"  every limb < 2^52: tight elements, and sl_fe8_neg's 2p - a.
   add and sub return plain limb sums that must be carried (sl_fe8_carry,
   or the addc/subc forms) before they are multiplied. sub's subtrahend may
   be any tight or negated element (its limbs stay at or below 2p's). A
   product's high half weighs 2^52 = 2 * 2^51, so it is doubled into the
   next column; columns 5..9 fold into 0..4 times 19 (2^255 = 19 mod p).

   Compiled for AVX-512F + IFMA by target attribute, never by file flags:
   only sl_ed25519's dispatch, after CPUID and XGETBV, may call into it. */
#ifndef SL_TILES_VERIFY_ED25519_FE_AVX512_H
#define SL_TILES_VERIFY_ED25519_FE_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "tiles/verify/ed25519/fe.h"

#define SL_AVX512 __attribute__((target("avx512f,avx512ifma")))
#define SL_AVX512_INLINE static inline __attribute__((always_inline, target("avx512f,avx512ifma")))
/* Loops over limbs and columns run fully unrolled, so the limbs stay in
   registers (GCC's -O2 keeps such loops, and their arrays on the stack). */
#define SL_UNROLL _Pragma("GCC unroll 20")

typedef struct {
  __m512i v[5];
} sl_fe8_t;

/* 2^51 - 1 in every lane. */
SL_AVX512_INLINE __m512i sl_fe8_mask51(void) {
  return _mm512_set1_epi64((long long)SL_FE_MASK);
}

/* r = a broadcast to every lane (a tight). */
SL_AVX512_INLINE void sl_fe8_bcast(sl_fe8_t *r, const sl_fe_t *a) {
  SL_UNROLL
  for (int i = 0; i < 5; i++) r->v[i] = _mm512_set1_epi64((long long)a->v[i]);
}

/* 19x for x < 2^59, as x + 2x + 16x (no 64-bit multiply: vpmullq is slow
   on some AVX-512 cores). */
SL_AVX512_INLINE __m512i sl_fe8_times19(__m512i x) {
  return _mm512_add_epi64(_mm512_add_epi64(x, _mm512_slli_epi64(x, 1)), _mm512_slli_epi64(x, 4));
}

/* sl_fe8_carry: limbs below 2^63 in, tight out (same value): one carry
   step on every limb at once, the top carry folded into limb 0 times 19. */
SL_AVX512_INLINE void sl_fe8_carry(sl_fe8_t *r) {
  const __m512i m = sl_fe8_mask51();
  __m512i c0 = _mm512_srli_epi64(r->v[0], 51), c1 = _mm512_srli_epi64(r->v[1], 51);
  __m512i c2 = _mm512_srli_epi64(r->v[2], 51), c3 = _mm512_srli_epi64(r->v[3], 51);
  __m512i c4 = _mm512_srli_epi64(r->v[4], 51);
  r->v[0] = _mm512_add_epi64(_mm512_and_si512(r->v[0], m), sl_fe8_times19(c4));
  r->v[1] = _mm512_add_epi64(_mm512_and_si512(r->v[1], m), c0);
  r->v[2] = _mm512_add_epi64(_mm512_and_si512(r->v[2], m), c1);
  r->v[3] = _mm512_add_epi64(_mm512_and_si512(r->v[3], m), c2);
  r->v[4] = _mm512_add_epi64(_mm512_and_si512(r->v[4], m), c3);
}

/* r = a + b, limb sums (not a multiplication input until carried). */
SL_AVX512_INLINE void sl_fe8_add(sl_fe8_t *r, const sl_fe8_t *a, const sl_fe8_t *b) {
  SL_UNROLL
  for (int i = 0; i < 5; i++) r->v[i] = _mm512_add_epi64(a->v[i], b->v[i]);
}

/* r = a + kp - b for b with limbs below the bias: k = 2 (limbs 2^52 - 38,
   2^52 - 2) takes a tight b, k = 4 a sum of two tight elements. */
SL_AVX512_INLINE void sl_fe8_sub_bias(sl_fe8_t *r, const sl_fe8_t *a, const sl_fe8_t *b, int k) {
  const __m512i b0 = _mm512_set1_epi64((long long)(k * ((1ull << 51) - 19)));
  const __m512i bi = _mm512_set1_epi64((long long)(k * ((1ull << 51) - 1)));
  r->v[0] = _mm512_sub_epi64(_mm512_add_epi64(a->v[0], b0), b->v[0]);
  SL_UNROLL
  for (int i = 1; i < 5; i++) r->v[i] = _mm512_sub_epi64(_mm512_add_epi64(a->v[i], bi), b->v[i]);
}

/* r = a - b, b tight or negated (plain limbs, below a + 2^52). */
SL_AVX512_INLINE void sl_fe8_sub(sl_fe8_t *r, const sl_fe8_t *a, const sl_fe8_t *b) {
  sl_fe8_sub_bias(r, a, b, 2);
}

/* The multiplication inputs made from a sum or difference: tight out. */
SL_AVX512_INLINE void sl_fe8_addc(sl_fe8_t *r, const sl_fe8_t *a, const sl_fe8_t *b) {
  sl_fe8_add(r, a, b);
  sl_fe8_carry(r);
}

SL_AVX512_INLINE void sl_fe8_subc(sl_fe8_t *r, const sl_fe8_t *a, const sl_fe8_t *b) {
  sl_fe8_sub(r, a, b);
  sl_fe8_carry(r);
}

/* r = -a for tight a: 2p - a, every limb in [0, 2^52): ready as it
   stands, and a valid subtrahend (no limb above 2p's). */
SL_AVX512_INLINE void sl_fe8_neg(sl_fe8_t *r, const sl_fe8_t *a) {
  const sl_fe8_t zero = {{_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                          _mm512_setzero_si512(), _mm512_setzero_si512()}};
  sl_fe8_sub(r, &zero, a);
}

/* Columns to a tight element: lo[k] (k = 0..8) holds the low halves of
   the products of column k, hi[k] their high halves (weight 2^(51(k+1)+1)).
   With ready factors each column is below 15 * 2^52 and each folded limb
   below 2^61. */
SL_AVX512_INLINE void sl_fe8_fold(sl_fe8_t *r, const __m512i lo[9], const __m512i hi[9]) {
  __m512i t[10];
  t[0] = lo[0];
  SL_UNROLL
  for (int k = 1; k < 9; k++) t[k] = _mm512_add_epi64(lo[k], _mm512_add_epi64(hi[k - 1], hi[k - 1]));
  t[9] = _mm512_add_epi64(hi[8], hi[8]);
  SL_UNROLL
  for (int k = 0; k < 5; k++) r->v[k] = _mm512_add_epi64(t[k], sl_fe8_times19(t[k + 5]));
  sl_fe8_carry(r);
}

/* r = a b, per lane. a, b ready; r tight. */
SL_AVX512_INLINE void sl_fe8_mul(sl_fe8_t *r, const sl_fe8_t *a, const sl_fe8_t *b) {
  __m512i lo[9], hi[9];
  SL_UNROLL
  for (int k = 0; k < 9; k++) lo[k] = hi[k] = _mm512_setzero_si512();
  lo[0] = _mm512_madd52lo_epu64(lo[0], a->v[0], b->v[0]);
  hi[0] = _mm512_madd52hi_epu64(hi[0], a->v[0], b->v[0]);
  lo[1] = _mm512_madd52lo_epu64(lo[1], a->v[0], b->v[1]);
  hi[1] = _mm512_madd52hi_epu64(hi[1], a->v[0], b->v[1]);
  lo[2] = _mm512_madd52lo_epu64(lo[2], a->v[0], b->v[2]);
  hi[2] = _mm512_madd52hi_epu64(hi[2], a->v[0], b->v[2]);
  lo[3] = _mm512_madd52lo_epu64(lo[3], a->v[0], b->v[3]);
  hi[3] = _mm512_madd52hi_epu64(hi[3], a->v[0], b->v[3]);
  lo[4] = _mm512_madd52lo_epu64(lo[4], a->v[0], b->v[4]);
  hi[4] = _mm512_madd52hi_epu64(hi[4], a->v[0], b->v[4]);
  lo[1] = _mm512_madd52lo_epu64(lo[1], a->v[1], b->v[0]);
  hi[1] = _mm512_madd52hi_epu64(hi[1], a->v[1], b->v[0]);
  lo[2] = _mm512_madd52lo_epu64(lo[2], a->v[1], b->v[1]);
  hi[2] = _mm512_madd52hi_epu64(hi[2], a->v[1], b->v[1]);
  lo[3] = _mm512_madd52lo_epu64(lo[3], a->v[1], b->v[2]);
  hi[3] = _mm512_madd52hi_epu64(hi[3], a->v[1], b->v[2]);
  lo[4] = _mm512_madd52lo_epu64(lo[4], a->v[1], b->v[3]);
  hi[4] = _mm512_madd52hi_epu64(hi[4], a->v[1], b->v[3]);
  lo[5] = _mm512_madd52lo_epu64(lo[5], a->v[1], b->v[4]);
  hi[5] = _mm512_madd52hi_epu64(hi[5], a->v[1], b->v[4]);
  lo[2] = _mm512_madd52lo_epu64(lo[2], a->v[2], b->v[0]);
  hi[2] = _mm512_madd52hi_epu64(hi[2], a->v[2], b->v[0]);
  lo[3] = _mm512_madd52lo_epu64(lo[3], a->v[2], b->v[1]);
  hi[3] = _mm512_madd52hi_epu64(hi[3], a->v[2], b->v[1]);
  lo[4] = _mm512_madd52lo_epu64(lo[4], a->v[2], b->v[2]);
  hi[4] = _mm512_madd52hi_epu64(hi[4], a->v[2], b->v[2]);
  lo[5] = _mm512_madd52lo_epu64(lo[5], a->v[2], b->v[3]);
  hi[5] = _mm512_madd52hi_epu64(hi[5], a->v[2], b->v[3]);
  lo[6] = _mm512_madd52lo_epu64(lo[6], a->v[2], b->v[4]);
  hi[6] = _mm512_madd52hi_epu64(hi[6], a->v[2], b->v[4]);
  lo[3] = _mm512_madd52lo_epu64(lo[3], a->v[3], b->v[0]);
  hi[3] = _mm512_madd52hi_epu64(hi[3], a->v[3], b->v[0]);
  lo[4] = _mm512_madd52lo_epu64(lo[4], a->v[3], b->v[1]);
  hi[4] = _mm512_madd52hi_epu64(hi[4], a->v[3], b->v[1]);
  lo[5] = _mm512_madd52lo_epu64(lo[5], a->v[3], b->v[2]);
  hi[5] = _mm512_madd52hi_epu64(hi[5], a->v[3], b->v[2]);
  lo[6] = _mm512_madd52lo_epu64(lo[6], a->v[3], b->v[3]);
  hi[6] = _mm512_madd52hi_epu64(hi[6], a->v[3], b->v[3]);
  lo[7] = _mm512_madd52lo_epu64(lo[7], a->v[3], b->v[4]);
  hi[7] = _mm512_madd52hi_epu64(hi[7], a->v[3], b->v[4]);
  lo[4] = _mm512_madd52lo_epu64(lo[4], a->v[4], b->v[0]);
  hi[4] = _mm512_madd52hi_epu64(hi[4], a->v[4], b->v[0]);
  lo[5] = _mm512_madd52lo_epu64(lo[5], a->v[4], b->v[1]);
  hi[5] = _mm512_madd52hi_epu64(hi[5], a->v[4], b->v[1]);
  lo[6] = _mm512_madd52lo_epu64(lo[6], a->v[4], b->v[2]);
  hi[6] = _mm512_madd52hi_epu64(hi[6], a->v[4], b->v[2]);
  lo[7] = _mm512_madd52lo_epu64(lo[7], a->v[4], b->v[3]);
  hi[7] = _mm512_madd52hi_epu64(hi[7], a->v[4], b->v[3]);
  lo[8] = _mm512_madd52lo_epu64(lo[8], a->v[4], b->v[4]);
  hi[8] = _mm512_madd52hi_epu64(hi[8], a->v[4], b->v[4]);
  sl_fe8_fold(r, lo, hi);
}

/* r = a^2, per lane. a ready; r tight. The ten cross products are taken
   once and their columns doubled before the five squares go in. */
SL_AVX512_INLINE void sl_fe8_sq(sl_fe8_t *r, const sl_fe8_t *a) {
  __m512i lo[9], hi[9];
  SL_UNROLL
  for (int k = 0; k < 9; k++) lo[k] = hi[k] = _mm512_setzero_si512();
  lo[1] = _mm512_madd52lo_epu64(lo[1], a->v[0], a->v[1]);
  hi[1] = _mm512_madd52hi_epu64(hi[1], a->v[0], a->v[1]);
  lo[2] = _mm512_madd52lo_epu64(lo[2], a->v[0], a->v[2]);
  hi[2] = _mm512_madd52hi_epu64(hi[2], a->v[0], a->v[2]);
  lo[3] = _mm512_madd52lo_epu64(lo[3], a->v[0], a->v[3]);
  hi[3] = _mm512_madd52hi_epu64(hi[3], a->v[0], a->v[3]);
  lo[4] = _mm512_madd52lo_epu64(lo[4], a->v[0], a->v[4]);
  hi[4] = _mm512_madd52hi_epu64(hi[4], a->v[0], a->v[4]);
  lo[3] = _mm512_madd52lo_epu64(lo[3], a->v[1], a->v[2]);
  hi[3] = _mm512_madd52hi_epu64(hi[3], a->v[1], a->v[2]);
  lo[4] = _mm512_madd52lo_epu64(lo[4], a->v[1], a->v[3]);
  hi[4] = _mm512_madd52hi_epu64(hi[4], a->v[1], a->v[3]);
  lo[5] = _mm512_madd52lo_epu64(lo[5], a->v[1], a->v[4]);
  hi[5] = _mm512_madd52hi_epu64(hi[5], a->v[1], a->v[4]);
  lo[5] = _mm512_madd52lo_epu64(lo[5], a->v[2], a->v[3]);
  hi[5] = _mm512_madd52hi_epu64(hi[5], a->v[2], a->v[3]);
  lo[6] = _mm512_madd52lo_epu64(lo[6], a->v[2], a->v[4]);
  hi[6] = _mm512_madd52hi_epu64(hi[6], a->v[2], a->v[4]);
  lo[7] = _mm512_madd52lo_epu64(lo[7], a->v[3], a->v[4]);
  hi[7] = _mm512_madd52hi_epu64(hi[7], a->v[3], a->v[4]);
  SL_UNROLL
  for (int k = 1; k < 8; k++) {
    lo[k] = _mm512_add_epi64(lo[k], lo[k]);
    hi[k] = _mm512_add_epi64(hi[k], hi[k]);
  }
  lo[0] = _mm512_madd52lo_epu64(lo[0], a->v[0], a->v[0]);
  hi[0] = _mm512_madd52hi_epu64(hi[0], a->v[0], a->v[0]);
  lo[2] = _mm512_madd52lo_epu64(lo[2], a->v[1], a->v[1]);
  hi[2] = _mm512_madd52hi_epu64(hi[2], a->v[1], a->v[1]);
  lo[4] = _mm512_madd52lo_epu64(lo[4], a->v[2], a->v[2]);
  hi[4] = _mm512_madd52hi_epu64(hi[4], a->v[2], a->v[2]);
  lo[6] = _mm512_madd52lo_epu64(lo[6], a->v[3], a->v[3]);
  hi[6] = _mm512_madd52hi_epu64(hi[6], a->v[3], a->v[3]);
  lo[8] = _mm512_madd52lo_epu64(lo[8], a->v[4], a->v[4]);
  hi[8] = _mm512_madd52hi_epu64(hi[8], a->v[4], a->v[4]);
  sl_fe8_fold(r, lo, hi);
}

/* sl_fe8_invert, sl_fe8_pow22523: per lane, as sl_fe_invert and
   sl_fe_pow22523 (the same addition chain). Tight in, tight out. */
SL_AVX512 void sl_fe8_invert(sl_fe8_t *r, const sl_fe8_t *a);
SL_AVX512 void sl_fe8_pow22523(sl_fe8_t *r, const sl_fe8_t *a);

/* sl_fe8_canon: each lane's representative in [0, p), limbs < 2^51 (the
   limbs of sl_fe_tobytes before packing). Tight in. */
SL_AVX512 void sl_fe8_canon(sl_fe8_t *r, const sl_fe8_t *a);

/* sl_fe8_iszero: bit l set if lane l of a is 0 mod p. Tight in. */
SL_AVX512 __mmask8 sl_fe8_iszero(const sl_fe8_t *a);

/* sl_fe8_load / sl_fe8_store: lane l <-> limbs[i][l] (five rows of eight). */
SL_AVX512_INLINE void sl_fe8_load(sl_fe8_t *r, const uint64_t limbs[5][8]) {
  SL_UNROLL
  for (int i = 0; i < 5; i++) r->v[i] = _mm512_loadu_si512(limbs[i]);
}

SL_AVX512_INLINE void sl_fe8_store(uint64_t limbs[5][8], const sl_fe8_t *a) {
  SL_UNROLL
  for (int i = 0; i < 5; i++) _mm512_storeu_si512(limbs[i], a->v[i]);
}

/* r = m ? b : a, lane by lane. */
SL_AVX512_INLINE void sl_fe8_select(sl_fe8_t *r, __mmask8 m, const sl_fe8_t *a, const sl_fe8_t *b) {
  SL_UNROLL
  for (int i = 0; i < 5; i++) r->v[i] = _mm512_mask_blend_epi64(m, a->v[i], b->v[i]);
}

#endif
