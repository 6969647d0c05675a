/* libFuzzer harness for tiles/verify/txn: the parser must never read
   outside its input (ASan), and whatever it accepts must be described by
   offsets and counts that stay inside the buffer and obey the limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/verify/txn.h"

#define CHECK(c) \
  do {           \
    if (!(c)) abort(); \
  } while (0)

/* Whatever sl_cu16_decode accepts re-encodes to the same bytes: strict
   decoding means exactly one encoding per value. */
static void check_cu16(const uint8_t *data, uint32_t size) {
  uint16_t v;
  int n = sl_cu16_decode(data, size, &v);
  if (n < 0) return;
  CHECK(n >= 1 && n <= 3 && (uint32_t)n <= size);
  uint8_t enc[3];
  CHECK(sl_cu16_encode(v, enc) == n);
  CHECK(memcmp(enc, data, (size_t)n) == 0);
}

static void check_accepted(const uint8_t *data, uint32_t size, const sl_txn_t *t) {
  CHECK(t->sz == size && size <= SL_TXN_MTU);
  CHECK(t->version == SL_TXN_VLEGACY || t->version == SL_TXN_V0);
  CHECK(t->sig_cnt >= 1 && t->sig_cnt <= SL_TXN_SIG_MAX);
  CHECK(t->sig_off >= 1 && (uint32_t)t->sig_off + SL_TXN_SIG_SZ * t->sig_cnt == t->msg_off);
  CHECK((uint32_t)t->msg_off + t->msg_sz == size && t->msg_sz >= 4);
  CHECK(data[t->msg_off] == (t->version == SL_TXN_V0 ? 0x80 : t->sig_cnt));
  CHECK(t->ro_signed_cnt < t->sig_cnt);
  CHECK(t->key_cnt >= t->sig_cnt && t->key_cnt <= SL_TXN_KEY_MAX);
  CHECK((uint32_t)t->sig_cnt + t->ro_unsigned_cnt <= t->key_cnt);
  CHECK(t->key_off > t->msg_off);
  CHECK((uint32_t)t->key_off + SL_TXN_KEY_SZ * t->key_cnt == t->blockhash_off);
  CHECK((uint32_t)t->blockhash_off + SL_TXN_HASH_SZ <= t->instr_off && t->instr_off <= size);
  CHECK(t->instr_cnt <= SL_TXN_INSTR_MAX);
  CHECK(t->instr_cnt == 0 || t->instr_off + 3u * t->instr_cnt <= size);
  CHECK(t->lut_cnt <= SL_TXN_LUT_MAX && t->lut_off <= size);
  if (t->version == SL_TXN_VLEGACY) CHECK(t->lut_cnt == 0 && t->lut_off == size);
  CHECK(t->lut_cnt == 0 || (uint32_t)t->lut_off + 34u * t->lut_cnt <= size);
  CHECK(t->lut_writable_cnt <= t->lut_acct_cnt && t->lut_acct_cnt >= t->lut_cnt);
  CHECK((uint32_t)t->key_cnt + t->lut_acct_cnt <= SL_TXN_ACCT_MAX);
  if (t->instr_cnt) { /* program of instruction 0: neither payer nor looked up */
    uint8_t prog = data[t->instr_off];
    CHECK(prog >= 1 && prog < t->key_cnt);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4 * SL_TXN_MTU) return 0;
  check_cu16(data, (uint32_t)size);

  sl_txn_t t;
  int rc = sl_txn_parse(data, (uint32_t)size, &t);
  CHECK(rc <= 0 && rc >= SL_TXN_ERR_MIN);
  if (rc != 0) return 0;
  check_accepted(data, (uint32_t)size, &t);

  /* Accepted means exactly these bytes: any shorter prefix is truncated,
     one more byte is trailing (or too large). */
  sl_txn_t u;
  for (uint32_t cut = 0; cut < size; cut++)
    CHECK(sl_txn_parse(data, cut, &u) == SL_TXN_ERR_TRUNCATED);
  uint8_t *longer = malloc(size + 1);
  CHECK(longer != NULL);
  memcpy(longer, data, size);
  longer[size] = 0;
  rc = sl_txn_parse(longer, (uint32_t)size + 1, &u);
  CHECK(rc == (size == SL_TXN_MTU ? SL_TXN_ERR_TOO_LARGE : SL_TXN_ERR_TRAILING));
  free(longer);
  return 0;
}
