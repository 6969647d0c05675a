/* tiles/verify/txn.h: strict parser for Solana wire transactions (legacy
   and v0), and the compact-u16 integer codec the wire format uses.

   The parser accepts exactly what Agave's sanitize + sigverify and
   Firedancer's fd_txn_parse would both accept at the 1232-byte MTU (where
   the two differ, the stricter limit is taken, and only where no valid
   mainnet transaction can exceed it), so the verify tile never forwards a
   transaction the cluster would reject for its shape.

   Wire format (all counts compact-u16 unless noted):
     sig_cnt, sig_cnt x 64-byte signature,
     message: [0x80|version] (v0 only), 3 header bytes (required
       signatures, readonly signed, readonly unsigned), key count, keys x 32,
       recent blockhash 32, instruction count, instructions (program index
       u8, account index count + u8 indices, data length + data),
       v0 only: lookup count, lookups (table key 32, writable index count +
       u8 indices, readonly index count + u8 indices).
   Signature i signs the message bytes (msg_off to the end) with static key i.

   Everything in sl_txn_t is an offset into (or a count about) the buffer
   that was parsed: the result is valid only together with that buffer. */
#ifndef SL_TILES_VERIFY_TXN_H
#define SL_TILES_VERIFY_TXN_H

#include <stdint.h>

#include "util/limits.h" /* SL_TXN_MTU: largest transaction on the wire, bytes */

#define SL_TXN_SIG_SZ 64u          /* ed25519 signature */
#define SL_TXN_KEY_SZ 32u          /* account address / ed25519 public key */
#define SL_TXN_HASH_SZ 32u         /* recent blockhash */

/* Limits. Where Agave and Firedancer differ the stricter one is used; the
   comment says why it never rejects a transaction the cluster would take. */
#define SL_TXN_SIG_MAX 12u         /* 13 x (64 sig + 32 key) > 1232 bytes */
#define SL_TXN_KEY_MAX 128u        /* static keys: Firedancer's cap; 1232
                                      bytes hold at most 35 (Agave: 256) */
#define SL_TXN_ACCT_MAX 256u       /* static + looked-up keys (Agave sanitize;
                                      account indices are u8) */
#define SL_TXN_INSTR_MAX 64u       /* top-level instructions (Agave's static
                                      instruction limit, Firedancer's cap) */
#define SL_TXN_LUT_MAX 127u        /* lookups: Firedancer's cap; each needs
                                      >= 35 bytes, so 1232 bytes hold <= 33 */

#define SL_TXN_VLEGACY 0xffu       /* sl_txn_t.version of a legacy message */
#define SL_TXN_V0 0u               /* sl_txn_t.version of a v0 message */

/* Reasons sl_txn_parse rejects a buffer, one per rule. When a buffer
   breaks several rules the first one met in wire order is reported, except
   that the size limit is checked before anything else and count limits are
   checked as soon as a count is read (before the bytes it announces, so a
   huge count reads as "too many", not "truncated"). Instruction account
   indices are checked last, once the lookups have given the total. */
#define SL_TXN_ERR_TRUNCATED         (-1)  /* a field runs past the end */
#define SL_TXN_ERR_TOO_LARGE         (-2)  /* more than SL_TXN_MTU bytes */
#define SL_TXN_ERR_CU16_NONMINIMAL   (-3)  /* compact-u16 with a redundant 0 byte */
#define SL_TXN_ERR_CU16_TOO_LONG     (-4)  /* compact-u16 continues past 3 bytes */
#define SL_TXN_ERR_CU16_OVERFLOW     (-5)  /* compact-u16 value above 65535 */
#define SL_TXN_ERR_NO_SIGS           (-6)  /* zero signatures */
#define SL_TXN_ERR_TOO_MANY_SIGS     (-7)  /* more than SL_TXN_SIG_MAX */
#define SL_TXN_ERR_BAD_VERSION       (-8)  /* version prefix other than v0 */
#define SL_TXN_ERR_SIG_CNT_MISMATCH  (-9)  /* sig_cnt != required signatures */
#define SL_TXN_ERR_NO_WRITABLE_PAYER (-10) /* readonly signed >= required */
#define SL_TXN_ERR_TOO_MANY_KEYS     (-11) /* static keys > SL_TXN_KEY_MAX */
#define SL_TXN_ERR_SIGS_GT_KEYS      (-12) /* signatures > static keys */
#define SL_TXN_ERR_HEADER_OVERLAP    (-13) /* required + readonly unsigned > static keys */
#define SL_TXN_ERR_TOO_MANY_INSTRS   (-14) /* instructions > SL_TXN_INSTR_MAX */
#define SL_TXN_ERR_PROGRAM_INDEX     (-15) /* program index 0 (the payer) or >= static keys */
#define SL_TXN_ERR_TOO_MANY_LUTS     (-16) /* lookups > SL_TXN_LUT_MAX */
#define SL_TXN_ERR_TOO_MANY_ACCTS    (-17) /* static + looked-up > SL_TXN_ACCT_MAX */
#define SL_TXN_ERR_EMPTY_LUT         (-18) /* a lookup selecting no index */
#define SL_TXN_ERR_TRAILING          (-19) /* bytes left after the message */
#define SL_TXN_ERR_ACCT_INDEX        (-20) /* instruction account index >= total keys */
#define SL_TXN_ERR_MIN               (-20) /* lowest code, for tables */

/* A parsed transaction: offsets are from the start of the parsed buffer
   (all < SL_TXN_MTU, hence uint16_t). */
typedef struct {
  uint16_t sz;               /* whole transaction, bytes */
  uint8_t  version;          /* SL_TXN_VLEGACY or SL_TXN_V0 */
  uint8_t  sig_cnt;          /* 1..SL_TXN_SIG_MAX, == required signatures */
  uint16_t sig_off;          /* signature 0; signature i at sig_off + 64 i */
  uint16_t msg_off;          /* first signed byte (version prefix or header) */
  uint16_t msg_sz;           /* signed bytes: msg_off + msg_sz == sz */
  uint8_t  ro_signed_cnt;    /* header: readonly signed keys (< sig_cnt) */
  uint8_t  ro_unsigned_cnt;  /* header: readonly unsigned static keys */
  uint16_t key_cnt;          /* static keys, sig_cnt..SL_TXN_KEY_MAX */
  uint16_t key_off;          /* static key 0; key i at key_off + 32 i */
  uint16_t blockhash_off;    /* recent blockhash, 32 bytes */
  uint16_t instr_cnt;        /* 0..SL_TXN_INSTR_MAX */
  uint16_t instr_off;        /* first instruction (its program index byte);
                                what follows the count if instr_cnt == 0 */
  uint16_t lut_cnt;          /* address-table lookups (0 for legacy) */
  uint16_t lut_off;          /* first lookup (its table key); == sz if none */
  uint16_t lut_acct_cnt;     /* accounts looked up, writable + readonly */
  uint16_t lut_writable_cnt; /* of which writable */
} sl_txn_t;

/* sl_cu16_decode reads one compact-u16 (1-3 little-endian groups of 7 bits,
   high bit = more follows) from buf[0..sz). Strict: rejects a non-minimal
   encoding (a byte after the first that is 0), a continuation bit on the
   third byte, a value above 65535 and a truncated encoding (including
   sz == 0). Returns the bytes consumed (1-3) and stores the value in *val,
   or returns -1 and leaves *val alone. Never reads past buf[sz-1] nor more
   than 3 bytes. */
int sl_cu16_decode(const uint8_t *buf, uint32_t sz, uint16_t *val);

/* sl_cu16_encode writes val as a minimal compact-u16 into out, which must
   have room for 3 bytes, and returns the bytes written (1 for val < 128, 2
   for val < 16384, else 3). Cannot fail. */
int sl_cu16_encode(uint16_t val, uint8_t *out);

/* sl_txn_parse checks that buf[0..sz) is exactly one well-formed
   transaction (see SL_TXN_ERR_* for every rule) and describes it in *out.
   Returns 0, or a negative SL_TXN_ERR_* code (out is then left untouched).
   Single pass, no allocation, no syscall; never reads outside buf[0..sz)
   whatever the content. Does not check signatures (sl_sigverify_txn does),
   nor anything needing chain state (blockhash age, lookup table contents). */
int sl_txn_parse(const uint8_t *buf, uint32_t sz, sl_txn_t *out);

/* sl_txn_strerror returns a short static text for an sl_txn_parse result
   ("ok" for 0, "compact-u16 not minimally encoded", ...); unknown codes
   give "unknown transaction parse error". Never NULL. */
const char *sl_txn_strerror(int code);

/* Accessors for a buffer that sl_txn_parse accepted with t. i must be below
   t->sig_cnt (signatures) or t->key_cnt (keys); not checked. */
static inline const uint8_t *sl_txn_sig(const uint8_t *buf, const sl_txn_t *t, uint32_t i) {
  return buf + t->sig_off + SL_TXN_SIG_SZ * i;
}
static inline const uint8_t *sl_txn_key(const uint8_t *buf, const sl_txn_t *t, uint32_t i) {
  return buf + t->key_off + SL_TXN_KEY_SZ * i;
}

#endif
