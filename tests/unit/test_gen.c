/* Unit tests for app/gen: the transaction builder (checked against the
   verify tile's strict parser and libsodium), the packet pool, the
   send pacer, the sendmmsg sender on loopback, and the `sluice gen`
   command line. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/gen.h"
#include "app/gen/gen_engine.h"
#include "app/gen/txn_build.h"
#include "tiles/verify/txn.h"
#include "util/time.h"

static sl_txn_keys_t KEYS;

static void setup(void) { ck_assert_int_eq(sl_txn_keys_init(&KEYS, 7, SL_TXN_KEYS_MAX, NULL), 0); }

/* Number of signatures of a parsed transaction that libsodium verifies. */
static uint32_t good_sigs(const uint8_t *b, const sl_txn_t *t) {
  uint32_t ok = 0;
  for (uint32_t i = 0; i < t->sig_cnt; i++)
    ok += crypto_sign_verify_detached(sl_txn_sig(b, t, i), b + t->msg_off, t->msg_sz, sl_txn_key(b, t, i)) == 0;
  return ok;
}

/* Sorts and counts repeated 64-byte keys. */
static int cmp64(const void *a, const void *b) { return memcmp(a, b, 64); }
static uint64_t repeats(uint8_t (*sig)[64], uint64_t n) {
  qsort(sig, n, 64, cmp64);
  uint64_t r = 0;
  for (uint64_t i = 1; i < n; i++) r += !memcmp(sig[i - 1], sig[i], 64);
  return r;
}

START_TEST(valid_txns_parse_and_every_signature_verifies) {
  uint8_t b[SL_TXN_MTU];
  for (uint64_t i = 0; i < 400; i++) {
    sl_rng_t r;
    sl_rng_seed(&r, 1, i);
    sl_txn_spec_t spec = {.kind = SL_TXN_VALID};
    sl_txn_info_t info;
    uint32_t sz = sl_txn_build(b, &KEYS, i, &r, &spec, &info);
    ck_assert_uint_eq(sz, info.sz);
    ck_assert_uint_ge(sz, SL_TXN_MIN_SZ);
    ck_assert_uint_le(sz, SL_TXN_MTU);
    sl_txn_t t;
    int rc = sl_txn_parse(b, sz, &t);
    ck_assert_msg(rc == 0, "txn %llu (%u sigs, version %u, %u bytes): %s", (unsigned long long)i, info.sigs,
                  info.version, sz, sl_txn_strerror(rc));
    ck_assert_uint_eq(t.sig_cnt, info.sigs);
    ck_assert_uint_eq(t.version, info.version == SL_TXN_VER_V0 ? SL_TXN_V0 : SL_TXN_VLEGACY);
    ck_assert_uint_eq(good_sigs(b, &t), t.sig_cnt);
  }
}
END_TEST

START_TEST(valid_shapes_cover_signers_versions_and_lookups) {
  uint8_t b[SL_TXN_MTU];
  uint32_t seen_sigs = 0, legacy = 0, v0 = 0, luts2 = 0;
  for (uint64_t i = 0; i < 400; i++) {
    sl_rng_t r;
    sl_rng_seed(&r, 2, i);
    sl_txn_spec_t spec = {.kind = SL_TXN_VALID};
    uint32_t sz = sl_txn_build(b, &KEYS, i, &r, &spec, NULL);
    sl_txn_t t;
    ck_assert_int_eq(sl_txn_parse(b, sz, &t), 0);
    seen_sigs |= 1u << t.sig_cnt;
    if (t.version == SL_TXN_VLEGACY) legacy++;
    else {
      v0++;
      ck_assert_uint_ge(t.lut_cnt, 1);
      ck_assert_uint_le(t.lut_cnt, 2);
      luts2 += t.lut_cnt == 2;
    }
    ck_assert_uint_ge(t.instr_cnt, 1);
  }
  ck_assert_uint_eq(seen_sigs, 0x1e); /* 1, 2, 3 and 4 signers */
  ck_assert_uint_gt(legacy, 100);
  ck_assert_uint_gt(v0, 100);
  ck_assert_uint_gt(luts2, 20);
}
END_TEST

START_TEST(valid_txn_has_requested_size) {
  uint8_t b[SL_TXN_MTU];
  for (uint32_t sigs = 1; sigs <= 4; sigs++)
    for (uint32_t ver = SL_TXN_VER_LEGACY; ver <= SL_TXN_VER_V0; ver++)
      for (uint32_t size = 200; size <= SL_TXN_MTU; size += 13) {
        sl_rng_t r;
        sl_rng_seed(&r, 3, size);
        sl_txn_spec_t spec = {.kind = SL_TXN_VALID, .sigs = (uint8_t)sigs, .version = (uint8_t)ver, .size = (uint16_t)size};
        uint32_t sz = sl_txn_build(b, &KEYS, size, &r, &spec, NULL);
        sl_txn_t t;
        ck_assert_int_eq(sl_txn_parse(b, sz, &t), 0);
        ck_assert_uint_eq(t.sig_cnt, sigs);
        ck_assert_uint_le(sz, SL_TXN_MTU);
        /* Exact, one short where the memo's length prefix grows, or the
           bare shape when the target leaves no room for a memo. */
        ck_assert_msg(sz == size || sz + 1 == size || (sz < size && sz + 36 > size) || (sz > size && t.instr_cnt < 3),
                      "target %u built %u (%u sigs, version %u)", size, sz, sigs, ver);
      }
  for (uint64_t i = 0; i < 50; i++) {
    sl_rng_t r;
    sl_rng_seed(&r, 3, i);
    sl_txn_spec_t spec = {.kind = SL_TXN_VALID, .sigs = 1, .version = SL_TXN_VER_LEGACY, .size = 1232};
    ck_assert_uint_eq(sl_txn_build(b, &KEYS, i, &r, &spec, NULL), 1232);
    spec.size = 100; /* below any shape: the smallest one */
    uint32_t sz = sl_txn_build(b, &KEYS, i, &r, &spec, NULL);
    ck_assert_uint_eq(sz, 215);
    sl_txn_t t;
    ck_assert_int_eq(sl_txn_parse(b, sz, &t), 0);
  }
}
END_TEST

START_TEST(bad_sig_txns_parse_but_one_signature_fails) {
  uint8_t b[SL_TXN_MTU];
  for (uint32_t v = 0; v < SL_TXN_BADSIG_CNT; v++)
    for (uint64_t i = 0; i < 100; i++) {
      sl_rng_t r;
      sl_rng_seed(&r, 4, i);
      sl_txn_spec_t spec = {.kind = SL_TXN_BAD_SIG, .variant = (uint8_t)v};
      sl_txn_info_t info;
      uint32_t sz = sl_txn_build(b, &KEYS, i, &r, &spec, &info);
      ck_assert_uint_eq(info.variant, v);
      sl_txn_t t;
      ck_assert_int_eq(sl_txn_parse(b, sz, &t), 0);
      ck_assert_msg(good_sigs(b, &t) == t.sig_cnt - 1u, "%s: %u of %u signatures verify",
                    sl_txn_variant_name(SL_TXN_BAD_SIG, v), good_sigs(b, &t), t.sig_cnt);
    }
}
END_TEST

/* Each malformed variant breaks the rule it names; the runt only has to be
   rejected somehow. */
START_TEST(malformed_txns_fail_parse_for_their_reason) {
  static const int want[SL_TXN_MAL_CNT] = {
      [SL_TXN_MAL_TRAILING] = SL_TXN_ERR_TRAILING,
      [SL_TXN_MAL_CU16_NONMINIMAL] = SL_TXN_ERR_CU16_NONMINIMAL,
      [SL_TXN_MAL_SIG_CNT] = SL_TXN_ERR_SIG_CNT_MISMATCH,
      [SL_TXN_MAL_TRUNCATED] = SL_TXN_ERR_TRUNCATED,
      [SL_TXN_MAL_ZERO_SIGS] = SL_TXN_ERR_NO_SIGS,
      [SL_TXN_MAL_PROGRAM_IDX0] = SL_TXN_ERR_PROGRAM_INDEX,
      [SL_TXN_MAL_PROGRAM_IDX_OOB] = SL_TXN_ERR_PROGRAM_INDEX,
      [SL_TXN_MAL_ACCOUNT_IDX_OOB] = SL_TXN_ERR_ACCT_INDEX,
      [SL_TXN_MAL_PAYER_READONLY] = SL_TXN_ERR_NO_WRITABLE_PAYER,
      [SL_TXN_MAL_VERSION] = SL_TXN_ERR_BAD_VERSION,
      [SL_TXN_MAL_EMPTY_LOOKUP] = SL_TXN_ERR_EMPTY_LUT,
      [SL_TXN_MAL_RUNT] = 0,
  };
  uint8_t b[SL_TXN_MTU];
  for (uint32_t v = 0; v < SL_TXN_MAL_CNT; v++)
    for (uint64_t i = 0; i < 200; i++) {
      sl_rng_t r;
      sl_rng_seed(&r, 5, i);
      sl_txn_spec_t spec = {.kind = SL_TXN_MALFORMED, .variant = (uint8_t)v, .size = (uint16_t)(i % 3 ? 0 : 1232)};
      uint32_t sz = sl_txn_build(b, &KEYS, i, &r, &spec, NULL);
      ck_assert_uint_le(sz, SL_TXN_MTU);
      ck_assert_uint_ge(sz, 1);
      sl_txn_t t;
      int rc = sl_txn_parse(b, sz, &t);
      if (v == SL_TXN_MAL_RUNT) {
        ck_assert_uint_lt(sz, SL_TXN_MIN_SZ);
        ck_assert_int_lt(rc, 0);
      } else {
        ck_assert_msg(rc == want[v], "%s #%llu (%u bytes): got %s", sl_txn_variant_name(SL_TXN_MALFORMED, v),
                      (unsigned long long)i, sz, sl_txn_strerror(rc));
      }
    }
}
END_TEST

START_TEST(builder_is_deterministic_in_its_inputs) {
  uint8_t a[SL_TXN_MTU], b[SL_TXN_MTU];
  sl_rng_t ra, rb;
  sl_rng_seed(&ra, 9, 1);
  sl_rng_seed(&rb, 9, 1);
  sl_txn_spec_t spec = {.kind = SL_TXN_VALID};
  uint32_t na = sl_txn_build(a, &KEYS, 5, &ra, &spec, NULL);
  uint32_t nb = sl_txn_build(b, &KEYS, 5, &rb, &spec, NULL);
  ck_assert_uint_eq(na, nb);
  ck_assert_mem_eq(a, b, na);
  sl_rng_seed(&rb, 9, 1);
  nb = sl_txn_build(b, &KEYS, 6, &rb, &spec, NULL); /* another serial */
  ck_assert(na != nb || memcmp(a, b, na));
  ck_assert(memcmp(a + 1, b + 1, 64));
}
END_TEST

START_TEST(cu16_put_is_minimal) {
  uint8_t o[3];
  ck_assert_uint_eq(sl_txn_cu16_put(o, 0), 1);
  ck_assert_uint_eq(o[0], 0);
  ck_assert_uint_eq(sl_txn_cu16_put(o, 127), 1);
  ck_assert_uint_eq(sl_txn_cu16_put(o, 128), 2);
  ck_assert_uint_eq(o[0], 0x80);
  ck_assert_uint_eq(o[1], 0x01);
  ck_assert_uint_eq(sl_txn_cu16_put(o, 16383), 2);
  ck_assert_uint_eq(sl_txn_cu16_put(o, 16384), 3);
  ck_assert_uint_eq(sl_txn_cu16_put(o, 65535), 3);
  ck_assert_uint_eq(o[2], 0x03);
  for (uint32_t v = 0; v < 65536; v += 7) {
    uint8_t p[3];
    uint16_t got;
    uint32_t n = sl_txn_cu16_put(o, v);
    ck_assert_int_eq(sl_cu16_encode((uint16_t)v, p), (int)n);
    ck_assert_mem_eq(o, p, n);
    ck_assert_int_eq(sl_cu16_decode(o, n, &got), (int)n);
    ck_assert_uint_eq(got, v);
  }
}
END_TEST

static sl_gen_opts_t opts(uint64_t count, double dup, double bad, double mal) {
  sl_gen_opts_t o;
  sl_gen_opts_default(&o);
  o.dst_ip4 = htonl(INADDR_LOOPBACK);
  o.dst_port[0] = 9;
  o.dst_port_cnt = 1;
  o.count = count;
  o.dup = dup, o.bad_sig = bad, o.malformed = mal;
  o.seed = 11;
  return o;
}

START_TEST(pool_categories_follow_ratios_and_add_up) {
  sl_gen_opts_t o = opts(4000, 0.2, 0.15, 0.1);
  o.size = 200;
  sl_gen_pool_t p;
  ck_assert_int_eq(sl_gen_pool_new(&p, &o, NULL), 0);
  ck_assert_uint_eq(p.cnt, 4000);
  uint64_t c[SL_GEN_CAT_CNT] = {0};
  for (uint64_t i = 0; i < p.cnt; i++) c[p.pkt[i].cat]++;
  ck_assert_uint_eq(c[0] + c[1] + c[2] + c[3], 4000);
  /* Binomial spread at n = 4000 is ~25 packets; allow ~5 sigma. */
  ck_assert_uint_lt(llabs((long long)c[SL_GEN_DUP] - 800), 130);
  ck_assert_uint_lt(llabs((long long)c[SL_GEN_BAD_SIG] - 600), 120);
  ck_assert_uint_lt(llabs((long long)c[SL_GEN_MALFORMED] - 400), 100);
  sl_gen_pool_delete(&p);
}
END_TEST

START_TEST(pool_packets_are_what_their_category_says) {
  sl_gen_opts_t o = opts(1500, 0.2, 0.2, 0.2);
  sl_gen_pool_t p;
  ck_assert_int_eq(sl_gen_pool_new(&p, &o, NULL), 0);
  uint32_t mal_variants = 0;
  for (uint64_t i = 0; i < p.cnt; i++) {
    const sl_gen_pkt_t *k = &p.pkt[i];
    sl_txn_t t;
    int rc = sl_txn_parse(k->data, k->sz, &t);
    switch (k->cat) {
    case SL_GEN_VALID:
    case SL_GEN_DUP:
      ck_assert_int_eq(rc, 0);
      ck_assert_uint_eq(good_sigs(k->data, &t), t.sig_cnt);
      break;
    case SL_GEN_BAD_SIG:
      ck_assert_int_eq(rc, 0);
      ck_assert_uint_lt(good_sigs(k->data, &t), t.sig_cnt);
      break;
    default:
      ck_assert_int_lt(rc, 0);
      mal_variants |= 1u << k->variant;
    }
  }
  ck_assert_uint_eq(mal_variants, (1u << SL_TXN_MAL_CNT) - 1);
  sl_gen_pool_delete(&p);
}
END_TEST

START_TEST(dups_are_byte_identical_to_an_earlier_valid_packet) {
  sl_gen_opts_t o = opts(2000, 0.4, 0.1, 0.1);
  sl_gen_pool_t p;
  ck_assert_int_eq(sl_gen_pool_new(&p, &o, NULL), 0);
  ck_assert_uint_eq(p.pkt[0].cat == SL_GEN_DUP, 0); /* nothing to duplicate yet */
  uint64_t dups = 0;
  for (uint64_t i = 0; i < p.cnt; i++) {
    if (p.pkt[i].cat != SL_GEN_DUP) continue;
    dups++;
    uint64_t j = p.pkt[i].dup_of;
    ck_assert_uint_lt(j, i);
    ck_assert_uint_eq(p.pkt[j].cat, SL_GEN_VALID);
    ck_assert_uint_eq(p.pkt[i].sz, p.pkt[j].sz);
    ck_assert_mem_eq(p.pkt[i].data, p.pkt[j].data, p.pkt[j].sz);
  }
  ck_assert_uint_gt(dups, 600);
  sl_gen_pool_delete(&p);
}
END_TEST

START_TEST(first_signatures_are_unique_except_dups) {
  sl_gen_opts_t o = opts(3000, 0.3, 0.2, 0.0);
  sl_gen_pool_t p;
  ck_assert_int_eq(sl_gen_pool_new(&p, &o, NULL), 0);
  uint8_t(*sig)[64] = malloc(p.cnt * 64);
  uint64_t n = 0, dups = 0;
  for (uint64_t i = 0; i < p.cnt; i++) {
    memcpy(sig[n++], p.pkt[i].data + 1, 64);
    dups += p.pkt[i].cat == SL_GEN_DUP;
  }
  ck_assert_uint_eq(repeats(sig, n), dups);
  free(sig);
  sl_gen_pool_delete(&p);
}
END_TEST

START_TEST(same_seed_same_bytes_whatever_the_threads) {
  sl_gen_opts_t o = opts(600, 0.2, 0.2, 0.2);
  sl_gen_pool_t a, b, c;
  o.threads = 1;
  ck_assert_int_eq(sl_gen_pool_new(&a, &o, NULL), 0);
  o.threads = 3;
  ck_assert_int_eq(sl_gen_pool_new(&b, &o, NULL), 0);
  o.seed = 12;
  ck_assert_int_eq(sl_gen_pool_new(&c, &o, NULL), 0);
  uint64_t differ = 0;
  for (uint64_t i = 0; i < a.cnt; i++) {
    ck_assert_uint_eq(a.pkt[i].cat, b.pkt[i].cat);
    ck_assert_uint_eq(a.pkt[i].sz, b.pkt[i].sz);
    ck_assert_mem_eq(a.pkt[i].data, b.pkt[i].data, a.pkt[i].sz);
    differ += a.pkt[i].sz != c.pkt[i].sz || memcmp(a.pkt[i].data, c.pkt[i].data, a.pkt[i].sz);
  }
  ck_assert_uint_eq(differ, a.cnt);
  sl_gen_pool_delete(&a);
  sl_gen_pool_delete(&b);
  sl_gen_pool_delete(&c);
}
END_TEST

START_TEST(cycled_packets_count_valid_repeats_as_dups) {
  sl_gen_opts_t o = opts(25, 0.0, 0.3, 0.3);
  o.pool = 10;
  sl_gen_pool_t p;
  ck_assert_int_eq(sl_gen_pool_new(&p, &o, NULL), 0);
  ck_assert_uint_eq(p.cnt, 10);
  for (uint64_t i = 10; i < 25; i++) {
    uint32_t first = p.pkt[i % 10].cat;
    uint32_t want = first == SL_GEN_VALID ? SL_GEN_DUP : first;
    ck_assert_uint_eq(sl_gen_pkt_cat(&p, i), want);
  }
  sl_gen_pool_delete(&p);
}
END_TEST

START_TEST(opts_check_rejects_bad_ratios_and_ports) {
  sl_err_t err;
  sl_gen_opts_t o = opts(10, 0.5, 0.4, 0.2);
  ck_assert_int_eq(sl_gen_opts_check(&o, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "sum"));
  o = opts(10, -0.1, 0, 0);
  ck_assert_int_eq(sl_gen_opts_check(&o, &err), -1);
  o = opts(10, 0, 0, 0);
  o.dst_port_cnt = 0;
  ck_assert_int_eq(sl_gen_opts_check(&o, &err), -1);
  o = opts(10, 0.5, 0.25, 0.25);
  ck_assert_int_eq(sl_gen_opts_check(&o, &err), 0);
}
END_TEST

/* A UDP receiver on 127.0.0.1 with a buffer deep enough for the whole run. */
static int receiver(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  int big = 64 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big))
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big), 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  socklen_t sl = sizeof sa;
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  *port = ntohs(sa.sin_port);
  return fd;
}

/* Receives until want datagrams came or nothing more arrives for 1 s
   (whole wait bounded to 10 s); classifies each the way the verify tile
   would: parse, dedup on the first signature, verify. */
static uint64_t drain(int fd, uint64_t want, uint64_t cat[SL_GEN_CAT_CNT]) {
  static uint8_t sigs[4096][64];
  uint64_t n = 0, nsig = 0, t_end = sl_now_ns() + 10000000000ull;
  uint8_t b[2048];
  while (n < want && sl_now_ns() < t_end) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 1000) <= 0) break;
    ssize_t sz = recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (sz < 0) continue;
    n++;
    sl_txn_t t;
    if (sl_txn_parse(b, (uint32_t)sz, &t)) {
      cat[SL_GEN_MALFORMED]++;
      continue;
    }
    int seen = 0;
    for (uint64_t i = 0; i < nsig && !seen; i++) seen = !memcmp(sigs[i], b + 1, 64);
    if (seen) cat[SL_GEN_DUP]++;
    else if (good_sigs(b, &t) != t.sig_cnt) cat[SL_GEN_BAD_SIG]++;
    else {
      cat[SL_GEN_VALID]++;
      if (nsig < 4096) memcpy(sigs[nsig++], b + 1, 64);
    }
  }
  return n;
}

START_TEST(send_to_loopback_delivers_what_the_summary_counts) {
  uint16_t port;
  int fd = receiver(&port);
  sl_gen_opts_t o = opts(2000, 0.2, 0.15, 0.15);
  o.dst_port[0] = port;
  sl_gen_result_t res;
  sl_err_t err;
  ck_assert_msg(sl_gen_run(&o, &res, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq(res.sent, 2000);
  ck_assert_uint_eq(res.cat[0] + res.cat[1] + res.cat[2] + res.cat[3], res.sent);
  ck_assert_uint_gt(res.cat[SL_GEN_DUP], 0);
  ck_assert_uint_gt(res.cat[SL_GEN_BAD_SIG], 0);
  ck_assert_uint_gt(res.cat[SL_GEN_MALFORMED], 0);
  uint64_t got[SL_GEN_CAT_CNT] = {0};
  ck_assert_uint_eq(drain(fd, res.sent, got), res.sent);
  for (int c = 0; c < SL_GEN_CAT_CNT; c++)
    ck_assert_msg(got[c] == res.cat[c], "category %d: received %llu, summary %llu", c, (unsigned long long)got[c],
                  (unsigned long long)res.cat[c]);
  close(fd);
}
END_TEST

START_TEST(send_spreads_over_ports_round_robin) {
  uint16_t p1, p2;
  int a = receiver(&p1), b = receiver(&p2);
  sl_gen_opts_t o = opts(300, 0, 0, 0);
  o.dst_port[0] = p1, o.dst_port[1] = p2, o.dst_port_cnt = 2;
  o.size = 200;
  sl_gen_result_t res;
  sl_err_t err;
  ck_assert_msg(sl_gen_run(&o, &res, &err) == 0, "%s", err.msg);
  uint64_t ga[SL_GEN_CAT_CNT] = {0}, gb[SL_GEN_CAT_CNT] = {0};
  ck_assert_uint_eq(drain(a, 150, ga), 150);
  ck_assert_uint_eq(drain(b, 150, gb), 150);
  close(a), close(b);
}
END_TEST

/* ---- pacer: the schedule, on a synthetic clock ---- */

#define T0 1000000000ull

START_TEST(pacer_unpaced_gives_whole_batches_then_the_rest) {
  sl_gen_pacer_t pc;
  sl_gen_pacer_init(&pc, 0, 100, 64, NULL, T0);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 0, T0), 64);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 64, T0), 36);
}
END_TEST

START_TEST(pacer_at_low_rate_sends_each_packet_when_due) {
  sl_gen_pacer_t pc;
  sl_gen_pacer_init(&pc, 1000, 10, 64, NULL, T0); /* one packet per ms */
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 0, T0), 1);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 1, T0 + 999999), 0);
  ck_assert_uint_eq(pc.wake, T0 + 1000000);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 1, T0 + 1000000), 1);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 1, T0 + 3500000), 3); /* late: everything due goes */
}
END_TEST

START_TEST(pacer_waits_for_50us_of_traffic_then_sends_what_is_due) {
  sl_gen_pacer_t pc;
  sl_gen_pacer_init(&pc, 200000, 1000, 64, NULL, T0); /* 5 us apart: bursts of 10 */
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 0, T0), 0);
  ck_assert_uint_eq(pc.wake, T0 + 9 * 5000); /* when the 10th is due */
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 0, T0 + 44999), 0);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 0, T0 + 45000), 10);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 10, T0 + 45000), 0);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 10, T0 + 1000000), 64); /* 191 due, one batch at most */
}
END_TEST

START_TEST(pacer_sends_a_short_tail_once_all_of_it_is_due) {
  sl_gen_pacer_t pc;
  sl_gen_pacer_init(&pc, 200000, 5, 64, NULL, T0);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 0, T0), 0);
  ck_assert_uint_eq(pc.wake, T0 + 4 * 5000);
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 0, T0 + 20000), 5);
}
END_TEST

START_TEST(pacer_wait_sleeps_until_just_before_a_far_burst) {
  sl_gen_pacer_t pc;
  uint64_t t0 = sl_now_ns();
  sl_gen_pacer_init(&pc, 10, 10, 64, NULL, t0); /* 100 ms apart */
  ck_assert_uint_eq(sl_gen_pacer_next_burst(&pc, 1, t0), 0);
  sl_gen_pacer_wait(&pc);
  uint64_t slept = sl_now_ns() - t0;
  ck_assert_msg(slept >= 99900000ull && slept < 1000000000ull, "slept %llu ns", (unsigned long long)slept);
}
END_TEST

START_TEST(pacer_declares_a_stall_only_after_the_bound) {
  sl_gen_pacer_t pc;
  sl_gen_pacer_init(&pc, 0, 10, 64, NULL, T0);
  ck_assert(!sl_gen_pacer_stalled(&pc, T0 + SL_GEN_STALL_NS));
  ck_assert(sl_gen_pacer_stalled(&pc, T0 + SL_GEN_STALL_NS + 1));
  sl_gen_pacer_progress(&pc, T0 + SL_GEN_STALL_NS);
  ck_assert(!sl_gen_pacer_stalled(&pc, T0 + SL_GEN_STALL_NS + 1));
}
END_TEST

START_TEST(pacer_reports_the_stop_flag) {
  volatile int stop = 0;
  sl_gen_pacer_t pc;
  sl_gen_pacer_init(&pc, 0, 10, 64, &stop, T0);
  ck_assert(!sl_gen_pacer_stopped(&pc));
  stop = 1;
  ck_assert(sl_gen_pacer_stopped(&pc));
  sl_gen_pacer_init(&pc, 0, 10, 64, NULL, T0);
  ck_assert(!sl_gen_pacer_stopped(&pc));
}
END_TEST

START_TEST(send_paces_to_the_requested_rate) {
  uint16_t port;
  int fd = receiver(&port);
  const uint64_t rates[] = {20000, 100000};
  for (int k = 0; k < 2; k++) {
    sl_gen_opts_t o = opts(rates[k] / 5, 0, 0, 0); /* 0.2 s each */
    o.dst_port[0] = port;
    o.size = 200;
    o.pool = 500;
    o.rate = rates[k];
    sl_gen_result_t res;
    sl_err_t err;
    ck_assert_msg(sl_gen_run(&o, &res, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(res.sent, o.count);
    ck_assert_msg(res.pps <= 1.03 * (double)o.rate && res.pps >= 0.95 * (double)o.rate, "rate %llu: %.0f pps",
                  (unsigned long long)o.rate, res.pps);
    char b[2048];
    while (recv(fd, b, sizeof b, MSG_DONTWAIT) > 0) {}
  }
  close(fd);
}
END_TEST

START_TEST(send_stops_when_asked) {
  uint16_t port;
  int fd = receiver(&port);
  sl_gen_opts_t o = opts(1000, 0, 0, 0);
  o.dst_port[0] = port;
  volatile int stop = 1;
  o.stop = &stop;
  sl_gen_result_t res;
  ck_assert_int_eq(sl_gen_run(&o, &res, NULL), 0);
  ck_assert_uint_eq(res.sent, 0);
  close(fd);
}
END_TEST

START_TEST(send_failure_names_the_destination) {
  sl_gen_opts_t o = opts(10, 0, 0, 0);
  ck_assert_int_eq(inet_pton(AF_INET, "255.255.255.255", &o.dst_ip4), 1); /* no SO_BROADCAST: EACCES */
  sl_gen_result_t res;
  sl_err_t err;
  ck_assert_int_eq(sl_gen_run(&o, &res, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "255.255.255.255"));
  ck_assert_uint_eq(res.sent, 0);
}
END_TEST

START_TEST(json_summary_has_the_documented_keys) {
  sl_gen_result_t r = {.sent = 10, .cat = {4, 3, 2, 1}, .seconds = 0.5, .pps = 20};
  char b[512];
  sl_gen_result_json(&r, b, sizeof b);
  ck_assert_str_eq(b, "{\"sent\": 10, \"valid_unique\": 4, \"duplicates\": 3, \"bad_sig\": 2, \"malformed\": 1, "
                      "\"seconds\": 0.500000, \"pps\": 20.0}");
}
END_TEST

/* Runs sl_cmd_gen with stdout and stderr captured; returns its status. */
static int run_cmd(char **argv, char *out, size_t outsz) {
  int argc = 0;
  while (argv[argc]) argc++;
  fflush(stdout), fflush(stderr);
  FILE *tmp = tmpfile(), *terr = tmpfile();
  int so = dup(1), se = dup(2);
  dup2(fileno(tmp), 1);
  dup2(fileno(terr), 2);
  int rc = sl_cmd_gen(argc, argv);
  fflush(stdout), fflush(stderr);
  dup2(so, 1), dup2(se, 2);
  close(so), close(se);
  rewind(tmp);
  size_t n = fread(out, 1, outsz - 1, tmp);
  out[n] = 0;
  fclose(tmp), fclose(terr);
  return rc;
}

START_TEST(cmd_rejects_bad_usage_with_status_2) {
  char out[1024];
  char *no_dst[] = {"gen", "--count", "5", NULL};
  char *bad_dst[] = {"gen", "--dst", "127.0.0.1", NULL};
  char *bad_port[] = {"gen", "--dst", "127.0.0.1:70000", NULL};
  char *bad_ratio[] = {"gen", "--dst", "127.0.0.1:9", "--dup", "1.5", NULL};
  char *sum[] = {"gen", "--dst", "127.0.0.1:9", "--dup=0.6", "--malformed=0.6", NULL};
  char *unknown[] = {"gen", "--dst", "127.0.0.1:9", "--frobnicate", NULL};
  char *no_value[] = {"gen", "--dst", NULL};
  char *bad_count[] = {"gen", "--dst", "127.0.0.1:9", "--count", "-3", NULL};
  char **cases[] = {no_dst, bad_dst, bad_port, bad_ratio, sum, unknown, no_value, bad_count};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    ck_assert_msg(run_cmd(cases[i], out, sizeof out) == 2, "case %zu", i);
    ck_assert_str_eq(out, ""); /* nothing on stdout */
  }
}
END_TEST

START_TEST(cmd_interface_mode_on_a_missing_interface_exits_1) {
  char out[1024];
  char *argv[] = {"gen", "--dst", "127.0.0.1:9", "--count", "10", "--interface", "sl-no-such0", NULL};
  ck_assert_int_eq(run_cmd(argv, out, sizeof out), 1);
}
END_TEST

START_TEST(cmd_prints_one_json_line) {
  uint16_t port;
  int fd = receiver(&port);
  char dst[64], out[1024];
  snprintf(dst, sizeof dst, "127.0.0.1:%u", port);
  char *argv[] = {"gen", "--dst", dst, "--count=50", "--seed", "3", "--bad-sig", "0.5", "--sigs", "2", NULL};
  ck_assert_int_eq(run_cmd(argv, out, sizeof out), 0);
  ck_assert_msg(!strncmp(out, "{\"sent\": 50, \"valid_unique\": ", 29), "%s", out);
  ck_assert_ptr_nonnull(strstr(out, "\"pps\": "));
  ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
  uint64_t got[SL_GEN_CAT_CNT] = {0};
  ck_assert_uint_eq(drain(fd, 50, got), 50);
  close(fd);
}
END_TEST

int main(void) {
  Suite *s = suite_create("gen");
  TCase *tb = tcase_create("builder");
  tcase_add_checked_fixture(tb, setup, NULL);
  tcase_add_test(tb, valid_txns_parse_and_every_signature_verifies);
  tcase_add_test(tb, valid_shapes_cover_signers_versions_and_lookups);
  tcase_add_test(tb, valid_txn_has_requested_size);
  tcase_add_test(tb, bad_sig_txns_parse_but_one_signature_fails);
  tcase_add_test(tb, malformed_txns_fail_parse_for_their_reason);
  tcase_add_test(tb, builder_is_deterministic_in_its_inputs);
  tcase_add_test(tb, cu16_put_is_minimal);
  suite_add_tcase(s, tb);

  TCase *tp = tcase_create("pool");
  tcase_add_test(tp, pool_categories_follow_ratios_and_add_up);
  tcase_add_test(tp, pool_packets_are_what_their_category_says);
  tcase_add_test(tp, dups_are_byte_identical_to_an_earlier_valid_packet);
  tcase_add_test(tp, first_signatures_are_unique_except_dups);
  tcase_add_test(tp, same_seed_same_bytes_whatever_the_threads);
  tcase_add_test(tp, cycled_packets_count_valid_repeats_as_dups);
  tcase_add_test(tp, opts_check_rejects_bad_ratios_and_ports);
  suite_add_tcase(s, tp);

  TCase *tc = tcase_create("pacer");
  tcase_add_test(tc, pacer_unpaced_gives_whole_batches_then_the_rest);
  tcase_add_test(tc, pacer_at_low_rate_sends_each_packet_when_due);
  tcase_add_test(tc, pacer_waits_for_50us_of_traffic_then_sends_what_is_due);
  tcase_add_test(tc, pacer_sends_a_short_tail_once_all_of_it_is_due);
  tcase_add_test(tc, pacer_wait_sleeps_until_just_before_a_far_burst);
  tcase_add_test(tc, pacer_declares_a_stall_only_after_the_bound);
  tcase_add_test(tc, pacer_reports_the_stop_flag);
  suite_add_tcase(s, tc);

  TCase *ts = tcase_create("send");
  tcase_set_timeout(ts, 60);
  tcase_add_test(ts, send_to_loopback_delivers_what_the_summary_counts);
  tcase_add_test(ts, send_spreads_over_ports_round_robin);
  tcase_add_test(ts, send_paces_to_the_requested_rate);
  tcase_add_test(ts, send_stops_when_asked);
  tcase_add_test(ts, send_failure_names_the_destination);
  tcase_add_test(ts, json_summary_has_the_documented_keys);
  tcase_add_test(ts, cmd_rejects_bad_usage_with_status_2);
  tcase_add_test(ts, cmd_interface_mode_on_a_missing_interface_exits_1);
  tcase_add_test(ts, cmd_prints_one_json_line);
  suite_add_tcase(s, ts);

  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
