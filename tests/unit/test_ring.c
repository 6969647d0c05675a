/* Unit tests for shmem/ring: lifecycle, ordering, wraparound, lapping,
   torn-read detection, credits. Single process: a heap block stands in for
   the workspace (the ring only ever sees a base and offsets). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmem/ring.h"

/* A fake workspace: an aligned heap block. Ring at offset 128, so chunk
   offsets are measured from a base that is not the ring itself. */
typedef struct {
  sl_wksp_t w;
  uint64_t off;
} fake_t;

static fake_t fake_ring(uint64_t depth, uint32_t cons, uint32_t mtu, int reliable) {
  fake_t f;
  memset(&f, 0, sizeof f);
  uint64_t fp = sl_ring_footprint(depth, cons, mtu);
  ck_assert_uint_ne(fp, 0);
  f.off = 128;
  f.w.size = f.off + fp;
  f.w.base = aligned_alloc(4096, (f.w.size + 4095) & ~4095ull);
  ck_assert_ptr_nonnull(f.w.base);
  f.w.fd = -1;
  snprintf(f.w.path, sizeof f.w.path, "heap");
  ck_assert_ptr_nonnull(sl_ring_new(f.w.base + f.off, depth, cons, mtu, reliable));
  return f;
}

static void fake_free(fake_t *f) { free(f->w.base); }

static void pub(sl_ring_prod_t *p, uint64_t sig) {
  sl_ring_publish(p, sig, (uint32_t)sig, (uint16_t)sig, 0, (uint32_t)sig, (uint32_t)(sig * 3));
}

START_TEST(footprint_rejects_bad_parameters) {
  ck_assert_uint_eq(sl_ring_footprint(0, 1, 0), 0);
  ck_assert_uint_eq(sl_ring_footprint(12, 1, 0), 0);
  ck_assert_uint_eq(sl_ring_footprint(2, 1, 0), 0);
  ck_assert_uint_eq(sl_ring_footprint(16, 0, 0), 0);
  ck_assert_uint_eq(sl_ring_footprint(16, SL_RING_CONS_MAX + 1, 0), 0);
  ck_assert_uint_eq(sl_ring_footprint(16, 1, 65536), 0);
  ck_assert_uint_ne(sl_ring_footprint(16, SL_RING_CONS_MAX, 65535), 0);
  /* Payload slots are mtu rounded up to 64, depth of them. */
  ck_assert_uint_eq(sl_ring_footprint(16, 1, 100) - sl_ring_footprint(16, 1, 0), 16 * 128);
  void *mem = aligned_alloc(128, 1 << 16);
  ck_assert_ptr_null(sl_ring_new((uint8_t *)mem + 64, 16, 1, 0, 0));
  ck_assert_ptr_null(sl_ring_new(mem, 24, 1, 0, 0));
  free(mem);
}
END_TEST

START_TEST(lifecycle_join_leave_delete) {
  fake_t f = fake_ring(16, 2, 0, 0);
  void *mem = f.w.base + f.off;
  sl_ring_t *r = sl_ring_join(mem);
  ck_assert_ptr_eq(r, mem);
  ck_assert_uint_eq(r->depth, 16);
  ck_assert_uint_eq(r->cons_cnt, 2);
  ck_assert_ptr_eq(sl_ring_leave(r), mem);
  ck_assert_ptr_eq(sl_ring_delete(mem), mem);
  ck_assert_ptr_null(sl_ring_join(mem));
  ck_assert_ptr_null(sl_ring_delete(mem));
  sl_ring_prod_t p;
  sl_err_t err;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "no ring"));
  fake_free(&f);
}
END_TEST

START_TEST(new_ring_polls_empty) {
  fake_t f = fake_ring(8, 1, 0, 0);
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  sl_frag_meta_t m = {0};
  memset(&m, 0xab, sizeof m);
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_EMPTY);
  ck_assert_uint_eq(m.seq, 0xababababababababull); /* untouched */
  ck_assert_uint_eq(c.seq, 0);
  ck_assert_uint_eq(c.overrun_poll, 0);
  fake_free(&f);
}
END_TEST

START_TEST(publish_then_poll_returns_every_field) {
  fake_t f = fake_ring(8, 1, 0, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  sl_ring_publish(&p, 0x1122334455667788ull, 0xfffffffeu, 65535, SL_CTL_ERR | 0x8000, 0xdeadbeefu,
                  0xcafef00du);
  ck_assert_uint_eq(sl_ring_next_seq(&p), 1);
  sl_frag_meta_t m = {0};
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
  ck_assert_uint_eq(m.seq, 0);
  ck_assert_uint_eq(m.sig, 0x1122334455667788ull);
  ck_assert_uint_eq(m.chunk, 0xfffffffeu);
  ck_assert_uint_eq(m.sz, 65535);
  ck_assert_uint_eq(m.ctl, SL_CTL_ERR | 0x8000);
  ck_assert_uint_eq(m.tsorig, 0xdeadbeefu);
  ck_assert_uint_eq(m.tspub, 0xcafef00du);
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_EMPTY);
  ck_assert_uint_eq(c.frags, 1);
  fake_free(&f);
}
END_TEST

START_TEST(wraparound_keeps_seq_order) {
  fake_t f = fake_ring(8, 1, 0, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  sl_frag_meta_t m = {0};
  for (uint64_t i = 0; i < 1000; i++) {
    for (uint64_t k = 0; k < (i % 8) + 1; k++) pub(&p, 0);
    for (uint64_t k = 0; k < (i % 8) + 1; k++) {
      ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
      ck_assert_uint_eq(m.seq, c.seq - 1);
    }
    ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_EMPTY);
  }
  ck_assert_uint_eq(c.seq, p.seq);
  ck_assert_uint_eq(c.overrun_poll, 0);
  fake_free(&f);
}
END_TEST

START_TEST(lapped_consumer_counts_every_skipped_frag_and_resumes_at_the_newest_seen) {
  fake_t f = fake_ring(8, 1, 0, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  for (uint64_t i = 0; i < 20; i++) pub(&p, i);
  sl_frag_meta_t m = {0};
  /* 20 published into 8 slots; slot 0 holds 16: resume at 16, 0..15 lost. */
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OVERRUN);
  ck_assert_uint_eq(c.overrun_poll, 16);
  ck_assert_uint_eq(c.seq, 16);
  for (uint64_t s = 16; s < 20; s++) {
    ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
    ck_assert_uint_eq(m.seq, s);
    ck_assert_uint_eq(m.sig, s);
  }
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_EMPTY);
  ck_assert_uint_eq(c.frags + c.overrun_poll, 20);
  fake_free(&f);
}
END_TEST

START_TEST(lapped_while_the_slot_is_being_written_waits_for_that_frag) {
  fake_t f = fake_ring(8, 1, 64, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  for (uint64_t i = 0; i < 8; i++) pub(&p, i);
  (void)sl_ring_prepare(&p); /* slot 0 now "being written" for seq 8 */
  sl_frag_meta_t m = {0};
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OVERRUN);
  ck_assert_uint_eq(c.overrun_poll, 8);
  ck_assert_uint_eq(c.seq, 8);
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_EMPTY);
  pub(&p, 8);
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
  ck_assert_uint_eq(m.seq, 8);
  fake_free(&f);
}
END_TEST

START_TEST(lapped_by_several_laps_still_accounts_exactly) {
  fake_t f = fake_ring(16, 1, 0, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  sl_frag_meta_t m = {0};
  uint64_t total = 0;
  for (int round = 0; round < 50; round++) {
    uint64_t n = (uint64_t)(round * 7) % 100;
    for (uint64_t i = 0; i < n; i++) pub(&p, total + i);
    total += n;
    uint64_t last = UINT64_MAX;
    int r;
    while ((r = sl_ring_poll(&c, &m)) != SL_RING_EMPTY) {
      if (r != SL_RING_OK) continue;
      ck_assert_uint_eq(m.sig, m.seq);
      if (last != UINT64_MAX) ck_assert_uint_gt(m.seq, last);
      last = m.seq;
    }
    ck_assert_uint_eq(c.frags + c.overrun_poll, total);
  }
  fake_free(&f);
}
END_TEST

START_TEST(consume_burst_stops_at_empty) {
  fake_t f = fake_ring(64, 1, 0, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  sl_frag_meta_t in[40], out[64];
  memset(in, 0, sizeof in);
  for (int i = 0; i < 40; i++) in[i].sig = 100 + (uint64_t)i;
  ck_assert_uint_eq(sl_ring_publish_burst(&p, in, 40), 40);
  ck_assert_uint_eq(sl_ring_consume_burst(&c, out, 32), 32);
  ck_assert_uint_eq(sl_ring_consume_burst(&c, out + 32, 32), 8);
  for (int i = 0; i < 40; i++) {
    ck_assert_uint_eq(out[i].seq, (uint64_t)i);
    ck_assert_uint_eq(out[i].sig, 100 + (uint64_t)i);
  }
  ck_assert_uint_eq(sl_ring_consume_burst(&c, out, 32), 0);
  fake_free(&f);
}
END_TEST

START_TEST(consume_burst_across_the_wrap_keeps_every_field) {
  fake_t f = fake_ring(8, 1, 0, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  sl_frag_meta_t out[8];
  for (int i = 0; i < 5; i++) pub(&p, (uint64_t)i);
  ck_assert_uint_eq(sl_ring_consume_burst(&c, out, 5), 5);
  for (uint64_t i = 5; i < 13; i++) pub(&p, i);
  ck_assert_uint_eq(sl_ring_consume_burst(&c, out, 8), 8); /* slots 5..7, 0..4 */
  for (uint64_t i = 0; i < 8; i++) {
    ck_assert_uint_eq(out[i].seq, 5 + i);
    ck_assert_uint_eq(out[i].sig, 5 + i);
    ck_assert_uint_eq(out[i].chunk, (uint32_t)(5 + i));
    ck_assert_uint_eq(out[i].sz, (uint16_t)(5 + i));
    ck_assert_uint_eq(out[i].tsorig, (uint32_t)(5 + i));
    ck_assert_uint_eq(out[i].tspub, (uint32_t)(3 * (5 + i)));
  }
  ck_assert_uint_eq(c.frags, 13);
  fake_free(&f);
}
END_TEST

START_TEST(consume_burst_detects_a_first_slot_overwritten_behind_a_ready_last_one) {
  fake_t f = fake_ring(8, 1, 0, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  /* 9 frags: slot 0 now holds 8 (frag 0 lost), slot 3 still holds 3. */
  for (uint64_t i = 0; i < 9; i++) pub(&p, i);
  sl_frag_meta_t out[4];
  ck_assert_uint_eq(sl_ring_consume_burst(&c, out, 4), 1);
  ck_assert_uint_eq(c.overrun_poll, 8);
  ck_assert_uint_eq(out[0].seq, 8);
  fake_free(&f);
}
END_TEST

START_TEST(slot_chunk_addresses_the_rings_payload_slot_from_workspace_base) {
  fake_t f = fake_ring(8, 1, 1232, 0);
  sl_ring_prod_t p;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  sl_ring_t *r = sl_ring_join(f.w.base + f.off);
  uint8_t *payload = f.w.base + f.off + r->payload_off;
  ck_assert_uint_eq(r->slot_sz, 1280);
  for (uint64_t s = 0; s < 20; s++) {
    uint8_t *a = sl_chunk_laddr(f.w.base, sl_ring_slot_chunk(&p, s));
    ck_assert_ptr_eq(a, payload + (s & 7) * 1280);
    ck_assert_uint_eq(sl_chunk_of(f.w.base, a), sl_ring_slot_chunk(&p, s));
  }
  ck_assert_ptr_eq(sl_chunk_laddr(f.w.base, sl_ring_slot_chunk(&p, 7)) + 1280,
                   f.w.base + f.off + r->footprint);
  fake_free(&f);
}
END_TEST

START_TEST(check_passes_while_slot_holds_seq_and_fails_once_reused) {
  fake_t f = fake_ring(4, 1, 64, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  uint32_t ch = sl_ring_prepare(&p);
  memcpy(sl_chunk_laddr(f.w.base, ch), "hello", 6);
  sl_ring_publish(&p, 1, ch, 6, 0, 0, 0);
  sl_frag_meta_t m = {0};
  ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
  ck_assert_str_eq((char *)sl_chunk_laddr(f.w.base, m.chunk), "hello");
  ck_assert_int_eq(sl_ring_check(&c, m.seq), 1);
  /* The producer comes round to this slot: preparing it (before writing the
     payload) already voids a read of seq 0. */
  for (int i = 0; i < 3; i++) sl_ring_publish(&p, 2, sl_ring_prepare(&p), 0, 0, 0, 0);
  ck_assert_int_eq(sl_ring_check(&c, 0), 1);
  (void)sl_ring_prepare(&p);
  ck_assert_int_eq(sl_ring_check(&c, 0), 0);
  ck_assert_uint_eq(c.overrun_read, 1);
  fake_free(&f);
}
END_TEST

START_TEST(unreliable_producer_always_has_depth_credits) {
  fake_t f = fake_ring(8, 1, 0, 0);
  sl_ring_prod_t p;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  for (int i = 0; i < 100; i++) pub(&p, 0);
  ck_assert_uint_eq(sl_ring_credits(&p), 8);
  ck_assert_uint_eq(sl_ring_prod_housekeep(&p), 8);
  ck_assert_int_eq(sl_ring_wait_credits(&p, 8, 1000), 0);
  ck_assert_uint_eq(p.backpressure_cnt, 0);
  fake_free(&f);
}
END_TEST

START_TEST(reliable_credits_follow_consumer_progress) {
  fake_t f = fake_ring(8, 1, 0, 1);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  ck_assert_uint_eq(sl_ring_credits(&p), 8);
  for (int i = 0; i < 8; i++) pub(&p, 0);
  ck_assert_uint_eq(sl_ring_credits(&p), 0);
  ck_assert_uint_eq(sl_ring_prod_housekeep(&p), 0);
  sl_frag_meta_t m = {0};
  for (int i = 0; i < 3; i++) ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
  /* Reads alone give no credit: progress must be published. */
  ck_assert_uint_eq(sl_ring_prod_housekeep(&p), 0);
  sl_ring_cons_publish(&c);
  ck_assert_uint_eq(sl_ring_credits(&p), 0); /* cached until housekeeping */
  ck_assert_uint_eq(sl_ring_prod_housekeep(&p), 3);
  fake_free(&f);
}
END_TEST

START_TEST(reliable_credits_follow_the_slowest_consumer) {
  fake_t f = fake_ring(16, 3, 0, 1);
  sl_ring_prod_t p;
  sl_ring_cons_t c[3];
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  for (uint32_t i = 0; i < 3; i++) ck_assert_int_eq(sl_ring_cons_init(&c[i], &f.w, f.off, i, NULL), 0);
  for (int i = 0; i < 16; i++) pub(&p, 0);
  sl_frag_meta_t m = {0};
  int take[3] = {10, 4, 7};
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < take[k]; i++) ck_assert_int_eq(sl_ring_poll(&c[k], &m), SL_RING_OK);
    sl_ring_cons_publish(&c[k]);
  }
  ck_assert_uint_eq(sl_ring_prod_housekeep(&p), 4);
  fake_free(&f);
}
END_TEST

START_TEST(reliable_link_never_overwrites_unconsumed_frags) {
  fake_t f = fake_ring(8, 1, 0, 1);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, NULL), 0);
  sl_frag_meta_t m = {0};
  uint64_t next = 0;
  for (uint64_t sent = 0; sent < 500;) {
    uint64_t cr = sl_ring_prod_housekeep(&p);
    for (uint64_t i = 0; i < cr && sent < 500; i++) pub(&p, sent++);
    for (int i = 0; i < 3; i++) {
      if (sl_ring_poll(&c, &m) != SL_RING_OK) break;
      ck_assert_uint_eq(m.sig, next++);
    }
    sl_ring_cons_publish(&c);
  }
  while (sl_ring_poll(&c, &m) == SL_RING_OK) ck_assert_uint_eq(m.sig, next++);
  ck_assert_uint_eq(next, 500);
  ck_assert_uint_eq(c.overrun_poll, 0);
  fake_free(&f);
}
END_TEST

START_TEST(wait_credits_times_out_and_counts_backpressure) {
  fake_t f = fake_ring(4, 1, 0, 1);
  sl_ring_prod_t p;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  for (int i = 0; i < 4; i++) pub(&p, 0);
  ck_assert_int_eq(sl_ring_wait_credits(&p, 1, 2000000), -1);
  ck_assert_uint_eq(p.backpressure_cnt, 1);
  sl_ring_prod_housekeep(&p);
  ck_assert_uint_eq(sl_ring_pline(sl_ring_join(f.w.base + f.off))->backpressure_cnt, 1);
  fake_free(&f);
}
END_TEST

START_TEST(handles_resume_from_published_positions) {
  fake_t f = fake_ring(8, 2, 0, 0);
  sl_ring_prod_t p;
  sl_ring_cons_t c;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 1, NULL), 0);
  for (int i = 0; i < 5; i++) pub(&p, 0);
  sl_frag_meta_t m = {0};
  for (int i = 0; i < 2; i++) ck_assert_int_eq(sl_ring_poll(&c, &m), SL_RING_OK);
  sl_ring_prod_housekeep(&p);
  sl_ring_cons_publish(&c);
  const sl_ring_t *r = sl_ring_join(f.w.base + f.off);
  ck_assert_uint_eq(sl_ring_pline(r)->seq, 5);
  ck_assert_uint_eq(sl_ring_fseq(r, 1)->seq, 2);
  ck_assert_uint_eq(sl_ring_fseq(r, 1)->frags, 2);
  ck_assert_uint_eq(sl_ring_fseq(r, 0)->seq, 0);
  sl_ring_prod_t p2;
  sl_ring_cons_t c2;
  ck_assert_int_eq(sl_ring_prod_init(&p2, &f.w, f.off, NULL), 0);
  ck_assert_int_eq(sl_ring_cons_init(&c2, &f.w, f.off, 1, NULL), 0);
  ck_assert_uint_eq(sl_ring_next_seq(&p2), 5);
  ck_assert_uint_eq(c2.seq, 2);
  ck_assert_int_eq(sl_ring_poll(&c2, &m), SL_RING_OK);
  ck_assert_uint_eq(m.seq, 2);
  fake_free(&f);
}
END_TEST

START_TEST(consumer_init_rejects_bad_index_and_read_only_workspace) {
  fake_t f = fake_ring(8, 2, 0, 0);
  sl_ring_cons_t c;
  sl_err_t err;
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 2, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "out of range"));
  f.w.read_only = 1;
  ck_assert_int_eq(sl_ring_cons_init(&c, &f.w, f.off, 0, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "read-only"));
  sl_ring_prod_t p;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.off, &err), -1);
  f.w.read_only = 0;
  ck_assert_int_eq(sl_ring_prod_init(&p, &f.w, f.w.size, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "outside"));
  fake_free(&f);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ring");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, footprint_rejects_bad_parameters);
  tcase_add_test(tc, lifecycle_join_leave_delete);
  tcase_add_test(tc, new_ring_polls_empty);
  tcase_add_test(tc, publish_then_poll_returns_every_field);
  tcase_add_test(tc, wraparound_keeps_seq_order);
  tcase_add_test(tc, lapped_consumer_counts_every_skipped_frag_and_resumes_at_the_newest_seen);
  tcase_add_test(tc, lapped_while_the_slot_is_being_written_waits_for_that_frag);
  tcase_add_test(tc, lapped_by_several_laps_still_accounts_exactly);
  tcase_add_test(tc, consume_burst_stops_at_empty);
  tcase_add_test(tc, consume_burst_across_the_wrap_keeps_every_field);
  tcase_add_test(tc, consume_burst_detects_a_first_slot_overwritten_behind_a_ready_last_one);
  tcase_add_test(tc, slot_chunk_addresses_the_rings_payload_slot_from_workspace_base);
  tcase_add_test(tc, check_passes_while_slot_holds_seq_and_fails_once_reused);
  tcase_add_test(tc, unreliable_producer_always_has_depth_credits);
  tcase_add_test(tc, reliable_credits_follow_consumer_progress);
  tcase_add_test(tc, reliable_credits_follow_the_slowest_consumer);
  tcase_add_test(tc, reliable_link_never_overwrites_unconsumed_frags);
  tcase_add_test(tc, wait_credits_times_out_and_counts_backpressure);
  tcase_add_test(tc, handles_resume_from_published_positions);
  tcase_add_test(tc, consumer_init_rejects_bad_index_and_read_only_workspace);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
