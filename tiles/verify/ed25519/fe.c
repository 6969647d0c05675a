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

const sl_fe_chain_step_t sl_fe_chain[SL_FE_CHAIN_STEPS] = {
    {1, 0, 1, SL_FE_CHAIN_NONE}, /* a^2 */
    {2, 1, 2, 0},                /* a^8 a = a^9 */
    {3, 2, 0, 1},                /* a^9 a^2 = a^11 */
    {4, 3, 1, 2},                /* a^22 a^9 = a^(2^5 - 1) */
    {5, 4, 5, 4},                /* a^(2^10 - 1) */
    {6, 5, 10, 5},               /* a^(2^20 - 1) */
    {7, 6, 20, 6},               /* a^(2^40 - 1) */
    {8, 7, 10, 5},               /* a^(2^50 - 1) */
    {9, 8, 50, 8},               /* a^(2^100 - 1) */
    {10, 9, 100, 9},             /* a^(2^200 - 1) */
    {11, 10, 50, 8},             /* a^(2^250 - 1) */
};

/* t[SL_FE_CHAIN_E250] = a^(2^250 - 1) from t[0] = a (sl_fe_chain). */
static void run_chain(sl_fe_t t[SL_FE_CHAIN_TEMPS]) {
  for (int k = 0; k < SL_FE_CHAIN_STEPS; k++) {
    const sl_fe_chain_step_t *s = &sl_fe_chain[k];
    sl_fe_t v = t[s->x];
    for (int i = 0; i < s->n; i++) sl_fe_sq(&v, &v);
    if (s->y != SL_FE_CHAIN_NONE) sl_fe_mul(&v, &v, &t[s->y]);
    t[s->dst] = v;
  }
}

/* r = t[E250]^(2^n) * t[y]: the two ends of the chain. */
static void chain_end(sl_fe_t *r, sl_fe_t t[SL_FE_CHAIN_TEMPS], int n, int y) {
  sl_fe_t v = t[SL_FE_CHAIN_E250];
  for (int i = 0; i < n; i++) sl_fe_sq(&v, &v);
  sl_fe_mul(r, &v, &t[y]);
}

void sl_fe_invert(sl_fe_t *r, const sl_fe_t *a) {
  sl_fe_t t[SL_FE_CHAIN_TEMPS];
  t[0] = *a;
  run_chain(t);
  chain_end(r, t, 5, SL_FE_CHAIN_A11); /* a^(2^255 - 21) = a^(p - 2) */
}

void sl_fe_pow22523(sl_fe_t *r, const sl_fe_t *a) {
  sl_fe_t t[SL_FE_CHAIN_TEMPS];
  t[0] = *a;
  run_chain(t);
  chain_end(r, t, 2, 0); /* a^(2^252 - 3) = a^((p - 5) / 8) */
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
