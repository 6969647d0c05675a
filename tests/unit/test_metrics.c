/* Unit tests for shmem/metrics: the schema (names as DESIGN.md prints them),
   block lifecycle, single-writer accessors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "shmem/metrics.h"

static sl_metrics_t *make(uint32_t kind, uint32_t idx) {
  void *mem = aligned_alloc(SL_METRICS_ALIGN, sl_metrics_footprint());
  ck_assert_ptr_nonnull(mem);
  memset(mem, 0x5a, sl_metrics_footprint());
  sl_metrics_t *m = sl_metrics_join(sl_metrics_new(mem, kind, idx));
  ck_assert_ptr_nonnull(m);
  return m;
}

static void assert_names(uint32_t kind, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    ck_assert_msg(sl_metrics_index(kind, names[i]) >= 0, "%s lacks %s", sl_tile_kind_name(kind),
                  names[i]);
}

START_TEST(every_kind_has_the_common_names) {
  const char *common[] = {"heartbeat_ns", "pid", "cpu", "state", "busy_ns", "idle_ns",
                          "backpressure_ns"};
  for (uint32_t k = 0; k < SL_TILE_KIND_CNT; k++) {
    assert_names(k, common, 7);
    ck_assert_int_eq(sl_metrics_index(k, "heartbeat_ns"), SL_M_HEARTBEAT_NS);
    ck_assert_int_eq(sl_metrics_index(k, "state"), SL_M_STATE);
  }
}
END_TEST

START_TEST(kind_names_match_the_design_table) {
  const char *net[] = {"rx_pkts", "rx_bytes", "rx_malformed", "published", "fill_ring_empty",
                       "xdp_rx_dropped", "syscalls"};
  const char *verify[] = {"in_frags", "overrun", "parse_fail", "dedup_drop", "sigverify_fail",
                          "verified"};
  const char *sink[] = {"in_frags", "txns", "bytes", "pcap_written"};
  assert_names(SL_TILE_NET, net, 7);
  assert_names(SL_TILE_VERIFY, verify, 6);
  assert_names(SL_TILE_SINK, sink, 4);
  ck_assert_int_eq(sl_metrics_index(SL_TILE_NET, "rx_pkts"), SL_M_NET_RX_PKTS);
  ck_assert_int_eq(sl_metrics_index(SL_TILE_VERIFY, "verified"), SL_M_VERIFY_VERIFIED);
  ck_assert_int_eq(sl_metrics_index(SL_TILE_SINK, "txns"), SL_M_SINK_TXNS);
  ck_assert_int_eq(sl_metrics_index(SL_TILE_SINK, "rx_pkts"), -1);
}
END_TEST

START_TEST(names_are_unique_within_a_kind_and_fit_the_block) {
  for (uint32_t k = 0; k < SL_TILE_KIND_CNT; k++) {
    uint32_t n = sl_metrics_cnt(k);
    ck_assert_uint_le(n, SL_METRICS_CNT);
    for (uint32_t i = 0; i < n; i++) {
      const char *a = sl_metrics_name(k, i);
      if (!a) continue;
      ck_assert_int_eq(sl_metrics_index(k, a), (int)i);
    }
    ck_assert_ptr_null(sl_metrics_name(k, n));
    ck_assert_ptr_null(sl_metrics_name(k, SL_M_COMMON_CNT - 1)); /* unused slot */
  }
  ck_assert_uint_eq(sl_metrics_cnt(SL_TILE_KIND_CNT), 0);
  ck_assert_ptr_null(sl_metrics_name(SL_TILE_KIND_CNT, 0));
}
END_TEST

START_TEST(gauges_and_counters_are_typed) {
  ck_assert_int_eq(sl_metrics_type(SL_TILE_NET, SL_M_HEARTBEAT_NS), SL_METRIC_GAUGE);
  ck_assert_int_eq(sl_metrics_type(SL_TILE_NET, SL_M_STATE), SL_METRIC_GAUGE);
  ck_assert_int_eq(sl_metrics_type(SL_TILE_NET, SL_M_NET_RX_PKTS), SL_METRIC_COUNTER);
  ck_assert_int_eq(sl_metrics_type(SL_TILE_SINK, SL_M_SINK_LATENCY_NS), SL_METRIC_GAUGE);
}
END_TEST

START_TEST(kind_and_state_names_round_trip) {
  ck_assert_str_eq(sl_tile_kind_name(SL_TILE_NET), "net");
  ck_assert_str_eq(sl_tile_kind_name(SL_TILE_VERIFY), "verify");
  ck_assert_str_eq(sl_tile_kind_name(SL_TILE_SINK), "sink");
  ck_assert_ptr_null(sl_tile_kind_name(9));
  ck_assert_int_eq(sl_tile_kind_parse("verify"), SL_TILE_VERIFY);
  ck_assert_int_eq(sl_tile_kind_parse("pack"), -1);
  ck_assert_str_eq(sl_tile_state_name(SL_TILE_BOOTING), "booting");
  ck_assert_str_eq(sl_tile_state_name(SL_TILE_FAILED), "failed");
  ck_assert_str_eq(sl_tile_state_name(77), "unknown");
}
END_TEST

START_TEST(new_block_is_named_zeroed_and_booting) {
  sl_metrics_t *m = make(SL_TILE_VERIFY, 3);
  ck_assert_str_eq(m->name, "verify:3");
  ck_assert_uint_eq(m->kind, SL_TILE_VERIFY);
  ck_assert_uint_eq(m->tile_idx, 3);
  ck_assert_str_eq(m->mode, "");
  for (uint32_t i = 0; i < SL_METRICS_CNT; i++) ck_assert_uint_eq(sl_metrics_get(m, i), 0);
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_STATE), SL_TILE_BOOTING);
  ck_assert_uint_eq((uintptr_t)m->v % 128, 0);
  free(m);
}
END_TEST

START_TEST(set_add_get_and_mode) {
  sl_metrics_t *m = make(SL_TILE_NET, 0);
  sl_metrics_set(m, SL_M_NET_RX_PKTS, 10);
  sl_metrics_add(m, SL_M_NET_RX_PKTS, 5);
  ck_assert_uint_eq(sl_metrics_get(m, SL_M_NET_RX_PKTS), 15);
  sl_metrics_set_mode(m, "xdp/drv");
  ck_assert_str_eq(m->mode, "xdp/drv");
  sl_metrics_set_mode(m, "a-mode-name-much-too-long");
  ck_assert_uint_eq(strlen(m->mode), SL_TILE_MODE_MAX - 1);
  free(m);
}
END_TEST

START_TEST(new_rejects_bad_kind_and_delete_unjoins) {
  void *mem = aligned_alloc(SL_METRICS_ALIGN, sl_metrics_footprint());
  ck_assert_ptr_null(sl_metrics_new(mem, SL_TILE_KIND_CNT, 0));
  ck_assert_ptr_nonnull(sl_metrics_new(mem, SL_TILE_SINK, 0));
  ck_assert_ptr_eq(sl_metrics_delete(mem), mem);
  ck_assert_ptr_null(sl_metrics_join(mem));
  free(mem);
}
END_TEST

/* Every value says what it means, and the Prometheus family it goes under
   follows the conventions: counters end in _total, nanoseconds become
   seconds, and kinds that share a family agree on its type. */
START_TEST(prometheus_families_follow_the_conventions) {
  for (uint32_t k = 0; k < SL_TILE_KIND_CNT; k++)
    for (uint32_t i = 0; i < sl_metrics_cnt(k); i++) {
      const char *name = sl_metrics_name(k, i);
      if (!name) continue;
      ck_assert_msg(sl_metrics_help(k, i), "%s %s has no help", sl_tile_kind_name(k), name);
      const char *fam = sl_metrics_prom_name(k, i);
      if (!fam) continue;
      size_t fl = strlen(fam), nl = strlen(name);
      int counter = sl_metrics_type(k, i) == SL_METRIC_COUNTER;
      int total = fl > 6 && !strcmp(fam + fl - 6, "_total");
      ck_assert_msg(counter == total, "%s: counter %d, _total %d", fam, counter, total);
      if (nl > 3 && !strcmp(name + nl - 3, "_ns"))
        ck_assert_msg(strstr(fam, "_seconds"), "%s (%s) is not in seconds", fam, name);
      ck_assert_msg(!strstr(fam, "_ns"), "%s", fam);
      for (uint32_t k2 = 0; k2 < SL_TILE_KIND_CNT; k2++)
        for (uint32_t j = 0; j < sl_metrics_cnt(k2); j++) {
          const char *f2 = sl_metrics_prom_name(k2, j);
          if (f2 && !strcmp(f2, fam)) ck_assert_int_eq(sl_metrics_type(k2, j), sl_metrics_type(k, i));
        }
    }
  ck_assert_str_eq(sl_metrics_prom_name(SL_TILE_VERIFY, SL_M_VERIFY_IN_FRAGS),
                   sl_metrics_prom_name(SL_TILE_SINK, SL_M_SINK_IN_FRAGS));
  ck_assert_ptr_null(sl_metrics_prom_name(SL_TILE_NET, SL_M_HEARTBEAT_NS));
}
END_TEST

START_TEST(latency_buckets_increase_and_end_at_inf) {
  for (uint32_t b = 1; b < SL_METRICS_LATENCY_BUCKETS - 1; b++)
    ck_assert_uint_gt(sl_metrics_latency_le_ns(b), sl_metrics_latency_le_ns(b - 1));
  ck_assert_uint_eq(sl_metrics_latency_le_ns(0), 1000);
  ck_assert_uint_eq(sl_metrics_latency_le_ns(SL_METRICS_LATENCY_BUCKETS - 2), 2000000000ull);
  ck_assert_uint_eq(sl_metrics_latency_le_ns(SL_METRICS_LATENCY_BUCKETS - 1), UINT64_MAX);
  ck_assert_int_eq(sl_metrics_index(SL_TILE_SINK, "latency_le_1ms"), SL_M_SINK_LATENCY_LE + 9);
  ck_assert_uint_eq(sl_metrics_latency_le_ns(9), 1000000);
  ck_assert_int_eq(sl_metrics_index(SL_TILE_SINK, "latency_le_inf"),
                   SL_M_SINK_LATENCY_LE + SL_METRICS_LATENCY_BUCKETS - 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, every_kind_has_the_common_names);
  tcase_add_test(tc, kind_names_match_the_design_table);
  tcase_add_test(tc, names_are_unique_within_a_kind_and_fit_the_block);
  tcase_add_test(tc, gauges_and_counters_are_typed);
  tcase_add_test(tc, kind_and_state_names_round_trip);
  tcase_add_test(tc, new_block_is_named_zeroed_and_booting);
  tcase_add_test(tc, set_add_get_and_mode);
  tcase_add_test(tc, new_rejects_bad_kind_and_delete_unjoins);
  tcase_add_test(tc, prometheus_families_follow_the_conventions);
  tcase_add_test(tc, latency_buckets_increase_and_end_at_inf);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
