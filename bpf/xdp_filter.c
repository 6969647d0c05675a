/* bpf/xdp_filter.c: the sluice XDP filter in C, the readable reference for
   the bytecode bpf/xdp_gen.c assembles. Not used at run time: tests load it
   with libbpf, fill sl_xdp_cfg, and require both programs to give the same
   verdict on every frame. Keep the two in step.

   Captures IPv4 (no VLAN, any IHL >= 5, not a fragment) UDP packets to one
   of the configured ports (and address, when set) into the AF_XDP socket of
   the receiving queue; everything else goes on to the kernel stack. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
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

SEC("xdp")
int sl_xdp_filter(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;

  struct ethhdr *eth = data;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  if (ip->version != 4 || ip->ihl < 5) return XDP_PASS;
  /* MF flag or a fragment offset: not a whole datagram. */
  if (ip->frag_off & bpf_htons(0x3fff)) return XDP_PASS;
  if (ip->protocol != IPPROTO_UDP) return XDP_PASS;
  if (sl_xdp_cfg.dst_addr && ip->daddr != sl_xdp_cfg.dst_addr) return XDP_PASS;

  struct udphdr *udp = (void *)((__u8 *)ip + ip->ihl * 4);
  if ((void *)(udp + 1) > data_end) return XDP_PASS;

  int match = 0;
#pragma unroll
  for (int i = 0; i < SL_XDP_FILTER_PORTS_MAX; i++) {
    if (i >= sl_xdp_cfg.port_cnt) break;
    if (udp->dest == bpf_htons(sl_xdp_cfg.ports[i])) match = 1;
  }
  if (!match) return XDP_PASS;

  /* An empty slot (no socket on this queue) returns the fallback. */
  return bpf_redirect_map(&sl_xsks, ctx->rx_queue_index, sl_xdp_cfg.fallback);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
