#include "tiles/verify/ed25519/fe_avx512.h"

/* fe.c's run_chain and chain_end (sl_fe_chain), per lane. */
static SL_AVX512 void run_chain8(sl_fe8_t t[SL_FE_CHAIN_TEMPS]) {
  for (int k = 0; k < SL_FE_CHAIN_STEPS; k++) {
    const sl_fe_chain_step_t *s = &sl_fe_chain[k];
    sl_fe8_t v = t[s->x];
    for (int i = 0; i < s->n; i++) sl_fe8_sq(&v, &v);
    if (s->y != SL_FE_CHAIN_NONE) sl_fe8_mul(&v, &v, &t[s->y]);
    t[s->dst] = v;
  }
}

static SL_AVX512 void chain_end8(sl_fe8_t *r, sl_fe8_t t[SL_FE_CHAIN_TEMPS], int n, int y) {
  sl_fe8_t v = t[SL_FE_CHAIN_E250];
  for (int i = 0; i < n; i++) sl_fe8_sq(&v, &v);
  sl_fe8_mul(r, &v, &t[y]);
}

SL_AVX512 void sl_fe8_invert(sl_fe8_t *r, const sl_fe8_t *a) {
  sl_fe8_t t[SL_FE_CHAIN_TEMPS];
  t[0] = *a;
  run_chain8(t);
  chain_end8(r, t, 5, SL_FE_CHAIN_A11);
}

SL_AVX512 void sl_fe8_pow22523(sl_fe8_t *r, const sl_fe8_t *a) {
  sl_fe8_t t[SL_FE_CHAIN_TEMPS];
  t[0] = *a;
  run_chain8(t);
  chain_end8(r, t, 2, 0);
}

SL_AVX512 void sl_fe8_canon(sl_fe8_t *r, const sl_fe8_t *a) {
  /* sl_fe_tobytes in lanes: an exact carry chain (limbs < 2^51 but for a
     carry into limb 1), q = 1 where a + 19 reaches 2^255, then a + 19q
     carried with bit 255 dropped. */
  const __m512i m = sl_fe8_mask51();
  __m512i v[5];
  SL_UNROLL
  for (int i = 0; i < 5; i++) v[i] = a->v[i];
  SL_UNROLL
  for (int i = 0; i < 4; i++) {
    v[i + 1] = _mm512_add_epi64(v[i + 1], _mm512_srli_epi64(v[i], 51));
    v[i] = _mm512_and_si512(v[i], m);
  }
  v[0] = _mm512_add_epi64(v[0], sl_fe8_times19(_mm512_srli_epi64(v[4], 51)));
  v[4] = _mm512_and_si512(v[4], m);
  v[1] = _mm512_add_epi64(v[1], _mm512_srli_epi64(v[0], 51));
  v[0] = _mm512_and_si512(v[0], m);
  __m512i q = _mm512_srli_epi64(_mm512_add_epi64(v[0], _mm512_set1_epi64(19)), 51);
  SL_UNROLL
  for (int i = 1; i < 5; i++) q = _mm512_srli_epi64(_mm512_add_epi64(v[i], q), 51);
  v[0] = _mm512_add_epi64(v[0], sl_fe8_times19(q));
  SL_UNROLL
  for (int i = 0; i < 4; i++) {
    v[i + 1] = _mm512_add_epi64(v[i + 1], _mm512_srli_epi64(v[i], 51));
    v[i] = _mm512_and_si512(v[i], m);
  }
  v[4] = _mm512_and_si512(v[4], m);
  SL_UNROLL
  for (int i = 0; i < 5; i++) r->v[i] = v[i];
}

SL_AVX512 __mmask8 sl_fe8_iszero(const sl_fe8_t *a) {
  sl_fe8_t c;
  sl_fe8_canon(&c, a);
  __m512i any = _mm512_or_si512(_mm512_or_si512(c.v[0], c.v[1]),
                                _mm512_or_si512(_mm512_or_si512(c.v[2], c.v[3]), c.v[4]));
  return _mm512_cmpeq_epi64_mask(any, _mm512_setzero_si512());
}
