/* bpf/bpf_disasm.h: eBPF instructions as text (for the debug log). */
#ifndef SL_BPF_BPF_DISASM_H
#define SL_BPF_BPF_DISASM_H

#include <stdint.h>

#include <linux/bpf.h>

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
