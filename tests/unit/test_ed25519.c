/* Unit tests for tiles/verify/ed25519: every backend this CPU runs on the
   Wycheproof, malleability and real-transaction vectors, in every lane
   count; the many-at-once contract; the CPU dispatch (on this CPU and on
   the feature sets of others); the scalar, field and point arithmetic
   against libsodium and against the plain-C field at the limb bounds.
   test_ed25519_diff holds the million-case differential test. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/ed25519_vectors.h"
#include "tiles/verify/ed25519/cpu.h"
#include "tiles/verify/ed25519/ed25519.h"
#include "tiles/verify/ed25519/fe.h"
#include "tiles/verify/ed25519/fe_avx2.h"
#include "tiles/verify/ed25519/fe_avx512.h"
#include "tiles/verify/ed25519/ge.h"
#include "tiles/verify/ed25519/sc.h"
#include "tiles/verify/ed25519/sha512.h"

static void init(void) {
  sl_err_t err;
  ck_assert_msg(sl_ed25519_init(&err) == 0, "%s", err.msg);
}

/* 1 if b runs here; else says so (the test then checks nothing for b). */
static int runs_here(sl_ed25519_backend_t b, const char *test) {
  if (sl_ed25519_supported(b)) return 1;
  printf("%s: backend %s skipped: this CPU lacks %s\n", test, sl_ed25519_backend_name(b),
         sl_cpu_missing(b, sl_cpu_features()));
  return 0;
}

/* Runs set s through backend b's lanes in groups of g (every pass gets g
   items, the last fewer) and returns how many verdicts match the
   expected ones; the first mismatch is named in bad. */
static uint32_t agree_in_groups(sl_ed25519_backend_t b, const ev_set_t *s, uint32_t g, char *bad,
                                size_t bad_sz) {
  uint32_t agree = 0;
  bad[0] = 0;
  sl_ed25519_item_t it[SL_ED25519_LANES_MAX];
  const ev_case_t *cs[SL_ED25519_LANES_MAX];
  int out[SL_ED25519_LANES_MAX];
  uint32_t i = 0;
  while (i < s->n) {
    uint32_t k = 0;
    for (; i < s->n && k < g; i++) {
      const ev_case_t *c = &s->c[i];
      if (!c->sig_ok) { /* cannot be presented: must be an invalid case */
        agree += !c->valid;
        continue;
      }
      cs[k] = c;
      it[k++] = (sl_ed25519_item_t){c->sig, c->msg, c->pk, c->msg_sz};
    }
    if (!k) continue;
    sl_ed25519_verify_lanes(b, it, k, out);
    for (uint32_t j = 0; j < k; j++) {
      int got = out[j] == 0;
      if (got == cs[j]->valid) agree++;
      else if (!bad[0])
        snprintf(bad, bad_sz, "%s, lane %u of %u: got %d want %d", cs[j]->name, j, k, got,
                 cs[j]->valid);
    }
  }
  return agree;
}

/* Every group size from 1 to b's lane count: partly filled lanes too. */
static void check_set_on(sl_ed25519_backend_t b, ev_set_t *s, const char *what) {
  for (uint32_t g = 1; g <= sl_ed25519_backend_lanes(b); g++) {
    char bad[256];
    uint32_t agree = agree_in_groups(b, s, g, bad, sizeof bad);
    ck_assert_msg(agree == s->n, "%s on %s, groups of %u: %u of %u disagree; first: %s", what,
                  sl_ed25519_backend_name(b), g, s->n - agree, s->n, bad);
  }
}

/* ---- vectors, one test per set, looped over the backends ---------------- */

START_TEST(wycheproof_151_cases_get_the_expected_verdict) {
  init();
  if (!runs_here((sl_ed25519_backend_t)_i, "wycheproof")) return;
  ev_set_t s = ev_wycheproof();
  ck_assert_uint_eq(s.n, 151);
  check_set_on((sl_ed25519_backend_t)_i, &s, "wycheproof");
  ev_free(&s);
}
END_TEST

START_TEST(malleability_200_pass_and_196_fail) {
  init();
  if (!runs_here((sl_ed25519_backend_t)_i, "malleability")) return;
  ev_set_t pass = ev_malleability("vectors/ed25519/malleability_should_pass.bin", 1);
  ev_set_t fail = ev_malleability("vectors/ed25519/malleability_should_fail.bin", 0);
  ck_assert_uint_eq(pass.n, 200);
  ck_assert_uint_eq(fail.n, 196);
  check_set_on((sl_ed25519_backend_t)_i, &pass, "malleability_should_pass");
  check_set_on((sl_ed25519_backend_t)_i, &fail, "malleability_should_fail");
  ev_free(&pass);
  ev_free(&fail);
}
END_TEST

START_TEST(real_transaction_signatures_get_the_expected_verdict) {
  init();
  if (!runs_here((sl_ed25519_backend_t)_i, "transactions")) return;
  ev_set_t s = ev_transactions();
  ck_assert_uint_eq(s.n, 10); /* 4 + 1 + 1 + 1 + 1 + 2 */
  check_set_on((sl_ed25519_backend_t)_i, &s, "transactions");
  ev_free(&s);
}
END_TEST

/* ---- the many-at-once contract -------------------------------------------- */

START_TEST(verify_many_gives_each_item_its_own_verdict_for_any_count) {
  init();
  enum { N = 21 };
  uint8_t pk[N][32], sk[N][64], sig[N][64], msg[N][40];
  sl_ed25519_item_t it[N];
  int want[N];
  for (int i = 0; i < N; i++) {
    crypto_sign_keypair(pk[i], sk[i]);
    randombytes_buf(msg[i], sizeof msg[i]);
    crypto_sign_detached(sig[i], NULL, msg[i], (unsigned)(i % 41), sk[i]);
    if (i % 3 == 1) sig[i][i] ^= 4; /* every third one broken */
    it[i] = (sl_ed25519_item_t){sig[i], msg[i], pk[i], (uint32_t)(i % 41)};
    want[i] = crypto_sign_verify_detached(sig[i], msg[i], (unsigned)(i % 41), pk[i]) ? -1 : 0;
    ck_assert_int_eq(want[i], i % 3 == 1 ? -1 : 0);
  }
  for (int b = 0; b < SL_ED25519_BACKEND_CNT; b++) {
    if (!runs_here((sl_ed25519_backend_t)b, "verify_many")) continue;
    for (uint32_t n = 0; n <= N; n++) {
      int out[N + 1];
      out[n] = 12345; /* never written past n */
      sl_ed25519_verify_many((sl_ed25519_backend_t)b, it, n, out);
      for (uint32_t i = 0; i < n; i++)
        ck_assert_msg(out[i] == want[i], "%s, n = %u: item %u got %d want %d",
                      sl_ed25519_backend_name((sl_ed25519_backend_t)b), n, i, out[i], want[i]);
      ck_assert_int_eq(out[n], 12345);
      for (uint32_t i = 0; i < n; i++)
        ck_assert_int_eq(sl_ed25519_verify((sl_ed25519_backend_t)b, it[i].sig, it[i].msg,
                                           it[i].msg_sz, it[i].pk),
                         want[i]);
    }
  }
}
END_TEST

/* ---- dispatch -------------------------------------------------------------- */

START_TEST(backend_names_are_the_config_spelling) {
  ck_assert_str_eq(sl_ed25519_backend_name(SL_ED25519_LIBSODIUM), "libsodium");
  ck_assert_str_eq(sl_ed25519_backend_name(SL_ED25519_REF), "ref");
  ck_assert_str_eq(sl_ed25519_backend_name(SL_ED25519_AVX2), "avx2");
  ck_assert_str_eq(sl_ed25519_backend_name(SL_ED25519_AVX512), "avx512");
  ck_assert_str_eq(sl_ed25519_backend_name(SL_ED25519_BACKEND_CNT), "?");
  ck_assert_uint_eq(sl_ed25519_backend_lanes(SL_ED25519_AVX512), 8);
  ck_assert_uint_eq(sl_ed25519_backend_lanes(SL_ED25519_AVX2), 4);
  ck_assert_uint_eq(sl_ed25519_backend_lanes(SL_ED25519_LIBSODIUM), 1);
}
END_TEST

enum {
  OS = SL_CPU_OS_YMM | SL_CPU_OS_ZMM,
  ZEN5 = SL_CPU_AVX2 | SL_CPU_AVX512F | SL_CPU_AVX512IFMA | SL_CPU_AVX512BW | OS,
  SKYLAKE_X = SL_CPU_AVX2 | SL_CPU_AVX512F | SL_CPU_AVX512BW | OS, /* AVX-512F, no IFMA */
  HASWELL = SL_CPU_AVX2 | SL_CPU_OS_YMM,
};

START_TEST(auto_picks_avx512_only_with_ifma_and_zmm_state) {
  ck_assert_int_eq(sl_cpu_best(ZEN5), SL_ED25519_AVX512);
  ck_assert_int_eq(sl_cpu_best(SKYLAKE_X), SL_ED25519_AVX2);
  ck_assert_int_eq(sl_cpu_best(ZEN5 & ~SL_CPU_OS_ZMM), SL_ED25519_AVX2); /* OS saves no ZMM */
  ck_assert_int_eq(sl_cpu_best(HASWELL), SL_ED25519_AVX2);
  ck_assert_str_eq(sl_cpu_missing(SL_ED25519_AVX512, SKYLAKE_X), "AVX-512 IFMA");
  ck_assert_str_eq(sl_cpu_missing(SL_ED25519_AVX512, HASWELL), "AVX-512F");
  ck_assert_str_eq(sl_cpu_missing(SL_ED25519_AVX512, ZEN5 & ~SL_CPU_AVX512BW), "AVX-512BW");
  ck_assert_str_eq(sl_cpu_missing(SL_ED25519_AVX512, ZEN5 & ~SL_CPU_OS_ZMM),
                   "OS support for ZMM and opmask registers (XCR0)");
}
END_TEST

START_TEST(describe_names_the_features_the_os_lets_us_use) {
  char buf[96];
  ck_assert_str_eq(sl_cpu_describe(ZEN5, buf, sizeof buf), "AVX2, AVX-512F, AVX-512 IFMA, AVX-512BW");
  ck_assert_str_eq(sl_cpu_describe(SKYLAKE_X, buf, sizeof buf), "AVX2, AVX-512F, AVX-512BW");
  ck_assert_str_eq(sl_cpu_describe(ZEN5 & ~SL_CPU_OS_ZMM, buf, sizeof buf), "AVX2");
  ck_assert_str_eq(sl_cpu_describe(SL_CPU_AVX2, buf, sizeof buf), "none of AVX2 and AVX-512");
  ck_assert_str_eq(sl_cpu_describe(ZEN5, buf, 9), "AVX2, AV"); /* truncated, terminated */
}
END_TEST

START_TEST(auto_falls_back_to_libsodium_without_avx2_or_ymm_state) {
  ck_assert_int_eq(sl_cpu_best(0), SL_ED25519_LIBSODIUM);
  ck_assert_int_eq(sl_cpu_best(SL_CPU_AVX2), SL_ED25519_LIBSODIUM);
  ck_assert_str_eq(sl_cpu_missing(SL_ED25519_AVX2, SL_CPU_AVX2), "OS support for YMM registers (XCR0)");
  ck_assert_str_eq(sl_cpu_missing(SL_ED25519_AVX2, 0), "AVX2");
  ck_assert(sl_cpu_runs(SL_ED25519_LIBSODIUM, 0));
  ck_assert(sl_cpu_runs(SL_ED25519_REF, 0));
}
END_TEST

START_TEST(auto_on_this_cpu_is_the_best_it_runs) {
  uint32_t f = sl_cpu_features();
  ck_assert_int_eq(sl_ed25519_auto(), sl_cpu_best(f));
  for (int b = 0; b < SL_ED25519_BACKEND_CNT; b++)
    ck_assert_int_eq(sl_ed25519_supported((sl_ed25519_backend_t)b), sl_cpu_runs((sl_ed25519_backend_t)b, f));
  printf("this CPU: avx2 %s, avx512 %s; auto = %s\n", sl_ed25519_supported(SL_ED25519_AVX2) ? "yes" : "no",
         sl_ed25519_supported(SL_ED25519_AVX512) ? "yes" : "no", sl_ed25519_backend_name(sl_ed25519_auto()));
}
END_TEST

START_TEST(select_resolves_names_and_refuses_unknown_or_unrunnable_ones) {
  sl_ed25519_backend_t b = SL_ED25519_REF;
  sl_err_t err;
  ck_assert_int_eq(sl_ed25519_select("auto", &b, &err), 0);
  ck_assert_int_eq(b, sl_ed25519_auto());
  ck_assert_int_eq(sl_ed25519_select("libsodium", &b, &err), 0);
  ck_assert_int_eq(b, SL_ED25519_LIBSODIUM);
  ck_assert_int_eq(sl_ed25519_select("AVX2", &b, &err), -1); /* names are exact */
  ck_assert_str_eq(err.msg, "backend \"AVX2\" is unknown: use \"auto\", \"libsodium\", \"avx2\" or \"avx512\"");
  ck_assert_int_eq(b, SL_ED25519_LIBSODIUM);
  for (int k = SL_ED25519_AVX2; k <= SL_ED25519_AVX512; k++) {
    const char *name = sl_ed25519_backend_name((sl_ed25519_backend_t)k);
    int rc = sl_ed25519_select(name, &b, &err);
    if (sl_ed25519_supported((sl_ed25519_backend_t)k)) {
      ck_assert_int_eq(rc, 0);
      ck_assert_int_eq(b, k);
    } else {
      ck_assert_int_eq(rc, -1);
      ck_assert_ptr_nonnull(strstr(err.msg, "cannot run on this CPU (it lacks"));
    }
  }
}
END_TEST

/* ---- scalars ---------------------------------------------------------------- */

START_TEST(sc_reduce_matches_libsodium) {
  init();
  uint8_t in[64], got[32], want[32];
  ev_rng_t rng = {1};
  for (int k = 0; k < 20000; k++) {
    ev_rand_bytes(&rng, in, sizeof in);
    if (k == 0) memset(in, 0xff, 64);
    if (k == 1) memset(in, 0, 64);
    if (k >= 2 && k < 34) memset(in + 32 + (k - 2), 0, (size_t)(32 - (k - 2))); /* short inputs */
    sl_sc_reduce(got, in);
    crypto_core_ed25519_scalar_reduce(want, in);
    if (memcmp(got, want, 32)) ck_abort_msg("input %d", k);
  }
}
END_TEST

START_TEST(sc_is_canonical_exactly_below_l) {
  static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                0xa2, 0xde, 0xf9, 0xde, 0x14, [31] = 0x10};
  uint8_t s[32];
  memcpy(s, L, 32);
  ck_assert_int_eq(sl_sc_is_canonical(s), 0); /* L */
  s[0]--;
  ck_assert_int_eq(sl_sc_is_canonical(s), 1); /* L - 1 */
  s[0] += 2;
  ck_assert_int_eq(sl_sc_is_canonical(s), 0); /* L + 1 */
  memset(s, 0, 32);
  ck_assert_int_eq(sl_sc_is_canonical(s), 1);
  memset(s, 0xff, 32);
  ck_assert_int_eq(sl_sc_is_canonical(s), 0);
  memcpy(s, L, 32);
  s[16] = 1; /* above L in a middle byte only */
  ck_assert_int_eq(sl_sc_is_canonical(s), 0);
  s[16] = 0;
  s[15] = 0x13; /* below L in a middle byte, equal above it */
  ck_assert_int_eq(sl_sc_is_canonical(s), 1);
}
END_TEST

START_TEST(sc_recode_digits_sum_back_to_the_scalar_and_stay_in_range) {
  init();
  ev_rng_t rng = {2};
  for (unsigned w = 2; w <= 8; w++) {
    for (int k = 0; k < 2000; k++) {
      uint8_t a[32], h[64];
      ev_rand_bytes(&rng, h, sizeof h);
      sl_sc_reduce(a, h); /* < L < 2^253 */
      if (k == 0) memset(a, 0, 32);
      int8_t e[256];
      unsigned n = sl_sc_recode(e, a, w);
      if (n != (256 + w - 1) / w) ck_abort_msg("w = %u: %u digits", w, n);
      /* sum e[i] 2^(w i) from the top, Horner, in 8 x 64-bit signed words */
      __int128 acc[5] = {0};
      for (int i = (int)n - 1; i >= 0; i--) {
        if (e[i] < -(1 << (w - 1)) || e[i] >= 1 << (w - 1))
          ck_abort_msg("w = %u, scalar %d: digit %d is %d", w, k, i, e[i]);
        /* acc = acc * 2^w + e[i], limbs of 64 bits with signed carries */
        __int128 carry = e[i];
        for (int j = 0; j < 5; j++) {
          __int128 v = acc[j] * ((__int128)1 << w) + carry;
          acc[j] = (__int128)(uint64_t)v;
          carry = v >> 64;
        }
      }
      uint8_t back[40];
      for (int j = 0; j < 5; j++) {
        uint64_t v = (uint64_t)acc[j];
        memcpy(back + 8 * j, &v, 8);
      }
      if (memcmp(back, a, 32) || back[32]) ck_abort_msg("w = %u, scalar %d", w, k);
    }
  }
}
END_TEST

/* ---- field and points --------------------------------------------------------- */

START_TEST(fe_tobytes_reduces_values_from_p_to_2_255) {
  for (int d = 0; d < 19; d++) {
    uint8_t s[32], out[32], want[32] = {(uint8_t)d};
    memset(s, 0xff, 32);
    s[31] = 0x7f;
    s[0] = (uint8_t)(0xed + d); /* p + d */
    sl_fe_t f;
    sl_fe_frombytes(&f, s);
    sl_fe_tobytes(out, &f);
    ck_assert_msg(!memcmp(out, want, 32), "p + %d", d);
    ck_assert_int_eq(sl_ge_is_canonical(s), 0);
    s[0] = (uint8_t)(0xec - d); /* p - 1 - d: canonical, unchanged */
    sl_fe_frombytes(&f, s);
    sl_fe_tobytes(out, &f);
    ck_assert(!memcmp(out, s, 32));
    ck_assert_int_eq(sl_ge_is_canonical(s), 1);
  }
}
END_TEST

START_TEST(fe_invert_times_itself_is_one) {
  init();
  ev_rng_t rng = {3};
  for (int k = 0; k < 200; k++) {
    uint8_t s[32], out[32], one[32] = {1};
    ev_rand_bytes(&rng, s, 32);
    sl_fe_t a, ai, r;
    sl_fe_frombytes(&a, s);
    sl_fe_invert(&ai, &a);
    sl_fe_mul(&r, &a, &ai);
    sl_fe_tobytes(out, &r);
    if (memcmp(out, one, 32)) ck_abort_msg("element %d", k);
  }
}
END_TEST

START_TEST(base_table_holds_the_multiples_of_b) {
  init();
  for (uint32_t j = 1; j <= SL_GE_BTAB_CNT; j++) {
    uint8_t n[32] = {(uint8_t)j}, want[32], got[32];
    ck_assert_int_eq(crypto_scalarmult_ed25519_base_noclamp(want, n), 0);
    /* niels (y + x, y - x, 2dxy) with Z = 1: y = (ypx + ymx) / 2 */
    const sl_ge_niels *e = &sl_ge_btab[j];
    sl_fe_t y2, x2, half, y, x;
    sl_fe_add(&y2, &e->ypx, &e->ymx);
    sl_fe_sub(&x2, &e->ypx, &e->ymx);
    sl_fe_set(&half, 2);
    sl_fe_invert(&half, &half);
    sl_fe_mul(&y, &y2, &half);
    sl_fe_mul(&x, &x2, &half);
    sl_fe_tobytes(got, &y);
    got[31] ^= (uint8_t)(sl_fe_isneg(&x) << 7);
    ck_assert_msg(!memcmp(got, want, 32), "entry %u", j);
  }
}
END_TEST

/* Elements to test the vector fields with: random, and every limb at the
   largest value the bounds allow (mul inputs up to "ready"). */
static void fe_samples(ev_rng_t *rng, sl_fe_t *out, int k, uint64_t max_limb) {
  uint8_t s[32];
  ev_rand_bytes(rng, s, 32);
  sl_fe_frombytes(&out[0], s);
  for (int i = 0; i < 5; i++) {
    uint64_t r = ev_rand(rng) % (max_limb + 1);
    out[0].v[i] = k % 3 == 0 ? out[0].v[i] : k % 3 == 1 ? max_limb : r;
  }
}

/* The plain-C product of a, b as bytes (a, b: any limbs < 2^54). */
static void ref_mul_bytes(uint8_t out[32], const sl_fe_t *a, const sl_fe_t *b) {
  sl_fe_t r;
  sl_fe_mul(&r, a, b);
  sl_fe_tobytes(out, &r);
}

static SL_AVX512 void check_fe8_at_bounds(void) {
  const uint64_t ready = (1ull << 52) - 1;
  ev_rng_t rng = {8};
  for (int k = 0; k < 3000; k++) {
    sl_fe_t a[8], b[8];
    uint64_t al[5][8], bl[5][8], rl[5][8], ql[5][8];
    for (int l = 0; l < 8; l++) {
      fe_samples(&rng, &a[l], k + l, ready);
      fe_samples(&rng, &b[l], k + 2 * l + 1, ready);
      for (int i = 0; i < 5; i++) al[i][l] = a[l].v[i], bl[i][l] = b[l].v[i];
    }
    sl_fe8_t va, vb, vr, vq;
    sl_fe8_load(&va, al);
    sl_fe8_load(&vb, bl);
    sl_fe8_mul(&vr, &va, &vb);
    sl_fe8_sq(&vq, &va);
    sl_fe8_store(rl, &vr);
    sl_fe8_store(ql, &vq);
    for (int l = 0; l < 8; l++) {
      uint8_t want[32], got[32];
      sl_fe_t r = {{rl[0][l], rl[1][l], rl[2][l], rl[3][l], rl[4][l]}};
      for (int i = 0; i < 5; i++)
        if (r.v[i] >= (1ull << 51) + (1ull << 18)) ck_abort_msg("fe8_mul sample %d: not tight", k);
      ref_mul_bytes(want, &a[l], &b[l]);
      sl_fe_tobytes(got, &r);
      if (memcmp(got, want, 32)) ck_abort_msg("fe8_mul sample %d lane %d", k, l);
      sl_fe_t q = {{ql[0][l], ql[1][l], ql[2][l], ql[3][l], ql[4][l]}};
      ref_mul_bytes(want, &a[l], &a[l]);
      sl_fe_tobytes(got, &q);
      if (memcmp(got, want, 32)) ck_abort_msg("fe8_sq sample %d lane %d", k, l);
    }
  }
}

START_TEST(fe8_mul_and_sq_agree_with_plain_c_at_the_limb_bounds) {
  init();
  if (!runs_here(SL_ED25519_AVX512, "fe8")) return;
  check_fe8_at_bounds();
}
END_TEST

static SL_AVX2 void check_fe4_at_bounds(void) {
  const uint64_t ready = 13ull << 24; /* exclusive bound of fe_avx2.h */
  ev_rng_t rng = {4};
  for (int k = 0; k < 3000; k++) {
    sl_fe_t a[4], b[4];
    sl_fe4_t va, vb, vr, vq;
    uint64_t al[10][4], bl[10][4];
    for (int l = 0; l < 4; l++) {
      /* radix-2^25.5 samples: random tight limbs, or all at the bound */
      for (int i = 0; i < 10; i++) {
        uint64_t r = ev_rand(&rng) % ready, top = ready - 1;
        int mode = (k + l) % 3;
        al[i][l] = mode == 0 ? r % (1u << 25) : mode == 1 ? top : r;
        r = ev_rand(&rng) % ready;
        mode = (k + 2 * l + 1) % 3;
        bl[i][l] = mode == 0 ? r % (1u << 25) : mode == 1 ? top : r;
      }
      for (int i = 0; i < 5; i++) { /* the same values in radix 2^51 (loose: < 2^54) */
        a[l].v[i] = al[2 * i][l] + (al[2 * i + 1][l] << 26);
        b[l].v[i] = bl[2 * i][l] + (bl[2 * i + 1][l] << 26);
      }
    }
    for (int i = 0; i < 10; i++) {
      va.v[i] = _mm256_loadu_si256((const __m256i *)al[i]);
      vb.v[i] = _mm256_loadu_si256((const __m256i *)bl[i]);
    }
    sl_fe4_mul(&vr, &va, &vb);
    sl_fe4_sq(&vq, &va);
    sl_fe_t r[4], q[4];
    sl_fe4_tofe(r, &vr);
    sl_fe4_tofe(q, &vq);
    uint64_t rl[10][4];
    for (int i = 0; i < 10; i++) _mm256_storeu_si256((__m256i *)rl[i], vr.v[i]);
    for (int l = 0; l < 4; l++) {
      for (int i = 0; i < 10; i++) /* tight */
        if (rl[i][l] >= (i & 1 ? 1ull << 25 : 1ull << 26) + (1ull << 17))
          ck_abort_msg("fe4_mul sample %d: limb %d not tight", k, i);
      uint8_t want[32], got[32];
      ref_mul_bytes(want, &a[l], &b[l]);
      sl_fe_tobytes(got, &r[l]);
      if (memcmp(got, want, 32)) ck_abort_msg("fe4_mul sample %d lane %d", k, l);
      ref_mul_bytes(want, &a[l], &a[l]);
      sl_fe_tobytes(got, &q[l]);
      if (memcmp(got, want, 32)) ck_abort_msg("fe4_sq sample %d lane %d", k, l);
    }
  }
}

START_TEST(fe4_mul_and_sq_agree_with_plain_c_at_the_limb_bounds) {
  init();
  if (!runs_here(SL_ED25519_AVX2, "fe4")) return;
  check_fe4_at_bounds();
}
END_TEST

/* ---- multi-buffer SHA-512 ---------------------------------------------------- */

/* Every length of M from 0 to 1400 bytes (R || A || M spans 1 to 12
   blocks), lanes of different lengths in one sweep, every lane count. */
static void check_sha512_lanes(uint32_t lanes, void (*hash)(uint8_t (*)[64], const sl_sha512_lane_t *, uint32_t)) {
  static uint8_t r[8][32], a[8][32], m[8][1500];
  ev_rng_t rng = {5};
  for (uint32_t len = 0; len <= 1400; len++) {
    sl_sha512_lane_t plan[8];
    uint32_t sz[8];
    for (uint32_t l = 0; l < lanes; l++) {
      sz[l] = (len + 37 * l) % 1401;
      ev_rand_bytes(&rng, r[l], 32);
      ev_rand_bytes(&rng, a[l], 32);
      ev_rand_bytes(&rng, m[l], sz[l]);
      sl_sha512_lane_init(&plan[l], r[l], a[l], m[l], sz[l]);
    }
    uint32_t n = 1 + len % lanes;
    uint8_t out[8][64], want[64];
    hash(out, plan, n);
    for (uint32_t l = 0; l < n; l++) {
      crypto_hash_sha512_state hs;
      crypto_hash_sha512_init(&hs);
      crypto_hash_sha512_update(&hs, r[l], 32);
      crypto_hash_sha512_update(&hs, a[l], 32);
      crypto_hash_sha512_update(&hs, m[l], sz[l]);
      crypto_hash_sha512_final(&hs, want);
      if (memcmp(out[l], want, 64)) ck_abort_msg("%u lanes: lane %u of %u, |M| = %u", lanes, l, n, sz[l]);
    }
  }
}

START_TEST(sha512x8_equals_libsodium_for_every_length_and_lane_count) {
  init();
  if (!runs_here(SL_ED25519_AVX512, "sha512x8")) return;
  check_sha512_lanes(8, sl_sha512x8);
}
END_TEST

START_TEST(sha512x4_equals_libsodium_for_every_length_and_lane_count) {
  init();
  if (!runs_here(SL_ED25519_AVX2, "sha512x4")) return;
  check_sha512_lanes(4, sl_sha512x4);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ed25519");
  TCase *vec = tcase_create("vectors");
  tcase_set_timeout(vec, 120);
  tcase_add_loop_test(vec, wycheproof_151_cases_get_the_expected_verdict, 0, SL_ED25519_BACKEND_CNT);
  tcase_add_loop_test(vec, malleability_200_pass_and_196_fail, 0, SL_ED25519_BACKEND_CNT);
  tcase_add_loop_test(vec, real_transaction_signatures_get_the_expected_verdict, 0,
                      SL_ED25519_BACKEND_CNT);
  tcase_add_test(vec, verify_many_gives_each_item_its_own_verdict_for_any_count);
  suite_add_tcase(s, vec);

  TCase *disp = tcase_create("dispatch");
  tcase_add_test(disp, backend_names_are_the_config_spelling);
  tcase_add_test(disp, auto_picks_avx512_only_with_ifma_and_zmm_state);
  tcase_add_test(disp, describe_names_the_features_the_os_lets_us_use);
  tcase_add_test(disp, auto_falls_back_to_libsodium_without_avx2_or_ymm_state);
  tcase_add_test(disp, auto_on_this_cpu_is_the_best_it_runs);
  tcase_add_test(disp, select_resolves_names_and_refuses_unknown_or_unrunnable_ones);
  suite_add_tcase(s, disp);

  TCase *ar = tcase_create("arithmetic");
  tcase_add_test(ar, sc_reduce_matches_libsodium);
  tcase_add_test(ar, sc_is_canonical_exactly_below_l);
  tcase_add_test(ar, sc_recode_digits_sum_back_to_the_scalar_and_stay_in_range);
  tcase_add_test(ar, fe_tobytes_reduces_values_from_p_to_2_255);
  tcase_add_test(ar, fe_invert_times_itself_is_one);
  tcase_add_test(ar, base_table_holds_the_multiples_of_b);
  tcase_add_test(ar, fe8_mul_and_sq_agree_with_plain_c_at_the_limb_bounds);
  tcase_add_test(ar, fe4_mul_and_sq_agree_with_plain_c_at_the_limb_bounds);
  tcase_add_test(ar, sha512x8_equals_libsodium_for_every_length_and_lane_count);
  tcase_add_test(ar, sha512x4_equals_libsodium_for_every_length_and_lane_count);
  suite_add_tcase(s, ar);

  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
