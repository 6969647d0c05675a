/* tiles/verify/ed25519/prep.h: the per-signature work every backend of
   ours shares before the point arithmetic, in libsodium's order of checks
   (crypto_sign/ed25519/ref10/open.c, 1.0.18):
     1. s (signature bytes 32..63) < L;
     2. R (bytes 0..31) not a small-order encoding;
     3. A (the public key) canonical (y < p) and not small-order;
   then k = SHA-512(R || A || M) mod L, and both scalars as the signed
   digits of the fixed-window schedule. Decompressing A (4.) and the check
   [s]B - [k]A == R (5.) are the backends' (vector code does them in lanes).
   Every check is a reject on its own, so their order cannot change a
   verdict; it is kept only to read side by side with libsodium. */
#ifndef SL_TILES_VERIFY_ED25519_PREP_H
#define SL_TILES_VERIFY_ED25519_PREP_H

#include <stdint.h>

#include "tiles/verify/ed25519/ed25519.h"
#include "tiles/verify/ed25519/ge.h"
#include "tiles/verify/ed25519/sha512.h"

/* The schedule: k's digits in windows of SL_PREP_AW bits (a table of
   2^(SL_PREP_AW-1) multiples of -A per signature), s's in windows of
   SL_GE_BW bits (the shared table of multiples of B). */
#define SL_PREP_AW 4
#define SL_PREP_AN ((256 + SL_PREP_AW - 1) / SL_PREP_AW)
#define SL_PREP_ATAB_CNT (1u << (SL_PREP_AW - 1))
#define SL_PREP_BN ((256 + SL_GE_BW - 1) / SL_GE_BW)
/* The highest bit position holding a digit of either scalar (both < 2^253):
   the schedule starts there and doubles down to 0. */
#define SL_PREP_TOP_A ((SL_PREP_AN - 1) * SL_PREP_AW)
#define SL_PREP_TOP_B ((SL_PREP_BN - 1) * SL_GE_BW)
#define SL_PREP_TOP (SL_PREP_TOP_A > SL_PREP_TOP_B ? SL_PREP_TOP_A : SL_PREP_TOP_B)

typedef struct {
  int8_t a[SL_PREP_AN]; /* k = sum a[i] 2^(AW i): the digits for -A */
  int8_t b[SL_PREP_BN]; /* s = sum b[j] 2^(BW j): the digits for B */
} sl_prep_t;

/* sl_prep_checks runs checks 1-3 on sig (64 bytes) and pk (32 bytes).
   Returns 0 if they pass, -1 if the signature is to be rejected. */
int sl_prep_checks(const uint8_t *sig, const uint8_t *pk);

/* sl_prep_scalars hashes R || A || msg (libsodium's SHA-512) and hands the
   digest to sl_prep_digits. Assumes sl_prep_checks passed. Never fails. */
void sl_prep_scalars(sl_prep_t *out, const uint8_t *sig, const uint8_t *msg, uint32_t msg_sz,
                     const uint8_t *pk);

/* sl_prep_digits reduces the digest h mod L into k and writes the digits
   of k and of s (sig bytes 32..63, < L) into out: for the vector backends,
   which hash their lanes together (sha512.h). Never fails. */
void sl_prep_digits(sl_prep_t *out, const uint8_t h[64], const uint8_t *sig);

/* A multi-buffer SHA-512 (sl_sha512x8, sl_sha512x4). */
typedef void (*sl_prep_hash_fn)(uint8_t out[][64], const sl_sha512_lane_t *lanes, uint32_t n);

/* sl_prep_lanes is the front half of one vector pass over items[0..n),
   n <= lanes: checks 1-3 per item, one sweep of hash over the items that
   pass, and their digits transposed for the lanes: a[i * lanes + l] is
   digit i of lane l's k, b[j * lanes + l] digit j of its s (zero for lanes
   that failed or are unused: the pass computes on nothing there). Sets
   out[l] = -1 for every l < n (the pass then sets 0 where R matches).
   Returns the mask of lanes that passed. No allocation. */
uint32_t sl_prep_lanes(const sl_ed25519_item_t *items, uint32_t n, uint32_t lanes, sl_prep_hash_fn hash,
                       int8_t *a, int8_t *b, int *out);

#endif
