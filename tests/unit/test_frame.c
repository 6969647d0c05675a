/* Unit tests for tiles/net/frame: header synthesis, strict parse, sig. */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "tiles/frame.h"

static const sl_frame_addr_t ADDR = {
    .dst_mac = {0x02, 0, 0, 0, 0, 0x02},
    .src_mac = {0x02, 0, 0, 0, 0, 0x01},
    .src_ip4 = 0x0100000a, /* 10.0.0.1 as it sits in memory on little endian */
    .dst_ip4 = 0x0200000a,
    .src_port = 40000,
    .dst_port = 9001,
    .ip_id = 0x1234,
};

/* An independent RFC 1071 checksum: 16-bit words summed in a 64-bit
   accumulator, folded at the end (frame.c folds a 32-bit sum). */
static uint16_t rfc1071(const uint8_t *p, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint64_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) s += (uint64_t)p[n - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

/* A valid frame with payload_sz bytes of payload (filled with a pattern)
   built through sl_frame_build_hdr. Returns the frame size. */
static uint32_t good_frame(uint8_t *f, uint32_t payload_sz) {
  uint32_t off = sl_frame_build_hdr(f, &ADDR, payload_sz);
  for (uint32_t i = 0; i < payload_sz; i++) f[off + i] = (uint8_t)(i * 7 + 1);
  return off + payload_sz;
}

/* Re-seals the IPv4 header checksum after a test edits the header. */
static void reseal(uint8_t *f) {
  uint8_t *ip = f + 14;
  uint32_t ihl = (ip[0] & 15u) * 4;
  ip[10] = ip[11] = 0;
  uint16_t c = rfc1071(ip, ihl);
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
}

START_TEST(build_then_parse_round_trips) {
  uint8_t f[SL_FRAME_MAX_SZ];
  for (uint32_t psz = 1; psz <= SL_FRAME_PAYLOAD_MAX; psz += 97) {
    uint32_t sz = good_frame(f, psz);
    sl_frame_t fr;
    ck_assert_int_eq(sl_frame_parse(f, sz, &fr), 0);
    ck_assert_uint_eq(fr.src_ip4, ADDR.src_ip4);
    ck_assert_uint_eq(fr.dst_ip4, ADDR.dst_ip4);
    ck_assert_uint_eq(fr.src_port, 40000);
    ck_assert_uint_eq(fr.dst_port, 9001);
    ck_assert_uint_eq(fr.payload_off, SL_FRAME_HDR_SZ);
    ck_assert_uint_eq(fr.payload_sz, psz);
  }
}
END_TEST

START_TEST(build_writes_wire_fields) {
  uint8_t f[SL_FRAME_MAX_SZ];
  ck_assert_uint_eq(sl_frame_build_hdr(f, &ADDR, 100), SL_FRAME_HDR_SZ);
  ck_assert_mem_eq(f, ADDR.dst_mac, 6);
  ck_assert_mem_eq(f + 6, ADDR.src_mac, 6);
  static const uint8_t want_ip[] = {0x45, 0, 0, 128, 0x12, 0x34, 0x40, 0, 64, 17};
  ck_assert_mem_eq(f + 14, want_ip, sizeof want_ip);
  ck_assert_mem_eq(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
  static const uint8_t want_udp[] = {0x9c, 0x40, 0x23, 0x29, 0, 108, 0, 0};
  ck_assert_mem_eq(f + 34, want_udp, sizeof want_udp);
}
END_TEST

START_TEST(build_ip_checksum_matches_independent_computation) {
  uint8_t f[SL_FRAME_MAX_SZ];
  for (uint32_t id = 0; id < 65536; id += 251) {
    sl_frame_addr_t a = ADDR;
    a.ip_id = (uint16_t)id;
    a.src_ip4 = id * 2654435761u;
    sl_frame_build_hdr(f, &a, id % SL_FRAME_PAYLOAD_MAX);
    uint16_t got = (uint16_t)(f[24] << 8 | f[25]);
    f[24] = f[25] = 0;
    ck_assert_uint_eq(got, rfc1071(f + 14, 20));
  }
}
END_TEST

/* The textbook example header (192.168.0.1 -> 192.168.0.199, total length
   0x73, id 0, DF, TTL 64, UDP) has checksum 0xb861. */
START_TEST(build_ip_checksum_matches_known_header) {
  sl_frame_addr_t a = ADDR;
  a.ip_id = 0;
  ck_assert_int_eq(inet_pton(AF_INET, "192.168.0.1", &a.src_ip4), 1);
  ck_assert_int_eq(inet_pton(AF_INET, "192.168.0.199", &a.dst_ip4), 1);
  uint8_t f[SL_FRAME_MAX_SZ];
  sl_frame_build_hdr(f, &a, 0x73 - 28);
  ck_assert_uint_eq(f[24], 0xb8);
  ck_assert_uint_eq(f[25], 0x61);
}
END_TEST

START_TEST(build_udp_checksum_is_zero_meaning_none) {
  uint8_t f[SL_FRAME_MAX_SZ];
  good_frame(f, 300);
  ck_assert_uint_eq(f[40], 0);
  ck_assert_uint_eq(f[41], 0);
}
END_TEST

START_TEST(parse_ignores_ethernet_padding) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 5);
  memset(f + sz, 0, 60 - sz);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, 60, &fr), 0);
  ck_assert_uint_eq(fr.payload_sz, 5);
}
END_TEST

START_TEST(parse_honors_ip_options) {
  for (uint32_t words = 6; words <= 15; words++) {
    uint8_t f[SL_FRAME_MAX_SZ + 64];
    uint32_t opt = (words - 5) * 4, psz = 200;
    good_frame(f, psz);
    /* Move UDP header and payload up by the options' length, fill the
       options with NOPs (type 1). */
    memmove(f + 34 + opt, f + 34, 8 + psz);
    memset(f + 34, 1, opt);
    f[14] = (uint8_t)(0x40 | words);
    uint32_t tot = words * 4 + 8 + psz;
    f[16] = (uint8_t)(tot >> 8);
    f[17] = (uint8_t)tot;
    reseal(f);
    sl_frame_t fr;
    ck_assert_int_eq(sl_frame_parse(f, 14 + tot, &fr), 0);
    ck_assert_uint_eq(fr.payload_off, 14 + words * 4 + 8);
    ck_assert_uint_eq(fr.payload_sz, psz);
    ck_assert_uint_eq(fr.dst_port, 9001);
    ck_assert_uint_eq(f[fr.payload_off], 1); /* the pattern's first byte */
  }
}
END_TEST

START_TEST(parse_rejects_truncated_frame) {
  uint8_t f[SL_FRAME_MAX_SZ];
  good_frame(f, 100);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, 0, &fr), SL_FRAME_ERR_TRUNC);
  ck_assert_int_eq(sl_frame_parse(f, 33, &fr), SL_FRAME_ERR_TRUNC);
}
END_TEST

START_TEST(parse_rejects_non_ipv4_ethertype) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  sl_frame_t fr;
  f[12] = 0x86, f[13] = 0xdd; /* IPv6 */
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_ETHERTYPE);
  f[12] = 0x81, f[13] = 0x00; /* 802.1Q tag */
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_ETHERTYPE);
}
END_TEST

START_TEST(parse_rejects_ip_version_not_4) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  f[14] = 0x65;
  reseal(f);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_IP_VERSION);
}
END_TEST

START_TEST(parse_rejects_ihl_below_5) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  sl_frame_t fr;
  for (uint8_t w = 0; w < 5; w++) {
    f[14] = (uint8_t)(0x40 | w);
    ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_IP_IHL);
  }
}
END_TEST

START_TEST(parse_rejects_ihl_past_frame) {
  uint8_t f[SL_FRAME_MAX_SZ];
  good_frame(f, 100);
  f[14] = 0x4f; /* 60-byte header in a 40-byte frame */
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, 40, &fr), SL_FRAME_ERR_IP_IHL);
}
END_TEST

START_TEST(parse_rejects_bad_ip_checksum) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  f[25] ^= 1;
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_IP_CSUM);
  f[25] ^= 1;
  f[22] = 63; /* TTL changed without resealing */
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_IP_CSUM);
}
END_TEST

START_TEST(parse_rejects_total_length_past_frame) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, sz - 1, &fr), SL_FRAME_ERR_IP_LEN);
}
END_TEST

START_TEST(parse_rejects_total_length_below_headers) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  f[16] = 0, f[17] = 27; /* 20 + 7: no room for the UDP header */
  reseal(f);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_IP_LEN);
}
END_TEST

START_TEST(parse_rejects_fragments) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  sl_frame_t fr;
  f[20] = 0x20, f[21] = 0; /* MF, offset 0: first fragment */
  reseal(f);
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_IP_FRAG);
  f[20] = 0x00, f[21] = 0x10; /* last fragment, offset 128 */
  reseal(f);
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_IP_FRAG);
  f[20] = 0x00, f[21] = 0x00; /* no DF, not a fragment: fine */
  reseal(f);
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), 0);
}
END_TEST

START_TEST(parse_rejects_non_udp) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  f[23] = 6;
  reseal(f);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_IP_PROTO);
}
END_TEST

START_TEST(parse_rejects_udp_length_mismatch) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 100);
  sl_frame_t fr;
  f[39] = 107; /* one short of 108 */
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_UDP_LEN);
  f[39] = 109;
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_UDP_LEN);
  f[38] = 0, f[39] = 0;
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_UDP_LEN);
}
END_TEST

START_TEST(parse_rejects_empty_payload) {
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 0);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_PAYLOAD_SZ);
}
END_TEST

START_TEST(parse_rejects_payload_over_mtu) {
  static uint8_t f[SL_FRAME_MAX_SZ + 16];
  uint32_t sz = good_frame(f, SL_FRAME_PAYLOAD_MAX + 1);
  sl_frame_t fr;
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), SL_FRAME_ERR_PAYLOAD_SZ);
  sz = good_frame(f, SL_FRAME_PAYLOAD_MAX);
  ck_assert_int_eq(sl_frame_parse(f, sz, &fr), 0);
}
END_TEST

/* Every prefix of a valid frame, placed against an unmapped page, parses
   without a fault: the parser never reads past sz. */
START_TEST(parse_stays_inside_frame) {
  long pg = sysconf(_SC_PAGESIZE);
  uint8_t *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(m, MAP_FAILED);
  ck_assert_int_eq(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
  uint8_t f[SL_FRAME_MAX_SZ];
  uint32_t sz = good_frame(f, 300);
  f[14] = 0x4f; /* IHL 15 so the header-length check is exercised too */
  for (uint32_t n = 0; n <= sz; n++) {
    uint8_t *p = m + pg - n;
    memcpy(p, f, n);
    sl_frame_t fr;
    ck_assert_int_lt(sl_frame_parse(p, n, &fr), 0);
  }
  munmap(m, 2 * (size_t)pg);
}
END_TEST

START_TEST(strerror_names_every_reason) {
  ck_assert_str_eq(sl_frame_strerror(0), "ok");
  for (int c = -1; c >= -SL_FRAME_ERR_CNT; c--) {
    ck_assert_str_ne(sl_frame_strerror(c), "unknown frame error");
    for (int d = c - 1; d >= -SL_FRAME_ERR_CNT; d--)
      ck_assert_str_ne(sl_frame_strerror(c), sl_frame_strerror(d));
  }
  ck_assert_str_eq(sl_frame_strerror(-SL_FRAME_ERR_CNT - 1), "unknown frame error");
}
END_TEST

START_TEST(sig_hashes_first_signature_only) {
  uint8_t p[300];
  for (int i = 0; i < 300; i++) p[i] = (uint8_t)(i * 13 + 5);
  uint64_t s = sl_frame_sig(42, p, sizeof p);
  ck_assert_uint_eq(s, XXH3_64bits_withSeed(p + 1, 64, 42));
  p[0] ^= 1;   /* signature count */
  p[65] ^= 1;  /* first message byte */
  p[299] ^= 1;
  ck_assert_uint_eq(sl_frame_sig(42, p, sizeof p), s);
  ck_assert_uint_eq(sl_frame_sig(42, p, 65), s);
  p[64] ^= 1; /* last signature byte */
  ck_assert_uint_ne(sl_frame_sig(42, p, sizeof p), s);
}
END_TEST

START_TEST(sig_depends_on_seed) {
  uint8_t p[100] = {1, 2, 3};
  ck_assert_uint_ne(sl_frame_sig(1, p, sizeof p), sl_frame_sig(2, p, sizeof p));
}
END_TEST

START_TEST(sig_of_short_payload_hashes_what_is_there) {
  uint8_t p[64];
  for (int i = 0; i < 64; i++) p[i] = (uint8_t)i;
  ck_assert_uint_eq(sl_frame_sig(7, p, 64), XXH3_64bits_withSeed(p + 1, 63, 7));
  ck_assert_uint_eq(sl_frame_sig(7, p, 2), XXH3_64bits_withSeed(p + 1, 1, 7));
  ck_assert_uint_eq(sl_frame_sig(7, p, 1), XXH3_64bits_withSeed(p, 0, 7));
  ck_assert_uint_eq(sl_frame_sig(7, NULL, 0), XXH3_64bits_withSeed(p, 0, 7));
}
END_TEST

int main(void) {
  Suite *s = suite_create("frame");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, build_then_parse_round_trips);
  tcase_add_test(tc, build_writes_wire_fields);
  tcase_add_test(tc, build_ip_checksum_matches_independent_computation);
  tcase_add_test(tc, build_ip_checksum_matches_known_header);
  tcase_add_test(tc, build_udp_checksum_is_zero_meaning_none);
  tcase_add_test(tc, parse_ignores_ethernet_padding);
  tcase_add_test(tc, parse_honors_ip_options);
  tcase_add_test(tc, parse_rejects_truncated_frame);
  tcase_add_test(tc, parse_rejects_non_ipv4_ethertype);
  tcase_add_test(tc, parse_rejects_ip_version_not_4);
  tcase_add_test(tc, parse_rejects_ihl_below_5);
  tcase_add_test(tc, parse_rejects_ihl_past_frame);
  tcase_add_test(tc, parse_rejects_bad_ip_checksum);
  tcase_add_test(tc, parse_rejects_total_length_past_frame);
  tcase_add_test(tc, parse_rejects_total_length_below_headers);
  tcase_add_test(tc, parse_rejects_fragments);
  tcase_add_test(tc, parse_rejects_non_udp);
  tcase_add_test(tc, parse_rejects_udp_length_mismatch);
  tcase_add_test(tc, parse_rejects_empty_payload);
  tcase_add_test(tc, parse_rejects_payload_over_mtu);
  tcase_add_test(tc, parse_stays_inside_frame);
  tcase_add_test(tc, strerror_names_every_reason);
  tcase_add_test(tc, sig_hashes_first_signature_only);
  tcase_add_test(tc, sig_depends_on_seed);
  tcase_add_test(tc, sig_of_short_payload_hashes_what_is_there);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
