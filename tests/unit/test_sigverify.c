/* Unit tests for tiles/verify/sigverify: the six fixture transactions, and
   the strict-ed25519 edge cases (Wycheproof, malleability) that decide
   whether this validator agrees with Agave's verify_strict. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/verify/sigverify.h"
#include "tiles/verify/txn.h"

/* ---- test data from $SLUICE_SHARED ------------------------------------ */

typedef struct {
  uint8_t *p;
  uint32_t sz;
} blob_t;

/* Reads $SLUICE_SHARED/rel (default ../shared, relative to the repo root
   the suites run from) whole; fails the test if it cannot. */
static blob_t read_shared(const char *rel) {
  const char *shared = getenv("SLUICE_SHARED");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", shared ? shared : "../shared", rel);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s (set SLUICE_SHARED to the shared data dir)", path);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  long n = ftell(f);
  ck_assert_msg(n >= 0 && n < (1L << 24), "%s: unexpected size %ld", path, n);
  rewind(f);
  blob_t b = {malloc((size_t)n + 1), (uint32_t)n};
  ck_assert_ptr_nonnull(b.p);
  ck_assert_uint_eq(fread(b.p, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  b.p[n] = 0; /* lets the JSON reader stop on a NUL as well */
  return b;
}

static void init_sodium(void) {
  sl_err_t err;
  ck_assert_msg(sl_sigverify_init(&err) == 0, "%s", err.msg);
}

/* ---- fixture transactions ----------------------------------------------- */

static const char *TXN_FILES[6] = {
    "vectors/solana-txn/transaction1.bin", "vectors/solana-txn/transaction2.bin",
    "vectors/solana-txn/transaction3.bin", "vectors/solana-txn/transaction4.bin",
    "vectors/solana-txn/transaction5.bin", "vectors/solana-txn/transaction6.bin",
};

static blob_t load_parsed(int k, sl_txn_t *t) {
  blob_t b = read_shared(TXN_FILES[k]);
  int rc = sl_txn_parse(b.p, b.sz, t);
  ck_assert_msg(rc == 0, "%s: %s", TXN_FILES[k], sl_txn_strerror(rc));
  return b;
}

START_TEST(transactions_1_2_4_6_verify) {
  init_sodium();
  static const int ok[] = {0, 1, 3, 5};
  for (size_t j = 0; j < sizeof ok / sizeof *ok; j++) {
    sl_txn_t t;
    blob_t b = load_parsed(ok[j], &t);
    ck_assert_msg(sl_sigverify_txn(b.p, &t) == 0, "%s failed", TXN_FILES[ok[j]]);
    free(b.p);
  }
}
END_TEST

START_TEST(transaction_3_fails_on_signature_0) {
  init_sodium();
  sl_txn_t t;
  blob_t b = load_parsed(2, &t);
  ck_assert_uint_eq(t.sig_cnt, 1);
  ck_assert_int_eq(sl_sigverify_txn(b.p, &t), -1);
  free(b.p);
}
END_TEST

/* transaction5 does not parse (see test_txn), so its descriptor is written
   out from the wire layout: 1 signature, v0 prefix, 3 header bytes, a
   1-byte key count, then key 0. Its signature must still fail. */
START_TEST(transaction_5_signature_fails) {
  init_sodium();
  blob_t b = read_shared(TXN_FILES[4]);
  ck_assert_uint_eq(b.sz, 1212);
  ck_assert_uint_eq(b.p[0], 1);
  ck_assert_uint_eq(b.p[65], 0x80);
  sl_txn_t t = {.sz = (uint16_t)b.sz, .sig_cnt = 1, .sig_off = 1, .msg_off = 65,
                .msg_sz = (uint16_t)(b.sz - 65), .key_cnt = 1, .key_off = 65 + 1 + 3 + 1};
  ck_assert_int_eq(sl_sigverify_txn(b.p, &t), -1);
  free(b.p);
}
END_TEST

START_TEST(failing_signature_index_is_reported_as_minus_one_minus_i) {
  init_sodium();
  sl_txn_t t;
  blob_t b = load_parsed(0, &t); /* 4 signatures */
  ck_assert_uint_eq(t.sig_cnt, 4);
  for (uint32_t i = 0; i < 4; i++) {
    uint8_t *sig = b.p + t.sig_off + SL_TXN_SIG_SZ * i;
    sig[5] ^= 0x01;
    ck_assert_int_eq(sl_sigverify_txn(b.p, &t), -1 - (int)i);
    sig[5] ^= 0x01;
  }
  ck_assert_int_eq(sl_sigverify_txn(b.p, &t), 0);
  free(b.p);
}
END_TEST

START_TEST(changed_message_byte_fails_at_signature_0) {
  init_sodium();
  sl_txn_t t;
  blob_t b = load_parsed(5, &t); /* 2 signatures */
  b.p[b.sz - 1] ^= 0x80;
  ck_assert_int_eq(sl_sigverify_txn(b.p, &t), -1); /* first failure wins */
  free(b.p);
}
END_TEST

/* ---- Wycheproof: a reader for exactly this file's structure ------------- */

/* The file is {"testGroups": [{"publicKey": {"pk": HEX, ...}, "tests":
   [{"msg": HEX, "sig": HEX, "result": "valid"|"invalid", ...}, ...]}, ...]}
   plus fields we skip. The reader walks the JSON generically and keeps,
   per object, the string members it cares about; an object holding "pk"
   hands it to its parent (the group), and an object holding msg, sig and
   result is a case, checked against the nearest enclosing pk. */

typedef struct {
  const char *s;
  uint32_t n; /* raw bytes between the quotes (hex needs no unescaping) */
} jstr_t;

typedef struct frame {
  struct frame *up;
  jstr_t msg, sig, result, pk;
} frame_t;

typedef struct {
  const char *p, *end;
  uint32_t cases, agree;
  char first_bad[256];
} jr_t;

static void jr_ws(jr_t *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static jstr_t jr_string(jr_t *r) {
  ck_assert_msg(r->p < r->end && *r->p == '"', "JSON: string expected");
  const char *s = ++r->p;
  while (r->p < r->end && *r->p != '"') r->p += (*r->p == '\\') ? 2 : 1;
  ck_assert_msg(r->p < r->end, "JSON: unterminated string");
  jstr_t out = {s, (uint32_t)(r->p - s)};
  r->p++;
  return out;
}

static int jstr_is(jstr_t a, const char *lit) {
  return a.n == strlen(lit) && memcmp(a.s, lit, a.n) == 0;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes hex into a new buffer (size in *n); -1 on a bad digit. */
static int hex_decode(jstr_t h, uint8_t **out, uint32_t *n) {
  if (h.n % 2) return -1;
  *n = h.n / 2;
  *out = malloc(*n + 1);
  ck_assert_ptr_nonnull(*out);
  for (uint32_t i = 0; i < *n; i++) {
    int hi = nibble(h.s[2 * i]), lo = nibble(h.s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    (*out)[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

static void wycheproof_case(jr_t *r, const frame_t *f) {
  const frame_t *g = f->up;
  while (g && !g->pk.s) g = g->up;
  ck_assert_msg(g != NULL, "JSON: a test case before its group's public key");
  uint8_t *pk, *msg, *sig;
  uint32_t pk_n, msg_n, sig_n;
  ck_assert_int_eq(hex_decode(g->pk, &pk, &pk_n), 0);
  ck_assert_uint_eq(pk_n, 32);
  ck_assert_int_eq(hex_decode(f->msg, &msg, &msg_n), 0);
  ck_assert_int_eq(hex_decode(f->sig, &sig, &sig_n), 0);
  int want = jstr_is(f->result, "valid");
  ck_assert_msg(want || jstr_is(f->result, "invalid"), "JSON: unknown result");
  /* A signature that is not 64 bytes cannot even be presented: invalid. */
  int got = sig_n == 64 && sl_sigverify_one(sig, msg, msg_n, pk) == 0;
  r->cases++;
  if (got == want)
    r->agree++;
  else if (!r->first_bad[0])
    snprintf(r->first_bad, sizeof r->first_bad, "case %u (sig %.16s...): got %d want %d",
             r->cases, f->sig.s, got, want);
  free(pk);
  free(msg);
  free(sig);
}

static void jr_value(jr_t *r, frame_t *parent);

static void jr_object(jr_t *r, frame_t *parent) {
  frame_t f = {.up = parent};
  r->p++; /* { */
  jr_ws(r);
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    return;
  }
  for (;;) {
    jr_ws(r);
    jstr_t key = jr_string(r);
    jr_ws(r);
    ck_assert_msg(r->p < r->end && *r->p == ':', "JSON: ':' expected");
    r->p++;
    jr_ws(r);
    if (r->p < r->end && *r->p == '"') {
      jstr_t v = jr_string(r);
      if (jstr_is(key, "msg")) f.msg = v;
      else if (jstr_is(key, "sig")) f.sig = v;
      else if (jstr_is(key, "result")) f.result = v;
      else if (jstr_is(key, "pk")) f.pk = v;
    } else {
      jr_value(r, &f);
    }
    jr_ws(r);
    ck_assert_msg(r->p < r->end, "JSON: unterminated object");
    if (*r->p == ',') {
      r->p++;
      continue;
    }
    ck_assert_msg(*r->p == '}', "JSON: ',' or '}' expected");
    r->p++;
    break;
  }
  if (f.msg.s && f.sig.s && f.result.s) wycheproof_case(r, &f);
  if (f.pk.s && parent && !parent->pk.s) parent->pk = f.pk;
}

static void jr_array(jr_t *r, frame_t *parent) {
  r->p++; /* [ */
  jr_ws(r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    return;
  }
  for (;;) {
    jr_ws(r);
    jr_value(r, parent);
    jr_ws(r);
    ck_assert_msg(r->p < r->end, "JSON: unterminated array");
    if (*r->p == ',') {
      r->p++;
      continue;
    }
    ck_assert_msg(*r->p == ']', "JSON: ',' or ']' expected");
    r->p++;
    break;
  }
}

static void jr_value(jr_t *r, frame_t *parent) {
  ck_assert_msg(r->p < r->end, "JSON: value expected");
  if (*r->p == '{') jr_object(r, parent);
  else if (*r->p == '[') jr_array(r, parent);
  else if (*r->p == '"') (void)jr_string(r);
  else { /* number, true, false, null */
    const char *s = r->p;
    while (r->p < r->end && strchr("+-.0123456789eEtruefalsn", *r->p)) r->p++;
    ck_assert_msg(r->p > s, "JSON: unexpected character '%c'", *s);
  }
}

START_TEST(wycheproof_151_cases_agree_with_expected_result) {
  init_sodium();
  blob_t b = read_shared("vectors/ed25519/wycheproof_ed25519_test.json");
  jr_t r = {.p = (const char *)b.p, .end = (const char *)b.p + b.sz};
  jr_ws(&r);
  jr_value(&r, NULL);
  ck_assert_uint_eq(r.cases, 151);
  ck_assert_msg(r.agree == r.cases, "%u of %u disagree; first: %s", r.cases - r.agree, r.cases,
                r.first_bad);
  free(b.p);
}
END_TEST

/* ---- malleability edge cases -------------------------------------------- */

/* Runs every 96-byte record (sig64 | pk32) over the message "Zcash";
   returns the number of records and how many verified. */
static void run_malleability(const char *rel, uint32_t *records, uint32_t *passed) {
  blob_t b = read_shared(rel);
  ck_assert_msg(b.sz % 96 == 0, "%s: %u bytes is not a whole number of 96-byte records", rel,
                b.sz);
  *records = b.sz / 96;
  *passed = 0;
  for (uint32_t k = 0; k < *records; k++) {
    const uint8_t *rec = b.p + 96 * k;
    *passed += sl_sigverify_one(rec, (const uint8_t *)"Zcash", 5, rec + 64) == 0;
  }
  free(b.p);
}

START_TEST(malleability_200_should_pass_all_verify) {
  init_sodium();
  uint32_t n, ok;
  run_malleability("vectors/ed25519/malleability_should_pass.bin", &n, &ok);
  ck_assert_uint_eq(n, 200);
  ck_assert_uint_eq(ok, 200);
}
END_TEST

START_TEST(malleability_196_should_fail_none_verify) {
  init_sodium();
  uint32_t n, ok;
  run_malleability("vectors/ed25519/malleability_should_fail.bin", &n, &ok);
  ck_assert_uint_eq(n, 196);
  ck_assert_uint_eq(ok, 0);
}
END_TEST

/* A transaction signed here verifies through the tile's path, and flipping
   its last byte fails it: sl_sigverify_txn checks key i's signature over
   exactly msg_off..end. */
START_TEST(sigverify_txn_passes_sig_key_and_message_through_unchanged) {
  init_sodium();
  uint8_t pk[32], sk[64];
  crypto_sign_keypair(pk, sk);
  /* 1 sig | header 1 0 1 | 2 keys | blockhash | 1 instr: prog 1, no accts, 3 data bytes */
  uint8_t buf[1 + 64 + 3 + 1 + 64 + 32 + 1 + 1 + 1 + 1 + 3];
  uint32_t i = 0;
  buf[i++] = 1;
  uint32_t sig_at = i;
  i += 64;
  uint32_t msg_at = i;
  buf[i++] = 1;
  buf[i++] = 0;
  buf[i++] = 1;
  buf[i++] = 2;
  memcpy(buf + i, pk, 32);
  i += 32;
  memset(buf + i, 0xab, 64); /* program key, blockhash */
  i += 64;
  buf[i++] = 1;
  buf[i++] = 1;
  buf[i++] = 0;
  buf[i++] = 3;
  memcpy(buf + i, "abc", 3);
  i += 3;
  ck_assert_uint_eq(i, sizeof buf);
  crypto_sign_detached(buf + sig_at, NULL, buf + msg_at, sizeof buf - msg_at, sk);
  sl_txn_t t;
  ck_assert_int_eq(sl_txn_parse(buf, sizeof buf, &t), 0);
  ck_assert_int_eq(sl_sigverify_txn(buf, &t), 0);
  buf[sizeof buf - 1] ^= 1; /* last signed byte */
  ck_assert_int_eq(sl_sigverify_txn(buf, &t), -1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sigverify");
  TCase *txn = tcase_create("txn");
  tcase_add_test(txn, transactions_1_2_4_6_verify);
  tcase_add_test(txn, transaction_3_fails_on_signature_0);
  tcase_add_test(txn, transaction_5_signature_fails);
  tcase_add_test(txn, failing_signature_index_is_reported_as_minus_one_minus_i);
  tcase_add_test(txn, changed_message_byte_fails_at_signature_0);
  tcase_add_test(txn, sigverify_txn_passes_sig_key_and_message_through_unchanged);
  suite_add_tcase(s, txn);

  TCase *strict = tcase_create("strict");
  tcase_add_test(strict, wycheproof_151_cases_agree_with_expected_result);
  tcase_add_test(strict, malleability_200_should_pass_all_verify);
  tcase_add_test(strict, malleability_196_should_fail_none_verify);
  suite_add_tcase(s, strict);

  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
