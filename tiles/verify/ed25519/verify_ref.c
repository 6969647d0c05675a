#include "tiles/verify/ed25519/verify_ref.h"

#include <string.h>

void sl_verify_ref_schedule(sl_ge_p2 *r, const sl_ge_cached atab[SL_PREP_ATAB_CNT + 1],
                            const sl_prep_t *d) {
  /* t holds the running sum as p1p1; each step converts it to what the
     next operation reads (p2 for a doubling, p3 for an addition). From the
     top bit position down: double (except at the top), then add k's digit
     for -A where a window of AW bits starts, s's digit for B where one of
     BW bits does. A zero digit adds nothing (the vector lanes add the
     identity instead: the same sum). */
  sl_ge_p1p1 t;
  sl_ge_p2 p2;
  sl_ge_p3 p3;
  sl_fe_set(&t.X, 0);
  sl_fe_set(&t.Y, 1);
  sl_fe_set(&t.Z, 1);
  sl_fe_set(&t.T, 1);
  for (int pos = SL_PREP_TOP; pos >= 0; pos--) {
    if (pos != SL_PREP_TOP) {
      sl_ge_p1p1_to_p2(&p2, &t);
      sl_ge_dbl(&t, &p2);
    }
    if (pos % SL_PREP_AW == 0) {
      int e = d->a[pos / SL_PREP_AW];
      if (e) {
        sl_ge_p1p1_to_p3(&p3, &t);
        if (e > 0) sl_ge_add(&t, &p3, &atab[e]);
        else sl_ge_sub(&t, &p3, &atab[-e]);
      }
    }
    if (pos % SL_GE_BW == 0) {
      int e = d->b[pos / SL_GE_BW];
      if (e) {
        sl_ge_p1p1_to_p3(&p3, &t);
        if (e > 0) sl_ge_madd(&t, &p3, &sl_ge_btab[e]);
        else sl_ge_msub(&t, &p3, &sl_ge_btab[-e]);
      }
    }
  }
  sl_ge_p1p1_to_p2(r, &t);
}

/* atab[j] = j p for j = 0 .. SL_PREP_ATAB_CNT, by repeated addition (the
   formulas are complete, so p + p needs no doubling of its own). */
static void atab_fill(sl_ge_cached atab[SL_PREP_ATAB_CNT + 1], const sl_ge_p3 *p) {
  sl_ge_p3 acc;
  sl_ge_p1p1 t;
  sl_ge_p3_0(&acc);
  sl_ge_p3_to_cached(&atab[0], &acc);
  sl_ge_p3_to_cached(&atab[1], p);
  acc = *p;
  for (uint32_t j = 2; j <= SL_PREP_ATAB_CNT; j++) {
    sl_ge_add(&t, &acc, &atab[1]);
    sl_ge_p1p1_to_p3(&acc, &t);
    sl_ge_p3_to_cached(&atab[j], &acc);
  }
}

int sl_verify_ref(const uint8_t *sig, const uint8_t *msg, uint32_t msg_sz, const uint8_t *pk) {
  if (sl_prep_checks(sig, pk)) return -1;
  sl_ge_p3 a, neg_a;
  if (sl_ge_frombytes(&a, pk)) return -1;
  sl_ge_p3_neg(&neg_a, &a);
  sl_prep_t d;
  sl_prep_scalars(&d, sig, msg, msg_sz, pk);
  sl_ge_cached atab[SL_PREP_ATAB_CNT + 1];
  atab_fill(atab, &neg_a);
  sl_ge_p2 r;
  sl_verify_ref_schedule(&r, atab, &d);
  uint8_t rcheck[32];
  sl_ge_tobytes(rcheck, &r);
  return memcmp(rcheck, sig, 32) == 0 ? 0 : -1;
}
