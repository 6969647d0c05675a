/* The topology's layout contract (tiles/topo.h): one net->verify ring per
   (net, verify) pair, each tile's writable memory one region of whole pages
   that holds exactly its objects, regions disjoint, every consumer's
   progress line in the consumer's region, and a footprint that covers what
   the build allocates. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "tests/unit/fixture.h"
#include "tiles/topo.h"
#include "util/log.h"

static sl_config_t cfg;
static sl_wksp_t w;
static sl_topo_t *topo;

static void up(uint32_t net, uint32_t verify) {
  sl_log_set_level(SL_LOG_ERR);
  fixture_config(&cfg, "t-topo");
  cfg.layout.net_tile_count = net;
  cfg.layout.verify_tile_count = verify;
  cfg.shmem.ring_depth = 1024;
  cfg.net.rx_queue_size = 64;
  cfg.verify.dedup_cache_size = 1024;
  fixture_up(&w, &cfg, NULL, &topo);
}

static void down(void) { fixture_down(&w); }

/* The id of the tile whose region holds [off, off + sz), or -1. */
static int owner(uint64_t off, uint64_t sz) {
  for (uint32_t id = 0; id < topo->tile_cnt; id++) {
    const sl_topo_tile_t *t = &topo->tile[id];
    if (off >= t->rgn_off && off + sz <= t->rgn_off + t->rgn_sz) return (int)id;
  }
  return -1;
}

static uint64_t fseq_off(uint64_t ring_off) {
  const sl_ring_t *r = sl_wksp_laddr(&w, ring_off);
  return ring_off + (uint64_t)sl_ring_fseq_rel(r, 0);
}

START_TEST(regions_are_whole_pages_and_disjoint) {
  up(2, 3);
  for (uint32_t a = 0; a < topo->tile_cnt; a++) {
    const sl_topo_tile_t *t = &topo->tile[a];
    ck_assert_uint_eq(t->rgn_off % w.page_size, 0);
    ck_assert_uint_eq(t->rgn_sz % w.page_size, 0);
    ck_assert_uint_gt(t->rgn_sz, 0);
    ck_assert_uint_le(t->rgn_off + t->rgn_sz, w.size);
    for (uint32_t b = a + 1; b < topo->tile_cnt; b++) {
      const sl_topo_tile_t *u = &topo->tile[b];
      ck_assert_msg(t->rgn_off + t->rgn_sz <= u->rgn_off || u->rgn_off + u->rgn_sz <= t->rgn_off,
                    "regions of tiles %u and %u overlap", a, b);
    }
  }
  /* The topology itself is in nobody's region: only the supervisor writes it. */
  uint64_t topo_off = sl_wksp_gaddr(&w, topo);
  ck_assert_int_eq(owner(topo_off, sizeof *topo), -1);
  down();
}
END_TEST

START_TEST(each_object_is_in_the_region_of_the_tile_that_writes_it) {
  up(2, 3);
  uint32_t n = topo->net_cnt, v = topo->verify_cnt;
  for (uint32_t id = 0; id < topo->tile_cnt; id++)
    ck_assert_int_eq(owner(topo->tile[id].metrics_off, sizeof(sl_metrics_t)), (int)id);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t net_id = sl_topo_tile_id(topo, SL_TILE_NET, i);
    ck_assert_int_eq(owner(topo->pool[i], topo->pool_frame_cnt * topo->frame_sz), (int)net_id);
    for (uint32_t j = 0; j < v; j++) {
      const sl_ring_t *r = sl_wksp_laddr(&w, topo->net_ring[i][j]);
      ck_assert_uint_eq(r->depth, topo->link_depth);
      ck_assert_uint_eq(r->cons_cnt, 1);
      ck_assert_int_eq(owner(topo->net_ring[i][j], r->footprint), (int)net_id);
      /* Its consumer's line is in the verify tile's region, not the ring's. */
      ck_assert_int_eq(owner(fseq_off(topo->net_ring[i][j]), sizeof(sl_ring_fseq_t)),
                       (int)sl_topo_tile_id(topo, SL_TILE_VERIFY, j));
    }
  }
  uint32_t sink_id = sl_topo_tile_id(topo, SL_TILE_SINK, 0);
  for (uint32_t j = 0; j < v; j++) {
    uint32_t vid = sl_topo_tile_id(topo, SL_TILE_VERIFY, j);
    const sl_ring_t *r = sl_wksp_laddr(&w, topo->verify_ring[j]);
    ck_assert_int_eq(owner(topo->verify_ring[j], r->footprint), (int)vid);
    ck_assert_int_eq(owner(topo->tcache[j], 64), (int)vid);
    ck_assert_int_eq(owner(fseq_off(topo->verify_ring[j]), sizeof(sl_ring_fseq_t)), (int)sink_id);
  }
  down();
}
END_TEST

START_TEST(net_rings_split_the_depth_over_the_verify_tiles) {
  up(1, 4);
  ck_assert_uint_eq(topo->link_depth, 256); /* 1024 / 4 */
  ck_assert_uint_eq(topo->pool_frame_cnt, 4 * 256 + SL_TOPO_POOL_SLACK(64));
  down();
  up(1, 3);
  ck_assert_uint_eq(topo->link_depth, 256); /* 1024 / 3, down to a power of two */
  down();
  up(1, 64);
  ck_assert_uint_eq(topo->link_depth, SL_TOPO_LINK_DEPTH_MIN);
  down();
}
END_TEST

START_TEST(the_footprint_covers_the_largest_layout) {
  /* 64 verify tiles: 64 rings per net tile and their lines; must fit. */
  up(2, 64);
  ck_assert_uint_eq(topo->tile_cnt, 2 + 64 + 1);
  down();
}
END_TEST

int main(void) {
  Suite *s = suite_create("topo");
  TCase *tc = tcase_create("layout");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, regions_are_whole_pages_and_disjoint);
  tcase_add_test(tc, each_object_is_in_the_region_of_the_tile_that_writes_it);
  tcase_add_test(tc, net_rings_split_the_depth_over_the_verify_tiles);
  tcase_add_test(tc, the_footprint_covers_the_largest_layout);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
