#include "tiles/verify/ed25519/fe.h"

#include <string.h>

const sl_fe_t sl_fe_d = {{0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029, 0x739c663a03cbb,
                          0x52036cee2b6ff}};
const sl_fe_t sl_fe_d2 = {{0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977,
                           0x2406d9dc56dff}};
const sl_fe_t sl_fe_sqrtm1 = {{0x61b274a0ea0b0, 0xd5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e,
                               0x2b8324804fc1d}};

static uint64_t load64(const uint8_t *s) {
  uint64_t v;
  memcpy(&v, s, 8);
  return v; /* little-endian host (x86-64) */
}

void sl_fe_frombytes(sl_fe_t *r, const uint8_t s[32]) {
  /* Limb i starts at bit 51i: bytes 0, 6 (+3), 12 (+6), 19 (+1), 24 (+12). */
  r->v[0] = load64(s) & SL_FE_MASK;
  r->v[1] = (load64(s + 6) >> 3) & SL_FE_MASK;
  r->v[2] = (load64(s + 12) >> 6) & SL_FE_MASK;
  r->v[3] = (load64(s + 19) >> 1) & SL_FE_MASK;
  r->v[4] = (load64(s + 24) >> 12) & SL_FE_MASK;
}

void sl_fe_tobytes(uint8_t s[32], const sl_fe_t *a) {
  sl_fe_t t = *a;
  sl_fe_carry(&t); /* now t < 2^255 + 2^18 < 2p */
  /* q = 1 iff t >= p, i.e. iff t + 19 carries out of bit 255. */
  uint64_t q = (t.v[0] + 19) >> 51;
  for (int i = 1; i < 5; i++) q = (t.v[i] + q) >> 51;
  t.v[0] += 19 * q; /* t - q p = t + 19q - q 2^255: the 2^255 drops out below */
  for (int i = 0; i < 4; i++) {
    t.v[i + 1] += t.v[i] >> 51;
    t.v[i] &= SL_FE_MASK;
  }
  t.v[4] &= SL_FE_MASK;
  uint64_t w[4] = {t.v[0] | t.v[1] << 51, t.v[1] >> 13 | t.v[2] << 38, t.v[2] >> 26 | t.v[3] << 25,
                   t.v[3] >> 39 | t.v[4] << 12};
  memcpy(s, w, 32);
}

/* r = a^(2^n) for n >= 1. */
static void sqn(sl_fe_t *r, const sl_fe_t *a, int n) {
  sl_fe_sq(r, a);
  while (--n > 0) sl_fe_sq(r, r);
}

/* The addition chain shared by invert and pow22523: returns a^(2^250 - 1)
   in *r250 and a^11 in *r11 (a^(2^k - 1) is built by doubling k). */
static void pow_2_250_1(sl_fe_t *r250, sl_fe_t *r11, const sl_fe_t *a) {
  sl_fe_t a2, a9, t, e5, e10, e20, e40, e50, e100, e200;
  sl_fe_sq(&a2, a);        /* a^2 */
  sqn(&t, &a2, 2);         /* a^8 */
  sl_fe_mul(&a9, &t, a);   /* a^9 */
  sl_fe_mul(r11, &a9, &a2); /* a^11 */
  sl_fe_sq(&t, r11);       /* a^22 */
  sl_fe_mul(&e5, &t, &a9); /* a^(2^5 - 1) */
  sqn(&t, &e5, 5);
  sl_fe_mul(&e10, &t, &e5); /* a^(2^10 - 1) */
  sqn(&t, &e10, 10);
  sl_fe_mul(&e20, &t, &e10);
  sqn(&t, &e20, 20);
  sl_fe_mul(&e40, &t, &e20);
  sqn(&t, &e40, 10);
  sl_fe_mul(&e50, &t, &e10);
  sqn(&t, &e50, 50);
  sl_fe_mul(&e100, &t, &e50);
  sqn(&t, &e100, 100);
  sl_fe_mul(&e200, &t, &e100);
  sqn(&t, &e200, 50);
  sl_fe_mul(r250, &t, &e50); /* a^(2^250 - 1) */
}

void sl_fe_invert(sl_fe_t *r, const sl_fe_t *a) {
  sl_fe_t e250, a11, t;
  pow_2_250_1(&e250, &a11, a);
  sqn(&t, &e250, 5);     /* a^(2^255 - 32) */
  sl_fe_mul(r, &t, &a11); /* a^(2^255 - 21) = a^(p - 2) */
}

void sl_fe_pow22523(sl_fe_t *r, const sl_fe_t *a) {
  sl_fe_t e250, a11, t;
  pow_2_250_1(&e250, &a11, a);
  sqn(&t, &e250, 2);   /* a^(2^252 - 4) */
  sl_fe_mul(r, &t, a); /* a^(2^252 - 3) = a^((p - 5) / 8) */
}

int sl_fe_iszero(const sl_fe_t *a) {
  uint8_t s[32];
  sl_fe_tobytes(s, a);
  uint8_t acc = 0;
  for (int i = 0; i < 32; i++) acc |= s[i];
  return acc == 0;
}

int sl_fe_isneg(const sl_fe_t *a) {
  uint8_t s[32];
  sl_fe_tobytes(s, a);
  return s[0] & 1;
}
