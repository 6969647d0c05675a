#include "bpf/xdp_gen.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Byte offsets in the frame. The IPv4 fields are relative to the frame
   start, valid because Ethernet without VLAN is the only accepted framing. */
enum {
  ETH_HDR_SZ = 14,
  ETH_TYPE_OFF = 12,
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

/* Register roles. r1..r5 are clobbered by the helper call, which comes last,
   so they double as scratch; only the context must survive in a
   callee-saved register until the call. */
enum {
  R_RET = BPF_REG_0,
  R_ARG1 = BPF_REG_1,
  R_ARG2 = BPF_REG_2,
  R_ARG3 = BPF_REG_3,
  R_DATA = BPF_REG_2, /* frame start; later ip + ihl*4 - ETH_HDR_SZ */
  R_END = BPF_REG_3,  /* data_end */
  R_TMP = BPF_REG_4,
  R_IHL = BPF_REG_5, /* IHL, then IHL*4 */
  R_CTX = BPF_REG_6,
};

/* Jump targets, resolved once every instruction is placed. */
enum { L_PASS, L_REDIRECT, L_CNT };

#define GEN_FIXUP_MAX 32

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
  if (f->port_cnt == 0 || f->port_cnt > SL_XDP_PORTS_MAX)
    return sl_err_set(err, "XDP filter: %u ports, need 1..%u", f->port_cnt, SL_XDP_PORTS_MAX);
  for (uint32_t i = 0; i < f->port_cnt; i++)
    if (f->ports[i] == 0) return sl_err_set(err, "XDP filter: port %u is 0", i);
  uint32_t fallback = f->fallback ? f->fallback : XDP_PASS;
  if (fallback != XDP_PASS && fallback != XDP_DROP)
    return sl_err_set(err, "XDP filter: fallback %u is neither XDP_PASS (2) nor XDP_DROP (1)",
                      f->fallback);
  if (f->xskmap_fd < 0) return sl_err_set(err, "XDP filter: no XSKMAP (fd %d)", f->xskmap_fd);

  gen_t g = {.out = out, .max = max};
  for (int l = 0; l < L_CNT; l++) g.at[l] = -1;

  mov_reg(&g, R_CTX, R_ARG1);
  load(&g, BPF_W, R_DATA, R_ARG1, XDP_MD_DATA);
  load(&g, BPF_W, R_END, R_ARG1, XDP_MD_DATA_END);

  /* Ethernet and the fixed part of IPv4 in bounds. */
  mov_reg(&g, R_TMP, R_DATA);
  alu_imm(&g, BPF_ADD, R_TMP, ETH_HDR_SZ + IP_MIN_SZ);
  jmp_reg(&g, BPF_JGT, R_TMP, R_END, L_PASS);

  load(&g, BPF_H, R_TMP, R_DATA, ETH_TYPE_OFF);
  jmp_imm(&g, BPF_JNE, R_TMP, wire16(0x0800), L_PASS);

  /* Version 4 and IHL >= 5 words: a shorter IHL would put "UDP" inside the
     IPv4 header. */
  load(&g, BPF_B, R_IHL, R_DATA, IP_VER_IHL_OFF);
  mov_reg(&g, R_TMP, R_IHL);
  alu_imm(&g, BPF_AND, R_TMP, 0xf0);
  jmp_imm(&g, BPF_JNE, R_TMP, 0x40, L_PASS);
  alu_imm(&g, BPF_AND, R_IHL, 0x0f);
  jmp_imm(&g, BPF_JLT, R_IHL, 5, L_PASS);

  /* Fragments: MF set or a non-zero offset. Only a first fragment carries
     the UDP header, and the kernel must reassemble the rest anyway. */
  load(&g, BPF_H, R_TMP, R_DATA, IP_FRAG_OFF);
  alu_imm(&g, BPF_AND, R_TMP, wire16(0x3fff));
  jmp_imm(&g, BPF_JNE, R_TMP, 0, L_PASS);

  load(&g, BPF_B, R_TMP, R_DATA, IP_PROTO_OFF);
  jmp_imm(&g, BPF_JNE, R_TMP, IPPROTO_UDP_NUM, L_PASS);

  if (f->dst_addr) {
    load(&g, BPF_W, R_TMP, R_DATA, IP_DST_OFF);
    jmp32_imm(&g, BPF_JNE, R_TMP, (int32_t)f->dst_addr, L_PASS);
  }

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
    jmp_imm(&g, BPF_JEQ, R_TMP, wire16(f->ports[i]), L_REDIRECT);

  place(&g, L_PASS);
  mov_imm(&g, R_RET, XDP_PASS);
  exit_insn(&g);

  /* bpf_redirect_map returns the low bits of its flags when the queue's slot
     is empty: fallback, never XDP_ABORTED (flags 0), which would lose it. */
  place(&g, L_REDIRECT);
  load_map_fd(&g, R_ARG1, f->xskmap_fd);
  load(&g, BPF_W, R_ARG2, R_CTX, XDP_MD_RX_QUEUE);
  mov_imm(&g, R_ARG3, (int32_t)fallback);
  call(&g, BPF_FUNC_redirect_map);
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

/* ---- disassembly (debug log) ---- */

typedef struct {
  char *buf;
  uint32_t sz, len;
} strbuf_t;

static void put(strbuf_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(strbuf_t *s, const char *fmt, ...) {
  if (s->len >= s->sz) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(s->buf + s->len, s->sz - s->len, fmt, ap);
  va_end(ap);
  if (n > 0) s->len = s->len + (uint32_t)n < s->sz ? s->len + (uint32_t)n : s->sz;
}

static const char *alu_op_str(uint8_t op) {
  switch (op) {
  case BPF_ADD: return "+=";
  case BPF_SUB: return "-=";
  case BPF_MUL: return "*=";
  case BPF_DIV: return "/=";
  case BPF_OR: return "|=";
  case BPF_AND: return "&=";
  case BPF_LSH: return "<<=";
  case BPF_RSH: return ">>=";
  case BPF_MOD: return "%=";
  case BPF_XOR: return "^=";
  case BPF_MOV: return "=";
  case BPF_ARSH: return "s>>=";
  default: return NULL;
  }
}

static const char *jmp_op_str(uint8_t op) {
  switch (op) {
  case BPF_JEQ: return "==";
  case BPF_JGT: return ">";
  case BPF_JGE: return ">=";
  case BPF_JSET: return "&";
  case BPF_JNE: return "!=";
  case BPF_JSGT: return "s>";
  case BPF_JSGE: return "s>=";
  case BPF_JLT: return "<";
  case BPF_JLE: return "<=";
  case BPF_JSLT: return "s<";
  case BPF_JSLE: return "s<=";
  default: return NULL;
  }
}

static const char *size_str(uint8_t size) {
  switch (size) {
  case BPF_B: return "u8";
  case BPF_H: return "u16";
  case BPF_W: return "u32";
  case BPF_DW: return "u64";
  default: return "?";
  }
}

uint32_t sl_bpf_insn_fmt(const struct bpf_insn *in, char *buf, uint32_t bufsz) {
  strbuf_t s = {.buf = buf, .sz = bufsz};
  if (bufsz) buf[0] = 0;
  uint8_t cls = BPF_CLASS(in->code);
  uint8_t op = BPF_OP(in->code);
  uint8_t mode = BPF_MODE(in->code);
  int x = BPF_SRC(in->code) == BPF_X;
  switch (cls) {
  case BPF_ALU:
  case BPF_ALU64: {
    char r = cls == BPF_ALU64 ? 'r' : 'w';
    const char *o = alu_op_str(op);
    if (op == BPF_NEG) {
      put(&s, "%c%u = -%c%u", r, in->dst_reg, r, in->dst_reg);
      return 1;
    }
    if (!o) break;
    if (x)
      put(&s, "%c%u %s %c%u", r, in->dst_reg, o, r, in->src_reg);
    else
      put(&s, "%c%u %s %d", r, in->dst_reg, o, in->imm);
    return 1;
  }
  case BPF_LDX:
    if (mode != BPF_MEM) break;
    put(&s, "r%u = *(%s *)(r%u %+d)", in->dst_reg, size_str(BPF_SIZE(in->code)), in->src_reg,
        in->off);
    return 1;
  case BPF_STX:
    if (mode != BPF_MEM) break;
    put(&s, "*(%s *)(r%u %+d) = r%u", size_str(BPF_SIZE(in->code)), in->dst_reg, in->off,
        in->src_reg);
    return 1;
  case BPF_ST:
    if (mode != BPF_MEM) break;
    put(&s, "*(%s *)(r%u %+d) = %d", size_str(BPF_SIZE(in->code)), in->dst_reg, in->off, in->imm);
    return 1;
  case BPF_LD:
    if (in->code != (BPF_LD | BPF_DW | BPF_IMM)) break;
    if (in->src_reg == BPF_PSEUDO_MAP_FD)
      put(&s, "r%u = map_fd(%d) ll", in->dst_reg, in->imm);
    else
      put(&s, "r%u = 0x%llx ll", in->dst_reg,
          (unsigned long long)(uint32_t)in->imm | ((unsigned long long)(uint32_t)in[1].imm << 32));
    return 2;
  case BPF_JMP:
  case BPF_JMP32: {
    char r = cls == BPF_JMP ? 'r' : 'w';
    if (cls == BPF_JMP && op == BPF_JA) {
      put(&s, "goto %+d", in->off);
      return 1;
    }
    if (cls == BPF_JMP && op == BPF_CALL) {
      put(&s, "call %d", in->imm);
      return 1;
    }
    if (cls == BPF_JMP && op == BPF_EXIT) {
      put(&s, "exit");
      return 1;
    }
    const char *o = jmp_op_str(op);
    if (!o) break;
    if (x)
      put(&s, "if %c%u %s %c%u goto %+d", r, in->dst_reg, o, r, in->src_reg, in->off);
    else
      put(&s, "if %c%u %s 0x%x goto %+d", r, in->dst_reg, o, (uint32_t)in->imm, in->off);
    return 1;
  }
  default:
    break;
  }
  put(&s, "(code 0x%02x dst r%u src r%u off %d imm %d)", in->code, in->dst_reg, in->src_reg,
      in->off, in->imm);
  return 1;
}

uint64_t sl_bpf_prog_dump(const struct bpf_insn *insns, uint32_t cnt, char *buf, uint64_t bufsz) {
  uint64_t need = 0;
  if (bufsz) buf[0] = 0;
  for (uint32_t i = 0; i < cnt;) {
    char text[112];
    uint32_t slots = 1;
    if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM) && i + 1 >= cnt)
      snprintf(text, sizeof text, "(64-bit load cut off by the end of the program)");
    else
      slots = sl_bpf_insn_fmt(&insns[i], text, sizeof text);
    char *at = need < bufsz ? buf + need : NULL;
    int n = snprintf(at, at ? (size_t)(bufsz - need) : 0, "%3u: %s\n", i, text);
    if (n > 0) need += (uint64_t)n;
    i += slots;
  }
  return need;
}
