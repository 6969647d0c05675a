/* tiles/frame.c: strict Ethernet/IPv4/UDP parse and header synthesis. */
#include "tiles/frame.h"

#include <xxhash.h>

/* Frames come from UMEM or socket buffers at any alignment: read and write
   multi-byte fields bytewise (the compiler folds these into loads/stores and
   a bswap). */
static inline uint32_t ld_be16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static inline void st_be16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
/* The IPv4 address bytes as they sit on the wire, read into a native u32,
   which is what "network byte order" means for s_addr. */
static inline uint32_t ld_raw32(const uint8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}
static inline void st_raw32(uint8_t *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }

/* Ones' complement sum of n bytes (n even), not yet complemented. A header
   whose checksum field is right sums to 0xffff. */
static uint32_t csum_fold(const uint8_t *p, uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < n; i += 2) s += ld_be16(p + i);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return s;
}

int sl_frame_parse(const uint8_t *f, uint32_t sz, sl_frame_t *out) {
  if (sz < SL_FRAME_ETH_SZ + SL_FRAME_IP4_SZ) return SL_FRAME_ERR_TRUNC;
  if (ld_be16(f + 12) != 0x0800) return SL_FRAME_ERR_ETHERTYPE;

  const uint8_t *ip = f + SL_FRAME_ETH_SZ;
  if ((ip[0] >> 4) != 4) return SL_FRAME_ERR_IP_VERSION;
  uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
  if (ihl < SL_FRAME_IP4_SZ || SL_FRAME_ETH_SZ + ihl > sz) return SL_FRAME_ERR_IP_IHL;
  if (csum_fold(ip, ihl) != 0xffff) return SL_FRAME_ERR_IP_CSUM;

  uint32_t tot = ld_be16(ip + 2);
  if (tot < ihl + SL_FRAME_UDP_SZ || tot > sz - SL_FRAME_ETH_SZ) return SL_FRAME_ERR_IP_LEN;
  if (ld_be16(ip + 6) & 0x3fff) return SL_FRAME_ERR_IP_FRAG; /* MF bit and offset; DF (0x4000) allowed */
  if (ip[9] != 17) return SL_FRAME_ERR_IP_PROTO;

  const uint8_t *udp = ip + ihl;
  if (ld_be16(udp + 4) != tot - ihl) return SL_FRAME_ERR_UDP_LEN;
  uint32_t psz = tot - ihl - SL_FRAME_UDP_SZ;
  if (psz == 0 || psz > SL_FRAME_PAYLOAD_MAX) return SL_FRAME_ERR_PAYLOAD_SZ;

  out->src_ip4 = ld_raw32(ip + 12);
  out->dst_ip4 = ld_raw32(ip + 16);
  out->src_port = (uint16_t)ld_be16(udp);
  out->dst_port = (uint16_t)ld_be16(udp + 2);
  out->payload_off = (uint16_t)(SL_FRAME_ETH_SZ + ihl + SL_FRAME_UDP_SZ);
  out->payload_sz = (uint16_t)psz;
  return 0;
}

const char *sl_frame_strerror(int code) {
  switch (code) {
  case 0: return "ok";
  case SL_FRAME_ERR_TRUNC: return "frame shorter than Ethernet + IPv4 headers";
  case SL_FRAME_ERR_ETHERTYPE: return "ethertype is not IPv4";
  case SL_FRAME_ERR_IP_VERSION: return "IP version is not 4";
  case SL_FRAME_ERR_IP_IHL: return "IPv4 header length below 5 words or past the frame";
  case SL_FRAME_ERR_IP_CSUM: return "IPv4 header checksum mismatch";
  case SL_FRAME_ERR_IP_LEN: return "IPv4 total length inconsistent with the frame";
  case SL_FRAME_ERR_IP_FRAG: return "IPv4 fragment";
  case SL_FRAME_ERR_IP_PROTO: return "IP protocol is not UDP";
  case SL_FRAME_ERR_UDP_LEN: return "UDP length inconsistent with the IPv4 length";
  case SL_FRAME_ERR_PAYLOAD_SZ: return "UDP payload empty or larger than a transaction";
  default: return "unknown frame error";
  }
}

uint32_t sl_frame_build_hdr(uint8_t *out, const sl_frame_addr_t *a, uint32_t payload_sz) {
  __builtin_memcpy(out, a->dst_mac, 6);
  __builtin_memcpy(out + 6, a->src_mac, 6);
  st_be16(out + 12, 0x0800);

  uint8_t *ip = out + SL_FRAME_ETH_SZ;
  ip[0] = 0x45; /* version 4, IHL 5 */
  ip[1] = 0;
  st_be16(ip + 2, SL_FRAME_IP4_SZ + SL_FRAME_UDP_SZ + payload_sz);
  st_be16(ip + 4, a->ip_id);
  st_be16(ip + 6, 0x4000); /* DF: a transaction is never fragmented */
  ip[8] = 64;
  ip[9] = 17;
  st_be16(ip + 10, 0);
  st_raw32(ip + 12, a->src_ip4);
  st_raw32(ip + 16, a->dst_ip4);
  st_be16(ip + 10, ~csum_fold(ip, SL_FRAME_IP4_SZ) & 0xffff);

  uint8_t *udp = ip + SL_FRAME_IP4_SZ;
  st_be16(udp, a->src_port);
  st_be16(udp + 2, a->dst_port);
  st_be16(udp + 4, SL_FRAME_UDP_SZ + payload_sz);
  st_be16(udp + 6, 0);
  return SL_FRAME_HDR_SZ;
}

uint64_t sl_frame_sig(uint64_t seed, const uint8_t *payload, uint32_t sz) {
  uint32_t n = sz <= 1 ? 0 : (sz >= 65 ? 64 : sz - 1);
  return XXH3_64bits_withSeed(payload + (sz ? 1 : 0), n, seed);
}
