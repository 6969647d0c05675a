/* tiles/verify/ed25519/sc.h: scalars modulo the group order
   L = 2^252 + 27742317777372353535851937790883648493, as 32 or 64
   little-endian bytes. Plain C, shared by every backend: this is per
   signature work, small beside the point arithmetic. */
#ifndef SL_TILES_VERIFY_ED25519_SC_H
#define SL_TILES_VERIFY_ED25519_SC_H

#include <stdint.h>

/* sl_sc_is_canonical: 1 if s < L, else 0. The strict rule for the s half
   of a signature (libsodium's sc25519_is_canonical). */
int sl_sc_is_canonical(const uint8_t s[32]);

/* sl_sc_reduce writes in mod L (in: a 512-bit little-endian integer, the
   SHA-512 digest) as 32 bytes, fully reduced (< L). */
void sl_sc_reduce(uint8_t out[32], const uint8_t in[64]);

/* sl_sc_recode writes the signed base-2^w digits of a (a < 2^253):
   a = sum e[i] 2^(w i) with every e[i] in [-2^(w-1), 2^(w-1)), for
   i < (256 + w - 1) / w digits (the count is returned). w is 2..8. The
   fixed-window schedule every backend runs: each window adds exactly one
   table entry (or nothing for 0), in the same place for every lane. */
unsigned sl_sc_recode(int8_t *e, const uint8_t a[32], unsigned w);

#endif
