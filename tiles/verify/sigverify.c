#include "tiles/verify/sigverify.h"

static sl_ed25519_backend_t backend = SL_ED25519_LIBSODIUM;

int sl_sigverify_init(sl_err_t *err) {
  if (sl_ed25519_init(err)) return sl_err_prefix(err, "sigverify");
  backend = sl_ed25519_auto();
  return 0;
}

int sl_sigverify_select(const char *name, sl_err_t *err) {
  if (sl_ed25519_select(name, &backend, err)) return sl_err_prefix(err, "[verify] ed25519");
  return 0;
}

sl_ed25519_backend_t sl_sigverify_backend(void) {
  return backend;
}

int sl_sigverify_one(const uint8_t *sig, const uint8_t *msg, uint32_t msg_sz, const uint8_t *pk) {
  return sl_ed25519_verify(backend, sig, msg, msg_sz, pk);
}

void sl_sigverify_many(const sl_ed25519_item_t *items, uint32_t n, int *out) {
  sl_ed25519_verify_many(backend, items, n, out);
}

int sl_sigverify_txn(const uint8_t *buf, const sl_txn_t *t) {
  const uint8_t *msg = buf + t->msg_off;
  uint32_t cnt = t->sig_cnt;
  if (cnt == 1 || sl_ed25519_backend_lanes(backend) == 1) { /* one at a time: stop at a failure */
    for (uint32_t i = 0; i < cnt; i++)
      if (sl_sigverify_one(sl_txn_sig(buf, t, i), msg, t->msg_sz, sl_txn_key(buf, t, i)) != 0)
        return -1 - (int)i;
    return 0;
  }
  sl_ed25519_item_t items[SL_TXN_SIG_MAX];
  int out[SL_TXN_SIG_MAX];
  for (uint32_t i = 0; i < cnt; i++)
    items[i] = (sl_ed25519_item_t){sl_txn_sig(buf, t, i), msg, sl_txn_key(buf, t, i), t->msg_sz};
  sl_sigverify_many(items, cnt, out);
  for (uint32_t i = 0; i < cnt; i++)
    if (out[i] != 0) return -1 - (int)i;
  return 0;
}
