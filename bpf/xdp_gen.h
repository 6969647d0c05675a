/* bpf/xdp_gen.h: the sluice XDP filter, assembled as eBPF instructions in
   memory (no clang, no ELF, no libbpf at run time).

   The program, in order (anything that fails a step returns XDP_PASS, so
   ping, ssh and other ports reach the kernel stack untouched):
     Ethernet header and a minimal IPv4 header in bounds (14 + 20 bytes)
     -> ethertype 0x0800 (an 802.1Q tag fails here: no VLAN support)
     -> IPv4 version 4, IHL >= 5, protocol 17
     -> destination address equal to dst_addr, when dst_addr != 0
     -> not a later fragment (offset 0)
     -> UDP header in bounds at ip + IHL*4 (options skipped)
     -> destination port equal to one of ports[] (one test per port)
     -> a first fragment (MF set) goes to the kernel, which reassembles
        the datagram: counted as frag
     -> bpf_redirect_map(xskmap, ctx->rx_queue_index, fallback); a queue
        without a socket gets the fallback: counted as no_socket; exit.
   With a counters map, what is meant for a captured port but handed to the
   kernel is counted per receive queue, so nothing meant for sluice is lost
   without a counter: a fragmented datagram (once, by its first fragment:
   later fragments carry no port), a packet on a queue without a socket,
   and, when dst_addr is 0, UDP over IPv6 to a captured port (IPv6 header
   without extension headers; sluice captures IPv4 only).
   bpf/xdp_filter.c is the same filter in C, the readable reference; the
   unit test runs both on the same frames and requires equal verdicts and
   equal counts. */
#ifndef SL_BPF_XDP_GEN_H
#define SL_BPF_XDP_GEN_H

#include <stdint.h>

#include <linux/bpf.h>

#include "util/err.h"
#include "util/limits.h"


/* Upper bound on the program length for any valid filter (16 ports, an
   address and the counters: 94 instructions); size output buffers with
   it. */
#define SL_XDP_INSN_MAX 128

/* A counters map value: one per receive queue (the key), 64 bytes so that
   queues counted on different CPUs never share a cache line. The program
   adds with atomic instructions; readers see each value whole. */
typedef struct {
  uint64_t frag;      /* first fragments of datagrams to a captured port */
  uint64_t ipv6;      /* UDP over IPv6 to a captured port */
  uint64_t no_socket; /* captured packets on a queue without a socket */
  uint64_t _rsvd[5];
} sl_xdp_counters_t;

_Static_assert(sizeof(sl_xdp_counters_t) == 64, "one cache line per queue");

/* What the filter captures. */
typedef struct {
  uint16_t ports[SL_PORTS_MAX]; /* UDP destination ports, host order, 1..65535 */
  uint32_t port_cnt;                /* 1..SL_PORTS_MAX */
  uint32_t dst_addr;                /* IPv4 destination, network byte order; 0 = any */
  int xskmap_fd;                    /* BPF_MAP_TYPE_XSKMAP the program redirects into
                                       (sl_xdp_install fills it with its own map) */
  int counters_fd;                  /* BPF_MAP_TYPE_ARRAY of sl_xdp_counters_t keyed by queue,
                                       or -1: no counting (sl_xdp_install fills it) */
  uint32_t fallback;                /* verdict of a matching packet whose queue has no
                                       socket in the map: 0 or XDP_PASS (production: the
                                       packet goes on to the kernel stack) or XDP_DROP
                                       (tests: makes a match visible to BPF_PROG_TEST_RUN);
                                       anything else is refused */
} sl_xdp_filter_t;

/* sl_xdp_gen assembles the filter f into out[0..max). On success returns 0
   and sets *cnt to the instruction count (<= SL_XDP_INSN_MAX). The map fd
   is embedded with BPF_LD_IMM64 / BPF_PSEUDO_MAP_FD, so the kernel resolves
   it at BPF_PROG_LOAD time: f->xskmap_fd must stay open until the program
   is loaded. Fails, naming the bad field, if port_cnt is 0 or above
   SL_PORTS_MAX, a port is 0, fallback is not PASS/DROP, xskmap_fd < 0,
   or max is too small. Pure: no syscall, no allocation. */
int sl_xdp_gen(const sl_xdp_filter_t *f, struct bpf_insn *out, uint32_t max, uint32_t *cnt,
               sl_err_t *err);

#endif
