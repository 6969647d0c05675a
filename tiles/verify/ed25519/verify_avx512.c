#include "tiles/verify/ed25519/verify_avx512.h"

#include <string.h>

#include "tiles/verify/ed25519/ge.h"
#include "tiles/verify/ed25519/ge_avx512.h"
#include "tiles/verify/ed25519/prep.h"

#define LANES SL_VERIFY_AVX512_LANES

/* What the lanes read: per window, each lane's digit (transposed from
   sl_prep_t so one window's eight digits are one load). */
typedef struct {
  int8_t a[SL_PREP_AN][LANES];
  int8_t b[SL_PREP_BN][LANES];
  uint64_t y[5][LANES]; /* A's y, tight limbs */
  uint8_t sign[LANES];  /* A's bit 255 */
} lanes_t;

/* Decodes eight lanes of -A (libsodium's ge25519_frombytes_negate_vartime
   in lanes): returns the lanes where A is on the curve. */
static SL_AVX512 __mmask8 decompress_neg8(sl_ge8_p3 *r, const lanes_t *in) {
  sl_fe8_t one, d, sqrtm1, y2, u, v, v3, t, vxx, chk, xi;
  sl_fe_t c;
  sl_fe_set(&c, 1);
  sl_fe8_bcast(&one, &c);
  c = sl_fe_d;
  sl_fe8_bcast(&d, &c);
  c = sl_fe_sqrtm1;
  sl_fe8_bcast(&sqrtm1, &c);
  sl_fe8_load(&r->Y, in->y);
  sl_fe8_sq(&y2, &r->Y);
  sl_fe8_subc(&u, &y2, &one); /* y^2 - 1 */
  sl_fe8_mul(&v, &y2, &d);
  sl_fe8_addc(&v, &v, &one); /* d y^2 + 1 */
  sl_fe8_sq(&v3, &v);
  sl_fe8_mul(&v3, &v3, &v);
  sl_fe8_sq(&t, &v3);
  sl_fe8_mul(&t, &t, &v);
  sl_fe8_mul(&t, &t, &u); /* u v^7 */
  sl_fe8_pow22523(&t, &t);
  sl_fe8_mul(&t, &t, &v3);
  sl_fe8_mul(&r->X, &t, &u); /* x = u v^3 (u v^7)^((p-5)/8) */
  sl_fe8_sq(&vxx, &r->X);
  sl_fe8_mul(&vxx, &vxx, &v);
  sl_fe8_sub(&chk, &vxx, &u);
  __mmask8 root = sl_fe8_iszero(&chk); /* v x^2 = u */
  sl_fe8_add(&chk, &vxx, &u);
  __mmask8 iroot = sl_fe8_iszero(&chk) & (__mmask8)~root; /* v x^2 = -u */
  sl_fe8_mul(&xi, &r->X, &sqrtm1);
  sl_fe8_select(&r->X, iroot, &r->X, &xi);
  /* -A: negate x where its parity already equals the sign bit. */
  sl_fe8_t cx, nx;
  sl_fe8_canon(&cx, &r->X);
  __mmask8 odd = _mm512_test_epi64_mask(cx.v[0], _mm512_set1_epi64(1));
  __mmask8 sign = 0;
  for (int l = 0; l < LANES; l++) sign |= (__mmask8)((in->sign[l] & 1) << l);
  sl_fe8_neg(&nx, &r->X);
  sl_fe8_select(&r->X, (__mmask8) ~(odd ^ sign), &r->X, &nx);
  sl_fe8_bcast(&r->Z, &(sl_fe_t){{1, 0, 0, 0, 0}});
  sl_fe8_mul(&r->T, &r->X, &r->Y);
  return root | iroot;
}

/* atab[j] = j P in every lane, j = 0 .. SL_PREP_ATAB_CNT. */
static SL_AVX512 void atab_fill8(sl_ge8_cached atab[SL_PREP_ATAB_CNT + 1], const sl_ge8_p3 *p) {
  sl_ge8_p3 acc = *p;
  sl_ge8_p1p1 t;
  sl_ge8_cached_0(&atab[0]);
  sl_ge8_p3_to_cached(&atab[1], p);
  for (uint32_t j = 2; j <= SL_PREP_ATAB_CNT; j++) {
    sl_ge8_add(&t, &acc, &atab[1]);
    sl_ge8_p1p1_to_p3(&acc, &t);
    sl_ge8_p3_to_cached(&atab[j], &acc);
  }
}

/* Five limbs gathered: limb i of lane l from base[idx[l] + 8i]. */
static SL_AVX512 void gather5(sl_fe8_t *r, const long long *base, __m512i idx, int stride) {
  SL_UNROLL
  for (int i = 0; i < 5; i++) r->v[i] = _mm512_i64gather_epi64(idx, base + i * stride, 8);
}

/* A window's signed digits: |d| as 64-bit lanes, and the negative lanes. */
static SL_AVX512 __m512i digits8(const int8_t d[LANES], __mmask8 *neg) {
  __m128i b;
  memcpy(&b, d, 8);
  __m512i v = _mm512_cvtepi8_epi64(b);
  *neg = _mm512_cmplt_epi64_mask(v, _mm512_setzero_si512());
  return _mm512_abs_epi64(v);
}

/* q = d P per lane from the lane's own table. sl_ge8_cached is 20 rows of
   eight qwords, so lane l of entry j, row k is qword (20 j + k) 8 + l. */
static SL_AVX512 void lookup_a(sl_ge8_cached *q, const sl_ge8_cached *atab, const int8_t d[LANES]) {
  __mmask8 neg;
  __m512i j = digits8(d, &neg);
  const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  __m512i idx = _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64(j, 7), _mm512_slli_epi64(j, 5)), lane);
  const long long *base = (const long long *)atab;
  gather5(&q->YpX, base + 0 * 40, idx, 8);
  gather5(&q->YmX, base + 1 * 40, idx, 8);
  gather5(&q->Z, base + 2 * 40, idx, 8);
  gather5(&q->T2d, base + 3 * 40, idx, 8);
  sl_ge8_cached_cneg(q, neg);
}

/* q = d B per lane from the shared table (sl_ge_niels is 15 qwords). */
static SL_AVX512 void lookup_b(sl_ge8_niels *q, const int8_t d[LANES]) {
  __mmask8 neg;
  __m512i j = digits8(d, &neg);
  __m512i idx = _mm512_sub_epi64(_mm512_slli_epi64(j, 4), j); /* 15 j */
  const long long *base = (const long long *)sl_ge_btab;
  gather5(&q->ypx, base + 0, idx, 1);
  gather5(&q->ymx, base + 5, idx, 1);
  gather5(&q->xy2d, base + 10, idx, 1);
  sl_ge8_niels_cneg(q, neg);
}

/* verify_ref.c's schedule, lane by lane. */
static SL_AVX512 void schedule8(sl_ge8_p2 *r, const sl_ge8_cached *atab, const lanes_t *in) {
  sl_ge8_p1p1 t;
  sl_ge8_p2 p2;
  sl_ge8_p3 p3;
  sl_ge8_cached q;
  sl_ge8_niels nq;
  sl_ge8_p1p1_0(&t);
  for (int pos = SL_PREP_TOP; pos >= 0; pos--) {
    if (pos != SL_PREP_TOP) {
      sl_ge8_p1p1_to_p2(&p2, &t);
      sl_ge8_dbl(&t, &p2);
    }
    if (pos % SL_PREP_AW == 0) {
      sl_ge8_p1p1_to_p3(&p3, &t);
      lookup_a(&q, atab, in->a[pos / SL_PREP_AW]);
      sl_ge8_add(&t, &p3, &q);
    }
    if (pos % SL_GE_BW == 0) {
      sl_ge8_p1p1_to_p3(&p3, &t);
      lookup_b(&nq, in->b[pos / SL_GE_BW]);
      sl_ge8_madd(&t, &p3, &nq);
    }
  }
  sl_ge8_p1p1_to_p2(r, &t);
}

/* The lanes' encodings of r (sl_ge_tobytes per lane). */
static SL_AVX512 void tobytes8(uint8_t enc[LANES][32], const sl_ge8_p2 *r) {
  sl_fe8_t zi, x, y;
  sl_fe8_invert(&zi, &r->Z);
  sl_fe8_mul(&x, &r->X, &zi);
  sl_fe8_mul(&y, &r->Y, &zi);
  sl_fe8_canon(&x, &x);
  sl_fe8_canon(&y, &y);
  uint64_t xl[5][LANES], yl[5][LANES];
  sl_fe8_store(xl, &x);
  sl_fe8_store(yl, &y);
  for (int l = 0; l < LANES; l++) {
    sl_fe_t fy = {{yl[0][l], yl[1][l], yl[2][l], yl[3][l], yl[4][l]}};
    sl_fe_tobytes(enc[l], &fy);
    enc[l][31] ^= (uint8_t)((xl[0][l] & 1) << 7);
  }
}

SL_AVX512 void sl_verify_avx512(const sl_ed25519_item_t *items, uint32_t n, int *out) {
  lanes_t in;
  memset(&in, 0, sizeof in);
  uint32_t live = sl_prep_lanes(items, n, LANES, sl_sha512x8, &in.a[0][0], &in.b[0][0], out);
  for (uint32_t l = 0; l < n; l++) {
    if (!(live & (1u << l))) continue;
    sl_fe_t y;
    sl_fe_frombytes(&y, items[l].pk);
    SL_UNROLL
    for (int i = 0; i < 5; i++) in.y[i][l] = y.v[i];
    in.sign[l] = items[l].pk[31] >> 7;
  }
  if (!live) return;
  sl_ge8_p3 neg_a;
  __mmask8 on_curve = decompress_neg8(&neg_a, &in);
  sl_ge8_cached atab[SL_PREP_ATAB_CNT + 1];
  atab_fill8(atab, &neg_a);
  sl_ge8_p2 r;
  schedule8(&r, atab, &in);
  uint8_t enc[LANES][32];
  tobytes8(enc, &r);
  for (uint32_t l = 0; l < n; l++)
    if ((live & on_curve & (1u << l)) && !memcmp(enc[l], items[l].sig, 32)) out[l] = 0;
}
