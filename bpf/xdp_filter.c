/* bpf/xdp_filter.c: the sluice XDP filter in C, the readable reference for
   the bytecode bpf/xdp_gen.c assembles. Not used at run time: tests load it
   with libbpf, fill sl_xdp_cfg, and require both programs to give the same
   verdict on every frame. Keep the two in step.

   Captures IPv4 (no VLAN, any IHL >= 5, not a fragment) UDP packets to one
   of the configured ports (and address, when set) into the AF_XDP socket of
   the receiving queue; everything else goes on to the kernel stack. What
   goes to the kernel although it was meant for a captured port is counted
   per queue (a first fragment, a queue without a socket, UDP over IPv6
   when any address is captured). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp_filter.h"

const volatile struct sl_xdp_filter_cfg sl_xdp_cfg = {.fallback = XDP_PASS};

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
  __uint(max_entries, 64);
} sl_xsks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, struct sl_xdp_counters);
  __uint(max_entries, 64);
} sl_xdp_cnt SEC(".maps");

enum { CNT_FRAG, CNT_IPV6, CNT_NO_SOCKET };

static __always_inline int count(struct xdp_md *ctx, int what, int verdict) {
  __u32 q = ctx->rx_queue_index;
  struct sl_xdp_counters *c = bpf_map_lookup_elem(&sl_xdp_cnt, &q);
  if (c) {
    if (what == CNT_FRAG) __sync_fetch_and_add(&c->frag, 1);
    else if (what == CNT_IPV6) __sync_fetch_and_add(&c->ipv6, 1);
    else __sync_fetch_and_add(&c->no_socket, 1);
  }
  return verdict;
}

static __always_inline int port_match(__u16 dest) {
  int match = 0;
#pragma unroll
  for (int i = 0; i < SL_PORTS_MAX; i++) {
    if (i >= sl_xdp_cfg.port_cnt) break;
    if (dest == bpf_htons(sl_xdp_cfg.ports[i])) match = 1;
  }
  return match;
}

/* UDP over IPv6 without extension headers, to a captured port. */
static __always_inline int ipv6(struct xdp_md *ctx, void *l3, void *data_end) {
  struct ipv6hdr *ip6 = l3;
  struct udphdr *udp = (void *)(ip6 + 1);
  if ((void *)(udp + 1) > data_end || ip6->nexthdr != IPPROTO_UDP || !port_match(udp->dest)) return XDP_PASS;
  return count(ctx, CNT_IPV6, XDP_PASS);
}

SEC("xdp")
int sl_xdp_filter(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;

  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  if (sl_xdp_cfg.counting && !sl_xdp_cfg.dst_addr && eth->h_proto == bpf_htons(ETH_P_IPV6))
    return ipv6(ctx, ip, data_end);
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  if (ip->version != 4 || ip->ihl < 5) return XDP_PASS;
  if (ip->protocol != IPPROTO_UDP) return XDP_PASS;
  if (sl_xdp_cfg.dst_addr && ip->daddr != sl_xdp_cfg.dst_addr) return XDP_PASS;
  /* A later fragment (offset set) carries no UDP header. */
  if (ip->frag_off & bpf_htons(0x1fff)) return XDP_PASS;

  struct udphdr *udp = (void *)((__u8 *)ip + ip->ihl * 4);
  if ((void *)(udp + 1) > data_end) return XDP_PASS;
  if (!port_match(udp->dest)) return XDP_PASS;

  /* A first fragment (MF): the kernel reassembles the datagram. */
  if (ip->frag_off & bpf_htons(0x2000)) return sl_xdp_cfg.counting ? count(ctx, CNT_FRAG, XDP_PASS) : XDP_PASS;

  /* An empty slot (no socket on this queue) returns the fallback. */
  int v = bpf_redirect_map(&sl_xsks, ctx->rx_queue_index, sl_xdp_cfg.fallback);
  if (sl_xdp_cfg.counting && v != XDP_REDIRECT) return count(ctx, CNT_NO_SOCKET, v);
  return v;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
