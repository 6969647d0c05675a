/* Unit tests for tiles/verify/txn: the compact-u16 codec and the strict
   transaction parser (real transactions, one crafted transaction per
   rejection rule, truncation, trailing bytes). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/verify/txn.h"

/* ---- test data from $SLUICE_SHARED ------------------------------------ */

/* The fixtures of Firedancer's test_txn_parse.c. transaction5 is its
   hand-crafted invalid case (program index 1 with a single static key,
   then 26 lookups selecting nothing): Firedancer asserts it does not parse,
   and neither does Agave's sanitize, so it must be rejected here too. */
typedef struct {
  const char *name;
  uint32_t sz;
  uint8_t sig_cnt;
  uint8_t version;
  int rc; /* expected sl_txn_parse result */
} vector_t;

static const vector_t VECTORS[6] = {
    {"transaction1.bin", 1197, 4, SL_TXN_VLEGACY, 0},
    {"transaction2.bin", 507, 1, SL_TXN_V0, 0},
    {"transaction3.bin", 1200, 1, SL_TXN_V0, 0},
    {"transaction4.bin", 134, 1, SL_TXN_VLEGACY, 0},
    {"transaction5.bin", 1212, 1, SL_TXN_V0, SL_TXN_ERR_PROGRAM_INDEX},
    {"transaction6.bin", 234, 2, SL_TXN_VLEGACY, 0},
};

/* Reads vectors/solana-txn/<name> into buf (cap bytes); fails the test if
   the file is missing or does not fit. */
static uint32_t read_vector(const char *name, uint8_t *buf, uint32_t cap) {
  const char *shared = getenv("SLUICE_SHARED");
  char path[4096];
  snprintf(path, sizeof path, "%s/vectors/solana-txn/%s", shared ? shared : "../shared", name);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s (set SLUICE_SHARED to the shared data dir)", path);
  size_t n = fread(buf, 1, cap, f);
  int more = fgetc(f) != EOF;
  fclose(f);
  ck_assert_msg(!more, "%s is larger than %u bytes", path, cap);
  return (uint32_t)n;
}

/* ---- a builder for crafted transactions -------------------------------- */

/* Every field is written as given, without validation, so a test can make
   one rule fail while all others hold. Signatures, keys and the blockhash
   are filler bytes (parsing does not look at them). */
typedef struct {
  uint8_t prog;
  uint16_t acct_cnt;
  uint8_t acct[8];
  uint16_t data_sz;
} spec_instr_t;

typedef struct {
  uint16_t w_cnt, r_cnt; /* indices are 0, 1, 2 ... */
} spec_lut_t;

typedef struct {
  int v0;                /* 0: legacy; else write prefix byte `prefix` */
  uint8_t prefix;        /* version prefix byte when v0 (0x80 = v0) */
  uint16_t sig_cnt;      /* signatures written */
  uint8_t hdr_req, hdr_ro_signed, hdr_ro_unsigned;
  uint16_t key_cnt;
  uint16_t instr_cnt;
  spec_instr_t instr[80];
  uint16_t lut_cnt;
  spec_lut_t lut[140];
} spec_t;

#define BUILD_CAP 16384u

/* A valid legacy transfer-like transaction: 1 signer, 3 keys (payer,
   recipient, readonly program), one instruction using accounts 0 and 1. */
static spec_t spec_legacy(void) {
  spec_t s;
  memset(&s, 0, sizeof s);
  s.sig_cnt = 1;
  s.hdr_req = 1;
  s.hdr_ro_unsigned = 1;
  s.key_cnt = 3;
  s.instr_cnt = 1;
  s.instr[0] = (spec_instr_t){.prog = 2, .acct_cnt = 2, .acct = {0, 1}, .data_sz = 12};
  return s;
}

/* A valid v0 transaction: 2 signers (one readonly), 4 static keys, two
   lookups (2 writable + 1 readonly, then 0 + 2) giving 9 accounts in all;
   two instructions, the second using looked-up accounts 4..8. */
static spec_t spec_v0(void) {
  spec_t s;
  memset(&s, 0, sizeof s);
  s.v0 = 1;
  s.prefix = 0x80;
  s.sig_cnt = 2;
  s.hdr_req = 2;
  s.hdr_ro_signed = 1;
  s.hdr_ro_unsigned = 1;
  s.key_cnt = 4;
  s.instr_cnt = 2;
  s.instr[0] = (spec_instr_t){.prog = 3, .acct_cnt = 3, .acct = {0, 1, 2}, .data_sz = 40};
  s.instr[1] = (spec_instr_t){.prog = 3, .acct_cnt = 5, .acct = {4, 5, 6, 7, 8}, .data_sz = 0};
  s.lut_cnt = 2;
  s.lut[0] = (spec_lut_t){2, 1};
  s.lut[1] = (spec_lut_t){0, 2};
  return s;
}

static uint32_t put_cu16(uint8_t *out, uint32_t i, uint32_t v) {
  ck_assert_uint_le(v, 0xffff);
  return i + (uint32_t)sl_cu16_encode((uint16_t)v, out + i);
}

static uint32_t put_fill(uint8_t *out, uint32_t i, uint32_t n, uint8_t seed) {
  ck_assert_uint_le(i + n, BUILD_CAP);
  for (uint32_t k = 0; k < n; k++) out[i + k] = (uint8_t)(seed + 7 * k);
  return i + n;
}

/* Serializes s into out (BUILD_CAP bytes); returns the size. Records the
   offset of the static key count in *key_cnt_off when not NULL. */
static uint32_t build(const spec_t *s, uint8_t *out, uint32_t *key_cnt_off) {
  uint32_t i = put_cu16(out, 0, s->sig_cnt);
  i = put_fill(out, i, SL_TXN_SIG_SZ * s->sig_cnt, 0x11);
  if (s->v0) out[i++] = s->prefix;
  out[i++] = s->hdr_req;
  out[i++] = s->hdr_ro_signed;
  out[i++] = s->hdr_ro_unsigned;
  if (key_cnt_off) *key_cnt_off = i;
  i = put_cu16(out, i, s->key_cnt);
  i = put_fill(out, i, SL_TXN_KEY_SZ * s->key_cnt, 0x22);
  i = put_fill(out, i, SL_TXN_HASH_SZ, 0x33);
  i = put_cu16(out, i, s->instr_cnt);
  for (uint32_t j = 0; j < s->instr_cnt; j++) {
    const spec_instr_t *in = &s->instr[j];
    out[i++] = in->prog;
    i = put_cu16(out, i, in->acct_cnt);
    ck_assert_uint_le(in->acct_cnt, 8);
    memcpy(out + i, in->acct, in->acct_cnt);
    i += in->acct_cnt;
    i = put_cu16(out, i, in->data_sz);
    i = put_fill(out, i, in->data_sz, 0x44);
  }
  if (s->v0) {
    i = put_cu16(out, i, s->lut_cnt);
    for (uint32_t j = 0; j < s->lut_cnt; j++) {
      i = put_fill(out, i, SL_TXN_KEY_SZ, 0x55);
      i = put_cu16(out, i, s->lut[j].w_cnt);
      for (uint32_t k = 0; k < s->lut[j].w_cnt; k++) out[i++] = (uint8_t)k;
      i = put_cu16(out, i, s->lut[j].r_cnt);
      for (uint32_t k = 0; k < s->lut[j].r_cnt; k++) out[i++] = (uint8_t)k;
      ck_assert_uint_le(i, BUILD_CAP);
    }
  }
  return i;
}

/* Replaces del bytes at off with ins[0..ins_sz); returns the new size. */
static uint32_t splice(uint8_t *buf, uint32_t sz, uint32_t off, uint32_t del,
                       const uint8_t *ins, uint32_t ins_sz) {
  ck_assert_uint_le(off + del, sz);
  ck_assert_uint_le(sz - del + ins_sz, BUILD_CAP);
  memmove(buf + off + ins_sz, buf + off + del, sz - off - del);
  memcpy(buf + off, ins, ins_sz);
  return sz - del + ins_sz;
}

/* Parses a buffer of exactly sz bytes from the heap so ASan catches any
   read past the end. */
static int parse_exact(const uint8_t *src, uint32_t sz, sl_txn_t *t) {
  uint8_t *p = malloc(sz ? sz : 1);
  ck_assert_ptr_nonnull(p);
  if (sz) memcpy(p, src, sz);
  int rc = sl_txn_parse(p, sz, t);
  free(p);
  return rc;
}

static void expect_code(const spec_t *s, int code) {
  static uint8_t buf[BUILD_CAP];
  uint32_t sz = build(s, buf, NULL);
  sl_txn_t t;
  int rc = parse_exact(buf, sz, &t);
  ck_assert_msg(rc == code, "got %d (%s), want %d (%s)", rc, sl_txn_strerror(rc), code,
                sl_txn_strerror(code));
}

/* Grows the first instruction's data until s serializes to exactly sz
   bytes (its length prefix may grow by a byte on the way). */
static void pad_to(spec_t *s, uint32_t sz) {
  static uint8_t buf[BUILD_CAP];
  for (int guard = 0; guard < 4 && build(s, buf, NULL) != sz; guard++)
    s->instr[0].data_sz = (uint16_t)(s->instr[0].data_sz + sz - build(s, buf, NULL));
  while (build(s, buf, NULL) > sz) s->instr[0].data_sz--;
  ck_assert_uint_eq(build(s, buf, NULL), sz);
}

/* Builds s, keeps at most SL_TXN_MTU bytes: for rules whose honest example
   cannot fit the MTU, the limit must still win over "truncated". */
static void expect_code_clipped(const spec_t *s, int code) {
  static uint8_t buf[BUILD_CAP];
  uint32_t sz = build(s, buf, NULL);
  if (sz > SL_TXN_MTU) sz = SL_TXN_MTU;
  sl_txn_t t;
  int rc = parse_exact(buf, sz, &t);
  ck_assert_msg(rc == code, "got %d (%s), want %d (%s)", rc, sl_txn_strerror(rc), code,
                sl_txn_strerror(code));
}

/* ---- compact-u16 -------------------------------------------------------- */

START_TEST(cu16_roundtrips_every_value_minimally) {
  for (uint32_t v = 0; v <= 0xffff; v++) {
    uint8_t b[3] = {0};
    int n = sl_cu16_encode((uint16_t)v, b);
    int want = v < 0x80 ? 1 : v < 0x4000 ? 2 : 3;
    ck_assert_int_eq(n, want);
    uint16_t got = 0;
    ck_assert_int_eq(sl_cu16_decode(b, (uint32_t)n, &got), n);
    ck_assert_uint_eq(got, v);
  }
}
END_TEST

START_TEST(cu16_decodes_known_encodings) {
  static const struct {
    uint8_t b[3];
    uint32_t sz;
    int n;
    uint16_t v;
  } T[] = {
      {{0x00}, 1, 1, 0},
      {{0x7f}, 1, 1, 0x7f},
      {{0x80, 0x01}, 2, 2, 0x80},
      {{0xff, 0x01}, 2, 2, 0xff},
      {{0x80, 0x02}, 2, 2, 0x100},
      {{0xff, 0x7f}, 2, 2, 0x3fff},
      {{0x80, 0x80, 0x01}, 3, 3, 0x4000},
      {{0xff, 0xff, 0x03}, 3, 3, 0xffff},
      {{0x05, 0xff}, 2, 1, 5}, /* stops after the first byte */
  };
  for (size_t k = 0; k < sizeof T / sizeof *T; k++) {
    uint16_t v = 0xdead;
    ck_assert_int_eq(sl_cu16_decode(T[k].b, T[k].sz, &v), T[k].n);
    ck_assert_uint_eq(v, T[k].v);
  }
}
END_TEST

START_TEST(cu16_rejects_truncated_nonminimal_too_long_and_overflow) {
  static const struct {
    uint8_t b[3];
    uint32_t sz;
    const char *why;
  } T[] = {
      {{0}, 0, "empty"},
      {{0x80}, 1, "truncated after byte 1"},
      {{0x80, 0x80}, 2, "truncated after byte 2"},
      {{0xff, 0xff}, 2, "truncated after byte 2"},
      {{0x80, 0x00}, 2, "non-minimal 0 in 2 bytes"},
      {{0xff, 0x00}, 2, "non-minimal 0x7f in 2 bytes"},
      {{0x80, 0x80, 0x00}, 3, "non-minimal 0 in 3 bytes"},
      {{0xff, 0xff, 0x00}, 3, "non-minimal 0x3fff in 3 bytes"},
      {{0x80, 0x80, 0x80}, 3, "continuation bit on byte 3"},
      {{0xff, 0xff, 0xff}, 3, "continuation bit on byte 3"},
      {{0x80, 0x80, 0x04}, 3, "byte 3 > 3 (value 65536)"},
      {{0xff, 0xff, 0x7f}, 3, "byte 3 > 3"},
  };
  for (size_t k = 0; k < sizeof T / sizeof *T; k++) {
    uint16_t v = 0xbeef;
    ck_assert_msg(sl_cu16_decode(T[k].b, T[k].sz, &v) == -1, "accepted: %s", T[k].why);
    ck_assert_uint_eq(v, 0xbeef);
  }
}
END_TEST

/* ---- real transactions -------------------------------------------------- */

START_TEST(real_transactions_parse_with_expected_shape) {
  uint8_t buf[2048];
  for (int k = 0; k < 6; k++) {
    const vector_t *vec = &VECTORS[k];
    if (vec->rc != 0) continue;
    uint32_t sz = read_vector(vec->name, buf, sizeof buf);
    ck_assert_uint_eq(sz, vec->sz);
    sl_txn_t t;
    int rc = parse_exact(buf, sz, &t);
    ck_assert_msg(rc == 0, "%s: %s", vec->name, sl_txn_strerror(rc));
    ck_assert_uint_eq(t.sz, sz);
    ck_assert_uint_eq(t.sig_cnt, vec->sig_cnt);
    ck_assert_uint_eq(t.version, vec->version);
    ck_assert_uint_eq(t.sig_off, 1);
    ck_assert_uint_eq(t.msg_off, 1 + SL_TXN_SIG_SZ * vec->sig_cnt);
    ck_assert_uint_eq(t.msg_off + t.msg_sz, sz);
    ck_assert_uint_ge(t.key_cnt, t.sig_cnt);
    ck_assert_uint_eq(t.blockhash_off, t.key_off + SL_TXN_KEY_SZ * t.key_cnt);
    if (vec->version == SL_TXN_VLEGACY) {
      ck_assert_uint_eq(t.lut_cnt, 0);
      ck_assert_uint_eq(t.lut_off, sz);
    }
  }
}
END_TEST

/* Spot checks against the field values Firedancer's test asserts for its
   transaction1 (legacy) and transaction2 (v0 with three lookups). */
START_TEST(real_transactions_match_known_field_values) {
  uint8_t buf[2048];
  sl_txn_t t;
  uint32_t sz = read_vector("transaction1.bin", buf, sizeof buf);
  ck_assert_int_eq(parse_exact(buf, sz, &t), 0);
  ck_assert_uint_eq(t.ro_signed_cnt, 1);
  ck_assert_uint_eq(t.ro_unsigned_cnt, 11);
  ck_assert_uint_eq(t.key_cnt, 23);
  ck_assert_uint_eq(buf[t.key_off], 220);
  ck_assert_uint_eq(buf[t.blockhash_off], 155);
  ck_assert_uint_eq(t.instr_cnt, 7);
  ck_assert_uint_eq(buf[t.instr_off], 20); /* program of instruction 0 */

  sz = read_vector("transaction2.bin", buf, sizeof buf);
  ck_assert_int_eq(parse_exact(buf, sz, &t), 0);
  ck_assert_uint_eq(t.ro_signed_cnt, 0);
  ck_assert_uint_eq(t.ro_unsigned_cnt, 2);
  ck_assert_uint_eq(t.key_cnt, 6);
  ck_assert_uint_eq(buf[t.blockhash_off], 148);
  ck_assert_uint_eq(t.instr_cnt, 2);
  ck_assert_uint_eq(t.lut_cnt, 3);
  ck_assert_uint_eq(t.lut_acct_cnt, 21);
  ck_assert_uint_eq(t.lut_writable_cnt, 12);
  ck_assert_uint_eq(buf[t.lut_off], 54); /* first table key's first byte */
}
END_TEST

START_TEST(transaction5_is_rejected_for_its_program_index) {
  uint8_t buf[2048];
  uint32_t sz = read_vector("transaction5.bin", buf, sizeof buf);
  ck_assert_uint_eq(sz, 1212);
  sl_txn_t t;
  ck_assert_int_eq(parse_exact(buf, sz, &t), SL_TXN_ERR_PROGRAM_INDEX);
}
END_TEST

/* A cut valid transaction must read as truncated (the parse takes the
   same path as on the whole buffer until it runs out); transaction5 must
   stay rejected, for whichever rule it meets first. */
START_TEST(real_transactions_truncated_at_every_offset_are_rejected) {
  uint8_t buf[2048];
  for (int k = 0; k < 6; k++) {
    uint32_t sz = read_vector(VECTORS[k].name, buf, sizeof buf);
    for (uint32_t cut = 0; cut < sz; cut++) {
      sl_txn_t t;
      int rc = parse_exact(buf, cut, &t);
      if (VECTORS[k].rc == 0)
        ck_assert_msg(rc == SL_TXN_ERR_TRUNCATED, "%s cut at %u: %d (%s)", VECTORS[k].name, cut,
                      rc, sl_txn_strerror(rc));
      else
        ck_assert_msg(rc < 0, "%s cut at %u parsed", VECTORS[k].name, cut);
    }
  }
}
END_TEST

START_TEST(real_transactions_with_one_byte_appended_are_trailing) {
  uint8_t buf[2048];
  for (int k = 0; k < 6; k++) {
    if (VECTORS[k].rc != 0) continue;
    uint32_t sz = read_vector(VECTORS[k].name, buf, sizeof buf);
    buf[sz] = 0;
    sl_txn_t t;
    ck_assert_int_eq(parse_exact(buf, sz + 1, &t), SL_TXN_ERR_TRAILING);
  }
}
END_TEST

/* ---- crafted transactions: valid shapes --------------------------------- */

START_TEST(crafted_legacy_parses_with_exact_offsets) {
  spec_t s = spec_legacy();
  uint8_t buf[BUILD_CAP];
  uint32_t sz = build(&s, buf, NULL);
  sl_txn_t t;
  ck_assert_int_eq(parse_exact(buf, sz, &t), 0);
  ck_assert_uint_eq(t.version, SL_TXN_VLEGACY);
  ck_assert_uint_eq(t.sig_cnt, 1);
  ck_assert_uint_eq(t.msg_off, 65);
  ck_assert_uint_eq(t.ro_signed_cnt, 0);
  ck_assert_uint_eq(t.ro_unsigned_cnt, 1);
  ck_assert_uint_eq(t.key_cnt, 3);
  ck_assert_uint_eq(t.key_off, 65 + 3 + 1);
  ck_assert_uint_eq(t.blockhash_off, 69 + 96);
  ck_assert_uint_eq(t.instr_cnt, 1);
  ck_assert_uint_eq(t.instr_off, 165 + 32 + 1);
  ck_assert_uint_eq(buf[t.instr_off], 2);
  ck_assert_uint_eq(t.sz, sz);
  ck_assert_uint_eq(sz, t.instr_off + 1 + 1 + 2 + 1 + 12);
}
END_TEST

START_TEST(crafted_v0_with_lookups_parses_with_counts) {
  spec_t s = spec_v0();
  uint8_t buf[BUILD_CAP];
  uint32_t sz = build(&s, buf, NULL);
  sl_txn_t t;
  ck_assert_int_eq(parse_exact(buf, sz, &t), 0);
  ck_assert_uint_eq(t.version, SL_TXN_V0);
  ck_assert_uint_eq(t.sig_cnt, 2);
  ck_assert_uint_eq(t.msg_off, 1 + 128);
  ck_assert_uint_eq(buf[t.msg_off], 0x80);
  ck_assert_uint_eq(t.ro_signed_cnt, 1);
  ck_assert_uint_eq(t.key_cnt, 4);
  ck_assert_uint_eq(t.key_off, t.msg_off + 1 + 3 + 1);
  ck_assert_uint_eq(t.instr_cnt, 2);
  ck_assert_uint_eq(t.lut_cnt, 2);
  ck_assert_uint_eq(t.lut_acct_cnt, 5);
  ck_assert_uint_eq(t.lut_writable_cnt, 2);
  ck_assert_uint_eq(t.lut_off + 2 * (32 + 1 + 1) + 5, sz);
  ck_assert_uint_eq(buf[t.lut_off], 0x55); /* first byte of the table key */
}
END_TEST

START_TEST(twelve_signatures_parse) {
  spec_t s = spec_legacy();
  s.sig_cnt = s.hdr_req = 12;
  s.key_cnt = 13;
  s.instr[0].prog = 12;
  s.instr[0].data_sz = 0;
  expect_code(&s, 0);
}
END_TEST

START_TEST(sixty_four_instructions_parse) {
  spec_t s = spec_legacy();
  s.instr_cnt = 64;
  for (int j = 0; j < 64; j++) s.instr[j] = (spec_instr_t){.prog = 2};
  expect_code(&s, 0);
}
END_TEST

START_TEST(exactly_256_accounts_parse) {
  spec_t s = spec_v0();
  s.lut[0] = (spec_lut_t){126, 126}; /* 4 static + 126 + 126 = 256 */
  s.lut_cnt = 1;
  s.instr[1].acct[0] = 255;
  expect_code(&s, 0);
}
END_TEST

START_TEST(exactly_1232_bytes_parse) {
  spec_t s = spec_legacy();
  pad_to(&s, SL_TXN_MTU);
  expect_code(&s, 0);
}
END_TEST

START_TEST(instructions_may_use_looked_up_accounts) {
  spec_t s = spec_v0();
  s.instr[1].acct[0] = 8; /* last looked-up account */
  expect_code(&s, 0);
}
END_TEST

/* ---- crafted transactions: one per rejection rule ----------------------- */

START_TEST(more_than_1232_bytes_is_too_large) {
  spec_t s = spec_legacy();
  pad_to(&s, SL_TXN_MTU + 1);
  expect_code(&s, SL_TXN_ERR_TOO_LARGE);
}
END_TEST

START_TEST(empty_buffer_is_truncated) {
  sl_txn_t t;
  ck_assert_int_eq(parse_exact(NULL, 0, &t), SL_TXN_ERR_TRUNCATED);
}
END_TEST

/* The three compact-u16 faults, placed in the signature count (first
   field) and the static key count (inside the message). */
static void expect_cu16_fault(uint32_t field, const uint8_t *enc, uint32_t enc_sz, int code) {
  spec_t s = spec_legacy();
  uint8_t buf[BUILD_CAP];
  uint32_t key_cnt_off;
  uint32_t sz = build(&s, buf, &key_cnt_off);
  uint32_t off = field == 0 ? 0 : key_cnt_off;
  sz = splice(buf, sz, off, 1, enc, enc_sz);
  sl_txn_t t;
  int rc = parse_exact(buf, sz, &t);
  ck_assert_msg(rc == code, "field %u: got %d (%s), want %s", field, rc, sl_txn_strerror(rc),
                sl_txn_strerror(code));
}

START_TEST(nonminimal_compact_u16_is_rejected) {
  static const uint8_t sig1[] = {0x81, 0x00}, key3[] = {0x83, 0x80, 0x00};
  expect_cu16_fault(0, sig1, sizeof sig1, SL_TXN_ERR_CU16_NONMINIMAL);
  expect_cu16_fault(1, key3, sizeof key3, SL_TXN_ERR_CU16_NONMINIMAL);
}
END_TEST

START_TEST(four_byte_compact_u16_is_too_long) {
  static const uint8_t enc[] = {0x81, 0x80, 0x80, 0x00};
  expect_cu16_fault(0, enc, sizeof enc, SL_TXN_ERR_CU16_TOO_LONG);
  expect_cu16_fault(1, enc, sizeof enc, SL_TXN_ERR_CU16_TOO_LONG);
}
END_TEST

START_TEST(compact_u16_above_65535_overflows) {
  static const uint8_t enc[] = {0x83, 0x80, 0x04};
  expect_cu16_fault(0, enc, sizeof enc, SL_TXN_ERR_CU16_OVERFLOW);
  expect_cu16_fault(1, enc, sizeof enc, SL_TXN_ERR_CU16_OVERFLOW);
}
END_TEST

START_TEST(zero_signatures_is_rejected) {
  spec_t s = spec_legacy();
  s.sig_cnt = 0;
  s.hdr_req = 0;
  expect_code(&s, SL_TXN_ERR_NO_SIGS);
}
END_TEST

START_TEST(thirteen_signatures_is_too_many) {
  spec_t s = spec_legacy();
  s.sig_cnt = s.hdr_req = 13;
  s.key_cnt = 15;
  s.instr[0].prog = 14;
  expect_code_clipped(&s, SL_TXN_ERR_TOO_MANY_SIGS);
}
END_TEST

START_TEST(version_other_than_v0_is_rejected) {
  static const uint8_t prefixes[] = {0x81, 0x82, 0xff};
  for (size_t k = 0; k < sizeof prefixes; k++) {
    spec_t s = spec_v0();
    s.prefix = prefixes[k];
    expect_code(&s, SL_TXN_ERR_BAD_VERSION);
  }
}
END_TEST

START_TEST(signature_count_differing_from_header_is_rejected) {
  spec_t s = spec_legacy();
  s.hdr_req = 2; /* one signature carried */
  expect_code(&s, SL_TXN_ERR_SIG_CNT_MISMATCH);
  s = spec_v0();
  s.hdr_req = 1; /* two signatures carried */
  s.hdr_ro_signed = 0;
  expect_code(&s, SL_TXN_ERR_SIG_CNT_MISMATCH);
}
END_TEST

START_TEST(all_signers_readonly_is_rejected) {
  spec_t s = spec_v0();
  s.hdr_ro_signed = 2;
  expect_code(&s, SL_TXN_ERR_NO_WRITABLE_PAYER);
}
END_TEST

START_TEST(more_than_128_static_keys_is_too_many) {
  spec_t s = spec_legacy();
  s.key_cnt = 129;
  expect_code_clipped(&s, SL_TXN_ERR_TOO_MANY_KEYS);
}
END_TEST

START_TEST(more_signatures_than_keys_is_rejected) {
  spec_t s = spec_v0();
  s.hdr_ro_unsigned = 0;
  s.key_cnt = 1;
  expect_code(&s, SL_TXN_ERR_SIGS_GT_KEYS);
}
END_TEST

START_TEST(signed_and_readonly_unsigned_overlapping_is_rejected) {
  spec_t s = spec_legacy();
  s.hdr_ro_unsigned = 3; /* 1 signer + 3 readonly unsigned > 3 keys */
  expect_code(&s, SL_TXN_ERR_HEADER_OVERLAP);
}
END_TEST

START_TEST(sixty_five_instructions_is_too_many) {
  spec_t s = spec_legacy();
  s.instr_cnt = 65;
  for (int j = 0; j < 65; j++) s.instr[j] = (spec_instr_t){.prog = 2};
  expect_code(&s, SL_TXN_ERR_TOO_MANY_INSTRS);
}
END_TEST

START_TEST(program_index_zero_is_rejected) {
  spec_t s = spec_legacy();
  s.instr[0].prog = 0;
  expect_code(&s, SL_TXN_ERR_PROGRAM_INDEX);
}
END_TEST

START_TEST(program_index_past_static_keys_is_rejected) {
  spec_t s = spec_legacy();
  s.instr[0].prog = 3;
  expect_code(&s, SL_TXN_ERR_PROGRAM_INDEX);
  s = spec_v0();
  s.instr[1].prog = 4; /* a looked-up account: programs must be static */
  expect_code(&s, SL_TXN_ERR_PROGRAM_INDEX);
}
END_TEST

START_TEST(more_than_127_lookups_is_too_many) {
  spec_t s = spec_v0();
  s.lut_cnt = 128;
  for (int j = 0; j < 128; j++) s.lut[j] = (spec_lut_t){1, 0};
  expect_code_clipped(&s, SL_TXN_ERR_TOO_MANY_LUTS);
}
END_TEST

START_TEST(more_than_256_accounts_is_too_many) {
  spec_t s = spec_v0();
  s.lut[0] = (spec_lut_t){126, 126};
  s.lut[1] = (spec_lut_t){0, 1}; /* 257 */
  expect_code(&s, SL_TXN_ERR_TOO_MANY_ACCTS);
  s.lut_cnt = 1;
  s.lut[0] = (spec_lut_t){253, 0}; /* 4 + 253 = 257 from the writable list */
  expect_code(&s, SL_TXN_ERR_TOO_MANY_ACCTS);
}
END_TEST

START_TEST(lookup_without_indices_is_rejected) {
  spec_t s = spec_v0();
  s.lut_cnt = 3;
  s.lut[2] = (spec_lut_t){0, 0};
  expect_code(&s, SL_TXN_ERR_EMPTY_LUT);
}
END_TEST

START_TEST(account_index_past_all_keys_is_rejected) {
  spec_t s = spec_legacy();
  s.instr[0].acct[1] = 3;
  expect_code(&s, SL_TXN_ERR_ACCT_INDEX);
  s = spec_v0();
  s.instr[1].acct[2] = 9; /* 4 static + 5 looked up */
  expect_code(&s, SL_TXN_ERR_ACCT_INDEX);
}
END_TEST

START_TEST(lookups_in_a_legacy_message_are_trailing_bytes) {
  /* Legacy messages end after the instructions: a lookup section there is
     not parsed, it is left over. */
  spec_t s = spec_legacy();
  uint8_t buf[BUILD_CAP];
  uint32_t sz = build(&s, buf, NULL);
  buf[sz++] = 0; /* a v0 "zero lookups" byte */
  sl_txn_t t;
  ck_assert_int_eq(parse_exact(buf, sz, &t), SL_TXN_ERR_TRAILING);
}
END_TEST

START_TEST(crafted_transactions_truncated_at_every_offset_are_rejected) {
  spec_t specs[2] = {spec_legacy(), spec_v0()};
  uint8_t buf[BUILD_CAP];
  for (int k = 0; k < 2; k++) {
    uint32_t sz = build(&specs[k], buf, NULL);
    for (uint32_t cut = 0; cut < sz; cut++) {
      sl_txn_t t;
      ck_assert_int_eq(parse_exact(buf, cut, &t), SL_TXN_ERR_TRUNCATED);
    }
  }
}
END_TEST

START_TEST(every_code_has_its_own_reason) {
  ck_assert_str_eq(sl_txn_strerror(0), "ok");
  ck_assert_str_eq(sl_txn_strerror(SL_TXN_ERR_CU16_NONMINIMAL), "compact-u16 not minimally encoded");
  const char *unknown = sl_txn_strerror(SL_TXN_ERR_MIN - 1);
  for (int c = SL_TXN_ERR_MIN; c < 0; c++) {
    ck_assert_str_ne(sl_txn_strerror(c), unknown);
    for (int d = c + 1; d < 0; d++) ck_assert_str_ne(sl_txn_strerror(c), sl_txn_strerror(d));
  }
  ck_assert_str_eq(sl_txn_strerror(1), unknown);
}
END_TEST

int main(void) {
  Suite *s = suite_create("txn");
  TCase *cu16 = tcase_create("cu16");
  tcase_add_test(cu16, cu16_roundtrips_every_value_minimally);
  tcase_add_test(cu16, cu16_decodes_known_encodings);
  tcase_add_test(cu16, cu16_rejects_truncated_nonminimal_too_long_and_overflow);
  suite_add_tcase(s, cu16);

  TCase *real = tcase_create("real");
  tcase_add_test(real, real_transactions_parse_with_expected_shape);
  tcase_add_test(real, real_transactions_match_known_field_values);
  tcase_add_test(real, transaction5_is_rejected_for_its_program_index);
  tcase_add_test(real, real_transactions_truncated_at_every_offset_are_rejected);
  tcase_add_test(real, real_transactions_with_one_byte_appended_are_trailing);
  suite_add_tcase(s, real);

  TCase *valid = tcase_create("valid");
  tcase_add_test(valid, crafted_legacy_parses_with_exact_offsets);
  tcase_add_test(valid, crafted_v0_with_lookups_parses_with_counts);
  tcase_add_test(valid, twelve_signatures_parse);
  tcase_add_test(valid, sixty_four_instructions_parse);
  tcase_add_test(valid, exactly_256_accounts_parse);
  tcase_add_test(valid, exactly_1232_bytes_parse);
  tcase_add_test(valid, instructions_may_use_looked_up_accounts);
  suite_add_tcase(s, valid);

  TCase *rules = tcase_create("rules");
  tcase_add_test(rules, more_than_1232_bytes_is_too_large);
  tcase_add_test(rules, empty_buffer_is_truncated);
  tcase_add_test(rules, nonminimal_compact_u16_is_rejected);
  tcase_add_test(rules, four_byte_compact_u16_is_too_long);
  tcase_add_test(rules, compact_u16_above_65535_overflows);
  tcase_add_test(rules, zero_signatures_is_rejected);
  tcase_add_test(rules, thirteen_signatures_is_too_many);
  tcase_add_test(rules, version_other_than_v0_is_rejected);
  tcase_add_test(rules, signature_count_differing_from_header_is_rejected);
  tcase_add_test(rules, all_signers_readonly_is_rejected);
  tcase_add_test(rules, more_than_128_static_keys_is_too_many);
  tcase_add_test(rules, more_signatures_than_keys_is_rejected);
  tcase_add_test(rules, signed_and_readonly_unsigned_overlapping_is_rejected);
  tcase_add_test(rules, sixty_five_instructions_is_too_many);
  tcase_add_test(rules, program_index_zero_is_rejected);
  tcase_add_test(rules, program_index_past_static_keys_is_rejected);
  tcase_add_test(rules, more_than_127_lookups_is_too_many);
  tcase_add_test(rules, more_than_256_accounts_is_too_many);
  tcase_add_test(rules, lookup_without_indices_is_rejected);
  tcase_add_test(rules, account_index_past_all_keys_is_rejected);
  tcase_add_test(rules, lookups_in_a_legacy_message_are_trailing_bytes);
  tcase_add_test(rules, crafted_transactions_truncated_at_every_offset_are_rejected);
  tcase_add_test(rules, every_code_has_its_own_reason);
  suite_add_tcase(s, rules);

  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
