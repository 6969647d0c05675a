/* libFuzzer harness for tiles/net/frame: sl_frame_parse on arbitrary bytes.
   Each input is parsed as is, and again with its IPv4 header checksum
   resealed so the fuzzer reaches the checks behind the checksum without
   having to guess it. Beyond ASan/UBSan's memory safety it checks that an
   accepted frame's payload lies inside the input and that re-synthesizing
   the header for the parsed fields gives a frame that parses the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/frame.h"

static void check(const uint8_t *data, uint32_t size) {
  sl_frame_t fr;
  int rc = sl_frame_parse(data, size, &fr);
  if (rc > 0 || rc < -SL_FRAME_ERR_CNT) abort();
  if (rc != 0) return;
  if (fr.payload_sz == 0 || fr.payload_sz > SL_FRAME_PAYLOAD_MAX) abort();
  if ((uint32_t)fr.payload_off + fr.payload_sz > size) abort();
  if (fr.payload_off < SL_FRAME_HDR_SZ || fr.payload_off > SL_FRAME_ETH_SZ + SL_FRAME_IP4_MAX_SZ + SL_FRAME_UDP_SZ)
    abort();
  (void)sl_frame_sig(1, data + fr.payload_off, fr.payload_sz);

  static uint8_t f[SL_FRAME_MAX_SZ];
  sl_frame_addr_t a = {.src_ip4 = fr.src_ip4, .dst_ip4 = fr.dst_ip4, .src_port = fr.src_port, .dst_port = fr.dst_port};
  uint32_t off = sl_frame_build_hdr(f, &a, fr.payload_sz);
  memcpy(f + off, data + fr.payload_off, fr.payload_sz);
  sl_frame_t fr2;
  if (sl_frame_parse(f, off + fr.payload_sz, &fr2) != 0) abort();
  if (fr2.src_ip4 != fr.src_ip4 || fr2.dst_ip4 != fr.dst_ip4 || fr2.src_port != fr.src_port ||
      fr2.dst_port != fr.dst_port || fr2.payload_sz != fr.payload_sz || fr2.payload_off != SL_FRAME_HDR_SZ)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  check(data, (uint32_t)size);

  static uint8_t copy[4096];
  memcpy(copy, data, size);
  uint32_t ihl = size > 14 ? (copy[14] & 15u) * 4 : 0;
  if (ihl < 20 || 14 + ihl > size) return 0;
  uint8_t *ip = copy + 14;
  ip[10] = ip[11] = 0;
  uint32_t s = 0;
  for (uint32_t i = 0; i < ihl; i += 2) s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  ip[10] = (uint8_t)(~s >> 8);
  ip[11] = (uint8_t)~s;
  check(copy, (uint32_t)size);
  return 0;
}
