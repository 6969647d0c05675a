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

/* One transaction on a one-lane backend: in order, stopping at a failure. */
static int txn_in_turn(const uint8_t *buf, const sl_txn_t *t) {
  const uint8_t *msg = buf + t->msg_off;
  for (uint32_t i = 0; i < t->sig_cnt; i++)
    if (sl_sigverify_one(sl_txn_sig(buf, t, i), msg, t->msg_sz, sl_txn_key(buf, t, i)) != 0)
      return -1 - (int)i;
  return 0;
}

void sl_sigverify_txns(const uint8_t *const *bufs, const sl_txn_t *txns, uint32_t n, int *out) {
  uint32_t total = 0;
  for (uint32_t j = 0; j < n; j++) total += txns[j].sig_cnt;
  /* A lone signature goes to libsodium on every backend (sl_ed25519_verify),
     so the in-turn path serves it too. */
  if (total == 1 || sl_ed25519_backend_lanes(backend) == 1) {
    for (uint32_t j = 0; j < n; j++) out[j] = txn_in_turn(bufs[j], &txns[j]);
    return;
  }
  sl_ed25519_item_t items[SL_SIGVERIFY_GROUP_SIGS_MAX];
  int res[SL_SIGVERIFY_GROUP_SIGS_MAX];
  uint32_t k = 0;
  for (uint32_t j = 0; j < n; j++) {
    const uint8_t *buf = bufs[j];
    const sl_txn_t *t = &txns[j];
    for (uint32_t i = 0; i < t->sig_cnt; i++)
      items[k++] = (sl_ed25519_item_t){sl_txn_sig(buf, t, i), buf + t->msg_off, sl_txn_key(buf, t, i), t->msg_sz};
  }
  sl_sigverify_many(items, k, res);
  k = 0;
  for (uint32_t j = 0; j < n; j++) {
    out[j] = 0;
    for (uint32_t i = 0; i < txns[j].sig_cnt; i++, k++)
      if (res[k] != 0 && out[j] == 0) out[j] = -1 - (int)i;
  }
}

int sl_sigverify_txn(const uint8_t *buf, const sl_txn_t *t) {
  int r;
  sl_sigverify_txns(&buf, t, 1, &r);
  return r;
}
