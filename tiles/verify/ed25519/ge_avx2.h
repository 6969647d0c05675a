/* tiles/verify/ed25519/ge_avx2.h: the point formats and formulas of ge.h
   in the four lanes of AVX2, one independent point per lane (fe_avx2.h's
   elements): ge_avx512.h's code with fe_avx2.h's bounds. Every field of a
   cached or niels addend is a ready element. */
#ifndef SL_TILES_VERIFY_ED25519_GE_AVX2_H
#define SL_TILES_VERIFY_ED25519_GE_AVX2_H

#include "tiles/verify/ed25519/fe_avx2.h"

typedef struct {
  sl_fe4_t X, Y, Z;
} sl_ge4_p2;

typedef struct {
  sl_fe4_t X, Y, Z, T;
} sl_ge4_p3;

typedef struct {
  sl_fe4_t X, Y, Z, T;
} sl_ge4_p1p1;

typedef struct {
  sl_fe4_t YpX, YmX, Z, T2d;
} sl_ge4_cached;

typedef struct {
  sl_fe4_t ypx, ymx, xy2d;
} sl_ge4_niels;

/* The identity in every lane, as p1p1 (0/1, 1/1) and as a cached addend. */
SL_AVX2 void sl_ge4_p1p1_0(sl_ge4_p1p1 *r);
SL_AVX2 void sl_ge4_cached_0(sl_ge4_cached *r);

/* ge.h's changes of coordinates, per lane. */
SL_AVX2 void sl_ge4_p1p1_to_p2(sl_ge4_p2 *r, const sl_ge4_p1p1 *p);
SL_AVX2 void sl_ge4_p1p1_to_p3(sl_ge4_p3 *r, const sl_ge4_p1p1 *p);
SL_AVX2 void sl_ge4_p3_to_cached(sl_ge4_cached *r, const sl_ge4_p3 *p);

/* r = 2p (p's X, Y, Z tight). */
SL_AVX2 void sl_ge4_dbl(sl_ge4_p1p1 *r, const sl_ge4_p2 *p);

/* r = p + q (q cached), r = p + q (q niels). p's coordinates ready. */
SL_AVX2 void sl_ge4_add(sl_ge4_p1p1 *r, const sl_ge4_p3 *p, const sl_ge4_cached *q);
SL_AVX2 void sl_ge4_madd(sl_ge4_p1p1 *r, const sl_ge4_p3 *p, const sl_ge4_niels *q);

/* In the lanes of m (all-ones lanes), q becomes -q. */
SL_AVX2 void sl_ge4_cached_cneg(sl_ge4_cached *q, __m256i m);
SL_AVX2 void sl_ge4_niels_cneg(sl_ge4_niels *q, __m256i m);

#endif
