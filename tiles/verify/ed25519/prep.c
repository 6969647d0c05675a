#include "tiles/verify/ed25519/prep.h"

#include <sodium.h>

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
