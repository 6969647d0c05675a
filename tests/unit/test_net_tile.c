/* The net tile loop over a fake in-memory provider (in addition to the
   real io_uring and AF_XDP tests): frames are published in place, a frame
   goes back to the provider only after its ring slot was reused (and the
   slot invalidated first), malformed frames are counted and returned at
   once, and no frame is ever lost or handed out twice. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "tests/unit/fixture.h"
#include "tiles/frame.h"
#include "tiles/net/net_tile.h"
#include "tiles/topo.h"
#include "util/log.h"

/* The fake provider: a free list of pool frames and a script of packets to
   deliver (good or malformed). It checks the contract: release only frames
   it handed out, never twice. */
#define FAKE_MAX 8192
typedef struct {
  sl_net_pool_t pool;
  uint32_t free_[FAKE_MAX], free_cnt;
  uint8_t out[FAKE_MAX]; /* 1 while the tile holds the frame */
  uint64_t to_send, sent, bad_every;
  uint64_t released, double_release, foreign_release;
  int stopped;
} fake_t;

static fake_t fake;

static uint32_t fake_rx(sl_net_rx_t *rx, sl_net_pkt_t *pkts, uint32_t max) {
  fake_t *f = rx->impl;
  uint32_t n = 0;
  while (n < max && f->sent < f->to_send && f->free_cnt) {
    uint32_t fr = f->free_[--f->free_cnt];
    f->out[fr] = 1;
    uint8_t *p = f->pool.wksp_base + f->pool.pool_off + (uint64_t)fr * f->pool.frame_sz;
    uint8_t payload[200];
    memset(payload, 0, sizeof payload);
    payload[0] = 1;
    memcpy(payload + 1, &f->sent, sizeof f->sent); /* unique "first signature" */
    sl_frame_addr_t a = {.src_ip4 = 0x0100007f, .dst_ip4 = 0x0100007f, .src_port = 5, .dst_port = 9001};
    uint32_t h = sl_frame_build_hdr(p, &a, sizeof payload);
    memcpy(p + h, payload, sizeof payload);
    uint32_t sz = h + sizeof payload;
    if (f->bad_every && f->sent % f->bad_every == 0) p[12] = 0x86; /* ethertype IPv6: malformed */
    pkts[n].addr = f->pool.pool_off + (uint64_t)fr * f->pool.frame_sz;
    pkts[n].sz = sz;
    pkts[n].frame = fr;
    n++;
    f->sent++;
  }
  return n;
}

static void fake_release(sl_net_rx_t *rx, const uint32_t *frames, uint32_t cnt) {
  fake_t *f = rx->impl;
  for (uint32_t i = 0; i < cnt; i++) {
    uint32_t fr = frames[i];
    if (fr >= f->pool.frame_cnt) { f->foreign_release++; continue; }
    if (!f->out[fr]) { f->double_release++; continue; }
    f->out[fr] = 0;
    f->free_[f->free_cnt++] = fr;
    f->released++;
  }
}

static void fake_housekeep(sl_net_rx_t *rx, sl_metrics_t *m) { (void)rx; (void)m; }
static void fake_stop(sl_net_rx_t *rx) { ((fake_t *)rx->impl)->stopped = 1; }

static void fake_wait(sl_net_rx_t *rx, uint64_t timeout_ns) { (void)rx, (void)timeout_ns; }

static const sl_net_rx_ops_t fake_ops = {
    .rx_burst = fake_rx,
    .wait = fake_wait,
    .release = fake_release,
    .housekeep = fake_housekeep,
    .stop = fake_stop,
};

#define FAKE_NAP_DEPTH 48u /* what the fake says the kernel queues while the tile naps */

static int fake_open(sl_net_rx_t *rx, void *arg, const sl_tile_t *t, const sl_net_pool_t *pool,
                     sl_err_t *err) {
  (void)t;
  fake_t *f = arg;
  if (pool->frame_cnt > FAKE_MAX) return sl_err_set(err, "pool too big for the fake");
  f->pool = *pool;
  f->free_cnt = 0;
  for (uint32_t i = 0; i < pool->frame_cnt; i++) f->free_[f->free_cnt++] = i;
  rx->ops = &fake_ops;
  rx->impl = f;
  rx->nap_depth = FAKE_NAP_DEPTH;
  snprintf(rx->mode, sizeof rx->mode, "fake");
  return 0;
}

static sl_config_t cfg;
static sl_wksp_t w;
static sl_topo_t *topo;
static sl_tile_t tile;
static sl_net_provider_t prov = {fake_open, &fake};

/* A topology of one net tile and `verify` verify tiles over the fake. */
static void up(uint32_t verify) {
  sl_log_set_level(SL_LOG_WARN);
  fixture_config(&cfg, "t-net");
  cfg.layout.verify_tile_count = verify;
  cfg.shmem.ring_depth = 256;
  cfg.net.rx_queue_size = 64;
  cfg.verify.dedup_cache_size = 1024;
  fixture_up(&w, &cfg, NULL, &topo);
  memset(&fake, 0, sizeof fake);
  memset(&tile, 0, sizeof tile);
  tile.ops = &sl_net_tile_ops;
  tile.kind = SL_TILE_NET;
  tile.wksp = &w;
  tile.cfg = &cfg;
  tile.topo = topo;
  tile.net_ctx = &prov;
  snprintf(tile.name, sizeof tile.name, "net:0");
  tile.metrics = sl_topo_metrics(&w, topo, 0)->v;
  sl_err_t err;
  ck_assert_msg(tile.ops->init(&tile, &err) == 0, "%s", err.msg);
}

static void setup(void) { up(1); }
static void setup3(void) { up(3); }

static void teardown(void) {
  tile.ops->fini(&tile);
  fixture_down(&w);
}

static void run_until_sent(void) {
  for (int i = 0; i < 100000 && fake.sent < fake.to_send; i++) tile.ops->poll(&tile);
  tile.ops->housekeep(&tile);
}

/* The id the fake wrote into frame f's "first signature". */
static uint64_t frag_id(const sl_frag_meta_t *m) {
  const uint8_t *f = sl_chunk_laddr(w.base, m->chunk);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, m->sz, &fr), 0);
  uint64_t id;
  memcpy(&id, f + fr.payload_off + 1, sizeof id);
  return id;
}

/* The runtime sizes the net tile's naps by what its provider says the
   kernel queues on its own (tiles/tile.h, sl_tile_waits). */
START_TEST(the_tile_naps_by_its_providers_depth) {
  ck_assert_uint_eq(tile.nap_depth, FAKE_NAP_DEPTH);
}
END_TEST

START_TEST(publishes_each_frame_in_place_with_its_sig) {
  fake.to_send = 10;
  run_until_sent();
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_cons_init(&c, &w, topo->net_ring[0][0], 0, NULL), 0);
  for (uint64_t i = 0; i < 10; i++) {
    sl_frag_meta_t m;
    ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
    const uint8_t *f = sl_chunk_laddr(w.base, m.chunk);
    uint64_t pool_lo = topo->pool[0], pool_hi = pool_lo + topo->pool_frame_cnt * topo->frame_sz;
    uint64_t off = (uint64_t)m.chunk << 6;
    ck_assert(off >= pool_lo && off < pool_hi); /* in place: a pool frame, no copy */
    ck_assert_uint_eq(frag_id(&m), i);
    sl_frame_t fr;
    ck_assert_int_eq(sl_frame_parse(f, m.sz, &fr), 0);
    ck_assert_uint_eq(m.sig, sl_frame_sig(topo->sig_seed, f + fr.payload_off, fr.payload_sz));
  }
  const sl_metrics_t *m = sl_topo_metrics(&w, topo, 0);
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_NET_RX_PKTS), 10);
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_NET_PUBLISHED), 10);
  ck_assert_uint_eq(fake.released, 0); /* all still owned by ring slots */
}
END_TEST

START_TEST(each_frag_goes_to_the_ring_of_its_owner_only) {
  fake.to_send = 600;
  run_until_sent();
  uint64_t seen = 0;
  uint8_t got[600] = {0};
  for (uint32_t j = 0; j < 3; j++) {
    sl_ring_cons_t c;
    ck_assert_int_eq(sl_ring_cons_init(&c, &w, topo->net_ring[0][j], 0, NULL), 0);
    sl_frag_meta_t m;
    int r;
    while ((r = sl_ring_poll(&c, &m)) != SL_RING_EMPTY) {
      ck_assert_int_eq(r, SL_RING_OK); /* 600 / 3 per ring fits its depth: nothing lapped */
      ck_assert_uint_eq(m.sig % 3, j);
      uint64_t id = frag_id(&m);
      ck_assert_uint_lt(id, 600);
      ck_assert_uint_eq(got[id], 0);
      got[id] = 1;
      seen++;
    }
  }
  ck_assert_uint_eq(seen, 600);
  ck_assert_uint_eq(sl_metrics_get(sl_topo_metrics(&w, topo, 0), SL_M_NET_PUBLISHED), 600);
}
END_TEST

START_TEST(without_consumer_progress_frames_return_when_their_slot_is_reused) {
  uint64_t depth = topo->link_depth;
  fake.to_send = depth + 5;
  run_until_sent();
  /* The first 5 slots were reused: exactly their frames came back. */
  ck_assert_uint_eq(fake.released, 5);
  ck_assert_uint_eq(fake.double_release + fake.foreign_release, 0);
}
END_TEST

/* Held frames: every frame is free or owned by exactly one ring slot. */
static uint64_t held_frames(void) {
  uint64_t held = 0;
  for (uint32_t i = 0; i < fake.pool.frame_cnt; i++) held += fake.out[i];
  ck_assert_uint_eq(held + fake.free_cnt, fake.pool.frame_cnt);
  return held;
}

START_TEST(frames_return_once_the_verify_tile_is_done_with_them) {
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_cons_init(&c, &w, topo->net_ring[0][0], 0, NULL), 0);
  fake.to_send = 10;
  run_until_sent();
  sl_frag_meta_t m[6];
  ck_assert_uint_eq(sl_ring_consume_burst(&c, m, 6), 6);
  tile.ops->housekeep(&tile);
  ck_assert_uint_eq(fake.released, 0); /* consumed, but not yet said done */
  sl_ring_cons_publish(&c);
  tile.ops->housekeep(&tile);
  ck_assert_uint_eq(fake.released, 6);
  ck_assert_uint_eq(held_frames(), 4);
  /* Many laps with the consumer keeping up: the rings hold only what it
     has not finished, and no frame comes back twice. */
  for (int lap = 0; lap < 20; lap++) {
    fake.to_send += topo->link_depth / 2;
    run_until_sent();
    sl_frag_meta_t b[64];
    while (sl_ring_consume_burst(&c, b, 64)) {
    }
    sl_ring_cons_publish(&c);
    tile.ops->housekeep(&tile);
    ck_assert_uint_eq(held_frames(), 0);
  }
  ck_assert_uint_eq(fake.double_release + fake.foreign_release, 0);
  ck_assert_uint_eq(c.overrun_poll, 0);
}
END_TEST

START_TEST(a_lying_progress_line_gives_no_frame_back_twice) {
  const sl_ring_t *r = sl_wksp_laddr(&w, topo->net_ring[0][0]);
  sl_ring_fseq_t *line = (sl_ring_fseq_t *)sl_ring_fseq(r, 0);
  fake.to_send = 10;
  run_until_sent();
  line->seq = UINT64_MAX / 2; /* "done with everything, and more" */
  tile.ops->housekeep(&tile);
  ck_assert_uint_eq(fake.released, 10);
  line->seq = 3; /* and back */
  tile.ops->housekeep(&tile);
  fake.to_send = 10 + 3 * topo->link_depth;
  run_until_sent();
  line->seq = 0;
  tile.ops->housekeep(&tile);
  ck_assert_uint_eq(fake.double_release + fake.foreign_release, 0);
  ck_assert_uint_eq(held_frames(), topo->link_depth);
}
END_TEST

START_TEST(no_frame_is_lost_or_given_back_twice_over_many_laps) {
  fake.to_send = 50 * topo->link_depth * topo->verify_cnt + 17;
  fake.bad_every = 7;
  run_until_sent();
  ck_assert_uint_eq(fake.sent, fake.to_send);
  ck_assert_uint_eq(fake.double_release + fake.foreign_release, 0);
  /* Every frame is either free or owned by exactly one ring slot. */
  uint64_t held = 0;
  for (uint32_t i = 0; i < fake.pool.frame_cnt; i++) held += fake.out[i];
  ck_assert_uint_eq(held + fake.free_cnt, fake.pool.frame_cnt);
  ck_assert_uint_eq(held, topo->link_depth * topo->verify_cnt); /* no consumer said it was done */
  const sl_metrics_t *m = sl_topo_metrics(&w, topo, 0);
  uint64_t bad = (fake.to_send + 6) / 7; /* sent ids 0, 7, 14, ... */
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_NET_RX_MALFORMED), bad);
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_NET_PUBLISHED), fake.to_send - bad);
}
END_TEST

START_TEST(a_reader_of_a_reused_frame_sees_its_read_voided) {
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_cons_init(&c, &w, topo->net_ring[0][0], 0, NULL), 0);
  fake.to_send = 1;
  run_until_sent();
  sl_frag_meta_t m;
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
  /* The producer laps the slot while the consumer "reads" frag 0. */
  fake.to_send = 1 + topo->link_depth;
  run_until_sent();
  ck_assert_int_eq(sl_ring_check(&c, m.seq), 0);
  ck_assert_uint_eq(c.overrun_read, 1);
}
END_TEST

START_TEST(stop_ends_intake_and_reports_drained) {
  fake.to_send = 3;
  tile.ops->stop(&tile);
  ck_assert_int_eq(fake.stopped, 1);
  ck_assert_uint_eq(fake.sent, 3); /* what the provider had was taken before closing */
  ck_assert_uint_eq(tile.ops->poll(&tile), 0);
  ck_assert_int_eq(tile.ops->drained(&tile), 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("net_tile");
  TCase *tc = tcase_create("fake provider");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, publishes_each_frame_in_place_with_its_sig);
  tcase_add_test(tc, the_tile_naps_by_its_providers_depth);
  tcase_add_test(tc, without_consumer_progress_frames_return_when_their_slot_is_reused);
  tcase_add_test(tc, frames_return_once_the_verify_tile_is_done_with_them);
  tcase_add_test(tc, a_lying_progress_line_gives_no_frame_back_twice);
  tcase_add_test(tc, no_frame_is_lost_or_given_back_twice_over_many_laps);
  tcase_add_test(tc, a_reader_of_a_reused_frame_sees_its_read_voided);
  tcase_add_test(tc, stop_ends_intake_and_reports_drained);
  suite_add_tcase(s, tc);
  TCase *t3 = tcase_create("three verify tiles");
  tcase_add_checked_fixture(t3, setup3, teardown);
  tcase_add_test(t3, each_frag_goes_to_the_ring_of_its_owner_only);
  tcase_add_test(t3, no_frame_is_lost_or_given_back_twice_over_many_laps);
  suite_add_tcase(s, t3);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
