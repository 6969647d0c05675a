#include "tiles/verify/ed25519/sc.h"

#include <string.h>

typedef unsigned __int128 u128;

/* L in 64-bit limbs, and mu = floor(2^512 / L) for Barrett reduction. */
static const uint64_t L64[4] = {0x5812631a5cf5d3ed, 0x14def9dea2f79cd6, 0, 0x1000000000000000};
static const uint64_t MU[5] = {0xed9ce5a30a2c131b, 0x2106215d086329a7, 0xffffffffffffffeb,
                               0xffffffffffffffff, 0xf};

int sl_sc_is_canonical(const uint8_t s[32]) {
  static const uint8_t L8[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                 0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  for (int i = 31; i >= 0; i--)
    if (s[i] != L8[i]) return s[i] < L8[i];
  return 0; /* s == L */
}

/* r[0..na+nb) = a * b. */
static void mul_limbs(uint64_t *r, const uint64_t *a, int na, const uint64_t *b, int nb) {
  memset(r, 0, sizeof *r * (size_t)(na + nb));
  for (int i = 0; i < na; i++) {
    uint64_t carry = 0;
    for (int j = 0; j < nb; j++) {
      u128 t = (u128)a[i] * b[j] + r[i + j] + carry;
      r[i + j] = (uint64_t)t;
      carry = (uint64_t)(t >> 64);
    }
    r[i + nb] = carry;
  }
}

/* a -= b over n limbs (mod 2^(64n)); returns the borrow. */
static uint64_t sub_limbs(uint64_t *a, const uint64_t *b, int n) {
  uint64_t borrow = 0;
  for (int i = 0; i < n; i++) {
    u128 t = (u128)a[i] - b[i] - borrow;
    a[i] = (uint64_t)t;
    borrow = (uint64_t)(t >> 64) & 1;
  }
  return borrow;
}

void sl_sc_reduce(uint8_t out[32], const uint8_t in[64]) {
  /* Barrett (HAC 14.42) with base 2^64, k = 4: q = floor(floor(x / 2^192)
     mu / 2^320) is floor(x / L) or up to two less, so r = x - qL taken
     mod 2^320 lies in [0, 3L) and at most two subtractions finish it. */
  uint64_t x[8], q2[10], ql[9], r[5];
  memcpy(x, in, 64);
  mul_limbs(q2, x + 3, 5, MU, 5);
  mul_limbs(ql, q2 + 5, 5, L64, 4);
  memcpy(r, x, sizeof r);
  sub_limbs(r, ql, 5);
  const uint64_t l5[5] = {L64[0], L64[1], L64[2], L64[3], 0};
  for (int k = 0; k < 2; k++) {
    uint64_t t[5];
    memcpy(t, r, sizeof t);
    if (!sub_limbs(t, l5, 5)) memcpy(r, t, sizeof r); /* r >= L */
  }
  memcpy(out, r, 32); /* r < L < 2^253: limb 4 is 0 */
}

unsigned sl_sc_recode(int8_t *e, const uint8_t a[32], unsigned w) {
  uint64_t limb[5] = {0};
  memcpy(limb, a, 32);
  unsigned n = (256 + w - 1) / w;
  int carry = 0;
  for (unsigned i = 0; i < n; i++) {
    unsigned bit = i * w, off = bit % 64;
    uint64_t v = limb[bit / 64] >> off;
    if (off + w > 64) v |= limb[bit / 64 + 1] << (64 - off);
    int d = (int)(v & ((1u << w) - 1)) + carry;
    carry = (d + (1 << (w - 1))) >> w; /* 1 if d >= 2^(w-1): borrow from the next digit */
    e[i] = (int8_t)(d - (carry << w));
  }
  return n; /* a < 2^253 leaves no carry out of the top digit */
}
