/* bpf/xdp_filter.h: the configuration block of the reference filter
   (bpf/xdp_filter.c), shared by the BPF object and the user-space code that
   fills it before load. It lives in .rodata as the const volatile global
   `sl_xdp_cfg`: the verifier sees its values as constants once the map is
   frozen at load. Same meaning as sl_xdp_filter_t (bpf/xdp_gen.h). */
#ifndef SL_BPF_XDP_FILTER_H
#define SL_BPF_XDP_FILTER_H

#include <linux/types.h>

#include "../util/limits.h" /* SL_PORTS_MAX (relative: the BPF build has no -I.) */

struct sl_xdp_filter_cfg {
  __u16 ports[SL_PORTS_MAX]; /* UDP destination ports, host order */
  __u32 port_cnt;            /* 1..16 */
  __u32 dst_addr;            /* IPv4 destination, network order; 0 = any */
  __u32 fallback;            /* redirect_map flags: XDP_PASS, or XDP_DROP in tests */
  __u32 counting;            /* 1: count in sl_xdp_cnt what goes to the kernel though meant for us */
};

/* = sl_xdp_counters_t (bpf/xdp_gen.h; test_bpf asserts the layouts agree). */
struct sl_xdp_counters {
  __u64 frag;
  __u64 ipv6;
  __u64 no_socket;
  __u64 _rsvd[5];
};

#endif
