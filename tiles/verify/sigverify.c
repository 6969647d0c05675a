#include "tiles/verify/sigverify.h"

#include <sodium.h>

int sl_sigverify_init(sl_err_t *err) {
  /* 0: initialized now, 1: already was; -1 only when libsodium cannot get
     what it needs from the system (e.g. no randomness source). */
  if (sodium_init() < 0)
    return sl_err_set(err, "sigverify: libsodium failed to initialize (sodium_init); "
                           "check that /dev/urandom or getrandom() is available");
  return 0;
}

int sl_sigverify_one(const uint8_t *sig, const uint8_t *msg, uint32_t msg_sz, const uint8_t *pk) {
  return crypto_sign_verify_detached(sig, msg, msg_sz, pk) == 0 ? 0 : -1;
}

int sl_sigverify_txn(const uint8_t *buf, const sl_txn_t *t) {
  const uint8_t *msg = buf + t->msg_off;
  uint32_t cnt = t->sig_cnt;
  for (uint32_t i = 0; i < cnt; i++) {
    if (sl_sigverify_one(sl_txn_sig(buf, t, i), msg, t->msg_sz, sl_txn_key(buf, t, i)) != 0)
      return -1 - (int)i;
  }
  return 0;
}
