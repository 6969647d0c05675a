/* bpf/xdp_gen.h: the sluice XDP filter, assembled as eBPF instructions in
   memory (no clang, no ELF, no libbpf at run time).

   The program, in order (anything that fails a step returns XDP_PASS, so
   ping, ssh and other ports reach the kernel stack untouched):
     Ethernet header and a minimal IPv4 header in bounds (14 + 20 bytes)
     -> ethertype 0x0800 (an 802.1Q tag fails here: no VLAN support)
     -> IPv4 version 4, IHL >= 5, not a fragment (MF clear, offset 0),
        protocol 17
     -> UDP header in bounds at ip + IHL*4 (options skipped)
     -> destination address equal to dst_addr, when dst_addr != 0
     -> destination port equal to one of ports[] (one test per port)
     -> bpf_redirect_map(xskmap, ctx->rx_queue_index, fallback); exit.
   bpf/xdp_filter.c is the same filter in C, the readable reference; the
   unit test runs both on the same frames and requires equal verdicts. */
#ifndef SL_BPF_XDP_GEN_H
#define SL_BPF_XDP_GEN_H

#include <stdint.h>

#include <linux/bpf.h>

#include "util/err.h"

#define SL_XDP_PORTS_MAX 16

/* Upper bound on the program length for any valid filter (one port and no
   address filter: 34 instructions; 16 ports and an address: 51); size
   output buffers with it. */
#define SL_XDP_INSN_MAX 64

/* What the filter captures. */
typedef struct {
  uint16_t ports[SL_XDP_PORTS_MAX]; /* UDP destination ports, host order, 1..65535 */
  uint32_t port_cnt;                /* 1..SL_XDP_PORTS_MAX */
  uint32_t dst_addr;                /* IPv4 destination, network byte order; 0 = any */
  int xskmap_fd;                    /* BPF_MAP_TYPE_XSKMAP the program redirects into
                                       (sl_xdp_install fills it with its own map) */
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
   SL_XDP_PORTS_MAX, a port is 0, fallback is not PASS/DROP, xskmap_fd < 0,
   or max is too small. Pure: no syscall, no allocation. */
int sl_xdp_gen(const sl_xdp_filter_t *f, struct bpf_insn *out, uint32_t max, uint32_t *cnt,
               sl_err_t *err);

/* sl_bpf_insn_fmt writes one instruction as text ("r2 = *(u32 *)(r1 + 0)",
   "if r4 != 0x11 goto +23", "call 51") into buf, NUL-terminated and
   truncated to bufsz. insn[1] is read only for BPF_LD_IMM64, whose second
   slot the caller must then skip. Returns the number of slots the
   instruction occupies (1 or 2). Unknown opcodes print as raw fields. */
uint32_t sl_bpf_insn_fmt(const struct bpf_insn *insn, char *buf, uint32_t bufsz);

/* sl_bpf_prog_dump writes the whole program, one "NNN: text\n" line per
   instruction, into buf (NUL-terminated, truncated to bufsz). For the debug
   log. Returns the length it needed, like snprintf. */
uint64_t sl_bpf_prog_dump(const struct bpf_insn *insns, uint32_t cnt, char *buf, uint64_t bufsz);

#endif
