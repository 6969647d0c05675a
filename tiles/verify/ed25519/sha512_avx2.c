#include <immintrin.h>
#include <string.h>

#include "tiles/verify/ed25519/sha512.h"

#define SHA_AVX2 __attribute__((target("avx2")))
#define SHA_UNROLL _Pragma("GCC unroll 16")

/* A zero block for lanes already done (their gathers must read something). */
static const uint8_t idle_block[128] __attribute__((aligned(32)));

static inline SHA_AVX2 __m256i bswap64(__m256i x) {
  const __m256i rev = _mm256_set_epi64x(0x08090a0b0c0d0e0f, 0x0001020304050607, 0x08090a0b0c0d0e0f,
                                        0x0001020304050607);
  return _mm256_shuffle_epi8(x, rev);
}

static inline SHA_AVX2 __m256i ror(__m256i x, int n) {
  return _mm256_or_si256(_mm256_srli_epi64(x, n), _mm256_slli_epi64(x, 64 - n));
}

static inline SHA_AVX2 __m256i xor3(__m256i x, __m256i y, __m256i z) {
  return _mm256_xor_si256(_mm256_xor_si256(x, y), z);
}

/* sha512_avx512.c's rounds with AVX2's operations: rotates as two shifts,
   Ch(e, f, g) = ((f ^ g) & e) ^ g, Maj(a, b, c) = ((a | b) & c) | (a & b). */
SHA_AVX2 void sl_sha512x4(uint8_t out[][64], const sl_sha512_lane_t *lanes, uint32_t n) {
  __m256i h[8];
  SHA_UNROLL
  for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi64x((long long)sl_sha512_iv[i]);
  uint32_t nb = 0;
  for (uint32_t l = 0; l < n; l++) nb = lanes[l].nb > nb ? lanes[l].nb : nb;
  for (uint32_t j = 0; j < nb; j++) {
    long long addr[4], act[4];
    for (uint32_t l = 0; l < 4; l++) {
      const uint8_t *b = idle_block;
      act[l] = 0;
      if (l < n && j < lanes[l].nb) {
        b = sl_sha512_lane_block(&lanes[l], j);
        act[l] = -1;
      }
      addr[l] = (long long)(uintptr_t)b;
    }
    const __m256i base = _mm256_loadu_si256((const __m256i *)addr);
    const __m256i keep = _mm256_loadu_si256((const __m256i *)act);
    __m256i w[16];
    SHA_UNROLL
    for (int i = 0; i < 16; i++)
      w[i] = bswap64(_mm256_i64gather_epi64(NULL, _mm256_add_epi64(base, _mm256_set1_epi64x(8 * i)), 1));
    __m256i a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    SHA_UNROLL
    for (int t = 0; t < 80; t++) {
      __m256i wt;
      if (t < 16) {
        wt = w[t];
      } else {
        __m256i w2 = w[(t - 2) & 15], w15 = w[(t - 15) & 15];
        __m256i s0 = xor3(ror(w15, 1), ror(w15, 8), _mm256_srli_epi64(w15, 7));
        __m256i s1 = xor3(ror(w2, 19), ror(w2, 61), _mm256_srli_epi64(w2, 6));
        wt = _mm256_add_epi64(_mm256_add_epi64(s1, w[(t - 7) & 15]), _mm256_add_epi64(s0, w[t & 15]));
        w[t & 15] = wt;
      }
      __m256i S1 = xor3(ror(e, 14), ror(e, 18), ror(e, 41));
      __m256i S0 = xor3(ror(a, 28), ror(a, 34), ror(a, 39));
      __m256i ch = _mm256_xor_si256(_mm256_and_si256(_mm256_xor_si256(f, g), e), g);
      __m256i maj = _mm256_or_si256(_mm256_and_si256(_mm256_or_si256(a, b), c), _mm256_and_si256(a, b));
      __m256i t1 = _mm256_add_epi64(_mm256_add_epi64(hh, S1), _mm256_add_epi64(ch, wt));
      t1 = _mm256_add_epi64(t1, _mm256_set1_epi64x((long long)sl_sha512_k[t]));
      __m256i t2 = _mm256_add_epi64(S0, maj);
      hh = g;
      g = f;
      f = e;
      e = _mm256_add_epi64(d, t1);
      d = c;
      c = b;
      b = a;
      a = _mm256_add_epi64(t1, t2);
    }
    /* only the lanes that had block j move on */
    __m256i v[8] = {a, b, c, d, e, f, g, hh};
    SHA_UNROLL
    for (int i = 0; i < 8; i++) h[i] = _mm256_add_epi64(h[i], _mm256_and_si256(v[i], keep));
  }
  uint64_t st[8][4];
  SHA_UNROLL
  for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)st[i], bswap64(h[i]));
  for (uint32_t l = 0; l < n; l++)
    for (int i = 0; i < 8; i++) memcpy(out[l] + 8 * i, &st[i][l], 8);
}
