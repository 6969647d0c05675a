/* Unit tests for the tile runtime's idle policy: how long a napping tile
   ([layout] idle = "adaptive") sleeps, sl_tile_nap_ns, and whether a tile
   with a wait op sleeps in it or naps, sl_tile_waits. */
#include <check.h>
#include <stdint.h>

#include "tiles/tile.h"

#define US 1000ull

START_TEST(an_idle_input_doubles_the_nap_up_to_the_longest) {
  uint64_t ns = SL_TILE_NAP_MIN_NS, prev = 0;
  int steps = 0;
  while (ns != prev) {
    prev = ns;
    ns = sl_tile_nap_ns(ns, ns, 0, 16384);
    ck_assert_uint_eq(ns, prev * 2 > SL_TILE_NAP_MAX_NS ? SL_TILE_NAP_MAX_NS : prev * 2);
    ck_assert_int_lt(++steps, 64);
  }
  ck_assert_uint_eq(ns, SL_TILE_NAP_MAX_NS);
}
END_TEST

/* The case that costs packets: 10 frags in a 10 us nap (1 M/s) used to
   bring the next nap back to 10 us; a 16384-slot ring fills a quarter in
   4 ms at that rate, so the tile sleeps as long as it may. */
START_TEST(a_flowing_input_is_taken_in_long_naps) {
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MIN_NS, 10 * US, 10, 16384), SL_TILE_NAP_MAX_NS);
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MAX_NS, 160 * US, 160, 16384), SL_TILE_NAP_MAX_NS);
}
END_TEST

/* A lone frag every 250 us (4000/s): the next nap is the shortest, so the
   next one waits 10 us, not 320. */
START_TEST(a_sparse_input_is_looked_at_soon) {
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MAX_NS, 330 * US, 1, 16384), SL_TILE_NAP_MIN_NS);
  ck_assert_uint_eq(sl_tile_nap_ns(160 * US, 170 * US, 16, 16384), SL_TILE_NAP_MIN_NS);
  /* One frag per 10 us or more is flowing: 17 in 170 us. */
  ck_assert_uint_eq(sl_tile_nap_ns(160 * US, 170 * US, 17, 16384), SL_TILE_NAP_MAX_NS);
}
END_TEST

START_TEST(a_ring_filling_fast_is_looked_at_sooner) {
  /* 64 slots at 1 frag/us: a quarter (16) lands in 16 us. */
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MAX_NS, 160 * US, 160, 64), 16 * US);
  /* 1024 slots, 2 frags/us: 256 in 128 us. */
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MAX_NS, 100 * US, 200, 1024), 128 * US);
}
END_TEST

START_TEST(the_nap_stays_within_its_bounds) {
  /* Faster than the shortest nap can follow, and tiny rings. */
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MAX_NS, 10 * US, 1000000, 64), SL_TILE_NAP_MIN_NS);
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MAX_NS, 10 * US, 5, 1), SL_TILE_NAP_MIN_NS);
  ck_assert_uint_eq(sl_tile_nap_ns(0, 0, 0, 16384), SL_TILE_NAP_MIN_NS);
  /* Periods of some 18 minutes (a stopped tile), the largest ring: no
     overflow, sparse or flowing. */
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MAX_NS, 1ull << 40, 1, 1u << 20), SL_TILE_NAP_MIN_NS);
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MAX_NS, 1ull << 40, 1ull << 27, 1u << 20), SL_TILE_NAP_MAX_NS);
  ck_assert_uint_eq(sl_tile_nap_ns(UINT64_MAX / 2 + 1, 0, 0, 16384), SL_TILE_NAP_MAX_NS);
}
END_TEST

START_TEST(flowing_means_a_packet_per_shortest_nap_or_more) {
  ck_assert(!sl_tile_flowing(10 * US, 0));
  ck_assert(sl_tile_flowing(10 * US, 1));
  ck_assert(!sl_tile_flowing(10 * US + 1, 1));
  ck_assert(sl_tile_flowing(10 * US + 1, 2));
  ck_assert(!sl_tile_flowing(170 * US, 16));
  ck_assert(sl_tile_flowing(170 * US, 17));
  ck_assert(!sl_tile_flowing(0, 0)); /* nothing is never flowing */
  ck_assert(sl_tile_flowing(0, 1));
  ck_assert(!sl_tile_flowing(UINT64_MAX, UINT64_MAX / SL_TILE_NAP_MIN_NS));
  ck_assert(sl_tile_flowing(UINT64_MAX, UINT64_MAX / SL_TILE_NAP_MIN_NS + 1));
}
END_TEST

/* The net tile over AF_XDP: 1000 packets in 500 us (2 M/s) nap, sized to
   the RX ring (4096 slots: a quarter fills in 512 us, so the longest
   nap); an idle or sparse queue waits in the kernel, as does a tile whose
   provider cannot nap (io_uring: nap_depth 0) at any rate. */
START_TEST(a_tile_with_a_wait_op_naps_only_while_its_input_flows) {
  ck_assert(!sl_tile_waits(4096, 500 * US, 1000));
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MIN_NS, 500 * US, 1000, 4096), SL_TILE_NAP_MAX_NS);
  /* 64 slots at 2 M/s: a quarter in 8 us: the shortest nap. */
  ck_assert(!sl_tile_waits(64, 500 * US, 1000));
  ck_assert_uint_eq(sl_tile_nap_ns(SL_TILE_NAP_MIN_NS, 500 * US, 1000, 64), SL_TILE_NAP_MIN_NS);
  ck_assert(sl_tile_waits(4096, 500 * US, 0));
  ck_assert(sl_tile_waits(4096, 500 * US, 49));
  ck_assert(!sl_tile_waits(4096, 500 * US, 50));
  ck_assert(sl_tile_waits(0, 500 * US, 1000));
  ck_assert(sl_tile_waits(0, 500 * US, 0));
}
END_TEST

/* Adaptive tiles offer their CPU after SL_TILE_RUN_MAX_NS of work in a
   row; spinning ones (dedicated cores) never do. */
START_TEST(a_long_run_of_work_yields_only_when_adaptive) {
  ck_assert(!sl_tile_yields(SL_IDLE_ADAPTIVE, 0));
  ck_assert(!sl_tile_yields(SL_IDLE_ADAPTIVE, SL_TILE_RUN_MAX_NS));
  ck_assert(sl_tile_yields(SL_IDLE_ADAPTIVE, SL_TILE_RUN_MAX_NS + 1));
  ck_assert(sl_tile_yields(SL_IDLE_ADAPTIVE, UINT64_MAX));
  ck_assert(!sl_tile_yields(SL_IDLE_SPIN, SL_TILE_RUN_MAX_NS + 1));
  ck_assert(!sl_tile_yields(SL_IDLE_SPIN, UINT64_MAX));
}
END_TEST

int main(void) {
  Suite *su = suite_create("tile");
  TCase *tc = tcase_create("nap");
  tcase_add_test(tc, an_idle_input_doubles_the_nap_up_to_the_longest);
  tcase_add_test(tc, a_flowing_input_is_taken_in_long_naps);
  tcase_add_test(tc, a_sparse_input_is_looked_at_soon);
  tcase_add_test(tc, a_ring_filling_fast_is_looked_at_sooner);
  tcase_add_test(tc, the_nap_stays_within_its_bounds);
  tcase_add_test(tc, flowing_means_a_packet_per_shortest_nap_or_more);
  tcase_add_test(tc, a_tile_with_a_wait_op_naps_only_while_its_input_flows);
  tcase_add_test(tc, a_long_run_of_work_yields_only_when_adaptive);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
