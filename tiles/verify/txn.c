#include "tiles/verify/txn.h"

/* cu16_read is the strict decoder behind sl_cu16_decode and the parser:
   it returns the bytes consumed (1-3), or the SL_TXN_ERR_* reason. The
   common case (a count below 128) costs one load and one branch. */
static inline int cu16_read(const uint8_t *p, uint32_t left, uint32_t *val) {
  if (__builtin_expect(left == 0, 0)) return SL_TXN_ERR_TRUNCATED;
  uint32_t b0 = p[0];
  if (__builtin_expect(b0 < 0x80u, 1)) {
    *val = b0;
    return 1;
  }
  if (left < 2) return SL_TXN_ERR_TRUNCATED;
  uint32_t b1 = p[1];
  if (b1 == 0) return SL_TXN_ERR_CU16_NONMINIMAL;
  if (b1 < 0x80u) {
    *val = (b0 & 0x7fu) | (b1 << 7);
    return 2;
  }
  if (left < 3) return SL_TXN_ERR_TRUNCATED;
  uint32_t b2 = p[2];
  if (b2 == 0) return SL_TXN_ERR_CU16_NONMINIMAL;
  if (b2 & 0x80u) return SL_TXN_ERR_CU16_TOO_LONG;
  if (b2 > 3u) return SL_TXN_ERR_CU16_OVERFLOW; /* 7 + 7 + 2 bits = 16 */
  *val = (b0 & 0x7fu) | ((b1 & 0x7fu) << 7) | (b2 << 14);
  return 3;
}

int sl_cu16_decode(const uint8_t *buf, uint32_t sz, uint16_t *val) {
  uint32_t v;
  int n = cu16_read(buf, sz, &v);
  if (n < 0) return -1;
  *val = (uint16_t)v;
  return n;
}

int sl_cu16_encode(uint16_t val, uint8_t *out) {
  uint32_t v = val;
  if (v < 0x80u) {
    out[0] = (uint8_t)v;
    return 1;
  }
  out[0] = (uint8_t)(v | 0x80u);
  if (v < 0x4000u) {
    out[1] = (uint8_t)(v >> 7);
    return 2;
  }
  out[1] = (uint8_t)((v >> 7) | 0x80u);
  out[2] = (uint8_t)(v >> 14);
  return 3;
}

/* Parsing discipline: i is the cursor and i <= sz always holds. A field of
   n bytes is read only after NEED(n) checked n <= sz - i (written so that
   an attacker-chosen n cannot overflow), and i advances by exactly n.
   Counts are limited before the bytes they announce are looked at, which
   also keeps every product below 2^32. */
#define NEED(n)                                               \
  do {                                                        \
    if (__builtin_expect((uint32_t)(n) > sz - i, 0))          \
      return SL_TXN_ERR_TRUNCATED;                            \
  } while (0)
#define READ_CU16(var)                                        \
  do {                                                        \
    int n_ = cu16_read(buf + i, sz - i, &(var));              \
    if (__builtin_expect(n_ < 0, 0)) return n_;               \
    i += (uint32_t)n_;                                        \
  } while (0)
#define FAIL_IF(cond, code)                                   \
  do {                                                        \
    if (__builtin_expect(!!(cond), 0)) return (code);         \
  } while (0)

int sl_txn_parse(const uint8_t *buf, uint32_t sz, sl_txn_t *out) {
  FAIL_IF(sz > SL_TXN_MTU, SL_TXN_ERR_TOO_LARGE);
  uint32_t i = 0;

  uint32_t sig_cnt;
  READ_CU16(sig_cnt);
  FAIL_IF(sig_cnt == 0, SL_TXN_ERR_NO_SIGS);
  FAIL_IF(sig_cnt > SL_TXN_SIG_MAX, SL_TXN_ERR_TOO_MANY_SIGS);
  NEED(SL_TXN_SIG_SZ * sig_cnt);
  uint32_t sig_off = i;
  i += SL_TXN_SIG_SZ * sig_cnt;

  uint32_t msg_off = i;
  NEED(1);
  uint32_t b0 = buf[i++];
  uint32_t version = SL_TXN_VLEGACY;
  if (b0 & 0x80u) { /* versioned: the header follows the prefix byte */
    version = b0 & 0x7fu;
    FAIL_IF(version != SL_TXN_V0, SL_TXN_ERR_BAD_VERSION);
    NEED(1);
    b0 = buf[i++];
  }
  FAIL_IF(b0 != sig_cnt, SL_TXN_ERR_SIG_CNT_MISMATCH);
  NEED(2);
  uint32_t ro_signed = buf[i];
  uint32_t ro_unsigned = buf[i + 1];
  i += 2;
  FAIL_IF(ro_signed >= sig_cnt, SL_TXN_ERR_NO_WRITABLE_PAYER);

  uint32_t key_cnt;
  READ_CU16(key_cnt);
  FAIL_IF(key_cnt > SL_TXN_KEY_MAX, SL_TXN_ERR_TOO_MANY_KEYS);
  FAIL_IF(sig_cnt > key_cnt, SL_TXN_ERR_SIGS_GT_KEYS);
  FAIL_IF(sig_cnt + ro_unsigned > key_cnt, SL_TXN_ERR_HEADER_OVERLAP);
  NEED(SL_TXN_KEY_SZ * key_cnt);
  uint32_t key_off = i;
  i += SL_TXN_KEY_SZ * key_cnt;
  NEED(SL_TXN_HASH_SZ);
  uint32_t blockhash_off = i;
  i += SL_TXN_HASH_SZ;

  uint32_t instr_cnt;
  READ_CU16(instr_cnt);
  FAIL_IF(instr_cnt > SL_TXN_INSTR_MAX, SL_TXN_ERR_TOO_MANY_INSTRS);
  uint32_t instr_off = i;
  /* Account indices may point into the lookups, whose size is not known
     yet: keep the largest and check it once at the end. */
  uint32_t acct_max = 0;
  for (uint32_t j = 0; j < instr_cnt; j++) {
    NEED(1);
    uint32_t prog = buf[i++];
    /* prog - 1 wraps for 0, so one compare rejects the payer and anything
       past the static keys (programs cannot come from a lookup). */
    FAIL_IF(prog - 1u >= key_cnt - 1u, SL_TXN_ERR_PROGRAM_INDEX);
    uint32_t acct_cnt;
    READ_CU16(acct_cnt);
    NEED(acct_cnt);
    for (uint32_t k = 0; k < acct_cnt; k++) {
      uint32_t a = buf[i + k];
      acct_max = a > acct_max ? a : acct_max;
    }
    i += acct_cnt;
    uint32_t data_sz;
    READ_CU16(data_sz);
    NEED(data_sz);
    i += data_sz;
  }

  uint32_t lut_cnt = 0, lut_acct = 0, lut_writable = 0;
  uint32_t lut_off = sz;
  if (version == SL_TXN_V0) {
    READ_CU16(lut_cnt);
    FAIL_IF(lut_cnt > SL_TXN_LUT_MAX, SL_TXN_ERR_TOO_MANY_LUTS);
    lut_off = i;
    for (uint32_t j = 0; j < lut_cnt; j++) {
      NEED(SL_TXN_KEY_SZ);
      i += SL_TXN_KEY_SZ;
      uint32_t w_cnt, r_cnt;
      READ_CU16(w_cnt);
      FAIL_IF(key_cnt + lut_acct + w_cnt > SL_TXN_ACCT_MAX, SL_TXN_ERR_TOO_MANY_ACCTS);
      NEED(w_cnt);
      i += w_cnt;
      READ_CU16(r_cnt);
      FAIL_IF(key_cnt + lut_acct + w_cnt + r_cnt > SL_TXN_ACCT_MAX, SL_TXN_ERR_TOO_MANY_ACCTS);
      FAIL_IF(w_cnt + r_cnt == 0, SL_TXN_ERR_EMPTY_LUT);
      NEED(r_cnt);
      i += r_cnt;
      lut_acct += w_cnt + r_cnt;
      lut_writable += w_cnt;
    }
  }
  FAIL_IF(i != sz, SL_TXN_ERR_TRAILING);
  FAIL_IF(acct_max >= key_cnt + lut_acct, SL_TXN_ERR_ACCT_INDEX);

  out->sz = (uint16_t)sz;
  out->version = (uint8_t)version;
  out->sig_cnt = (uint8_t)sig_cnt;
  out->sig_off = (uint16_t)sig_off;
  out->msg_off = (uint16_t)msg_off;
  out->msg_sz = (uint16_t)(sz - msg_off);
  out->ro_signed_cnt = (uint8_t)ro_signed;
  out->ro_unsigned_cnt = (uint8_t)ro_unsigned;
  out->key_cnt = (uint16_t)key_cnt;
  out->key_off = (uint16_t)key_off;
  out->blockhash_off = (uint16_t)blockhash_off;
  out->instr_cnt = (uint16_t)instr_cnt;
  out->instr_off = (uint16_t)instr_off;
  out->lut_cnt = (uint16_t)lut_cnt;
  out->lut_off = (uint16_t)lut_off;
  out->lut_acct_cnt = (uint16_t)lut_acct;
  out->lut_writable_cnt = (uint16_t)lut_writable;
  return 0;
}

#undef NEED
#undef READ_CU16
#undef FAIL_IF

const char *sl_txn_strerror(int code) {
  switch (code) {
  case 0: return "ok";
  case SL_TXN_ERR_TRUNCATED: return "truncated";
  case SL_TXN_ERR_TOO_LARGE: return "larger than 1232 bytes";
  case SL_TXN_ERR_CU16_NONMINIMAL: return "compact-u16 not minimally encoded";
  case SL_TXN_ERR_CU16_TOO_LONG: return "compact-u16 longer than 3 bytes";
  case SL_TXN_ERR_CU16_OVERFLOW: return "compact-u16 value above 65535";
  case SL_TXN_ERR_NO_SIGS: return "no signatures";
  case SL_TXN_ERR_TOO_MANY_SIGS: return "more than 12 signatures";
  case SL_TXN_ERR_BAD_VERSION: return "unsupported message version";
  case SL_TXN_ERR_SIG_CNT_MISMATCH: return "signature count differs from required signatures";
  case SL_TXN_ERR_NO_WRITABLE_PAYER: return "no writable signer (readonly signed >= required)";
  case SL_TXN_ERR_TOO_MANY_KEYS: return "more than 128 static account keys";
  case SL_TXN_ERR_SIGS_GT_KEYS: return "more signatures than account keys";
  case SL_TXN_ERR_HEADER_OVERLAP: return "required + readonly unsigned exceed account keys";
  case SL_TXN_ERR_TOO_MANY_INSTRS: return "more than 64 instructions";
  case SL_TXN_ERR_PROGRAM_INDEX: return "program index is the payer or not a static key";
  case SL_TXN_ERR_TOO_MANY_LUTS: return "more than 127 address table lookups";
  case SL_TXN_ERR_TOO_MANY_ACCTS: return "more than 256 accounts with lookups";
  case SL_TXN_ERR_EMPTY_LUT: return "address table lookup selects no account";
  case SL_TXN_ERR_TRAILING: return "trailing bytes after the message";
  case SL_TXN_ERR_ACCT_INDEX: return "instruction account index out of range";
  default: return "unknown transaction parse error";
  }
}
