#include <immintrin.h>
#include <string.h>

#include "tiles/verify/ed25519/sha512.h"

#define SHA_AVX512 __attribute__((target("avx512f,avx512bw")))
#define SHA_UNROLL _Pragma("GCC unroll 16")

/* A zero block for lanes already done (their gathers must read something). */
static const uint8_t idle_block[128] __attribute__((aligned(64)));

static inline SHA_AVX512 __m512i bswap64(__m512i x) {
  const __m512i rev = _mm512_set_epi64(0x08090a0b0c0d0e0f, 0x0001020304050607, 0x08090a0b0c0d0e0f,
                                       0x0001020304050607, 0x08090a0b0c0d0e0f, 0x0001020304050607,
                                       0x08090a0b0c0d0e0f, 0x0001020304050607);
  return _mm512_shuffle_epi8(x, rev);
}

/* x ^ y ^ z, (x & y) ^ (~x & z), majority: vpternlogq truth tables. */
#define XOR3(x, y, z) _mm512_ternarylogic_epi64(x, y, z, 0x96)
#define CH(x, y, z) _mm512_ternarylogic_epi64(x, y, z, 0xca)
#define MAJ(x, y, z) _mm512_ternarylogic_epi64(x, y, z, 0xe8)

SHA_AVX512 void sl_sha512x8(uint8_t out[][64], const sl_sha512_lane_t *lanes, uint32_t n) {
  __m512i h[8];
  SHA_UNROLL
  for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi64((long long)sl_sha512_iv[i]);
  uint32_t nb = 0;
  for (uint32_t l = 0; l < n; l++) nb = lanes[l].nb > nb ? lanes[l].nb : nb;
  for (uint32_t j = 0; j < nb; j++) {
    long long addr[8];
    __mmask8 act = 0;
    for (uint32_t l = 0; l < 8; l++) {
      const uint8_t *b = idle_block;
      if (l < n && j < lanes[l].nb) {
        b = sl_sha512_lane_block(&lanes[l], j);
        act |= (__mmask8)(1u << l);
      }
      addr[l] = (long long)(uintptr_t)b;
    }
    const __m512i base = _mm512_loadu_si512(addr);
    __m512i w[16];
    SHA_UNROLL
    for (int i = 0; i < 16; i++)
      w[i] = bswap64(_mm512_i64gather_epi64(_mm512_add_epi64(base, _mm512_set1_epi64(8 * i)), NULL, 1));
    __m512i a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    SHA_UNROLL
    for (int t = 0; t < 80; t++) {
      __m512i wt;
      if (t < 16) {
        wt = w[t];
      } else { /* w[t] = s1(w[t-2]) + w[t-7] + s0(w[t-15]) + w[t-16], in a ring of 16 */
        __m512i w2 = w[(t - 2) & 15], w15 = w[(t - 15) & 15];
        __m512i s0 = XOR3(_mm512_ror_epi64(w15, 1), _mm512_ror_epi64(w15, 8), _mm512_srli_epi64(w15, 7));
        __m512i s1 = XOR3(_mm512_ror_epi64(w2, 19), _mm512_ror_epi64(w2, 61), _mm512_srli_epi64(w2, 6));
        wt = _mm512_add_epi64(_mm512_add_epi64(s1, w[(t - 7) & 15]), _mm512_add_epi64(s0, w[t & 15]));
        w[t & 15] = wt;
      }
      __m512i S1 = XOR3(_mm512_ror_epi64(e, 14), _mm512_ror_epi64(e, 18), _mm512_ror_epi64(e, 41));
      __m512i S0 = XOR3(_mm512_ror_epi64(a, 28), _mm512_ror_epi64(a, 34), _mm512_ror_epi64(a, 39));
      __m512i t1 = _mm512_add_epi64(_mm512_add_epi64(hh, S1), _mm512_add_epi64(CH(e, f, g), wt));
      t1 = _mm512_add_epi64(t1, _mm512_set1_epi64((long long)sl_sha512_k[t]));
      __m512i t2 = _mm512_add_epi64(S0, MAJ(a, b, c));
      hh = g;
      g = f;
      f = e;
      e = _mm512_add_epi64(d, t1);
      d = c;
      c = b;
      b = a;
      a = _mm512_add_epi64(t1, t2);
    }
    /* only the lanes that had block j move on */
    h[0] = _mm512_mask_add_epi64(h[0], act, h[0], a);
    h[1] = _mm512_mask_add_epi64(h[1], act, h[1], b);
    h[2] = _mm512_mask_add_epi64(h[2], act, h[2], c);
    h[3] = _mm512_mask_add_epi64(h[3], act, h[3], d);
    h[4] = _mm512_mask_add_epi64(h[4], act, h[4], e);
    h[5] = _mm512_mask_add_epi64(h[5], act, h[5], f);
    h[6] = _mm512_mask_add_epi64(h[6], act, h[6], g);
    h[7] = _mm512_mask_add_epi64(h[7], act, h[7], hh);
  }
  uint64_t st[8][8];
  SHA_UNROLL
  for (int i = 0; i < 8; i++) _mm512_storeu_si512(st[i], bswap64(h[i]));
  for (uint32_t l = 0; l < n; l++)
    for (int i = 0; i < 8; i++) memcpy(out[l] + 8 * i, &st[i][l], 8);
}
