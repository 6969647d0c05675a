#include "tiles/verify/ed25519/prep.h"

#include <sodium.h>
#include <string.h>

#include "tiles/verify/ed25519/sc.h"

int sl_prep_checks(const uint8_t *sig, const uint8_t *pk) {
  if (!sl_sc_is_canonical(sig + 32)) return -1;
  if (sl_ge_has_small_order(sig)) return -1;
  if (!sl_ge_is_canonical(pk) || sl_ge_has_small_order(pk)) return -1;
  return 0;
}

void sl_prep_scalars(sl_prep_t *out, const uint8_t *sig, const uint8_t *msg, uint32_t msg_sz,
                     const uint8_t *pk) {
  crypto_hash_sha512_state hs;
  uint8_t h[64];
  crypto_hash_sha512_init(&hs);
  crypto_hash_sha512_update(&hs, sig, 32);
  crypto_hash_sha512_update(&hs, pk, 32);
  crypto_hash_sha512_update(&hs, msg, msg_sz);
  crypto_hash_sha512_final(&hs, h);
  sl_prep_digits(out, h, sig);
}

void sl_prep_digits(sl_prep_t *out, const uint8_t h[64], const uint8_t *sig) {
  uint8_t k[32];
  sl_sc_reduce(k, h);
  sl_sc_recode(out->a, k, SL_PREP_AW);
  sl_sc_recode(out->b, sig + 32, SL_GE_BW);
}

uint32_t sl_prep_lanes(const sl_ed25519_item_t *items, uint32_t n, uint32_t lanes, sl_prep_hash_fn hash,
                       int8_t *a, int8_t *b, int *out) {
  uint32_t live = 0, nlive = 0, lane_of[SL_ED25519_LANES_MAX];
  sl_sha512_lane_t plan[SL_ED25519_LANES_MAX];
  memset(a, 0, SL_PREP_AN * lanes);
  memset(b, 0, SL_PREP_BN * lanes);
  for (uint32_t l = 0; l < n; l++) {
    out[l] = -1;
    if (sl_prep_checks(items[l].sig, items[l].pk)) continue;
    sl_sha512_lane_init(&plan[nlive], items[l].sig, items[l].pk, items[l].msg, items[l].msg_sz);
    lane_of[nlive++] = l;
    live |= 1u << l;
  }
  if (!nlive) return 0;
  uint8_t h[SL_ED25519_LANES_MAX][64];
  hash(h, plan, nlive);
  for (uint32_t k = 0; k < nlive; k++) {
    uint32_t l = lane_of[k];
    sl_prep_t d;
    sl_prep_digits(&d, h[k], items[l].sig);
    for (int i = 0; i < SL_PREP_AN; i++) a[i * lanes + l] = d.a[i];
    for (int j = 0; j < SL_PREP_BN; j++) b[j * lanes + l] = d.b[j];
  }
  return live;
}
