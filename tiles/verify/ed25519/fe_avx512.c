#include "tiles/verify/ed25519/fe_avx512.h"

/* r = a^(2^n), n >= 1. */
static SL_AVX512 void sqn8(sl_fe8_t *r, const sl_fe8_t *a, int n) {
  sl_fe8_sq(r, a);
  while (--n > 0) sl_fe8_sq(r, r);
}

/* fe.c's chain, per lane: a^(2^250 - 1) and a^11. */
static SL_AVX512 void pow_2_250_1_8(sl_fe8_t *r250, sl_fe8_t *r11, const sl_fe8_t *a) {
  sl_fe8_t a2, a9, t, e5, e10, e20, e40, e50, e100, e200;
  sl_fe8_sq(&a2, a);
  sqn8(&t, &a2, 2);
  sl_fe8_mul(&a9, &t, a);
  sl_fe8_mul(r11, &a9, &a2);
  sl_fe8_sq(&t, r11);
  sl_fe8_mul(&e5, &t, &a9);
  sqn8(&t, &e5, 5);
  sl_fe8_mul(&e10, &t, &e5);
  sqn8(&t, &e10, 10);
  sl_fe8_mul(&e20, &t, &e10);
  sqn8(&t, &e20, 20);
  sl_fe8_mul(&e40, &t, &e20);
  sqn8(&t, &e40, 10);
  sl_fe8_mul(&e50, &t, &e10);
  sqn8(&t, &e50, 50);
  sl_fe8_mul(&e100, &t, &e50);
  sqn8(&t, &e100, 100);
  sl_fe8_mul(&e200, &t, &e100);
  sqn8(&t, &e200, 50);
  sl_fe8_mul(r250, &t, &e50);
}

SL_AVX512 void sl_fe8_invert(sl_fe8_t *r, const sl_fe8_t *a) {
  sl_fe8_t e250, a11, t;
  pow_2_250_1_8(&e250, &a11, a);
  sqn8(&t, &e250, 5);
  sl_fe8_mul(r, &t, &a11);
}

SL_AVX512 void sl_fe8_pow22523(sl_fe8_t *r, const sl_fe8_t *a) {
  sl_fe8_t e250, a11, t;
  pow_2_250_1_8(&e250, &a11, a);
  sqn8(&t, &e250, 2);
  sl_fe8_mul(r, &t, a);
}

SL_AVX512 void sl_fe8_canon(sl_fe8_t *r, const sl_fe8_t *a) {
  /* sl_fe_tobytes in lanes: an exact carry chain (limbs < 2^51 but for a
     carry into limb 1), q = 1 where a + 19 reaches 2^255, then a + 19q
     carried with bit 255 dropped. */
  const __m512i m = sl_fe8_mask51();
  __m512i v[5];
  SL_UNROLL
  for (int i = 0; i < 5; i++) v[i] = a->v[i];
  SL_UNROLL
  for (int i = 0; i < 4; i++) {
    v[i + 1] = _mm512_add_epi64(v[i + 1], _mm512_srli_epi64(v[i], 51));
    v[i] = _mm512_and_si512(v[i], m);
  }
  v[0] = _mm512_add_epi64(v[0], sl_fe8_times19(_mm512_srli_epi64(v[4], 51)));
  v[4] = _mm512_and_si512(v[4], m);
  v[1] = _mm512_add_epi64(v[1], _mm512_srli_epi64(v[0], 51));
  v[0] = _mm512_and_si512(v[0], m);
  __m512i q = _mm512_srli_epi64(_mm512_add_epi64(v[0], _mm512_set1_epi64(19)), 51);
  SL_UNROLL
  for (int i = 1; i < 5; i++) q = _mm512_srli_epi64(_mm512_add_epi64(v[i], q), 51);
  v[0] = _mm512_add_epi64(v[0], sl_fe8_times19(q));
  SL_UNROLL
  for (int i = 0; i < 4; i++) {
    v[i + 1] = _mm512_add_epi64(v[i + 1], _mm512_srli_epi64(v[i], 51));
    v[i] = _mm512_and_si512(v[i], m);
  }
  v[4] = _mm512_and_si512(v[4], m);
  SL_UNROLL
  for (int i = 0; i < 5; i++) r->v[i] = v[i];
}

SL_AVX512 __mmask8 sl_fe8_iszero(const sl_fe8_t *a) {
  sl_fe8_t c;
  sl_fe8_canon(&c, a);
  __m512i any = _mm512_or_si512(_mm512_or_si512(c.v[0], c.v[1]),
                                _mm512_or_si512(_mm512_or_si512(c.v[2], c.v[3]), c.v[4]));
  return _mm512_cmpeq_epi64_mask(any, _mm512_setzero_si512());
}
