#include "tiles/verify/ed25519/ge_avx2.h"

#include "tiles/verify/ed25519/ge.h"

/* The bounds of fe_avx2.h let most sums and differences go into a product
   uncarried (T = tight, R = ready); the comments say which each one is. */

static SL_AVX2 void fe4_small(sl_fe4_t *r, uint64_t v) {
  sl_fe_t s;
  sl_fe_set(&s, v);
  sl_fe4_bcast(r, &s);
}

SL_AVX2 void sl_ge4_p1p1_0(sl_ge4_p1p1 *r) {
  fe4_small(&r->X, 0);
  fe4_small(&r->Y, 1);
  fe4_small(&r->Z, 1);
  fe4_small(&r->T, 1);
}

SL_AVX2 void sl_ge4_cached_0(sl_ge4_cached *r) {
  fe4_small(&r->YpX, 1);
  fe4_small(&r->YmX, 1);
  fe4_small(&r->Z, 1);
  fe4_small(&r->T2d, 0);
}

SL_AVX2 void sl_ge4_p1p1_to_p2(sl_ge4_p2 *r, const sl_ge4_p1p1 *p) {
  sl_fe4_mul(&r->X, &p->X, &p->T);
  sl_fe4_mul(&r->Y, &p->Y, &p->Z);
  sl_fe4_mul(&r->Z, &p->Z, &p->T);
}

SL_AVX2 void sl_ge4_p1p1_to_p3(sl_ge4_p3 *r, const sl_ge4_p1p1 *p) {
  sl_fe4_mul(&r->X, &p->X, &p->T);
  sl_fe4_mul(&r->Y, &p->Y, &p->Z);
  sl_fe4_mul(&r->Z, &p->Z, &p->T);
  sl_fe4_mul(&r->T, &p->X, &p->Y);
}

SL_AVX2 void sl_ge4_p3_to_cached(sl_ge4_cached *r, const sl_ge4_p3 *p) {
  sl_fe4_t d2;
  sl_fe4_bcast(&d2, &sl_fe_d2);
  sl_fe4_add(&r->YpX, &p->Y, &p->X); /* T + (T or negated): R */
  sl_fe4_sub(&r->YmX, &p->Y, &p->X); /* R */
  r->Z = p->Z;
  sl_fe4_mul(&r->T2d, &p->T, &d2); /* T, as cneg needs */
}

SL_AVX2 void sl_ge4_dbl(sl_ge4_p1p1 *r, const sl_ge4_p2 *p) {
  /* ge.c's sl_ge_dbl: X = E, Y = A + B, Z = B - A, T = 2C - (B - A). */
  sl_fe4_t a, b, c, t;
  sl_fe4_sq(&a, &p->X);
  sl_fe4_sq(&b, &p->Y);
  sl_fe4_sq(&c, &p->Z);
  sl_fe4_add(&t, &p->X, &p->Y); /* R */
  sl_fe4_sq(&t, &t);
  sl_fe4_add(&r->Y, &a, &b);            /* R, and at most 4p */
  sl_fe4_sub(&r->Z, &b, &a);            /* R, and at most 4p */
  sl_fe4_sub_bias(&r->X, &t, &r->Y, 4); /* E = (X+Y)^2 - A - B */
  sl_fe4_carry(&r->X);
  sl_fe4_add(&c, &c, &c);
  sl_fe4_sub_bias(&r->T, &c, &r->Z, 4);
  sl_fe4_carry(&r->T);
}

/* ge.c's add_tail: X = B - A, Y = B + A, Z = D + C, T = D - C, with D the
   sum of two tight elements. */
static SL_AVX2 void add_tail4(sl_ge4_p1p1 *r, const sl_fe4_t *a, const sl_fe4_t *b,
                              const sl_fe4_t *c, const sl_fe4_t *d) {
  sl_fe4_sub(&r->X, b, a); /* R */
  sl_fe4_add(&r->Y, b, a); /* R */
  sl_fe4_add(&r->Z, d, c); /* three tight: R */
  sl_fe4_subc(&r->T, d, c);
}

SL_AVX2 void sl_ge4_add(sl_ge4_p1p1 *r, const sl_ge4_p3 *p, const sl_ge4_cached *q) {
  sl_fe4_t a, b, c, d, t;
  sl_fe4_sub(&t, &p->Y, &p->X); /* X tight or negated: R */
  sl_fe4_mul(&a, &t, &q->YmX);
  sl_fe4_add(&t, &p->Y, &p->X); /* R */
  sl_fe4_mul(&b, &t, &q->YpX);
  sl_fe4_mul(&c, &p->T, &q->T2d);
  sl_fe4_mul(&d, &p->Z, &q->Z);
  sl_fe4_add(&d, &d, &d);
  add_tail4(r, &a, &b, &c, &d);
}

SL_AVX2 void sl_ge4_madd(sl_ge4_p1p1 *r, const sl_ge4_p3 *p, const sl_ge4_niels *q) {
  sl_fe4_t a, b, c, d, t;
  sl_fe4_sub(&t, &p->Y, &p->X);
  sl_fe4_mul(&a, &t, &q->ymx);
  sl_fe4_add(&t, &p->Y, &p->X);
  sl_fe4_mul(&b, &t, &q->ypx);
  sl_fe4_mul(&c, &p->T, &q->xy2d);
  sl_fe4_add(&d, &p->Z, &p->Z);
  add_tail4(r, &a, &b, &c, &d);
}

SL_AVX2 void sl_ge4_cached_cneg(sl_ge4_cached *q, __m256i m) {
  sl_fe4_t ypx = q->YpX, neg;
  sl_fe4_select(&q->YpX, m, &q->YpX, &q->YmX);
  sl_fe4_select(&q->YmX, m, &q->YmX, &ypx);
  sl_fe4_neg(&neg, &q->T2d);
  sl_fe4_select(&q->T2d, m, &q->T2d, &neg);
}

SL_AVX2 void sl_ge4_niels_cneg(sl_ge4_niels *q, __m256i m) {
  sl_fe4_t ypx = q->ypx, neg;
  sl_fe4_select(&q->ypx, m, &q->ypx, &q->ymx);
  sl_fe4_select(&q->ymx, m, &q->ymx, &ypx);
  sl_fe4_neg(&neg, &q->xy2d);
  sl_fe4_select(&q->xy2d, m, &q->xy2d, &neg);
}
