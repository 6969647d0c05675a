/* The verify and sink tiles distrust the metadata on their inputs: a frag
   is another process's claim about where its bytes are, and a tile gone
   wrong upstream may claim anything. A chunk outside the producer's own
   memory (the net tile's pool, the verify ring's payload slots) or a size
   past a frame is judged and counted, never read; the frags around it go
   through as usual. The tiles run their real loops here, in this process. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "app/gen/rng.h"
#include "app/gen/txn_build.h"
#include "config/config.h"
#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "tests/unit/fixture.h"
#include "tiles/frame.h"
#include "tiles/sink/sink_tile.h"
#include "tiles/topo.h"
#include "tiles/verify/verify_tile.h"
#include "util/log.h"

static sl_config_t cfg;
static sl_wksp_t w;
static sl_topo_t *topo;

static void setup(void) {
  sl_log_set_level(SL_LOG_WARN);
  fixture_config(&cfg, "t-links");
  cfg.layout.verify_tile_count = 1;
  cfg.shmem.ring_depth = 256;
  cfg.net.rx_queue_size = 64;
  cfg.verify.dedup_cache_size = 1024;
  fixture_up(&w, &cfg, NULL, &topo);
}

static void teardown(void) { fixture_down(&w); }

static void tile_up(sl_tile_t *t, const sl_tile_ops_t *ops, uint32_t kind) {
  memset(t, 0, sizeof *t);
  t->ops = ops;
  t->kind = kind;
  t->id = sl_topo_tile_id(topo, kind, 0);
  t->wksp = &w;
  t->cfg = &cfg;
  t->topo = topo;
  snprintf(t->name, sizeof t->name, "%s:0", kind == SL_TILE_VERIFY ? "verify" : "sink");
  t->metrics = sl_topo_metrics(&w, topo, t->id)->v;
  sl_err_t err;
  ck_assert_msg(ops->init(t, &err) == 0, "%s", err.msg);
}

static void run(sl_tile_t *t) {
  for (int i = 0; i < 100 && t->ops->poll(t); i++) {
  }
  t->ops->housekeep(t);
}

static uint64_t metric(const sl_tile_t *t, uint32_t idx) {
  return sl_metrics_get(sl_topo_metrics(&w, topo, t->id), idx);
}

/* A signed, valid transaction in a frame at frame index fr of net:0's
   pool; returns the frame's size and its sig in *sig. */
static uint16_t put_frame(uint32_t fr, uint64_t serial, uint64_t *sig) {
  static sl_txn_keys_t keys;
  sl_err_t err;
  if (!keys.cnt) ck_assert_msg(sl_txn_keys_init(&keys, 7, 8, &err) == 0, "%s", err.msg);
  sl_rng_t rng;
  sl_rng_seed(&rng, serial, 0);
  uint8_t txn[SL_TXN_MTU];
  sl_txn_spec_t spec = {.kind = SL_TXN_VALID, .sigs = 1, .version = SL_TXN_VER_LEGACY, .size = 300};
  uint32_t tsz = sl_txn_build(txn, &keys, serial, &rng, &spec, NULL);
  uint8_t *p = (uint8_t *)w.base + topo->pool[0] + (uint64_t)fr * topo->frame_sz;
  sl_frame_addr_t a = {.src_ip4 = 0x0100007f, .dst_ip4 = 0x0100007f, .src_port = 5, .dst_port = 9001};
  uint32_t h = sl_frame_build_hdr(p, &a, tsz);
  memcpy(p + h, txn, tsz);
  *sig = sl_frame_sig(topo->sig_seed, txn, tsz);
  return (uint16_t)(h + tsz);
}

static uint32_t pool_chunk(uint32_t fr) {
  return (uint32_t)((topo->pool[0] + (uint64_t)fr * topo->frame_sz) >> 6);
}

START_TEST(verify_judges_a_frag_outside_the_pool_without_reading_it) {
  sl_tile_t v;
  tile_up(&v, &sl_verify_tile_ops, SL_TILE_VERIFY);
  sl_ring_prod_t net;
  ck_assert_int_eq(sl_ring_prod_init(&net, &w, topo->net_ring[0][0], NULL), 0);
  uint64_t sig0, sig1, sig2;
  uint16_t sz0 = put_frame(0, 1, &sig0);
  uint16_t sz1 = put_frame(1, 2, &sig1);
  uint32_t last = (uint32_t)topo->pool_frame_cnt - 1;
  uint16_t sz2 = put_frame(last, 3, &sig2);
  uint64_t pool_end = topo->pool[0] + topo->pool_frame_cnt * topo->frame_sz;
  /* Good, then: 4 TiB past the base (unmapped: reading it would crash),
     the workspace header, a size running past the pool's end, a size past
     any frame, and good again. */
  sl_ring_publish(&net, sig0, pool_chunk(0), sz0, 0, 0, 0);
  sl_ring_publish(&net, sig1, 0xffffffffu, sz1, 0, 0, 0);
  sl_ring_publish(&net, sig1, 0, sz1, 0, 0, 0);
  sl_ring_publish(&net, sig2, (uint32_t)((pool_end - 64) >> 6), sz2, 0, 0, 0);
  sl_ring_publish(&net, sig1, pool_chunk(1), SL_FRAME_MAX_SZ + 1, 0, 0, 0);
  sl_ring_publish(&net, sig1, pool_chunk(1), sz1, 0, 0, 0);
  sl_ring_publish(&net, sig2, pool_chunk(last), sz2, 0, 0, 0);
  run(&v);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_IN_FRAGS), 7);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_PARSE_FAIL), 4);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_VERIFIED), 3);
  ck_assert_uint_eq(metric(&v, SL_M_VERIFY_SIGVERIFY_FAIL) + metric(&v, SL_M_VERIFY_DEDUP_DROP), 0);
  v.ops->fini(&v);
}
END_TEST

START_TEST(sink_counts_a_frag_outside_the_ring_slots_and_skips_it) {
  sl_tile_t s;
  tile_up(&s, &sl_sink_tile_ops, SL_TILE_SINK);
  sl_ring_prod_t out;
  ck_assert_int_eq(sl_ring_prod_init(&out, &w, topo->verify_ring[0], NULL), 0);
  uint64_t sig;
  uint16_t sz = put_frame(0, 1, &sig);
  const uint8_t *frame = (const uint8_t *)w.base + topo->pool[0];
  /* Good (in its slot), then: a net pool frame (valid bytes, but not the
     verify tile's memory), far outside the mapping, a slot with a size
     past a frame, and good again. */
  uint32_t c = sl_ring_prepare(&out);
  memcpy(sl_chunk_laddr(w.base, c), frame, sz);
  sl_ring_publish(&out, sig, c, sz, 0, 0, 0);
  sl_ring_publish(&out, sig, pool_chunk(0), sz, 0, 0, 0);
  sl_ring_publish(&out, sig, 0xffffffffu, sz, 0, 0, 0);
  sl_ring_publish(&out, sig, sl_ring_prepare(&out), SL_FRAME_MAX_SZ + 1, 0, 0, 0);
  c = sl_ring_prepare(&out);
  memcpy(sl_chunk_laddr(w.base, c), frame, sz);
  sl_ring_publish(&out, sig, c, sz, 0, 0, 0);
  run(&s);
  ck_assert_uint_eq(metric(&s, SL_M_SINK_IN_FRAGS), 5);
  ck_assert_uint_eq(metric(&s, SL_M_SINK_BAD_FRAG), 3);
  ck_assert_uint_eq(metric(&s, SL_M_SINK_TXNS), 2);
  s.ops->fini(&s);
}
END_TEST

int main(void) {
  Suite *su = suite_create("links");
  TCase *tc = tcase_create("distrust");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, verify_judges_a_frag_outside_the_pool_without_reading_it);
  tcase_add_test(tc, sink_counts_a_frag_outside_the_ring_slots_and_skips_it);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
