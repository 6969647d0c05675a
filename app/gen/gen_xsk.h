/* app/gen/gen_xsk.h: `sluice gen --interface IF`: the engine's packets
   (app/gen/gen_engine.h) sent as whole Ethernet/IPv4/UDP frames through
   AF_XDP TX sockets on IF, bypassing the kernel's UDP stack.

   One TX-only AF_XDP socket per TX queue of IF (copy mode unless asked),
   each with its own UMEM (anonymous memory, not a workspace), frames
   recycled through the completion ring. Packet i goes out on queue
   i % queues, so a multi-queue veth peer receives on every queue, with a
   source port that varies per packet (so RSS on a real NIC spreads too)
   unless --src-port fixes it, and IPv4 identification i & 0xffff.

   Frame: dst MAC = the next hop's (given, else the neighbor table: the
   destination's entry on IF, or the default gateway's on IF when the
   destination is not on IF's subnet; an unresolved entry is resolved by
   sending one empty UDP datagram to port 9 (discard) of the destination
   through the kernel and waiting up to 1 s); src MAC = IF's; src IP = IF's
   first IPv4 address; header built by sl_frame_build_hdr (IPv4 checksum,
   UDP checksum 0). */
#ifndef SL_GEN_XSK_H
#define SL_GEN_XSK_H

#include <stdint.h>

#include "app/gen/gen_engine.h"
#include "util/err.h"

typedef struct {
  const char *ifname;  /* required */
  uint8_t dst_mac[6];  /* used when have_dst_mac */
  int have_dst_mac;
  uint32_t queue_cnt;  /* sockets on queues 0..queue_cnt-1; 0: every TX queue of IF */
  uint32_t ring_size;  /* TX and completion ring entries per socket (power of two); 0: 1024 */
  int zero_copy;       /* XDP_ZEROCOPY instead of XDP_COPY */
} sl_gen_xsk_opts_t;

/* sl_gen_xsk_opts_default: everything 0 (auto), ifname NULL. */
void sl_gen_xsk_opts_default(sl_gen_xsk_opts_t *x);

/* sl_gen_send_xsk sends o->count packets from p to o's destination (ports
   rotate per packet as in sl_gen_send) out of x->ifname through AF_XDP,
   paced to o->rate like sl_gen_send (0: as fast as the rings take them),
   and fills res: sent counts the frames the kernel completed, per
   category. Each TX kick (a zero-length sendto, made whenever the ring
   asks for a wakeup; copy mode sends at most 32 frames per kick, so kicks
   repeat until the ring is drained) is a syscall; nothing else is on the
   send path.

   Needs CAP_NET_RAW (AF_XDP). Stops early, successfully, when *o->stop
   becomes non-zero (frames already in the rings are still completed and
   counted). Fails, with err naming IF and the remedy, when: IF does not
   exist, is down or has no IPv4 address; the next hop's MAC cannot be
   resolved (pass it explicitly); a socket cannot be opened (sl_xsk_open's
   messages); the kernel stops completing frames for 5 s; or the kernel
   reports invalid TX descriptors. res then counts what completed. */
int sl_gen_send_xsk(const sl_gen_pool_t *p, const sl_gen_opts_t *o, const sl_gen_xsk_opts_t *x,
                    sl_gen_result_t *res, sl_err_t *err);

/* sl_gen_xsk_resolve fills the addresses sl_gen_send_xsk would use for o's
   destination on x->ifname (ports and ip_id left 0). Exposed for tests and
   for printing. Same failures as above. */
typedef struct {
  uint8_t src_mac[6], dst_mac[6];
  uint32_t src_ip4, dst_ip4;  /* network byte order */
  uint32_t next_hop_ip4;      /* whose MAC dst_mac is (dst_ip4 or the gateway) */
} sl_gen_xsk_addr_t;
int sl_gen_xsk_resolve(const sl_gen_opts_t *o, const sl_gen_xsk_opts_t *x, sl_gen_xsk_addr_t *a,
                       sl_err_t *err);

#endif
