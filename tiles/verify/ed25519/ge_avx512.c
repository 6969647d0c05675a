#include "tiles/verify/ed25519/ge_avx512.h"

#include "tiles/verify/ed25519/ge.h"

static SL_AVX512 void fe8_small(sl_fe8_t *r, uint64_t v) {
  sl_fe_t s;
  sl_fe_set(&s, v);
  sl_fe8_bcast(r, &s);
}

SL_AVX512 void sl_ge8_p1p1_0(sl_ge8_p1p1 *r) {
  fe8_small(&r->X, 0);
  fe8_small(&r->Y, 1);
  fe8_small(&r->Z, 1);
  fe8_small(&r->T, 1);
}

SL_AVX512 void sl_ge8_cached_0(sl_ge8_cached *r) {
  fe8_small(&r->YpX, 1);
  fe8_small(&r->YmX, 1);
  fe8_small(&r->Z, 1);
  fe8_small(&r->T2d, 0);
}

SL_AVX512 void sl_ge8_p1p1_to_p2(sl_ge8_p2 *r, const sl_ge8_p1p1 *p) {
  sl_fe8_mul(&r->X, &p->X, &p->T);
  sl_fe8_mul(&r->Y, &p->Y, &p->Z);
  sl_fe8_mul(&r->Z, &p->Z, &p->T);
}

SL_AVX512 void sl_ge8_p1p1_to_p3(sl_ge8_p3 *r, const sl_ge8_p1p1 *p) {
  sl_fe8_mul(&r->X, &p->X, &p->T);
  sl_fe8_mul(&r->Y, &p->Y, &p->Z);
  sl_fe8_mul(&r->Z, &p->Z, &p->T);
  sl_fe8_mul(&r->T, &p->X, &p->Y);
}

SL_AVX512 void sl_ge8_p3_to_cached(sl_ge8_cached *r, const sl_ge8_p3 *p) {
  sl_fe8_t d2;
  sl_fe_t c = sl_fe_d2;
  sl_fe8_bcast(&d2, &c);
  sl_fe8_addc(&r->YpX, &p->Y, &p->X);
  sl_fe8_subc(&r->YmX, &p->Y, &p->X);
  r->Z = p->Z;
  sl_fe8_mul(&r->T2d, &p->T, &d2);
}

SL_AVX512 void sl_ge8_dbl(sl_ge8_p1p1 *r, const sl_ge8_p2 *p) {
  /* ge.c's sl_ge_dbl: A = X^2, B = Y^2, C = 2Z^2, E = (X+Y)^2 - A - B;
     X = E, Y = A + B, Z = B - A, T = C - (B - A). */
  sl_fe8_t a, b, c, t;
  sl_fe8_sq(&a, &p->X);
  sl_fe8_sq(&b, &p->Y);
  sl_fe8_sq(&c, &p->Z);
  sl_fe8_addc(&t, &p->X, &p->Y);
  sl_fe8_sq(&t, &t);
  sl_fe8_addc(&r->Y, &a, &b);
  sl_fe8_subc(&r->Z, &b, &a);
  sl_fe8_subc(&r->X, &t, &r->Y);
  sl_fe8_add(&c, &c, &c);
  sl_fe8_subc(&r->T, &c, &r->Z);
}

/* ge.c's add_tail: X = B - A, Y = B + A, Z = D + C, T = D - C. */
static SL_AVX512 void add_tail8(sl_ge8_p1p1 *r, const sl_fe8_t *a, const sl_fe8_t *b,
                                const sl_fe8_t *c, const sl_fe8_t *d) {
  sl_fe8_subc(&r->X, b, a);
  sl_fe8_addc(&r->Y, b, a);
  sl_fe8_addc(&r->Z, d, c);
  sl_fe8_subc(&r->T, d, c);
}

SL_AVX512 void sl_ge8_add(sl_ge8_p1p1 *r, const sl_ge8_p3 *p, const sl_ge8_cached *q) {
  sl_fe8_t a, b, c, d, t;
  sl_fe8_subc(&t, &p->Y, &p->X);
  sl_fe8_mul(&a, &t, &q->YmX);
  sl_fe8_addc(&t, &p->Y, &p->X);
  sl_fe8_mul(&b, &t, &q->YpX);
  sl_fe8_mul(&c, &p->T, &q->T2d);
  sl_fe8_mul(&d, &p->Z, &q->Z);
  sl_fe8_add(&d, &d, &d);
  add_tail8(r, &a, &b, &c, &d);
}

SL_AVX512 void sl_ge8_madd(sl_ge8_p1p1 *r, const sl_ge8_p3 *p, const sl_ge8_niels *q) {
  sl_fe8_t a, b, c, d, t;
  sl_fe8_subc(&t, &p->Y, &p->X);
  sl_fe8_mul(&a, &t, &q->ymx);
  sl_fe8_addc(&t, &p->Y, &p->X);
  sl_fe8_mul(&b, &t, &q->ypx);
  sl_fe8_mul(&c, &p->T, &q->xy2d);
  sl_fe8_add(&d, &p->Z, &p->Z);
  add_tail8(r, &a, &b, &c, &d);
}

SL_AVX512 void sl_ge8_cached_cneg(sl_ge8_cached *q, __mmask8 m) {
  sl_fe8_t ypx = q->YpX, neg;
  sl_fe8_select(&q->YpX, m, &q->YpX, &q->YmX);
  sl_fe8_select(&q->YmX, m, &q->YmX, &ypx);
  sl_fe8_neg(&neg, &q->T2d);
  sl_fe8_select(&q->T2d, m, &q->T2d, &neg);
}

SL_AVX512 void sl_ge8_niels_cneg(sl_ge8_niels *q, __mmask8 m) {
  sl_fe8_t ypx = q->ypx, neg;
  sl_fe8_select(&q->ypx, m, &q->ypx, &q->ymx);
  sl_fe8_select(&q->ymx, m, &q->ymx, &ypx);
  sl_fe8_neg(&neg, &q->xy2d);
  sl_fe8_select(&q->xy2d, m, &q->xy2d, &neg);
}
