#include "tiles/verify/ed25519/fe_avx2.h"

/* r = a^(2^n), n >= 1. */
static SL_AVX2 void sqn4(sl_fe4_t *r, const sl_fe4_t *a, int n) {
  sl_fe4_sq(r, a);
  while (--n > 0) sl_fe4_sq(r, r);
}

/* fe.c's chain, per lane: a^(2^250 - 1) and a^11. */
static SL_AVX2 void pow_2_250_1_4(sl_fe4_t *r250, sl_fe4_t *r11, const sl_fe4_t *a) {
  sl_fe4_t a2, a9, t, e5, e10, e20, e40, e50, e100, e200;
  sl_fe4_sq(&a2, a);
  sqn4(&t, &a2, 2);
  sl_fe4_mul(&a9, &t, a);
  sl_fe4_mul(r11, &a9, &a2);
  sl_fe4_sq(&t, r11);
  sl_fe4_mul(&e5, &t, &a9);
  sqn4(&t, &e5, 5);
  sl_fe4_mul(&e10, &t, &e5);
  sqn4(&t, &e10, 10);
  sl_fe4_mul(&e20, &t, &e10);
  sqn4(&t, &e20, 20);
  sl_fe4_mul(&e40, &t, &e20);
  sqn4(&t, &e40, 10);
  sl_fe4_mul(&e50, &t, &e10);
  sqn4(&t, &e50, 50);
  sl_fe4_mul(&e100, &t, &e50);
  sqn4(&t, &e100, 100);
  sl_fe4_mul(&e200, &t, &e100);
  sqn4(&t, &e200, 50);
  sl_fe4_mul(r250, &t, &e50);
}

SL_AVX2 void sl_fe4_invert(sl_fe4_t *r, const sl_fe4_t *a) {
  sl_fe4_t e250, a11, t;
  pow_2_250_1_4(&e250, &a11, a);
  sqn4(&t, &e250, 5);
  sl_fe4_mul(r, &t, &a11);
}

SL_AVX2 void sl_fe4_pow22523(sl_fe4_t *r, const sl_fe4_t *a) {
  sl_fe4_t e250, a11, t;
  pow_2_250_1_4(&e250, &a11, a);
  sqn4(&t, &e250, 2);
  sl_fe4_mul(r, &t, a);
}

SL_AVX2 void sl_fe4_tofe(sl_fe_t out[4], const sl_fe4_t *a) {
  uint64_t l[10][4];
  SL_UNROLL
  for (int i = 0; i < 10; i++) _mm256_storeu_si256((__m256i *)l[i], a->v[i]);
  SL_UNROLL
  for (int k = 0; k < 4; k++) {
    SL_UNROLL
    for (int i = 0; i < 5; i++) out[k].v[i] = l[2 * i][k] + (l[2 * i + 1][k] << 26);
    sl_fe_carry(&out[k]);
  }
}

SL_AVX2 int sl_fe4_iszero(const sl_fe4_t *a) {
  sl_fe4_t c = *a;
  sl_fe4_carry(&c);
  sl_fe_t f[4];
  sl_fe4_tofe(f, &c);
  int m = 0;
  SL_UNROLL
  for (int k = 0; k < 4; k++) m |= sl_fe_iszero(&f[k]) << k;
  return m;
}
