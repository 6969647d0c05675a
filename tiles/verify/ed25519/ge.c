#include "tiles/verify/ed25519/ge.h"

#include <pthread.h>
#include <string.h>

sl_ge_niels sl_ge_btab[SL_GE_BTAB_CNT + 1];

/* ---- encodings ------------------------------------------------------------ */

int sl_ge_is_canonical(const uint8_t s[32]) {
  /* y >= p only for 2^255 - 19 .. 2^255 - 1: bytes 1..30 all 0xff, byte 31
     (sign masked) 0x7f, byte 0 >= 0xed. */
  if ((s[31] & 0x7f) != 0x7f || s[0] < 0xed) return 1;
  for (int i = 1; i < 31; i++)
    if (s[i] != 0xff) return 1;
  return 0;
}

int sl_ge_has_small_order(const uint8_t s[32]) {
  /* The y of every point of order dividing 8, as libsodium lists them:
     0 (order 4), 1 (order 1), the two order-8 y, p - 1 (order 2), and the
     non-canonical p (= 0) and p + 1 (= 1). Bytes 0..30 and byte 31. */
  static const uint8_t y_order8[2][32] = {
      {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
       0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
      {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
       0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
  };
  uint8_t y[32];
  memcpy(y, s, 32);
  y[31] &= 0x7f;
  for (int k = 0; k < 2; k++)
    if (!memcmp(y, y_order8[k], 32)) return 1;
  /* 0, 1: bytes 1..31 zero, byte 0 in {0, 1}. p - 1, p, p + 1: bytes
     1..30 0xff, byte 31 0x7f, byte 0 in {0xec, 0xed, 0xee}. */
  int zeros = 1, ffs = 1;
  for (int i = 1; i < 31; i++) {
    zeros &= y[i] == 0;
    ffs &= y[i] == 0xff;
  }
  if (zeros && y[31] == 0 && y[0] <= 1) return 1;
  if (ffs && y[31] == 0x7f && y[0] >= 0xec && y[0] <= 0xee) return 1;
  return 0;
}

int sl_ge_frombytes(sl_ge_p3 *r, const uint8_t s[32]) {
  sl_fe_t one, u, v, v3, t, vxx, chk;
  sl_fe_set(&one, 1);
  sl_fe_frombytes(&r->Y, s);
  sl_fe_sq(&u, &r->Y);
  sl_fe_mul(&v, &u, &sl_fe_d);
  sl_fe_sub(&u, &u, &one); /* u = y^2 - 1 */
  sl_fe_add(&v, &v, &one); /* v = d y^2 + 1 */
  sl_fe_sq(&v3, &v);
  sl_fe_mul(&v3, &v3, &v); /* v^3 */
  sl_fe_sq(&t, &v3);
  sl_fe_mul(&t, &t, &v);
  sl_fe_mul(&t, &t, &u); /* u v^7 */
  sl_fe_pow22523(&t, &t);
  sl_fe_mul(&t, &t, &v3);
  sl_fe_mul(&r->X, &t, &u); /* x = u v^3 (u v^7)^((p-5)/8) */
  sl_fe_sq(&vxx, &r->X);
  sl_fe_mul(&vxx, &vxx, &v);
  sl_fe_sub(&chk, &vxx, &u);
  if (!sl_fe_iszero(&chk)) { /* v x^2 = -u: x times sqrt(-1) is the root */
    sl_fe_add(&chk, &vxx, &u);
    if (!sl_fe_iszero(&chk)) return -1; /* u / v is not a square */
    sl_fe_mul(&r->X, &r->X, &sl_fe_sqrtm1);
  }
  if (sl_fe_isneg(&r->X) != (s[31] >> 7)) sl_fe_neg(&r->X, &r->X);
  sl_fe_set(&r->Z, 1);
  sl_fe_mul(&r->T, &r->X, &r->Y);
  return 0;
}

void sl_ge_tobytes(uint8_t s[32], const sl_ge_p2 *p) {
  sl_fe_t zi, x, y;
  sl_fe_invert(&zi, &p->Z);
  sl_fe_mul(&x, &p->X, &zi);
  sl_fe_mul(&y, &p->Y, &zi);
  sl_fe_tobytes(s, &y);
  s[31] ^= (uint8_t)(sl_fe_isneg(&x) << 7);
}

/* ---- conversions ---------------------------------------------------------- */

void sl_ge_p3_0(sl_ge_p3 *r) {
  sl_fe_set(&r->X, 0);
  sl_fe_set(&r->Y, 1);
  sl_fe_set(&r->Z, 1);
  sl_fe_set(&r->T, 0);
}

void sl_ge_p3_neg(sl_ge_p3 *r, const sl_ge_p3 *p) {
  sl_fe_neg(&r->X, &p->X);
  r->Y = p->Y;
  r->Z = p->Z;
  sl_fe_neg(&r->T, &p->T);
}

void sl_ge_p3_to_p2(sl_ge_p2 *r, const sl_ge_p3 *p) {
  r->X = p->X;
  r->Y = p->Y;
  r->Z = p->Z;
}

void sl_ge_p3_to_cached(sl_ge_cached *r, const sl_ge_p3 *p) {
  sl_fe_add(&r->YpX, &p->Y, &p->X);
  sl_fe_carry(&r->YpX);
  sl_fe_sub(&r->YmX, &p->Y, &p->X);
  r->Z = p->Z;
  sl_fe_mul(&r->T2d, &p->T, &sl_fe_d2);
}

void sl_ge_p1p1_to_p2(sl_ge_p2 *r, const sl_ge_p1p1 *p) {
  sl_fe_mul(&r->X, &p->X, &p->T);
  sl_fe_mul(&r->Y, &p->Y, &p->Z);
  sl_fe_mul(&r->Z, &p->Z, &p->T);
}

void sl_ge_p1p1_to_p3(sl_ge_p3 *r, const sl_ge_p1p1 *p) {
  sl_fe_mul(&r->X, &p->X, &p->T);
  sl_fe_mul(&r->Y, &p->Y, &p->Z);
  sl_fe_mul(&r->Z, &p->Z, &p->T);
  sl_fe_mul(&r->T, &p->X, &p->Y);
}

/* ---- doubling and addition ------------------------------------------------ */

void sl_ge_dbl(sl_ge_p1p1 *r, const sl_ge_p2 *p) {
  /* dbl-2008-hwcd with a = -1: A = X^2, B = Y^2, C = 2Z^2, E = (X+Y)^2 - A
     - B, G = B - A, F = G - C, H = -A - B; x = E/G, y = H/F, kept here as
     y = (A + B) / (C - G). */
  sl_fe_t a, b, c, t;
  sl_fe_sq(&a, &p->X);
  sl_fe_sq(&b, &p->Y);
  sl_fe_sq(&c, &p->Z);
  sl_fe_add(&c, &c, &c);
  sl_fe_add(&t, &p->X, &p->Y);
  sl_fe_sq(&t, &t);
  sl_fe_add(&r->Y, &a, &b);
  sl_fe_sub(&r->Z, &b, &a);
  sl_fe_sub(&r->X, &t, &r->Y);
  sl_fe_sub(&r->T, &c, &r->Z);
}

/* The common tail of add and sub: from A = (Y1-X1)(..), B = (Y1+X1)(..),
   C = T1 (..), D = 2 Z1 Z2 (add-2008-hwcd-3): x = (B - A) / (D + C),
   y = (B + A) / (D - C); sub passes -C. */
static void add_tail(sl_ge_p1p1 *r, const sl_fe_t *a, const sl_fe_t *b, const sl_fe_t *c,
                     const sl_fe_t *d, int neg_c) {
  sl_fe_sub(&r->X, b, a);
  sl_fe_add(&r->Y, b, a);
  if (neg_c) {
    sl_fe_sub(&r->Z, d, c);
    sl_fe_add(&r->T, d, c);
  } else {
    sl_fe_add(&r->Z, d, c);
    sl_fe_sub(&r->T, d, c);
  }
}

static void add_cached(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_fe_t *with_ymx,
                       const sl_fe_t *with_ypx, const sl_ge_cached *q, int neg) {
  sl_fe_t a, b, c, d, t;
  sl_fe_sub(&t, &p->Y, &p->X);
  sl_fe_mul(&a, &t, with_ymx);
  sl_fe_add(&t, &p->Y, &p->X);
  sl_fe_mul(&b, &t, with_ypx);
  sl_fe_mul(&c, &p->T, &q->T2d);
  sl_fe_mul(&d, &p->Z, &q->Z);
  sl_fe_add(&d, &d, &d);
  add_tail(r, &a, &b, &c, &d, neg);
}

void sl_ge_add(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_ge_cached *q) {
  add_cached(r, p, &q->YmX, &q->YpX, q, 0);
}

void sl_ge_sub(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_ge_cached *q) {
  add_cached(r, p, &q->YpX, &q->YmX, q, 1);
}

static void add_niels(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_fe_t *with_ymx,
                      const sl_fe_t *with_ypx, const sl_ge_niels *q, int neg) {
  sl_fe_t a, b, c, d, t;
  sl_fe_sub(&t, &p->Y, &p->X);
  sl_fe_mul(&a, &t, with_ymx);
  sl_fe_add(&t, &p->Y, &p->X);
  sl_fe_mul(&b, &t, with_ypx);
  sl_fe_mul(&c, &p->T, &q->xy2d);
  sl_fe_add(&d, &p->Z, &p->Z);
  add_tail(r, &a, &b, &c, &d, neg);
}

void sl_ge_madd(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_ge_niels *q) {
  add_niels(r, p, &q->ymx, &q->ypx, q, 0);
}

void sl_ge_msub(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_ge_niels *q) {
  add_niels(r, p, &q->ypx, &q->ymx, q, 1);
}

/* ---- the base point's table ------------------------------------------------ */

static void btab_fill(void) {
  /* B = (x, 4/5) with x even: y = 0x6666...6658. */
  uint8_t enc[32];
  memset(enc, 0x66, 32);
  enc[0] = 0x58;
  sl_ge_p3 b, acc;
  sl_ge_cached bc;
  sl_ge_frombytes(&b, enc);
  sl_ge_p3_to_cached(&bc, &b);
  acc = b;
  sl_fe_set(&sl_ge_btab[0].ypx, 1);
  sl_fe_set(&sl_ge_btab[0].ymx, 1);
  sl_fe_set(&sl_ge_btab[0].xy2d, 0);
  for (uint32_t j = 1; j <= SL_GE_BTAB_CNT; j++) {
    if (j > 1) {
      sl_ge_p1p1 s;
      sl_ge_add(&s, &acc, &bc);
      sl_ge_p1p1_to_p3(&acc, &s);
    }
    sl_fe_t zi, x, y;
    sl_fe_invert(&zi, &acc.Z);
    sl_fe_mul(&x, &acc.X, &zi);
    sl_fe_mul(&y, &acc.Y, &zi);
    sl_ge_niels *n = &sl_ge_btab[j];
    sl_fe_add(&n->ypx, &y, &x);
    sl_fe_carry(&n->ypx);
    sl_fe_sub(&n->ymx, &y, &x);
    sl_fe_mul(&n->xy2d, &x, &y);
    sl_fe_mul(&n->xy2d, &n->xy2d, &sl_fe_d2);
  }
}

void sl_ge_init(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, btab_fill);
}
