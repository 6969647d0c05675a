#include "tiles/verify/ed25519/verify_avx2.h"

#include <pthread.h>
#include <string.h>

#include "tiles/verify/ed25519/ge.h"
#include "tiles/verify/ed25519/ge_avx2.h"
#include "tiles/verify/ed25519/prep.h"

#define LANES SL_VERIFY_AVX2_LANES

/* sl_ge_btab in radix 2^25.5, 32-bit limbs: entry j = ypx, ymx, xy2d. */
static uint32_t btab4[SL_GE_BTAB_CNT + 1][3][10];

static void btab4_fill(void) {
  for (uint32_t j = 0; j <= SL_GE_BTAB_CNT; j++) {
    sl_fe4_split(btab4[j][0], &sl_ge_btab[j].ypx);
    sl_fe4_split(btab4[j][1], &sl_ge_btab[j].ymx);
    sl_fe4_split(btab4[j][2], &sl_ge_btab[j].xy2d);
  }
}

void sl_verify_avx2_init(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, btab4_fill);
}

typedef struct {
  int8_t a[SL_PREP_AN][LANES];
  int8_t b[SL_PREP_BN][LANES];
  uint32_t y[10][LANES]; /* A's y, tight radix-2^25.5 limbs */
  uint8_t sign[LANES];
} lanes_t;

static SL_AVX2 __m256i lanemask(int m) {
  return _mm256_set_epi64x(-(long long)((m >> 3) & 1), -(long long)((m >> 2) & 1),
                           -(long long)((m >> 1) & 1), -(long long)(m & 1));
}

/* verify_avx512.c's decompress_neg8 in four lanes. */
static SL_AVX2 int decompress_neg4(sl_ge4_p3 *r, const lanes_t *in) {
  sl_fe4_t one, d, sqrtm1, y2, u, v, v3, t, vxx, chk, xi, nx;
  sl_fe_t c;
  sl_fe_set(&c, 1);
  sl_fe4_bcast(&one, &c);
  sl_fe4_bcast(&d, &sl_fe_d);
  sl_fe4_bcast(&sqrtm1, &sl_fe_sqrtm1);
  SL_UNROLL
  for (int i = 0; i < 10; i++)
    r->Y.v[i] = _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)in->y[i]));
  sl_fe4_sq(&y2, &r->Y);
  sl_fe4_subc(&u, &y2, &one); /* tight: u is a subtrahend below */
  sl_fe4_mul(&v, &y2, &d);
  sl_fe4_add(&v, &v, &one);
  sl_fe4_sq(&v3, &v);
  sl_fe4_mul(&v3, &v3, &v);
  sl_fe4_sq(&t, &v3);
  sl_fe4_mul(&t, &t, &v);
  sl_fe4_mul(&t, &t, &u);
  sl_fe4_pow22523(&t, &t);
  sl_fe4_mul(&t, &t, &v3);
  sl_fe4_mul(&r->X, &t, &u);
  sl_fe4_sq(&vxx, &r->X);
  sl_fe4_mul(&vxx, &vxx, &v);
  sl_fe4_sub(&chk, &vxx, &u);
  int root = sl_fe4_iszero(&chk);
  sl_fe4_add(&chk, &vxx, &u);
  int iroot = sl_fe4_iszero(&chk) & ~root;
  sl_fe4_mul(&xi, &r->X, &sqrtm1);
  sl_fe4_select(&r->X, lanemask(iroot), &r->X, &xi);
  sl_fe_t x[LANES];
  sl_fe4_tofe(x, &r->X);
  int flip = 0; /* -A: negate x where its parity already equals the sign bit */
  for (int l = 0; l < LANES; l++) flip |= (sl_fe_isneg(&x[l]) == (in->sign[l] & 1)) << l;
  sl_fe4_neg(&nx, &r->X);
  sl_fe4_select(&r->X, lanemask(flip), &r->X, &nx);
  sl_fe4_bcast(&r->Z, &(sl_fe_t){{1, 0, 0, 0, 0}});
  sl_fe4_mul(&r->T, &r->X, &r->Y);
  return root | iroot;
}

static SL_AVX2 void atab_fill4(sl_ge4_cached atab[SL_PREP_ATAB_CNT + 1], const sl_ge4_p3 *p) {
  sl_ge4_p3 acc = *p;
  sl_ge4_p1p1 t;
  sl_ge4_cached_0(&atab[0]);
  sl_ge4_p3_to_cached(&atab[1], p);
  for (uint32_t j = 2; j <= SL_PREP_ATAB_CNT; j++) {
    sl_ge4_add(&t, &acc, &atab[1]);
    sl_ge4_p1p1_to_p3(&acc, &t);
    sl_ge4_p3_to_cached(&atab[j], &acc);
  }
}

static SL_AVX2 __m256i digits4(const int8_t d[LANES], __m256i *neg) {
  int32_t w;
  memcpy(&w, d, 4);
  __m256i v = _mm256_cvtepi8_epi64(_mm_cvtsi32_si128(w));
  *neg = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
  return _mm256_sub_epi64(_mm256_xor_si256(v, *neg), *neg);
}

/* sl_ge4_cached is 40 rows of four qwords: lane l of entry j, row k is
   qword (40 j + k) 4 + l. */
static SL_AVX2 void lookup_a(sl_ge4_cached *q, const sl_ge4_cached *atab, const int8_t d[LANES]) {
  __m256i neg;
  __m256i j = digits4(d, &neg);
  __m256i idx = _mm256_add_epi64(_mm256_add_epi64(_mm256_slli_epi64(j, 7), _mm256_slli_epi64(j, 5)),
                                 _mm256_set_epi64x(3, 2, 1, 0));
  const long long *base = (const long long *)atab;
  sl_fe4_t *f[4] = {&q->YpX, &q->YmX, &q->Z, &q->T2d};
  SL_UNROLL
  for (int k = 0; k < 4; k++)
    SL_UNROLL
    for (int i = 0; i < 10; i++) f[k]->v[i] = _mm256_i64gather_epi64(base + (10 * k + i) * 4, idx, 8);
  sl_ge4_cached_cneg(q, neg);
}

static SL_AVX2 void lookup_b(sl_ge4_niels *q, const int8_t d[LANES]) {
  __m256i neg;
  __m256i j = digits4(d, &neg);
  __m256i idx = _mm256_sub_epi64(_mm256_slli_epi64(j, 5), _mm256_slli_epi64(j, 1)); /* 30 j */
  const int *base = (const int *)btab4;
  sl_fe4_t *f[3] = {&q->ypx, &q->ymx, &q->xy2d};
  SL_UNROLL
  for (int k = 0; k < 3; k++)
    SL_UNROLL
    for (int i = 0; i < 10; i++)
      f[k]->v[i] = _mm256_cvtepu32_epi64(_mm256_i64gather_epi32(base + 10 * k + i, idx, 4));
  sl_ge4_niels_cneg(q, neg);
}

static SL_AVX2 void schedule4(sl_ge4_p2 *r, const sl_ge4_cached *atab, const lanes_t *in) {
  sl_ge4_p1p1 t;
  sl_ge4_p2 p2;
  sl_ge4_p3 p3;
  sl_ge4_cached q;
  sl_ge4_niels nq;
  sl_ge4_p1p1_0(&t);
  for (int pos = SL_PREP_TOP; pos >= 0; pos--) {
    if (pos != SL_PREP_TOP) {
      sl_ge4_p1p1_to_p2(&p2, &t);
      sl_ge4_dbl(&t, &p2);
    }
    if (pos % SL_PREP_AW == 0) {
      sl_ge4_p1p1_to_p3(&p3, &t);
      lookup_a(&q, atab, in->a[pos / SL_PREP_AW]);
      sl_ge4_add(&t, &p3, &q);
    }
    if (pos % SL_GE_BW == 0) {
      sl_ge4_p1p1_to_p3(&p3, &t);
      lookup_b(&nq, in->b[pos / SL_GE_BW]);
      sl_ge4_madd(&t, &p3, &nq);
    }
  }
  sl_ge4_p1p1_to_p2(r, &t);
}

static SL_AVX2 void tobytes4(uint8_t enc[LANES][32], const sl_ge4_p2 *r) {
  sl_fe4_t zi, x, y;
  sl_fe4_invert(&zi, &r->Z);
  sl_fe4_mul(&x, &r->X, &zi);
  sl_fe4_mul(&y, &r->Y, &zi);
  sl_fe_t fx[LANES], fy[LANES];
  sl_fe4_tofe(fx, &x);
  sl_fe4_tofe(fy, &y);
  for (int l = 0; l < LANES; l++) {
    sl_fe_tobytes(enc[l], &fy[l]);
    enc[l][31] ^= (uint8_t)(sl_fe_isneg(&fx[l]) << 7);
  }
}

SL_AVX2 void sl_verify_avx2(const sl_ed25519_item_t *items, uint32_t n, int *out) {
  lanes_t in;
  memset(&in, 0, sizeof in);
  uint32_t live = sl_prep_lanes(items, n, LANES, sl_sha512x4, &in.a[0][0], &in.b[0][0], out);
  for (uint32_t l = 0; l < n; l++) {
    if (!(live & (1u << l))) continue;
    sl_fe_t y;
    sl_fe_frombytes(&y, items[l].pk);
    uint32_t yl[10];
    sl_fe4_split(yl, &y);
    SL_UNROLL
    for (int i = 0; i < 10; i++) in.y[i][l] = yl[i];
    in.sign[l] = items[l].pk[31] >> 7;
  }
  if (!live) return;
  sl_ge4_p3 neg_a;
  uint32_t on_curve = (uint32_t)decompress_neg4(&neg_a, &in);
  sl_ge4_cached atab[SL_PREP_ATAB_CNT + 1];
  atab_fill4(atab, &neg_a);
  sl_ge4_p2 r;
  schedule4(&r, atab, &in);
  uint8_t enc[LANES][32];
  tobytes4(enc, &r);
  for (uint32_t l = 0; l < n; l++)
    if ((live & on_curve & (1u << l)) && !memcmp(enc[l], items[l].sig, 32)) out[l] = 0;
}
