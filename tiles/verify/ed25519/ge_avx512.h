/* tiles/verify/ed25519/ge_avx512.h: the point formats and formulas of ge.h
   in the eight lanes of AVX-512 IFMA, one independent point per lane
   (fe_avx512.h's elements). Same coordinates, same formulas, same p1p1
   convention (x = X/Z, y = Y/T) as ge.c; each sum or difference that feeds
   a multiplication is carried first, as fe_avx512.h's bounds require.
   Every field of a cached or niels addend is a ready element. There is no
   sub: the vector tables hand out signed entries (sl_ge8_cached_cneg). */
#ifndef SL_TILES_VERIFY_ED25519_GE_AVX512_H
#define SL_TILES_VERIFY_ED25519_GE_AVX512_H

#include "tiles/verify/ed25519/fe_avx512.h"

typedef struct {
  sl_fe8_t X, Y, Z;
} sl_ge8_p2;

typedef struct {
  sl_fe8_t X, Y, Z, T;
} sl_ge8_p3;

typedef struct {
  sl_fe8_t X, Y, Z, T;
} sl_ge8_p1p1;

typedef struct {
  sl_fe8_t YpX, YmX, Z, T2d;
} sl_ge8_cached;

typedef struct {
  sl_fe8_t ypx, ymx, xy2d;
} sl_ge8_niels;

/* The identity in every lane, as p1p1 (0/1, 1/1) and as a cached addend. */
SL_AVX512 void sl_ge8_p1p1_0(sl_ge8_p1p1 *r);
SL_AVX512 void sl_ge8_cached_0(sl_ge8_cached *r);

/* ge.h's changes of coordinates, per lane. */
SL_AVX512 void sl_ge8_p1p1_to_p2(sl_ge8_p2 *r, const sl_ge8_p1p1 *p);
SL_AVX512 void sl_ge8_p1p1_to_p3(sl_ge8_p3 *r, const sl_ge8_p1p1 *p);
SL_AVX512 void sl_ge8_p3_to_cached(sl_ge8_cached *r, const sl_ge8_p3 *p);

/* r = 2p (p's X, Y, Z tight). */
SL_AVX512 void sl_ge8_dbl(sl_ge8_p1p1 *r, const sl_ge8_p2 *p);

/* r = p + q (q cached), r = p + q (q niels). p's coordinates ready. */
SL_AVX512 void sl_ge8_add(sl_ge8_p1p1 *r, const sl_ge8_p3 *p, const sl_ge8_cached *q);
SL_AVX512 void sl_ge8_madd(sl_ge8_p1p1 *r, const sl_ge8_p3 *p, const sl_ge8_niels *q);

/* In the lanes of m, q becomes -q: swap Y+X and Y-X, negate 2dT. */
SL_AVX512 void sl_ge8_cached_cneg(sl_ge8_cached *q, __mmask8 m);
SL_AVX512 void sl_ge8_niels_cneg(sl_ge8_niels *q, __mmask8 m);

#endif
