/* tiles/verify/sigverify.h: strict ed25519 verification of every signature
   of a parsed transaction.

   Strict means what Agave's ed25519-dalek verify_strict accepts: s < L,
   canonical encodings, no small-order R or public key, the cofactorless
   equation. libsodium's crypto_sign_verify_detached agrees with it on every
   edge case in vectors/ed25519 (the tests check this), and every backend
   of tiles/verify/ed25519 returns libsodium's verdict. Signatures are
   verified one at a time, each on its own (several at once only in the
   independent lanes of a vector backend): batch or cofactored verification
   accepts signatures the cluster rejects, and a validator that accepts them
   forks. The backend is per process (one verify tile per process). */
#ifndef SL_TILES_VERIFY_SIGVERIFY_H
#define SL_TILES_VERIFY_SIGVERIFY_H

#include <stdint.h>

#include "tiles/verify/ed25519/ed25519.h"
#include "tiles/verify/txn.h"
#include "util/err.h"

/* sl_sigverify_init initializes libsodium and the ed25519 tables and
   selects the backend "auto" (the fastest this CPU runs). Call once per
   process before sl_sigverify_txn; calling it again is harmless (and
   selects "auto" again). Returns 0, or -1 with err set if libsodium cannot
   start. */
int sl_sigverify_init(sl_err_t *err);

/* sl_sigverify_select picks the backend by its configured name ([verify]
   ed25519: "auto", "libsodium", "avx2", "avx512"; "ref" for the tests).
   Call after sl_sigverify_init. Returns 0, or -1 with err set (and the
   backend unchanged) if the name is unknown or this CPU cannot run it. */
int sl_sigverify_select(const char *name, sl_err_t *err);

/* sl_sigverify_backend: the backend this process verifies with. */
sl_ed25519_backend_t sl_sigverify_backend(void);

/* sl_sigverify_one checks one signature: sig (64 bytes) by public key pk
   (32 bytes) over msg[0..msg_sz). Returns 0 if it verifies, -1 if not
   (including a non-canonical or small-order key or R, and s >= L). The
   single-signature primitive every check in sluice goes through, so the
   edge-case tests cover exactly what the tile runs. */
int sl_sigverify_one(const uint8_t *sig, const uint8_t *msg, uint32_t msg_sz, const uint8_t *pk);

/* sl_sigverify_many checks n independent signatures at once (the lanes of
   the backend), out[i] = 0 or -1, each sl_sigverify_one's verdict on item
   i. No allocation, no syscall. */
void sl_sigverify_many(const sl_ed25519_item_t *items, uint32_t n, int *out);

/* sl_sigverify_txn checks signature i against static key i over the
   message bytes buf[t->msg_off .. t->msg_off + t->msg_sz), for i in
   0..t->sig_cnt-1: in order, stopping at the first failure, on a
   one-lane backend; all at once through sl_sigverify_many on a vector
   backend (the same verdict). Assumes
   sl_txn_parse accepted buf with t (so every signature has its key) and
   that sl_sigverify_init succeeded. Returns 0 if all signatures pass, else
   -1 - i where i is the lowest failing index (so -1 means signature 0).
   No allocation, no syscall. The n = 1 case of sl_sigverify_txns. */
int sl_sigverify_txn(const uint8_t *buf, const sl_txn_t *t);

/* The most signatures sl_sigverify_txns takes in one call (a caller
   gathering transactions stops before it would pass this). */
#define SL_SIGVERIFY_GROUP_SIGS_MAX 64u

/* sl_sigverify_txns checks n transactions at once: out[j] is
   sl_sigverify_txn(bufs[j], &txns[j]) for each j < n. On a vector backend
   the signatures of all n go through the lanes together, in order (so a
   pass holds signatures of several transactions: one transaction rarely
   has enough to fill the lanes); on a one-lane backend each transaction is
   checked in turn, stopping at its first failure. Same assumptions as
   sl_sigverify_txn for every j, and the signature counts add up to at
   most SL_SIGVERIFY_GROUP_SIGS_MAX. No allocation, no syscall. */
void sl_sigverify_txns(const uint8_t *const *bufs, const sl_txn_t *txns, uint32_t n, int *out);

#endif
