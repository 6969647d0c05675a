/* Unit tests for shmem/tcache: presence, duplicates, FIFO eviction, tag 0,
   agreement with a reference model, keyed hashing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "shmem/tcache.h"

static sl_tcache_t *make(uint64_t depth) {
  uint64_t fp = sl_tcache_footprint(depth);
  ck_assert_uint_ne(fp, 0);
  void *mem = aligned_alloc(SL_TCACHE_ALIGN, (fp + 127) & ~127ull);
  ck_assert_ptr_nonnull(mem);
  memset(mem, 0xa5, fp); /* new must not rely on zeroed memory */
  sl_tcache_t *tc = sl_tcache_join(sl_tcache_new(mem, depth));
  ck_assert_ptr_nonnull(tc);
  return tc;
}

START_TEST(footprint_rejects_bad_depth) {
  ck_assert_uint_eq(sl_tcache_footprint(0), 0);
  ck_assert_uint_eq(sl_tcache_footprint(2), 0);
  ck_assert_uint_eq(sl_tcache_footprint(1000), 0);
  ck_assert_uint_ne(sl_tcache_footprint(1024), 0);
  void *mem = aligned_alloc(128, 4096);
  ck_assert_ptr_null(sl_tcache_new((uint8_t *)mem + 8, 16));
  ck_assert_ptr_null(sl_tcache_join(mem));
  free(mem);
}
END_TEST

START_TEST(inserted_tag_is_found_and_others_are_not) {
  sl_tcache_t *tc = make(16);
  ck_assert_int_eq(sl_tcache_query(tc, 42), 0);
  ck_assert_int_eq(sl_tcache_insert(tc, 42), 0);
  ck_assert_int_eq(sl_tcache_query(tc, 42), 1);
  ck_assert_int_eq(sl_tcache_query(tc, 43), 0);
  ck_assert_uint_eq(sl_tcache_cnt(tc), 1);
  free(tc);
}
END_TEST

START_TEST(insert_of_present_tag_returns_1_and_changes_nothing) {
  sl_tcache_t *tc = make(4);
  ck_assert_int_eq(sl_tcache_insert(tc, 7), 0);
  ck_assert_int_eq(sl_tcache_insert(tc, 7), 1);
  ck_assert_uint_eq(sl_tcache_cnt(tc), 1);
  free(tc);
}
END_TEST

START_TEST(full_cache_evicts_the_oldest_tag) {
  sl_tcache_t *tc = make(4);
  for (uint64_t t = 1; t <= 4; t++) ck_assert_int_eq(sl_tcache_insert(tc, t), 0);
  ck_assert_int_eq(sl_tcache_insert(tc, 5), 0);
  ck_assert_int_eq(sl_tcache_query(tc, 1), 0);
  for (uint64_t t = 2; t <= 5; t++) ck_assert_int_eq(sl_tcache_query(tc, t), 1);
  ck_assert_uint_eq(sl_tcache_cnt(tc), 4);
  free(tc);
}
END_TEST

START_TEST(duplicate_insert_does_not_refresh_age) {
  sl_tcache_t *tc = make(4);
  for (uint64_t t = 1; t <= 4; t++) sl_tcache_insert(tc, t);
  ck_assert_int_eq(sl_tcache_insert(tc, 1), 1); /* still the oldest */
  sl_tcache_insert(tc, 5);
  ck_assert_int_eq(sl_tcache_query(tc, 1), 0);
  ck_assert_int_eq(sl_tcache_query(tc, 2), 1);
  free(tc);
}
END_TEST

START_TEST(tag_zero_is_an_ordinary_tag) {
  sl_tcache_t *tc = make(4);
  ck_assert_int_eq(sl_tcache_query(tc, 0), 0);
  ck_assert_int_eq(sl_tcache_insert(tc, 0), 0);
  ck_assert_int_eq(sl_tcache_query(tc, 0), 1);
  ck_assert_int_eq(sl_tcache_insert(tc, 0), 1);
  ck_assert_int_eq(sl_tcache_query(tc, 1), 0);
  for (uint64_t t = 1; t <= 3; t++) sl_tcache_insert(tc, t);
  ck_assert_int_eq(sl_tcache_query(tc, 0), 1);
  sl_tcache_insert(tc, 4); /* evicts 0, the oldest */
  ck_assert_int_eq(sl_tcache_query(tc, 0), 0);
  ck_assert_int_eq(sl_tcache_insert(tc, 0), 0); /* evicts 1 */
  ck_assert_int_eq(sl_tcache_query(tc, 1), 0);
  ck_assert_int_eq(sl_tcache_query(tc, 0), 1);
  free(tc);
}
END_TEST

/* Reference: the last `depth` distinct inserted tags, oldest first. */
START_TEST(agrees_with_a_reference_fifo_under_random_load) {
  enum { DEPTH = 16, SPACE = 48, OPS = 200000 };
  sl_tcache_t *tc = make(DEPTH);
  uint64_t ref[DEPTH];
  int n = 0;
  uint64_t x = 88172645463325252ull;
  for (int op = 0; op < OPS; op++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    /* Tags that share home slots: multiples of a large power of two
       collide under multiplicative hashing only by accident, so mix in
       small values and 0 as well. */
    uint64_t tag = (x % SPACE) * ((op & 1) ? 1 : (1ull << 40));
    int present = 0;
    for (int i = 0; i < n; i++) present |= ref[i] == tag;
    if (x & 0x100) {
      ck_assert_int_eq(sl_tcache_query(tc, tag), present);
      continue;
    }
    ck_assert_int_eq(sl_tcache_insert(tc, tag), present);
    if (!present) {
      if (n == DEPTH) {
        memmove(ref, ref + 1, sizeof ref[0] * (DEPTH - 1));
        n--;
      }
      ref[n++] = tag;
    }
    ck_assert_uint_eq(sl_tcache_cnt(tc), (uint64_t)n);
  }
  for (int i = 0; i < n; i++) ck_assert_int_eq(sl_tcache_query(tc, ref[i]), 1);
  free(tc);
}
END_TEST

START_TEST(large_cache_holds_exactly_depth_recent_tags) {
  enum { DEPTH = 1 << 16 };
  sl_tcache_t *tc = make(DEPTH);
  uint64_t seed = 12345;
  for (uint64_t i = 0; i < 3 * DEPTH; i++)
    ck_assert_int_eq(sl_tcache_insert(tc, sl_tag_hash(seed, &i, sizeof i)), 0);
  for (uint64_t i = 0; i < 3 * DEPTH; i++)
    ck_assert_int_eq(sl_tcache_query(tc, sl_tag_hash(seed, &i, sizeof i)), i >= 2 * DEPTH);
  free(tc);
}
END_TEST

START_TEST(tag_hash_is_keyed_xxh3) {
  const char sig[64] = "a signature stands in here";
  ck_assert_uint_eq(sl_tag_hash(1, sig, 64), XXH3_64bits_withSeed(sig, 64, 1));
  ck_assert_uint_eq(sl_tag_hash(1, sig, 64), sl_tag_hash(1, sig, 64));
  ck_assert_uint_ne(sl_tag_hash(1, sig, 64), sl_tag_hash(2, sig, 64));
}
END_TEST

START_TEST(random_seeds_are_nonzero_and_differ) {
  uint64_t a = sl_tag_seed_random(), b = sl_tag_seed_random();
  ck_assert_uint_ne(a, 0);
  ck_assert_uint_ne(b, 0);
  ck_assert_uint_ne(a, b);
}
END_TEST

START_TEST(delete_makes_join_fail) {
  sl_tcache_t *tc = make(4);
  void *mem = sl_tcache_leave(tc);
  ck_assert_ptr_eq(sl_tcache_delete(mem), mem);
  ck_assert_ptr_null(sl_tcache_join(mem));
  free(mem);
}
END_TEST

int main(void) {
  Suite *s = suite_create("tcache");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, footprint_rejects_bad_depth);
  tcase_add_test(tc, inserted_tag_is_found_and_others_are_not);
  tcase_add_test(tc, insert_of_present_tag_returns_1_and_changes_nothing);
  tcase_add_test(tc, full_cache_evicts_the_oldest_tag);
  tcase_add_test(tc, duplicate_insert_does_not_refresh_age);
  tcase_add_test(tc, tag_zero_is_an_ordinary_tag);
  tcase_add_test(tc, agrees_with_a_reference_fifo_under_random_load);
  tcase_add_test(tc, large_cache_holds_exactly_depth_recent_tags);
  tcase_add_test(tc, tag_hash_is_keyed_xxh3);
  tcase_add_test(tc, random_seeds_are_nonzero_and_differ);
  tcase_add_test(tc, delete_makes_join_fail);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
