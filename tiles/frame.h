/* tiles/frame.h: the frame layout every net provider delivers, shared by
   every tile (net validates and publishes it, verify judges its payload,
   sink records it), hence here beside tile.h and topo.h, not in a tile.

   A frame is Ethernet (14) + IPv4 (20..60) + UDP (8) + payload, the payload
   being one transaction. The AF_XDP provider receives such frames off the
   wire; the io_uring provider synthesizes the 42-byte header in front of each
   datagram with sl_frame_build_hdr, so downstream tiles see one layout.

   Byte order: IPv4 addresses are kept in network byte order (as in
   struct in_addr's s_addr, so they drop into a sockaddr_in and inet_ntop);
   ports, lengths and offsets are in host byte order. */
#ifndef SL_TILES_FRAME_H
#define SL_TILES_FRAME_H

#include <stdint.h>

#include "util/limits.h"

#define SL_FRAME_ETH_SZ 14u
#define SL_FRAME_IP4_SZ 20u     /* IPv4 header without options */
#define SL_FRAME_IP4_MAX_SZ 60u /* IHL 15 */
#define SL_FRAME_UDP_SZ 8u
#define SL_FRAME_HDR_SZ 42u     /* Ethernet + IPv4 without options + UDP */

/* The largest payload: one transaction per datagram (util/limits.h:
   Solana's packet data size, IPv6 minimum MTU 1280 - 40 IPv6 - 8 UDP). */
#define SL_FRAME_PAYLOAD_MAX SL_TXN_MTU

/* The largest frame that can carry a transaction: with IPv4 options the
   header grows to 14 + 60 + 8. A buffer of this size holds any frame
   sl_frame_parse can accept (Ethernet padding only ever pads frames shorter
   than 60 bytes). */
#define SL_FRAME_MAX_SZ (SL_FRAME_ETH_SZ + SL_FRAME_IP4_MAX_SZ + SL_FRAME_UDP_SZ + SL_FRAME_PAYLOAD_MAX)

/* Rejection reasons of sl_frame_parse (negative, 0 is success). */
enum {
  SL_FRAME_ERR_TRUNC = -1,       /* shorter than Ethernet + minimal IPv4 header */
  SL_FRAME_ERR_ETHERTYPE = -2,   /* not IPv4 (VLAN tags included: not carried) */
  SL_FRAME_ERR_IP_VERSION = -3,  /* IP version field is not 4 */
  SL_FRAME_ERR_IP_IHL = -4,      /* IHL < 5, or the header runs past the frame */
  SL_FRAME_ERR_IP_CSUM = -5,     /* IPv4 header checksum does not verify */
  SL_FRAME_ERR_IP_LEN = -6,      /* total length < header + UDP, or > frame */
  SL_FRAME_ERR_IP_FRAG = -7,     /* MF set or non-zero fragment offset */
  SL_FRAME_ERR_IP_PROTO = -8,    /* not UDP */
  SL_FRAME_ERR_UDP_LEN = -9,     /* UDP length != IPv4 payload length */
  SL_FRAME_ERR_PAYLOAD_SZ = -10, /* payload empty or longer than SL_FRAME_PAYLOAD_MAX */
};
#define SL_FRAME_ERR_CNT 10

/* What sl_frame_parse found. payload is f + payload_off, payload_sz bytes. */
typedef struct {
  uint32_t src_ip4;     /* network byte order */
  uint32_t dst_ip4;     /* network byte order */
  uint16_t src_port;    /* host byte order */
  uint16_t dst_port;    /* host byte order */
  uint16_t payload_off; /* from the start of the frame: 42 without IP options */
  uint16_t payload_sz;  /* 1..SL_FRAME_PAYLOAD_MAX */
} sl_frame_t;

/* The addresses sl_frame_build_hdr writes. */
typedef struct {
  uint8_t dst_mac[6];
  uint8_t src_mac[6];
  uint32_t src_ip4;  /* network byte order */
  uint32_t dst_ip4;  /* network byte order */
  uint16_t src_port; /* host byte order */
  uint16_t dst_port; /* host byte order */
  uint16_t ip_id;    /* IPv4 identification, host order; callers that care
                        (gen's transmit path) bump it per frame */
} sl_frame_addr_t;

/* sl_frame_parse strictly parses the received frame f[0..sz).

   Accepts exactly: ethertype 0x0800; IPv4 version 4; IHL >= 5 with the whole
   header (options included, skipped) inside the frame; a header checksum
   that verifies; total length >= header + 8 and <= sz - 14 (bytes beyond
   the total length are Ethernet padding, ignored); neither MF nor a fragment
   offset (DF is fine); protocol 17; UDP length equal to total length minus
   the IPv4 header; a payload of 1..SL_FRAME_PAYLOAD_MAX bytes.

   The UDP checksum is deliberately not verified: frames that a local sender
   hands to a veth or lo carry only the pseudo-header partial sum
   (CHECKSUM_PARTIAL), and AF_XDP sees them before any offload completes it,
   so verifying would reject good local traffic. The IPv4 header checksum is
   always complete in software, so it is checked.

   Returns 0 and fills out, or a negative SL_FRAME_ERR_* (out then holds
   nothing meaningful). Never reads outside f[0..sz), never allocates, never
   writes anything but *out. f need not be aligned. */
int sl_frame_parse(const uint8_t *f, uint32_t sz, sl_frame_t *out);

/* sl_frame_strerror returns a static one-line description of a value
   returned by sl_frame_parse ("ok" for 0, "unknown frame error" for a value
   that is not one of them). */
const char *sl_frame_strerror(int code);

/* sl_frame_build_hdr writes the SL_FRAME_HDR_SZ-byte header of a frame that
   carries payload_sz bytes of UDP payload into out[0..42): the two MACs,
   ethertype IPv4; IPv4 with IHL 5, TOS 0, total length 20 + 8 + payload_sz,
   identification a->ip_id, DF, TTL 64, protocol UDP, the header checksum;
   UDP with the ports, length 8 + payload_sz and checksum 0.

   UDP checksum 0 means "not computed", legal for IPv4 (RFC 768) and accepted
   by every receiver; it lets the header be written before (or without) the
   payload, which is what the io_uring provider needs.

   Assumes payload_sz <= 65507 (callers pass at most SL_FRAME_PAYLOAD_MAX). Returns
   SL_FRAME_HDR_SZ, the offset at which the payload goes. Never fails, never
   reads out. */
uint32_t sl_frame_build_hdr(uint8_t *out, const sl_frame_addr_t *a, uint32_t payload_sz);

/* sl_frame_sig returns the frag's sig: XXH3_64bits_withSeed over the
   transaction's first signature, bytes [1, 65) of the UDP payload (byte 0
   is the signature count). A payload shorter than 65 bytes (not a valid
   transaction, it will fail parsing downstream) hashes what it has of that
   range: bytes [1, sz), the empty range for sz <= 1. So duplicates of one
   transaction always get the same sig, and every verify tile agrees on it
   when the seed is shared. Pure function; reads payload[0..min(sz, 65)). */
uint64_t sl_frame_sig(uint64_t seed, const uint8_t *payload, uint32_t sz);

#endif
