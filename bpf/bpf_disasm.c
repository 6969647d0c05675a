/* bpf/bpf_disasm.c: eBPF instructions as text, for the debug log (what
   the XDP filter generator assembled, beside the verifier's log). */
#include "bpf/bpf_disasm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
    if (mode == BPF_ATOMIC && in->imm == BPF_ADD) {
      put(&s, "lock *(%s *)(r%u %+d) += r%u", size_str(BPF_SIZE(in->code)), in->dst_reg, in->off, in->src_reg);
      return 1;
    }
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
