/* tiles/verify/ed25519/ge.h: points of edwards25519 (-x^2 + y^2 = 1 +
   d x^2 y^2), plain C, in the coordinates of Hisil, Wong, Carter and Dawson
   ("Twisted Edwards curves revisited", 2008):
     sl_ge_p2     (X : Y : Z)            x = X/Z, y = Y/Z
     sl_ge_p3     (X : Y : Z : T)        as p2, with T = XY/Z
     sl_ge_p1p1   ((X : Z), (Y : T))     x = X/Z, y = Y/T: a sum or double
                                          before its last multiplications
     sl_ge_cached (Y+X, Y-X, Z, 2dT)     an addend
     sl_ge_niels  (y+x, y-x, 2dxy)       an addend with Z = 1 (the B table)
   The formulas are complete on this curve (d is not a square), so every
   sum is right for every input, small-order and mixed-order points
   included: what verification needs to reproduce libsodium's verdict on
   any key. Also here: the encoding rules of the strict check (canonical y,
   the small-order blocklist), decompression, compression, and the table of
   multiples of the base point B. */
#ifndef SL_TILES_VERIFY_ED25519_GE_H
#define SL_TILES_VERIFY_ED25519_GE_H

#include <stdint.h>

#include "tiles/verify/ed25519/fe.h"

typedef struct {
  sl_fe_t X, Y, Z;
} sl_ge_p2;

typedef struct {
  sl_fe_t X, Y, Z, T;
} sl_ge_p3;

typedef struct {
  sl_fe_t X, Y, Z, T;
} sl_ge_p1p1;

typedef struct {
  sl_fe_t YpX, YmX, Z, T2d;
} sl_ge_cached;

typedef struct {
  sl_fe_t ypx, ymx, xy2d;
} sl_ge_niels;

/* The base point's table: sl_ge_btab[j] = j B, affine (niels), for j = 0
   (the identity, so a zero digit is an ordinary lookup) to
   SL_GE_BTAB_CNT = 2^(SL_GE_BW - 1), the largest digit of s's signed
   windows of SL_GE_BW bits. Its limbs are tight radix 2^51, which the
   AVX-512 lanes read directly. */
#define SL_GE_BW 8
#define SL_GE_BTAB_CNT (1u << (SL_GE_BW - 1))
extern sl_ge_niels sl_ge_btab[SL_GE_BTAB_CNT + 1];

/* sl_ge_init fills sl_ge_btab (decompressing B and adding it up). Idempotent
   and thread-safe (pthread_once); the vector backends build their tables
   from it. */
void sl_ge_init(void);

/* sl_ge_is_canonical: 1 if the y of encoding s (bit 255 ignored) is < p,
   else 0 (libsodium's ge25519_is_canonical). */
int sl_ge_is_canonical(const uint8_t s[32]);

/* sl_ge_has_small_order: 1 if s (bit 255 ignored) is one of libsodium's
   seven blocklisted encodings of points of order 1, 2, 4 or 8 (y = 0, 1,
   p - 1, the two order-8 y, and the non-canonical p and p + 1), else 0.
   Non-canonical encodings of other small-order points do not exist below
   2^255, so this is every small-order point. */
int sl_ge_has_small_order(const uint8_t s[32]);

/* sl_ge_frombytes decompresses s: y from bits 0..254 (as sl_fe_frombytes
   takes it), x the square root of (y^2 - 1) / (d y^2 + 1) whose parity is
   bit 255. Returns 0, or -1 (r unspecified) if there is no such x. The
   caller has already refused non-canonical and small-order encodings. */
int sl_ge_frombytes(sl_ge_p3 *r, const uint8_t s[32]);

/* sl_ge_tobytes writes the canonical encoding of p (y, with the parity of x
   in bit 255), the form libsodium compares against a signature's R. */
void sl_ge_tobytes(uint8_t s[32], const sl_ge_p2 *p);

/* r = the identity (0, 1). */
void sl_ge_p3_0(sl_ge_p3 *r);

/* r = -p: (-X, Y, Z, -T). */
void sl_ge_p3_neg(sl_ge_p3 *r, const sl_ge_p3 *p);

/* Changes of coordinates, same point: p3 -> p2 drops T; p3 -> cached
   costs one multiplication (2dT); p1p1 -> p2 three, p1p1 -> p3 four. */
void sl_ge_p3_to_p2(sl_ge_p2 *r, const sl_ge_p3 *p);
void sl_ge_p3_to_cached(sl_ge_cached *r, const sl_ge_p3 *p);
void sl_ge_p1p1_to_p2(sl_ge_p2 *r, const sl_ge_p1p1 *p);
void sl_ge_p1p1_to_p3(sl_ge_p3 *r, const sl_ge_p1p1 *p);

/* r = 2p (from the X, Y, Z of a p2 or p3). */
void sl_ge_dbl(sl_ge_p1p1 *r, const sl_ge_p2 *p);

/* r = p + q, r = p - q (q cached). */
void sl_ge_add(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_ge_cached *q);
void sl_ge_sub(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_ge_cached *q);

/* r = p + q, r = p - q (q niels, Z = 1). */
void sl_ge_madd(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_ge_niels *q);
void sl_ge_msub(sl_ge_p1p1 *r, const sl_ge_p3 *p, const sl_ge_niels *q);

#endif
