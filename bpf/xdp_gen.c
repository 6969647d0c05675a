#include "bpf/xdp_gen.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Byte offsets in the frame. The IPv4 fields are relative to the frame
   start, valid because Ethernet without VLAN is the only accepted framing. */
enum {
  ETH_HDR_SZ = 14,
  ETH_TYPE_OFF = 12,
  IP6_HDR_SZ = 40,
  IP6_NEXT_OFF = ETH_HDR_SZ + 6,
  IP_VER_IHL_OFF = ETH_HDR_SZ + 0,
  IP_FRAG_OFF = ETH_HDR_SZ + 6,
  IP_PROTO_OFF = ETH_HDR_SZ + 9,
  IP_DST_OFF = ETH_HDR_SZ + 16,
  IP_MIN_SZ = 20,
  UDP_HDR_SZ = 8,
  UDP_DPORT_OFF = 2,
  IPPROTO_UDP_NUM = 17,
};

/* struct xdp_md field offsets (UAPI, stable). */
enum { XDP_MD_DATA = 0, XDP_MD_DATA_END = 4, XDP_MD_RX_QUEUE = 16 };

/* Register roles. r1..r5 are clobbered by helper calls, which come last,
   so they double as scratch; what must survive a call lives in the
   callee-saved r6..r9. */
enum {
  R_RET = BPF_REG_0,
  R_ARG1 = BPF_REG_1,
  R_ARG2 = BPF_REG_2,
  R_ARG3 = BPF_REG_3,
  R_DATA = BPF_REG_2, /* frame start; later ip + ihl*4 - ETH_HDR_SZ */
  R_END = BPF_REG_3,  /* data_end */
  R_TMP = BPF_REG_4,
  R_IHL = BPF_REG_5,  /* IHL, then IHL*4 */
  R_CTX = BPF_REG_6,
  R_FRAG = BPF_REG_7, /* IPv4 flags and offset: non-zero on a first fragment */
  R_WHAT = BPF_REG_8, /* the counter to add to: its offset in sl_xdp_counters_t */
  R_VERDICT = BPF_REG_9, /* what the counting path returns */
};

/* Jump targets, resolved once every instruction is placed. */
enum { L_PASS, L_MATCH, L_V6, L_COUNT, L_DONE, L_CNT };

#define CNT_FRAG ((int32_t)offsetof(sl_xdp_counters_t, frag))
#define CNT_IPV6 ((int32_t)offsetof(sl_xdp_counters_t, ipv6))
#define CNT_NO_SOCKET ((int32_t)offsetof(sl_xdp_counters_t, no_socket))

#define GEN_FIXUP_MAX 64

typedef struct {
  struct bpf_insn *out;
  uint32_t max;
  uint32_t n;        /* instructions emitted (may exceed max: overflow) */
  int32_t at[L_CNT]; /* instruction index of each label, -1 until placed */
  struct {
    uint32_t insn;
    int label;
  } fix[GEN_FIXUP_MAX];
  uint32_t fix_cnt;
} gen_t;

static void emit(gen_t *g, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  if (g->n < g->max)
    g->out[g->n] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off,
                                     .imm = imm};
  g->n++;
}

static void mov_reg(gen_t *g, uint8_t dst, uint8_t src) {
  emit(g, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
static void mov_imm(gen_t *g, uint8_t dst, int32_t imm) {
  emit(g, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
static void alu_imm(gen_t *g, uint8_t op, uint8_t dst, int32_t imm) {
  emit(g, BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
static void alu_reg(gen_t *g, uint8_t op, uint8_t dst, uint8_t src) {
  emit(g, BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}
/* dst = *(size *)(src + off), zero-extended */
static void load(gen_t *g, uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
  emit(g, BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}
/* dst = the map behind fd; the kernel swaps the fd for the map pointer. */
static void load_map_fd(gen_t *g, uint8_t dst, int fd) {
  emit(g, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
  emit(g, 0, 0, 0, 0, 0); /* upper 32 bits of the 64-bit immediate */
}

static void jump_to(gen_t *g, uint8_t code, uint8_t dst, uint8_t src, int32_t imm, int label) {
  if (g->fix_cnt < GEN_FIXUP_MAX) {
    g->fix[g->fix_cnt].insn = g->n;
    g->fix[g->fix_cnt].label = label;
  }
  g->fix_cnt++;
  emit(g, code, dst, src, 0, imm);
}
/* if (dst op imm) goto label, 64-bit compare (imm is sign-extended) */
static void jmp_imm(gen_t *g, uint8_t op, uint8_t dst, int32_t imm, int label) {
  jump_to(g, BPF_JMP | op | BPF_K, dst, 0, imm, label);
}
/* if ((u32)dst op (u32)imm) goto label: for 32-bit values with the top bit
   set, which a 64-bit compare would see sign-extended */
static void jmp32_imm(gen_t *g, uint8_t op, uint8_t dst, int32_t imm, int label) {
  jump_to(g, BPF_JMP32 | op | BPF_K, dst, 0, imm, label);
}
static void jmp_reg(gen_t *g, uint8_t op, uint8_t dst, uint8_t src, int label) {
  jump_to(g, BPF_JMP | op | BPF_X, dst, src, 0, label);
}
static void call(gen_t *g, int32_t helper) { emit(g, BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
static void exit_insn(gen_t *g) { emit(g, BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
static void place(gen_t *g, int label) { g->at[label] = (int32_t)g->n; }

/* A u16 field loaded from the frame holds the network-order bytes in host
   order, so constants are compared in the same representation. */
static int32_t wire16(uint16_t v) { return (int32_t)htons(v); }

int sl_xdp_gen(const sl_xdp_filter_t *f, struct bpf_insn *out, uint32_t max, uint32_t *cnt,
               sl_err_t *err) {
  if (f->port_cnt == 0 || f->port_cnt > SL_PORTS_MAX)
    return sl_err_set(err, "XDP filter: %u ports, need 1..%u", f->port_cnt, SL_PORTS_MAX);
  for (uint32_t i = 0; i < f->port_cnt; i++)
    if (f->ports[i] == 0) return sl_err_set(err, "XDP filter: port %u is 0", i);
  uint32_t fallback = f->fallback ? f->fallback : XDP_PASS;
  if (fallback != XDP_PASS && fallback != XDP_DROP)
    return sl_err_set(err, "XDP filter: fallback %u is neither XDP_PASS (2) nor XDP_DROP (1)",
                      f->fallback);
  if (f->xskmap_fd < 0) return sl_err_set(err, "XDP filter: no XSKMAP (fd %d)", f->xskmap_fd);

  int counting = f->counters_fd >= 0;
  gen_t g = {.out = out, .max = max};
  for (int l = 0; l < L_CNT; l++) g.at[l] = -1;

  mov_reg(&g, R_CTX, R_ARG1);
  load(&g, BPF_W, R_DATA, R_ARG1, XDP_MD_DATA);
  load(&g, BPF_W, R_END, R_ARG1, XDP_MD_DATA_END);

  /* Ethernet and the fixed part of IPv4 in bounds (shorter than any IPv6
     header too). */
  mov_reg(&g, R_TMP, R_DATA);
  alu_imm(&g, BPF_ADD, R_TMP, ETH_HDR_SZ + IP_MIN_SZ);
  jmp_reg(&g, BPF_JGT, R_TMP, R_END, L_PASS);

  load(&g, BPF_H, R_TMP, R_DATA, ETH_TYPE_OFF);
  if (counting && !f->dst_addr) jmp_imm(&g, BPF_JEQ, R_TMP, wire16(0x86dd), L_V6);
  jmp_imm(&g, BPF_JNE, R_TMP, wire16(0x0800), L_PASS);

  /* Version 4 and IHL >= 5 words: a shorter IHL would put "UDP" inside the
     IPv4 header. */
  load(&g, BPF_B, R_IHL, R_DATA, IP_VER_IHL_OFF);
  mov_reg(&g, R_TMP, R_IHL);
  alu_imm(&g, BPF_AND, R_TMP, 0xf0);
  jmp_imm(&g, BPF_JNE, R_TMP, 0x40, L_PASS);
  alu_imm(&g, BPF_AND, R_IHL, 0x0f);
  jmp_imm(&g, BPF_JLT, R_IHL, 5, L_PASS);

  load(&g, BPF_B, R_TMP, R_DATA, IP_PROTO_OFF);
  jmp_imm(&g, BPF_JNE, R_TMP, IPPROTO_UDP_NUM, L_PASS);

  if (f->dst_addr) {
    load(&g, BPF_W, R_TMP, R_DATA, IP_DST_OFF);
    jmp32_imm(&g, BPF_JNE, R_TMP, (int32_t)f->dst_addr, L_PASS);
  }

  /* Fragments go to the kernel, which reassembles them. A later fragment
     (non-zero offset) has no UDP header: nothing more to learn. A first
     fragment (MF set, offset 0) has one: R_FRAG remembers it, so that a
     match is counted instead of captured. */
  load(&g, BPF_H, R_FRAG, R_DATA, IP_FRAG_OFF);
  mov_reg(&g, R_TMP, R_FRAG);
  alu_imm(&g, BPF_AND, R_TMP, wire16(0x1fff));
  jmp_imm(&g, BPF_JNE, R_TMP, 0, L_PASS);
  alu_imm(&g, BPF_AND, R_FRAG, wire16(0x2000));

  /* Skip IPv4 options: R_DATA becomes ip + ihl*4 - ETH_HDR_SZ, so the UDP
     header sits at R_DATA + ETH_HDR_SZ. The verifier knows IHL*4 is in
     [20, 60] from the mask and the compare above. */
  alu_imm(&g, BPF_LSH, R_IHL, 2);
  alu_reg(&g, BPF_ADD, R_DATA, R_IHL);
  mov_reg(&g, R_TMP, R_DATA);
  alu_imm(&g, BPF_ADD, R_TMP, ETH_HDR_SZ + UDP_HDR_SZ);
  jmp_reg(&g, BPF_JGT, R_TMP, R_END, L_PASS);

  load(&g, BPF_H, R_TMP, R_DATA, ETH_HDR_SZ + UDP_DPORT_OFF);
  for (uint32_t i = 0; i < f->port_cnt; i++)
    jmp_imm(&g, BPF_JEQ, R_TMP, wire16(f->ports[i]), L_MATCH);
  /* L_PASS comes last: every jump goes forward, so the program has no
     loop by construction. */
  jump_to(&g, BPF_JMP | BPF_JA, 0, 0, 0, L_PASS);

  place(&g, L_MATCH);
  if (counting) {
    mov_imm(&g, R_WHAT, CNT_FRAG);
    mov_imm(&g, R_VERDICT, XDP_PASS);
    jmp_imm(&g, BPF_JNE, R_FRAG, 0, L_COUNT);
  } else {
    jmp_imm(&g, BPF_JNE, R_FRAG, 0, L_PASS);
  }

  /* bpf_redirect_map returns the low bits of its flags when the queue's slot
     is empty: fallback, never XDP_ABORTED (flags 0), which would lose it. */
  load_map_fd(&g, R_ARG1, f->xskmap_fd);
  load(&g, BPF_W, R_ARG2, R_CTX, XDP_MD_RX_QUEUE);
  mov_imm(&g, R_ARG3, (int32_t)fallback);
  call(&g, BPF_FUNC_redirect_map);
  if (counting) {
    mov_imm(&g, R_WHAT, CNT_NO_SOCKET);
    mov_imm(&g, R_VERDICT, (int32_t)fallback);
    jmp_imm(&g, BPF_JNE, R_RET, XDP_REDIRECT, L_COUNT);
  }
  exit_insn(&g);

  if (counting && !f->dst_addr) {
    /* UDP over IPv6, no extension header, to a captured port. Only when any
       destination address is captured: an IPv6 packet cannot be for an
       IPv4 bind address (and unreachable code fails the verifier). */
    place(&g, L_V6);
    mov_reg(&g, R_TMP, R_DATA);
    alu_imm(&g, BPF_ADD, R_TMP, ETH_HDR_SZ + IP6_HDR_SZ + UDP_HDR_SZ);
    jmp_reg(&g, BPF_JGT, R_TMP, R_END, L_PASS);
    load(&g, BPF_B, R_TMP, R_DATA, IP6_NEXT_OFF);
    jmp_imm(&g, BPF_JNE, R_TMP, IPPROTO_UDP_NUM, L_PASS);
    load(&g, BPF_H, R_TMP, R_DATA, ETH_HDR_SZ + IP6_HDR_SZ + UDP_DPORT_OFF);
    mov_imm(&g, R_WHAT, CNT_IPV6);
    mov_imm(&g, R_VERDICT, XDP_PASS);
    for (uint32_t i = 0; i < f->port_cnt; i++) jmp_imm(&g, BPF_JEQ, R_TMP, wire16(f->ports[i]), L_COUNT);
    jump_to(&g, BPF_JMP | BPF_JA, 0, 0, 0, L_PASS);
  }
  if (counting) {
    /* counters[rx_queue_index] field R_WHAT += 1, atomically (queues are
       served on several CPUs); a queue beyond the map is not counted. */
    place(&g, L_COUNT);
    load(&g, BPF_W, R_TMP, R_CTX, XDP_MD_RX_QUEUE);
    emit(&g, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, R_TMP, -4, 0);
    load_map_fd(&g, R_ARG1, f->counters_fd);
    mov_reg(&g, R_ARG2, BPF_REG_10);
    alu_imm(&g, BPF_ADD, R_ARG2, -4);
    call(&g, BPF_FUNC_map_lookup_elem);
    jmp_imm(&g, BPF_JEQ, R_RET, 0, L_DONE);
    alu_reg(&g, BPF_ADD, R_RET, R_WHAT);
    mov_imm(&g, R_TMP, 1);
    emit(&g, BPF_STX | BPF_ATOMIC | BPF_DW, R_RET, R_TMP, 0, BPF_ADD);
    place(&g, L_DONE);
    mov_reg(&g, R_RET, R_VERDICT);
    exit_insn(&g);
  }

  place(&g, L_PASS);
  mov_imm(&g, R_RET, XDP_PASS);
  exit_insn(&g);

  if (g.n > max || g.fix_cnt > GEN_FIXUP_MAX)
    return sl_err_set(err, "XDP filter: program needs %u instructions, buffer holds %u", g.n, max);
  for (uint32_t i = 0; i < g.fix_cnt; i++) {
    uint32_t at = g.fix[i].insn;
    out[at].off = (int16_t)(g.at[g.fix[i].label] - (int32_t)at - 1);
  }
  *cnt = g.n;
  return 0;
}
