#include "tiles/verify/ed25519/fe_avx2.h"

/* fe.c's run_chain and chain_end (sl_fe_chain), per lane. */
static SL_AVX2 void run_chain4(sl_fe4_t t[SL_FE_CHAIN_TEMPS]) {
  for (int k = 0; k < SL_FE_CHAIN_STEPS; k++) {
    const sl_fe_chain_step_t *s = &sl_fe_chain[k];
    sl_fe4_t v = t[s->x];
    for (int i = 0; i < s->n; i++) sl_fe4_sq(&v, &v);
    if (s->y != SL_FE_CHAIN_NONE) sl_fe4_mul(&v, &v, &t[s->y]);
    t[s->dst] = v;
  }
}

static SL_AVX2 void chain_end4(sl_fe4_t *r, sl_fe4_t t[SL_FE_CHAIN_TEMPS], int n, int y) {
  sl_fe4_t v = t[SL_FE_CHAIN_E250];
  for (int i = 0; i < n; i++) sl_fe4_sq(&v, &v);
  sl_fe4_mul(r, &v, &t[y]);
}

SL_AVX2 void sl_fe4_invert(sl_fe4_t *r, const sl_fe4_t *a) {
  sl_fe4_t t[SL_FE_CHAIN_TEMPS];
  t[0] = *a;
  run_chain4(t);
  chain_end4(r, t, 5, SL_FE_CHAIN_A11);
}

SL_AVX2 void sl_fe4_pow22523(sl_fe4_t *r, const sl_fe4_t *a) {
  sl_fe4_t t[SL_FE_CHAIN_TEMPS];
  t[0] = *a;
  run_chain4(t);
  chain_end4(r, t, 2, 0);
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
