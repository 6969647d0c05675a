/* The verify tile checks signatures in groups gathered across
   transactions, with the configured backend, and must give exactly the
   verdicts, counts and output of judging one transaction at a time: a
   transaction passes only if all its signatures do, a duplicate inside a
   group is dropped only if its first copy verified, a passing transaction
   behind a failed one is published intact and in order, and a partly filled
   group goes out in the poll that gathered it. The tile runs its real loop
   here, in this process, over real signatures (libsodium signs them). */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/gen/rng.h"
#include "app/gen/txn_build.h"
#include "config/config.h"
#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "tests/unit/fixture.h"
#include "tiles/frame.h"
#include "tiles/topo.h"
#include "tiles/verify/ed25519/ed25519.h"
#include "tiles/verify/verify_tile.h"
#include "util/log.h"

static sl_config_t cfg;
static sl_wksp_t w;
static sl_topo_t *topo;
static sl_ring_prod_t net;  /* the test plays net:0 ... */
static sl_ring_cons_t sink; /* ... and the sink */
static uint32_t next_frame;

static void up(const char *backend) {
  sl_log_set_level(SL_LOG_WARN);
  fixture_config(&cfg, "t-vtile");
  snprintf(cfg.verify.ed25519, sizeof cfg.verify.ed25519, "%s", backend);
  cfg.layout.verify_tile_count = 1;
  cfg.shmem.ring_depth = 256;
  cfg.net.rx_queue_size = 64;
  cfg.verify.dedup_cache_size = 1024;
  fixture_up(&w, &cfg, NULL, &topo);
  ck_assert_int_eq(sl_ring_prod_init(&net, &w, topo->net_ring[0][0], NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&sink, &w, topo->verify_ring[0], 0, NULL), 0);
  next_frame = 0;
}

static void down(void) { fixture_down(&w); }

static void setup(void) { up("auto"); }

/* Starts the verify tile's loop (init) with cfg's backend; 0 or -1 and err. */
static int tile_up(sl_tile_t *t, sl_err_t *err) {
  memset(t, 0, sizeof *t);
  t->ops = &sl_verify_tile_ops;
  t->kind = SL_TILE_VERIFY;
  t->id = sl_topo_tile_id(topo, SL_TILE_VERIFY, 0);
  t->wksp = &w;
  t->cfg = &cfg;
  t->topo = topo;
  snprintf(t->name, sizeof t->name, "verify:0");
  t->metrics = sl_topo_metrics(&w, topo, t->id)->v;
  return t->ops->init(t, err);
}

static void tile_ok(sl_tile_t *t) {
  sl_err_t err;
  ck_assert_msg(tile_up(t, &err) == 0, "%s", err.msg);
}

static uint64_t metric(const sl_tile_t *t, uint32_t idx) {
  return sl_metrics_get(sl_topo_metrics(&w, topo, t->id), idx);
}

/* ---- traffic ---------------------------------------------------------------- */

typedef struct {
  uint8_t b[SL_TXN_MTU];
  uint32_t sz;
} txn_t;

/* A transaction of kind (SL_TXN_*) with sigs signatures (0: 1..4), its
   message distinct by serial. */
static txn_t make(uint8_t kind, uint8_t sigs, uint64_t serial) {
  static sl_txn_keys_t keys;
  sl_err_t err;
  if (!keys.cnt) ck_assert_msg(sl_txn_keys_init(&keys, 7, 8, &err) == 0, "%s", err.msg);
  sl_rng_t rng;
  sl_rng_seed(&rng, serial, 1);
  sl_txn_spec_t spec = {.kind = kind, .variant = SL_TXN_VARIANT_ANY, .sigs = sigs,
                        .version = SL_TXN_VER_LEGACY, .size = 300};
  txn_t t;
  t.sz = sl_txn_build(t.b, &keys, serial, &rng, &spec, NULL);
  return t;
}

/* Publishes t on net:0 in the next frame of its pool (round robin). */
static void send(const txn_t *t) {
  uint32_t fr = next_frame++ % (uint32_t)topo->pool_frame_cnt;
  uint8_t *p = (uint8_t *)w.base + topo->pool[0] + (uint64_t)fr * topo->frame_sz;
  sl_frame_addr_t a = {.src_ip4 = 0x0100007f, .dst_ip4 = 0x0100007f, .src_port = 5, .dst_port = 9001};
  uint32_t h = sl_frame_build_hdr(p, &a, t->sz);
  memcpy(p + h, t->b, t->sz);
  sl_ring_publish(&net, sl_frame_sig(topo->sig_seed, t->b, t->sz), sl_chunk_of(w.base, p),
                  (uint16_t)(h + t->sz), 0, 0, 0);
}

/* Polls until the tile finds nothing; returns the polls that did work. */
static int run(sl_tile_t *t) {
  int busy = 0;
  while (t->ops->poll(t)) busy++;
  t->ops->housekeep(t);
  return busy;
}

/* Takes what the tile published, up to max, into out (the transactions'
   bytes, frame headers stripped); returns how many. */
static uint32_t drain(txn_t *out, uint32_t max) {
  uint32_t n = 0;
  sl_frag_meta_t m;
  while (n < max && sl_ring_poll(&sink, &m) == SL_RING_OK) {
    const uint8_t *f = sl_chunk_laddr(w.base, m.chunk);
    sl_frame_t fr;
    ck_assert_int_eq(sl_frame_parse(f, m.sz, &fr), 0);
    ck_assert_uint_eq(m.sig, sl_frame_sig(topo->sig_seed, f + fr.payload_off, fr.payload_sz));
    out[n].sz = fr.payload_sz;
    memcpy(out[n].b, f + fr.payload_off, fr.payload_sz);
    n++;
  }
  sl_ring_cons_publish(&sink);
  return n;
}

static void assert_same(const txn_t *got, const txn_t *want) {
  ck_assert_uint_eq(got->sz, want->sz);
  ck_assert_int_eq(memcmp(got->b, want->b, want->sz), 0);
}

/* ---- the backend ------------------------------------------------------------- */

START_TEST(each_backend_named_in_config_is_the_one_the_tile_runs_and_its_mode) {
  static const char *names[] = {"auto", "libsodium", "avx2", "avx512"};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    sl_ed25519_backend_t want;
    sl_err_t err;
    if (sl_ed25519_select(names[k], &want, &err)) {
      printf("verify_tile: %s skipped: %s\n", names[k], err.msg);
      continue;
    }
    snprintf(cfg.verify.ed25519, sizeof cfg.verify.ed25519, "%s", names[k]);
    sl_tile_t v;
    tile_ok(&v);
    ck_assert_str_eq(sl_topo_metrics(&w, topo, v.id)->mode, sl_ed25519_backend_name(want));
    v.ops->fini(&v);
  }
}
END_TEST

START_TEST(an_unknown_backend_fails_init_naming_the_key) {
  snprintf(cfg.verify.ed25519, sizeof cfg.verify.ed25519, "avx1024");
  sl_tile_t v;
  sl_err_t err;
  ck_assert_int_eq(tile_up(&v, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "[verify] ed25519: backend \"avx1024\" is unknown"));
  free(v.ctx); /* the runtime never runs fini after a failed init: the process ends */
}
END_TEST

/* ---- gathering ---------------------------------------------------------------- */

START_TEST(two_copies_in_one_group_give_one_verified_and_one_dedup_drop) {
  sl_tile_t v;
  tile_ok(&v);
  txn_t a = make(SL_TXN_VALID, 1, 1), b = make(SL_TXN_VALID, 2, 2), c = make(SL_TXN_VALID, 1, 3);
  send(&a);
  send(&b);
  send(&a);
  send(&c);
  send(&a);
  ck_assert_int_eq(run(&v), 1); /* one poll took all five */
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_IN_FRAGS), 5);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_VERIFIED), 3);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_DEDUP_DROP), 2);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_SIGVERIFY_FAIL) + metric(&v, SL_M_VERIFY_PARSE_FAIL), 0);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_SIGS), 4); /* the copies were never checked */
  txn_t got[8];
  ck_assert_uint_eq(drain(got, 8), 3);
  assert_same(&got[0], &a);
  assert_same(&got[1], &b);
  assert_same(&got[2], &c);
  v.ops->fini(&v);
}
END_TEST

/* Same first signature (so the same tag), another message: the forged copy
   fails, and must not make the real one, right behind it in the same
   group, a duplicate. */
START_TEST(a_forged_copy_in_the_group_does_not_shadow_the_real_one) {
  sl_tile_t v;
  tile_ok(&v);
  txn_t real = make(SL_TXN_VALID, 1, 10), forged = real, other = make(SL_TXN_VALID, 1, 11);
  forged.b[forged.sz - 1] ^= 0x01;
  send(&forged);
  send(&other);
  send(&real);
  send(&real);
  run(&v);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_IN_FRAGS), 4);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_SIGVERIFY_FAIL), 1);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_VERIFIED), 2);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_DEDUP_DROP), 1);
  txn_t got[8];
  ck_assert_uint_eq(drain(got, 8), 2);
  assert_same(&got[0], &other);
  assert_same(&got[1], &real);
  v.ops->fini(&v);
}
END_TEST

/* Sixteen transactions of 1..4 signatures (several full passes of lanes
   across transactions), two of them with one bad signature: exactly those
   two fail, and every other one is published whole and in order (those
   behind a failure move down a slot). */
START_TEST(one_bad_signature_fails_only_its_transaction_and_the_rest_keep_order) {
  sl_tile_t v;
  tile_ok(&v);
  txn_t in[16], got[16];
  for (uint32_t i = 0; i < 16; i++)
    in[i] = make(i == 3 || i == 12 ? SL_TXN_BAD_SIG : SL_TXN_VALID, (uint8_t)(1 + i % 4), 100 + i);
  for (uint32_t i = 0; i < 16; i++) send(&in[i]);
  ck_assert_int_eq(run(&v), 1);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_IN_FRAGS), 16);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_SIGVERIFY_FAIL), 2);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_VERIFIED), 14);
  ck_assert_uint_eq(drain(got, 16), 14);
  for (uint32_t i = 0, k = 0; i < 16; i++)
    if (i != 3 && i != 12) assert_same(&got[k++], &in[i]);
  v.ops->fini(&v);
}
END_TEST

/* Three one-signature transactions fill no group; they go out in the
   very poll that read them, with no more input and no housekeeping. */
START_TEST(a_partly_filled_group_goes_out_when_input_runs_dry) {
  sl_tile_t v;
  tile_ok(&v);
  txn_t in[3], got[4];
  for (uint32_t i = 0; i < 3; i++) {
    in[i] = make(SL_TXN_VALID, 1, 200 + i);
    send(&in[i]);
  }
  ck_assert_uint_eq(v.ops->poll(&v), 3);
  ck_assert_uint_eq(drain(got, 4), 3);
  for (uint32_t i = 0; i < 3; i++) assert_same(&got[i], &in[i]);
  /* And one more, alone, on the next poll. */
  send(&in[0]);
  txn_t d = make(SL_TXN_VALID, 3, 203);
  send(&d);
  ck_assert_uint_eq(v.ops->poll(&v), 2);
  ck_assert_uint_eq(drain(got, 4), 1);
  assert_same(&got[0], &d);
  v.ops->housekeep(&v);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_DEDUP_DROP), 1);
  v.ops->fini(&v);
}
END_TEST

/* ---- every backend, the same verdicts ----------------------------------------- */

#define MIX 600

/* The mixed stream: valid (1..4 signatures), badly signed, malformed,
   copies of earlier ones (sometimes right behind), a forged copy. */
static txn_t mix[MIX];

static void make_mix(void) {
  sl_rng_t rng;
  sl_rng_seed(&rng, 99, 0);
  for (uint32_t i = 0; i < MIX; i++) {
    uint64_t r = sl_rng_u64(&rng) % 100;
    if (i > 0 && r < 15) mix[i] = mix[i - 1 - sl_rng_u64(&rng) % (i < 8 ? i : 8)];
    else if (r < 30) mix[i] = make(SL_TXN_BAD_SIG, 0, 1000 + i);
    else if (r < 38) mix[i] = make(SL_TXN_MALFORMED, 0, 1000 + i);
    else if (i > 0 && r < 40) {
      mix[i] = mix[i - 1];
      mix[i].b[mix[i].sz - 1] ^= 0x40;
    } else mix[i] = make(SL_TXN_VALID, 0, 1000 + i);
  }
}

typedef struct {
  uint64_t in_frags, parse_fail, dedup_drop, sigverify_fail, verified, sigs;
  uint32_t out_cnt;
  uint8_t out_hash[32]; /* of every published transaction, in order */
} outcome_t;

static outcome_t run_mix(const char *backend) {
  up(backend);
  sl_tile_t v;
  tile_ok(&v);
  outcome_t o = {0};
  crypto_generichash_state h;
  crypto_generichash_init(&h, NULL, 0, sizeof o.out_hash);
  txn_t got[64];
  for (uint32_t i = 0; i < MIX;) {
    /* Bursts of various sizes, within the pool and the rings. */
    uint32_t n = 1 + (i * 7) % 40;
    for (uint32_t k = 0; k < n && i < MIX; k++) send(&mix[i++]);
    run(&v);
    uint32_t d;
    while ((d = drain(got, 64)) > 0) {
      for (uint32_t k = 0; k < d; k++) crypto_generichash_update(&h, got[k].b, got[k].sz);
      o.out_cnt += d;
    }
  }
  crypto_generichash_final(&h, o.out_hash, sizeof o.out_hash);
  o.in_frags = metric(&v, SL_M_VERIFY_IN_FRAGS);
  o.parse_fail = metric(&v, SL_M_VERIFY_PARSE_FAIL);
  o.dedup_drop = metric(&v, SL_M_VERIFY_DEDUP_DROP);
  o.sigverify_fail = metric(&v, SL_M_VERIFY_SIGVERIFY_FAIL);
  o.verified = metric(&v, SL_M_VERIFY_VERIFIED);
  o.sigs = metric(&v, SL_M_VERIFY_SIGS);
  v.ops->fini(&v);
  down();
  return o;
}

START_TEST(every_backend_gives_the_same_counts_and_the_same_output) {
  make_mix();
  outcome_t base = run_mix("libsodium");
  ck_assert_uint_eq(base.in_frags, MIX);
  ck_assert_uint_eq(base.parse_fail + base.dedup_drop + base.sigverify_fail + base.verified, MIX);
  ck_assert_uint_eq(base.out_cnt, base.verified);
  ck_assert_uint_gt(base.dedup_drop, 0);
  ck_assert_uint_gt(base.sigverify_fail, 0);
  ck_assert_uint_gt(base.parse_fail, 0);
  printf("verify_tile: libsodium: %lu in, %lu parse_fail, %lu dedup_drop, %lu sigverify_fail, %lu verified\n",
         (unsigned long)base.in_frags, (unsigned long)base.parse_fail, (unsigned long)base.dedup_drop,
         (unsigned long)base.sigverify_fail, (unsigned long)base.verified);
  static const char *names[] = {"auto", "avx2", "avx512"};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    sl_ed25519_backend_t b;
    sl_err_t err;
    if (sl_ed25519_select(names[k], &b, &err)) {
      printf("verify_tile: %s skipped: %s\n", names[k], err.msg);
      continue;
    }
    outcome_t o = run_mix(names[k]);
    ck_assert_uint_eq(o.in_frags, base.in_frags);
    ck_assert_uint_eq(o.parse_fail, base.parse_fail);
    ck_assert_uint_eq(o.dedup_drop, base.dedup_drop);
    ck_assert_uint_eq(o.sigverify_fail, base.sigverify_fail);
    ck_assert_uint_eq(o.verified, base.verified);
    ck_assert_uint_eq(o.sigs, base.sigs);
    ck_assert_uint_eq(o.out_cnt, base.out_cnt);
    ck_assert_int_eq(memcmp(o.out_hash, base.out_hash, sizeof o.out_hash), 0);
  }
}
END_TEST

int main(void) {
  Suite *su = suite_create("verify_tile");
  TCase *be = tcase_create("backend");
  tcase_add_checked_fixture(be, setup, down);
  tcase_add_test(be, each_backend_named_in_config_is_the_one_the_tile_runs_and_its_mode);
  tcase_add_test(be, an_unknown_backend_fails_init_naming_the_key);
  suite_add_tcase(su, be);
  TCase *g = tcase_create("gathering");
  tcase_add_checked_fixture(g, setup, down);
  tcase_add_test(g, two_copies_in_one_group_give_one_verified_and_one_dedup_drop);
  tcase_add_test(g, a_forged_copy_in_the_group_does_not_shadow_the_real_one);
  tcase_add_test(g, one_bad_signature_fails_only_its_transaction_and_the_rest_keep_order);
  tcase_add_test(g, a_partly_filled_group_goes_out_when_input_runs_dry);
  suite_add_tcase(su, g);
  TCase *all = tcase_create("backends agree");
  tcase_set_timeout(all, 120);
  tcase_add_test(all, every_backend_gives_the_same_counts_and_the_same_output);
  suite_add_tcase(su, all);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
