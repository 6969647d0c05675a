/* Unit tests for tiles/verify/sigverify: the six fixture transactions, and
   the strict-ed25519 edge cases (Wycheproof, malleability) that decide
   whether this validator agrees with Agave's verify_strict, through the
   primitive the tile runs (on this CPU's "auto" backend, and on each one
   this CPU has: test_ed25519 checks every backend's lanes). */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/ed25519_vectors.h"
#include "tiles/verify/sigverify.h"
#include "tiles/verify/txn.h"

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

static ev_blob_t load_parsed(int k, sl_txn_t *t) {
  ev_blob_t b = ev_read_shared(TXN_FILES[k]);
  int rc = sl_txn_parse(b.p, b.sz, t);
  ck_assert_msg(rc == 0, "%s: %s", TXN_FILES[k], sl_txn_strerror(rc));
  return b;
}

START_TEST(transactions_1_2_4_6_verify) {
  init_sodium();
  static const int ok[] = {0, 1, 3, 5};
  for (size_t j = 0; j < sizeof ok / sizeof *ok; j++) {
    sl_txn_t t;
    ev_blob_t b = load_parsed(ok[j], &t);
    ck_assert_msg(sl_sigverify_txn(b.p, &t) == 0, "%s failed", TXN_FILES[ok[j]]);
    free(b.p);
  }
}
END_TEST

START_TEST(transaction_3_fails_on_signature_0) {
  init_sodium();
  sl_txn_t t;
  ev_blob_t b = load_parsed(2, &t);
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
  ev_blob_t b = ev_read_shared(TXN_FILES[4]);
  ck_assert_uint_eq(b.sz, 1212);
  ck_assert_uint_eq(b.p[0], 1);
  ck_assert_uint_eq(b.p[65], 0x80);
  sl_txn_t t = {.sz = (uint16_t)b.sz, .sig_cnt = 1, .sig_off = 1, .msg_off = 65,
                .msg_sz = (uint16_t)(b.sz - 65), .key_cnt = 1, .key_off = 65 + 1 + 3 + 1};
  ck_assert_int_eq(sl_sigverify_txn(b.p, &t), -1);
  free(b.p);
}
END_TEST

/* On every backend this CPU runs (one at a time, or all four signatures
   in one vector pass), the lowest failing signature is the one reported. */
START_TEST(failing_signature_index_is_reported_as_minus_one_minus_i) {
  init_sodium();
  static const char *names[] = {"libsodium", "ref", "avx2", "avx512"};
  sl_txn_t t;
  ev_blob_t b = load_parsed(0, &t); /* 4 signatures */
  ck_assert_uint_eq(t.sig_cnt, 4);
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    sl_err_t err;
    if (sl_sigverify_select(names[k], &err)) {
      printf("sigverify: %s skipped: %s\n", names[k], err.msg);
      continue;
    }
    for (uint32_t i = 0; i < 4; i++) {
      uint8_t *sig = b.p + t.sig_off + SL_TXN_SIG_SZ * i;
      sig[5] ^= 0x01;
      ck_assert_int_eq(sl_sigverify_txn(b.p, &t), -1 - (int)i);
      sig[5] ^= 0x01;
    }
    uint8_t *last = b.p + t.sig_off + SL_TXN_SIG_SZ * 3;
    last[40] ^= 0x10;
    b.p[t.sig_off + 7] ^= 0x02; /* signatures 0 and 3 bad: 0 is reported */
    ck_assert_int_eq(sl_sigverify_txn(b.p, &t), -1);
    last[40] ^= 0x10;
    b.p[t.sig_off + 7] ^= 0x02;
    ck_assert_int_eq(sl_sigverify_txn(b.p, &t), 0);
  }
  free(b.p);
}
END_TEST

START_TEST(select_names_the_key_and_keeps_the_backend_on_error) {
  init_sodium();
  sl_err_t err;
  ck_assert_int_eq(sl_sigverify_select("libsodium", &err), 0);
  ck_assert_int_eq(sl_sigverify_backend(), SL_ED25519_LIBSODIUM);
  ck_assert_int_eq(sl_sigverify_select("avx1024", &err), -1);
  ck_assert_str_eq(err.msg, "[verify] ed25519: backend \"avx1024\" is unknown: use \"auto\", "
                            "\"libsodium\", \"avx2\" or \"avx512\"");
  ck_assert_int_eq(sl_sigverify_backend(), SL_ED25519_LIBSODIUM);
  ck_assert_int_eq(sl_sigverify_select("auto", &err), 0);
  ck_assert_int_eq(sl_sigverify_backend(), sl_ed25519_auto());
}
END_TEST

START_TEST(changed_message_byte_fails_at_signature_0) {
  init_sodium();
  sl_txn_t t;
  ev_blob_t b = load_parsed(5, &t); /* 2 signatures */
  b.p[b.sz - 1] ^= 0x80;
  ck_assert_int_eq(sl_sigverify_txn(b.p, &t), -1); /* first failure wins */
  free(b.p);
}
END_TEST

/* Runs every case through sl_sigverify_one on the selected backend;
   returns how many got the expected verdict, and names the first that did
   not. A signature that is not 64 bytes cannot even be presented:
   invalid. */
static uint32_t agree_count(const ev_set_t *s, char *first_bad, size_t sz) {
  uint32_t agree = 0;
  first_bad[0] = 0;
  for (uint32_t i = 0; i < s->n; i++) {
    const ev_case_t *c = &s->c[i];
    int got = c->sig_ok && sl_sigverify_one(c->sig, c->msg, c->msg_sz, c->pk) == 0;
    if (got == c->valid) agree++;
    else if (!first_bad[0]) snprintf(first_bad, sz, "%s: got %d want %d", c->name, got, c->valid);
  }
  return agree;
}

START_TEST(wycheproof_151_cases_agree_with_expected_result) {
  init_sodium();
  ev_set_t s = ev_wycheproof();
  ck_assert_uint_eq(s.n, 151);
  char bad[256];
  uint32_t agree = agree_count(&s, bad, sizeof bad);
  ck_assert_msg(agree == s.n, "%u of %u disagree; first: %s", s.n - agree, s.n, bad);
  ev_free(&s);
}
END_TEST

/* ---- malleability edge cases -------------------------------------------- */

START_TEST(malleability_200_should_pass_all_verify) {
  init_sodium();
  ev_set_t s = ev_malleability("vectors/ed25519/malleability_should_pass.bin", 1);
  ck_assert_uint_eq(s.n, 200);
  char bad[256];
  ck_assert_msg(agree_count(&s, bad, sizeof bad) == 200, "%s", bad);
  ev_free(&s);
}
END_TEST

START_TEST(malleability_196_should_fail_none_verify) {
  init_sodium();
  ev_set_t s = ev_malleability("vectors/ed25519/malleability_should_fail.bin", 0);
  ck_assert_uint_eq(s.n, 196);
  char bad[256];
  ck_assert_msg(agree_count(&s, bad, sizeof bad) == 196, "%s", bad);
  ev_free(&s);
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
  tcase_add_test(txn, select_names_the_key_and_keeps_the_backend_on_error);
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
