/* app/gen/txn_build.h: builds Solana-format transactions for `sluice gen`.

   Shapes are realistic: 1..4 signers (payer first and writable, sometimes a
   read-only co-signer), 1..2 writable recipients, the system program and
   optionally the compute-budget and memo programs as read-only accounts; a
   SetComputeUnitLimit instruction (sometimes), a transfer, and a memo whose
   data pads the transaction to the requested size. v0 messages add one or
   two address lookup tables, and the transfer's recipient is then a looked-up
   account. The recent blockhash carries the caller's serial number, so two
   builds with different serials never share a message, hence never share a
   first signature.

   Every variant is deterministic in (keys, serial, rng state, spec). */
#ifndef SL_GEN_TXN_BUILD_H
#define SL_GEN_TXN_BUILD_H

#include <stdint.h>

#include "app/gen/rng.h"
#include "util/err.h"
#include "util/limits.h"

#define SL_TXN_BUILD_SIGS_MAX 4u
#define SL_TXN_KEYS_MAX 64u

/* The smallest well-formed transaction (1 signature, 1 account, no
   instruction) is 134 bytes; runts are shorter than this. */
#define SL_TXN_MIN_SZ 134u

/* What a built transaction is. */
enum {
  SL_TXN_VALID = 0,     /* well-formed, every signature verifies */
  SL_TXN_BAD_SIG = 1,   /* well-formed, one signature does not verify */
  SL_TXN_MALFORMED = 2, /* the strict parser rejects it */
};

/* How a SL_TXN_BAD_SIG is bad. */
enum {
  SL_TXN_BADSIG_FLIP = 0,      /* one bit flipped in one signature */
  SL_TXN_BADSIG_WRONG_KEY = 1, /* one signature made with a key that is not its account's */
  SL_TXN_BADSIG_CNT
};

/* How a SL_TXN_MALFORMED breaks the wire format (each is a rule of the
   strict parser: Agave's sanitize and Firedancer's parser). */
enum {
  SL_TXN_MAL_TRAILING = 0,     /* 1..8 bytes after the last field */
  SL_TXN_MAL_CU16_NONMINIMAL,  /* a count encoded 0x80|n, 0x00 instead of n */
  SL_TXN_MAL_SIG_CNT,          /* num_required_signatures = signatures + 1 */
  SL_TXN_MAL_TRUNCATED,        /* a strict prefix (at least half) of a valid one */
  SL_TXN_MAL_ZERO_SIGS,        /* signature count 0, signatures removed */
  SL_TXN_MAL_PROGRAM_IDX0,     /* first instruction's program is the payer */
  SL_TXN_MAL_PROGRAM_IDX_OOB,  /* a program index past the static keys */
  SL_TXN_MAL_ACCOUNT_IDX_OOB,  /* an instruction account index past all keys */
  SL_TXN_MAL_PAYER_READONLY,   /* num_readonly_signed = num_required_signatures */
  SL_TXN_MAL_VERSION,          /* version byte 0x81..0xff (only v0 exists) */
  SL_TXN_MAL_EMPTY_LOOKUP,     /* a v0 lookup table with no index */
  SL_TXN_MAL_RUNT,             /* 1..133 bytes: shorter than any transaction */
  SL_TXN_MAL_CNT
};

enum { SL_TXN_VER_ANY = 0, SL_TXN_VER_LEGACY = 1, SL_TXN_VER_V0 = 2 };

/* SL_TXN_VARIANT_ANY: let the builder pick the variant with its rng. */
#define SL_TXN_VARIANT_ANY 0xffu

/* What to build. Zero fields mean "pick with the rng". */
typedef struct {
  uint8_t kind;    /* SL_TXN_VALID, SL_TXN_BAD_SIG, SL_TXN_MALFORMED */
  uint8_t variant; /* SL_TXN_BADSIG_* or SL_TXN_MAL_*, or SL_TXN_VARIANT_ANY */
  uint8_t sigs;    /* 1..SL_TXN_BUILD_SIGS_MAX; 0: 1..4, mostly 1 */
  uint8_t version; /* SL_TXN_VER_* */
  uint16_t size;   /* target size in bytes, clamped to [smallest shape,
                      1232]; 0: random, mostly 200..600, up to 1232 */
} sl_txn_spec_t;

/* What was built (the spec with every choice resolved). */
typedef struct {
  uint8_t kind, variant, sigs, version;
  uint32_t sz;
} sl_txn_info_t;

/* A pool of signing keys. */
typedef struct {
  uint32_t cnt;
  uint8_t pub[SL_TXN_KEYS_MAX][32];
  uint8_t sec[SL_TXN_KEYS_MAX][64];
} sl_txn_keys_t;

/* sl_txn_keys_init derives cnt (SL_TXN_BUILD_SIGS_MAX + 1 ..
   SL_TXN_KEYS_MAX) ed25519 keypairs from seed with crypto_sign_seed_keypair:
   the same seed gives the same keys. Initializes libsodium. Fails if
   libsodium cannot initialize or cnt is out of range. */
int sl_txn_keys_init(sl_txn_keys_t *k, uint64_t seed, uint32_t cnt, sl_err_t *err);

/* sl_txn_build writes one transaction per spec into out (room for
   SL_TXN_MTU bytes) and returns its size (1..1232).

   Draws every random choice from rng (advancing it) and embeds serial in
   the blockhash: distinct serials give distinct messages. Assumes keys came
   from sl_txn_keys_init and spec's fields are in range. Size: the memo pads
   to spec->size exactly (within one byte where a compact-u16 length grows)
   when the target leaves room for a memo, else the bare shape is returned
   (at most 36 bytes under the target); a target below the drawn shape
   sheds its optional parts and gets the smallest shape (215 bytes for one
   signer, legacy; more with more signers or v0). Variants that lengthen (trailing, non-minimal)
   build from a target shortened to keep the result within 1232 bytes.
   Signs (~20 us per signature), so this is not a hot-path function. If info
   is not NULL it receives the resolved choices. Never fails. */
uint32_t sl_txn_build(uint8_t *out, const sl_txn_keys_t *keys, uint64_t serial, sl_rng_t *rng,
                      const sl_txn_spec_t *spec, sl_txn_info_t *info);

/* sl_txn_cu16_put writes v (< 2^16) as a minimal compact-u16 (1..3 bytes)
   and returns the bytes written. (The verify tile's sl_cu16_encode does the
   same; gen keeps its own so it does not depend on a tile.) */
uint32_t sl_txn_cu16_put(uint8_t *out, uint32_t v);

/* sl_txn_variant_name: "flip", "trailing", ... for logs and test messages. */
const char *sl_txn_variant_name(uint32_t kind, uint32_t variant);

#endif
