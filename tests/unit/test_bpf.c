/* Unit tests for bpf/: the generated XDP filter against the C reference
   (bpf/xdp_filter.c, loaded with libbpf) on crafted frames through
   BPF_PROG_TEST_RUN, the raw loader's error paths, and the installer on a
   veth pair in a private network namespace.

   Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for namespaces). Without
   it the suite fails, unless SLUICE_ALLOW_SKIP_PRIVILEGED=1, when only the
   unprivileged tests run.

   Both filters are built with XDP_DROP as the redirect fallback: with no
   socket in the XSKMAP a match then reads XDP_DROP and a non-match XDP_PASS,
   so a verdict tells the two apart. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/bpf_disasm.h"
#include "bpf/bpf_sys.h"
#include "bpf/xdp_filter.h"
#include "bpf/xdp_gen.h"
#include "bpf/xdp_install.h"
#include "util/time.h"

enum { MATCH = XDP_DROP, PASS = XDP_PASS };

/* ---- frames ---- */

typedef struct {
  int vlan;           /* 802.1Q tag before the ethertype */
  uint16_t ethertype; /* 0x0800 */
  uint8_t version;    /* 4 */
  uint8_t ihl;        /* 5; options (zeros) fill the rest */
  uint16_t frag;      /* flags + fragment offset, host order */
  uint8_t proto;      /* 17 */
  uint32_t daddr;     /* network order */
  uint16_t dport;     /* host order */
  uint32_t payload;   /* bytes after the 8-byte L4 header */
} pkt_t;

static pkt_t udp_to(uint16_t dport) {
  return (pkt_t){.ethertype = 0x0800, .version = 4, .ihl = 5, .proto = 17,
                 .daddr = inet_addr("10.1.2.200"), .dport = dport, .payload = 64};
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* Writes p as a frame into buf; returns its length. IP option bytes are
   zeros (end-of-options), lengths and checksums are left unchecked by both
   filters, so they are filled only roughly. */
static uint32_t frame_build(uint8_t *buf, uint32_t cap, const pkt_t *p) {
  uint32_t ihl_bytes = (p->ihl & 0xf) * 4u;
  if (ihl_bytes < 20) ihl_bytes = 20; /* an IHL < 5 frame still carries a 20-byte header */
  uint32_t len = 14 + (p->vlan ? 4u : 0u) + ihl_bytes + 8 + p->payload;
  ck_assert_uint_le(len, cap);
  memset(buf, 0, len);
  memset(buf, 0x02, 6);     /* dst MAC */
  memset(buf + 6, 0x04, 6); /* src MAC */
  uint8_t *l2 = buf + 12;
  if (p->vlan) {
    put16(l2, 0x8100);
    put16(l2 + 2, 42);
    l2 += 4;
  }
  put16(l2, p->ethertype);
  uint8_t *ip = l2 + 2;
  ip[0] = (uint8_t)(p->version << 4 | (p->ihl & 0xf));
  put16(ip + 2, (uint16_t)(ihl_bytes + 8 + p->payload));
  put16(ip + 6, p->frag);
  ip[8] = 64;
  ip[9] = p->proto;
  uint32_t saddr = inet_addr("10.1.2.1");
  memcpy(ip + 12, &saddr, 4);
  memcpy(ip + 16, &p->daddr, 4);
  uint8_t *l4 = ip + ihl_bytes;
  put16(l4, 40000);
  put16(l4 + 2, p->dport);
  put16(l4 + 4, (uint16_t)(8 + p->payload));
  for (uint32_t i = 0; i < p->payload; i++) l4[8 + i] = (uint8_t)i;
  return len;
}

static uint32_t frame_ipv6_udp(uint8_t *buf, uint16_t dport) {
  memset(buf, 0, 14 + 40 + 8 + 32);
  put16(buf + 12, 0x86dd);
  uint8_t *ip6 = buf + 14;
  ip6[0] = 0x60;
  put16(ip6 + 4, 8 + 32);
  ip6[6] = 17; /* next header: UDP */
  ip6[7] = 64;
  ip6[23] = 1;
  ip6[39] = 2;
  put16(ip6 + 40 + 2, dport);
  return 14 + 40 + 8 + 32;
}

static uint32_t frame_arp(uint8_t *buf) {
  memset(buf, 0, 60);
  memset(buf, 0xff, 6);
  put16(buf + 12, 0x0806);
  put16(buf + 14, 1);      /* Ethernet */
  put16(buf + 16, 0x0800); /* IPv4 */
  buf[18] = 6;
  buf[19] = 4;
  put16(buf + 20, 1); /* request */
  return 60;
}

/* ---- the two filters ---- */

static const char *bpf_obj_path(void) {
  const char *p = getenv("SLUICE_BPF_OBJ");
  return p && p[0] ? p : "build/bpfobj/xdp_filter.o";
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap) {
  return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

typedef struct {
  int map_fd;
  int cnt_fd; /* the generated program's counters */
  int gen_fd;
  struct bpf_object *ref;
  int ref_fd;
  int ref_cnt_fd;
} pair_t;

_Static_assert(sizeof(struct sl_xdp_counters) == sizeof(sl_xdp_counters_t), "counters layouts");
_Static_assert(offsetof(struct sl_xdp_counters, frag) == offsetof(sl_xdp_counters_t, frag), "counters layouts");
_Static_assert(offsetof(struct sl_xdp_counters, ipv6) == offsetof(sl_xdp_counters_t, ipv6), "counters layouts");
_Static_assert(offsetof(struct sl_xdp_counters, no_socket) == offsetof(sl_xdp_counters_t, no_socket),
               "counters layouts");

/* Copies f into the reference object's .rodata at sl_xdp_cfg's offset (found
   through BTF, so other read-only data cannot shift it). */
static void ref_configure(struct bpf_object *obj, const sl_xdp_filter_t *f) {
  struct bpf_map *rodata = NULL, *m;
  bpf_object__for_each_map(m, obj) {
    const char *n = bpf_map__name(m);
    size_t l = strlen(n);
    if (bpf_map__is_internal(m) && l >= 7 && strcmp(n + l - 7, ".rodata") == 0) rodata = m;
  }
  ck_assert_msg(rodata, "%s has no .rodata map", bpf_obj_path());
  struct btf *btf = bpf_object__btf(obj);
  ck_assert_msg(btf, "%s has no BTF", bpf_obj_path());
  int sec_id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
  ck_assert_int_gt(sec_id, 0);
  const struct btf_type *sec = btf__type_by_id(btf, (uint32_t)sec_id);
  const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
  long off = -1;
  for (int i = 0; i < btf_vlen(sec); i++) {
    const struct btf_type *v = btf__type_by_id(btf, vs[i].type);
    if (strcmp(btf__name_by_offset(btf, v->name_off), "sl_xdp_cfg") == 0) off = vs[i].offset;
  }
  ck_assert_msg(off >= 0, "sl_xdp_cfg not in .rodata of %s", bpf_obj_path());

  size_t sz = 0;
  const void *init = bpf_map__initial_value(rodata, &sz);
  ck_assert_ptr_nonnull(init);
  ck_assert_uint_ge(sz, (size_t)off + sizeof(struct sl_xdp_filter_cfg));
  uint8_t *img = malloc(sz);
  memcpy(img, init, sz);
  struct sl_xdp_filter_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  memcpy(cfg.ports, f->ports, sizeof cfg.ports);
  cfg.port_cnt = f->port_cnt;
  cfg.dst_addr = f->dst_addr;
  cfg.fallback = f->fallback;
  cfg.counting = f->counters_fd >= 0;
  memcpy(img + off, &cfg, sizeof cfg);
  ck_assert_int_eq(bpf_map__set_initial_value(rodata, img, sz), 0);
  free(img);
}

/* Loads the generated filter and the reference for f (fallback forced to
   XDP_DROP), both counting into their own counters maps unless f asks for
   no counting (counters_fd < 0 after pair_no_counting); both must pass the
   kernel verifier. */
static pair_t pair_load_opt(sl_xdp_filter_t f, int counting) {
  pair_t p;
  sl_err_t err = {{0}};
  f.fallback = XDP_DROP;
  p.map_fd = sl_bpf_map_create(BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0, "sl_test_xsks", &err);
  ck_assert_msg(p.map_fd >= 0, "%s", err.msg);
  f.xskmap_fd = p.map_fd;
  p.cnt_fd = -1;
  if (counting) {
    p.cnt_fd = sl_bpf_map_create(BPF_MAP_TYPE_ARRAY, 4, sizeof(sl_xdp_counters_t), 4, 0, "sl_test_cnt", &err);
    ck_assert_msg(p.cnt_fd >= 0, "%s", err.msg);
  }
  f.counters_fd = p.cnt_fd;

  struct bpf_insn insns[SL_XDP_INSN_MAX];
  uint32_t cnt = 0;
  ck_assert_msg(sl_xdp_gen(&f, insns, SL_XDP_INSN_MAX, &cnt, &err) == 0, "%s", err.msg);
  static char log[SL_XDP_LOG_SZ];
  p.gen_fd = sl_bpf_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, insns, cnt, "sl_test_gen", log,
                              sizeof log, 1, &err);
  if (p.gen_fd < 0) {
    static char dump[8192];
    sl_bpf_prog_dump(insns, cnt, dump, sizeof dump);
    ck_abort_msg("%s\nprogram:\n%s\nverifier log:\n%s", err.msg, dump, log);
  }

  libbpf_set_print(libbpf_quiet);
  p.ref = bpf_object__open_file(bpf_obj_path(), NULL);
  ck_assert_msg(p.ref && !libbpf_get_error(p.ref),
                "cannot open the reference filter %s (build it: make %s; or set SLUICE_BPF_OBJ)",
                bpf_obj_path(), bpf_obj_path());
  ref_configure(p.ref, &f);
  ck_assert_msg(bpf_object__load(p.ref) == 0, "reference filter %s failed to load",
                bpf_obj_path());
  struct bpf_program *prog = bpf_object__find_program_by_name(p.ref, "sl_xdp_filter");
  ck_assert_ptr_nonnull(prog);
  p.ref_fd = bpf_program__fd(prog);
  ck_assert_int_ge(p.ref_fd, 0);
  p.ref_cnt_fd = bpf_object__find_map_fd_by_name(p.ref, "sl_xdp_cnt");
  ck_assert_int_ge(p.ref_cnt_fd, 0);
  return p;
}

static pair_t pair_load(sl_xdp_filter_t f) { return pair_load_opt(f, 1); }

static void pair_close(pair_t *p) {
  close(p->gen_fd);
  bpf_object__close(p->ref);
  close(p->map_fd);
  if (p->cnt_fd >= 0) close(p->cnt_fd);
}

/* Queue 0's counters (BPF_PROG_TEST_RUN runs on queue 0) of the generated
   program and of the reference, which must agree. */
static sl_xdp_counters_t counts(const pair_t *p) {
  uint32_t key = 0;
  sl_xdp_counters_t g, r;
  memset(&g, 0, sizeof g);
  memset(&r, 0, sizeof r);
  if (p->cnt_fd >= 0) ck_assert_int_eq(sl_bpf_map_lookup(p->cnt_fd, &key, &g, NULL), 0);
  ck_assert_int_eq(sl_bpf_map_lookup(p->ref_cnt_fd, &key, &r, NULL), 0);
  ck_assert_msg(g.frag == r.frag && g.ipv6 == r.ipv6 && g.no_socket == r.no_socket,
                "counters disagree: generated frag %llu ipv6 %llu no_socket %llu, reference %llu %llu %llu",
                (unsigned long long)g.frag, (unsigned long long)g.ipv6, (unsigned long long)g.no_socket,
                (unsigned long long)r.frag, (unsigned long long)r.ipv6, (unsigned long long)r.no_socket);
  return g;
}

/* Runs fd on the frame: the verdict, or -errno when the kernel refuses the
   frame itself. */
static int run(int fd, const uint8_t *buf, uint32_t len) {
  sl_bpf_test_run_t t = {.data_in = buf, .data_in_sz = len, .repeat = 1};
  sl_err_t err;
  if (sl_bpf_prog_test_run(fd, &t, &err) < 0) return -errno;
  return (int)t.retval;
}

static const char *verdict_name(int v) {
  switch (v) {
  case XDP_ABORTED: return "ABORTED";
  case XDP_DROP: return "DROP(match)";
  case XDP_PASS: return "PASS";
  case XDP_TX: return "TX";
  case XDP_REDIRECT: return "REDIRECT";
  default: return v < 0 ? strerror(-v) : "?";
  }
}

/* Both programs give want on the frame. */
static void expect(const pair_t *p, const uint8_t *buf, uint32_t len, int want, const char *what) {
  int g = run(p->gen_fd, buf, len);
  int r = run(p->ref_fd, buf, len);
  ck_assert_msg(g == r, "%s (%u bytes): generated says %s, reference says %s", what, len,
                verdict_name(g), verdict_name(r));
  ck_assert_msg(g == want, "%s (%u bytes): both say %s, expected %s", what, len, verdict_name(g),
                verdict_name(want));
}

static void expect_pkt(const pair_t *p, const pkt_t *k, int want, const char *what) {
  static uint8_t buf[16384];
  uint32_t len = frame_build(buf, sizeof buf, k);
  expect(p, buf, len, want, what);
}

static sl_xdp_filter_t one_port(uint16_t port) {
  return (sl_xdp_filter_t){.ports = {port}, .port_cnt = 1, .xskmap_fd = -1, .counters_fd = -1};
}

static const uint16_t ports16[16] = {1,    53,    443,   8000,  8001,  9001,  12000, 20000,
                                     32767, 32768, 40000, 50001, 60000, 65000, 65534, 65535};

static sl_xdp_filter_t sixteen_ports(uint32_t dst_addr) {
  sl_xdp_filter_t f = {.port_cnt = 16, .dst_addr = dst_addr, .xskmap_fd = -1, .counters_fd = -1};
  memcpy(f.ports, ports16, sizeof ports16);
  return f;
}

/* ---- generator (unprivileged) ---- */

START_TEST(gen_rejects_invalid_filters) {
  struct bpf_insn insns[SL_XDP_INSN_MAX];
  uint32_t cnt;
  sl_err_t err;
  sl_xdp_filter_t ok = one_port(9001);
  ok.xskmap_fd = 3;
  ck_assert_int_eq(sl_xdp_gen(&ok, insns, SL_XDP_INSN_MAX, &cnt, &err), 0);

  sl_xdp_filter_t f = ok;
  f.port_cnt = 0;
  ck_assert_int_eq(sl_xdp_gen(&f, insns, SL_XDP_INSN_MAX, &cnt, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "0 ports"));
  f = ok;
  f.port_cnt = 17;
  ck_assert_int_eq(sl_xdp_gen(&f, insns, SL_XDP_INSN_MAX, &cnt, &err), -1);
  f = ok;
  f.ports[0] = 0;
  ck_assert_int_eq(sl_xdp_gen(&f, insns, SL_XDP_INSN_MAX, &cnt, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "port 0 is 0"));
  f = ok;
  f.fallback = XDP_TX;
  ck_assert_int_eq(sl_xdp_gen(&f, insns, SL_XDP_INSN_MAX, &cnt, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "fallback"));
  f = ok;
  f.xskmap_fd = -1;
  ck_assert_int_eq(sl_xdp_gen(&f, insns, SL_XDP_INSN_MAX, &cnt, &err), -1);
  ck_assert_int_eq(sl_xdp_gen(&ok, insns, 10, &cnt, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.msg, "buffer holds 10"));
}
END_TEST

START_TEST(gen_largest_filter_fits_insn_max) {
  struct bpf_insn insns[SL_XDP_INSN_MAX];
  uint32_t cnt = 0;
  sl_err_t err;
  /* The longest program: 16 ports, counting, any address (the IPv6 check
     repeats the port tests). */
  sl_xdp_filter_t f = sixteen_ports(0);
  f.xskmap_fd = 7;
  f.counters_fd = 8;
  ck_assert_msg(sl_xdp_gen(&f, insns, SL_XDP_INSN_MAX, &cnt, &err) == 0, "%s", err.msg);
  ck_assert_uint_le(cnt, SL_XDP_INSN_MAX);
  /* exactly one reference to each map, and the helper calls */
  char dump[16384];
  uint64_t need = sl_bpf_prog_dump(insns, cnt, dump, sizeof dump);
  ck_assert_uint_lt(need, sizeof dump);
  ck_assert_ptr_nonnull(strstr(dump, "map_fd(7)"));
  ck_assert_ptr_null(strstr(strstr(dump, "map_fd(7)") + 1, "map_fd(7)"));
  ck_assert_ptr_nonnull(strstr(dump, "map_fd(8)"));
  ck_assert_ptr_null(strstr(strstr(dump, "map_fd(8)") + 1, "map_fd(8)"));
  ck_assert_ptr_nonnull(strstr(dump, "lock *(u64 *)"));
  char call[32];
  snprintf(call, sizeof call, "call %d", BPF_FUNC_redirect_map);
  ck_assert_ptr_nonnull(strstr(dump, call));
  /* one line per instruction except each 64-bit load's second slot */
  uint32_t lines = 0, wide = 0;
  for (const char *c = dump; *c; c++) lines += *c == '\n';
  for (uint32_t i = 0; i < cnt; i++) wide += insns[i].code == (BPF_LD | BPF_DW | BPF_IMM);
  ck_assert_uint_eq(wide, 2);
  ck_assert_uint_eq(lines, cnt - wide);
}
END_TEST

START_TEST(gen_jumps_stay_inside_the_program) {
  struct bpf_insn insns[SL_XDP_INSN_MAX];
  uint32_t cnt = 0;
  for (int counting = 0; counting < 2; counting++)
    for (int any = 0; any < 2; any++) {
      sl_xdp_filter_t f = sixteen_ports(any ? 0 : inet_addr("10.1.2.200"));
      f.xskmap_fd = 7;
      f.counters_fd = counting ? 8 : -1;
      ck_assert_int_eq(sl_xdp_gen(&f, insns, SL_XDP_INSN_MAX, &cnt, NULL), 0);
      /* Forward only: no loop. */
      for (uint32_t i = 0; i < cnt; i++) {
        uint8_t cls = BPF_CLASS(insns[i].code), op = BPF_OP(insns[i].code);
        if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT) continue;
        int32_t to = (int32_t)i + 1 + insns[i].off;
        ck_assert_msg(insns[i].off > 0 && to < (int32_t)cnt, "insn %u jumps to %d of %u", i, to, cnt);
      }
      ck_assert_uint_eq(insns[cnt - 1].code, BPF_JMP | BPF_EXIT);
    }
}
END_TEST

START_TEST(log_summary_skips_verifier_statistics) {
  char out[128];
  sl_bpf_log_summary("0: (61) r2 = *(u32 *)(r1 +0)\ninvalid access to packet, off=0 size=1\n"
                     "processed 3 insns (limit 1000000) max_states_per_insn 0\n\n",
                     out, sizeof out);
  ck_assert_str_eq(out, "invalid access to packet, off=0 size=1");
  sl_bpf_log_summary("", out, sizeof out);
  ck_assert_str_eq(out, "");
  sl_bpf_log_summary("a very long line", out, 7);
  ck_assert_str_eq(out, "a very");
}
END_TEST

START_TEST(insn_fmt_reads_like_the_kernel_dump) {
  char buf[96];
  struct bpf_insn ld = {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 4};
  ck_assert_uint_eq(sl_bpf_insn_fmt(&ld, buf, sizeof buf), 1);
  ck_assert_str_eq(buf, "r2 = *(u32 *)(r1 +4)");
  struct bpf_insn j = {.code = BPF_JMP32 | BPF_JNE | BPF_K, .dst_reg = 4, .off = 3, .imm = -1};
  sl_bpf_insn_fmt(&j, buf, sizeof buf);
  ck_assert_str_eq(buf, "if w4 != 0xffffffff goto +3");
  struct bpf_insn wide[2] = {{.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .imm = 1},
                             {.imm = 2}};
  ck_assert_uint_eq(sl_bpf_insn_fmt(wide, buf, sizeof buf), 2);
  ck_assert_str_eq(buf, "r1 = 0x200000001 ll");
}
END_TEST

/* ---- verdicts: generated vs reference (privileged) ---- */

START_TEST(every_configured_port_matches) {
  pair_t p = pair_load(sixteen_ports(0));
  for (int i = 0; i < 16; i++) {
    pkt_t k = udp_to(ports16[i]);
    char what[48];
    snprintf(what, sizeof what, "UDP to port %u", ports16[i]);
    expect_pkt(&p, &k, MATCH, what);
  }
  pair_close(&p);
}
END_TEST

START_TEST(unconfigured_ports_pass) {
  pair_t p = pair_load(sixteen_ports(0));
  uint16_t other[] = {2, 52, 54, 442, 444, 7999, 8002, 9000, 9002, 32766, 32769, 65533, 256, 0x5123};
  for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
    pkt_t k = udp_to(other[i]);
    expect_pkt(&p, &k, PASS, "UDP to an unconfigured port");
  }
  pair_close(&p);
  /* a one-port filter passes the byte-swapped port (endianness check) */
  pair_t q = pair_load(one_port(9001)); /* 0x2329 */
  pkt_t k = udp_to(0x2923);
  expect_pkt(&q, &k, PASS, "UDP to byte-swapped 9001");
  k = udp_to(9001);
  expect_pkt(&q, &k, MATCH, "UDP to 9001");
  pair_close(&q);
}
END_TEST

START_TEST(dst_address_filter_matches_only_its_address) {
  /* 10.1.2.200 has the top bit set in its network-order u32: a 64-bit
     compare with a sign-extended immediate would never match it. */
  pair_t p = pair_load(sixteen_ports(inet_addr("10.1.2.200")));
  pkt_t k = udp_to(9001);
  expect_pkt(&p, &k, MATCH, "to the filtered address");
  const char *others[] = {"10.1.2.201", "200.2.1.10", "0.0.0.0", "255.255.255.255", "10.1.2.72"};
  for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
    k.daddr = inet_addr(others[i]);
    expect_pkt(&p, &k, PASS, others[i]);
  }
  pair_close(&p);

  pair_t q = pair_load(one_port(9001));
  for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
    k.daddr = inet_addr(others[i]);
    expect_pkt(&q, &k, MATCH, "any address without the filter");
  }
  pair_close(&q);

  pair_t r = pair_load((sl_xdp_filter_t){.ports = {9001}, .port_cnt = 1,
                                         .dst_addr = inet_addr("127.0.0.1"), .xskmap_fd = -1, .counters_fd = -1});
  k.daddr = inet_addr("127.0.0.1");
  expect_pkt(&r, &k, MATCH, "to 127.0.0.1");
  k.daddr = inet_addr("127.0.0.2");
  expect_pkt(&r, &k, PASS, "to 127.0.0.2");
  pair_close(&r);
}
END_TEST

START_TEST(ip_options_are_skipped_for_every_ihl) {
  pair_t p = pair_load(sixteen_ports(0));
  for (uint8_t ihl = 5; ihl <= 15; ihl++) {
    pkt_t k = udp_to(443);
    k.ihl = ihl;
    char what[48];
    snprintf(what, sizeof what, "IHL %u to port 443", ihl);
    expect_pkt(&p, &k, MATCH, what);
    k.dport = 444;
    expect_pkt(&p, &k, PASS, what);
    /* the port must be read after the options: put 443 where a parser
       ignoring IHL would look, and 444 where the UDP header really is */
    if (ihl >= 6) {
      uint8_t buf[512];
      uint32_t len = frame_build(buf, sizeof buf, &k);
      put16(buf + 14 + 20 + 2, 443);
      expect(&p, buf, len, PASS, "option bytes looking like a matching port");
    }
  }
  pair_close(&p);
}
END_TEST

START_TEST(ihl_below_5_passes) {
  pair_t p = pair_load(sixteen_ports(0));
  for (uint8_t ihl = 0; ihl < 5; ihl++) {
    pkt_t k = udp_to(443);
    k.ihl = ihl;
    uint8_t buf[512];
    uint32_t len = frame_build(buf, sizeof buf, &k);
    /* the port also where IHL would put it, so only the IHL check can pass it */
    if (ihl >= 2) put16(buf + 14 + ihl * 4 + 2, 443);
    expect(&p, buf, len, PASS, "IHL below 5");
  }
  pair_close(&p);
}
END_TEST

START_TEST(fragments_pass) {
  pair_t p = pair_load(sixteen_ports(0));
  pkt_t k = udp_to(443);
  uint16_t frag[] = {0x2000 /* MF, first fragment */, 0x0001, 0x0100, 0x1fff, 0x2001,
                     0x4000 | 0x2000, 0x4000 | 0x00b9};
  for (size_t i = 0; i < sizeof frag / sizeof *frag; i++) {
    k.frag = frag[i];
    char what[48];
    snprintf(what, sizeof what, "fragment field 0x%04x", frag[i]);
    expect_pkt(&p, &k, PASS, what);
  }
  k.frag = 0x4000; /* DF alone: a whole datagram */
  expect_pkt(&p, &k, MATCH, "DF set");
  k.frag = 0x8000; /* reserved bit: not a fragment either */
  expect_pkt(&p, &k, MATCH, "reserved flag set");
  pair_close(&p);
}
END_TEST

START_TEST(a_first_fragment_to_a_captured_port_is_counted_once_per_datagram) {
  pair_t p = pair_load(sixteen_ports(0));
  pkt_t k = udp_to(443);
  k.frag = 0x2000; /* MF, offset 0: the first fragment, which has the UDP header */
  expect_pkt(&p, &k, PASS, "first fragment to a captured port");
  ck_assert_uint_eq(counts(&p).frag, 1);
  k.frag = 0x00b9; /* the rest of the datagram: no UDP header, not counted again */
  expect_pkt(&p, &k, PASS, "last fragment");
  k.frag = 0x2000;
  k.dport = 80;
  expect_pkt(&p, &k, PASS, "first fragment to another port");
  sl_xdp_counters_t c = counts(&p);
  ck_assert_uint_eq(c.frag, 1);
  ck_assert_uint_eq(c.ipv6 + c.no_socket, 0);
  pair_close(&p);
}
END_TEST

START_TEST(a_first_fragment_to_another_address_is_not_counted) {
  pair_t p = pair_load(sixteen_ports(inet_addr("10.1.2.200")));
  pkt_t k = udp_to(443);
  k.frag = 0x2000;
  k.daddr = inet_addr("10.1.2.201");
  expect_pkt(&p, &k, PASS, "first fragment to another address");
  ck_assert_uint_eq(counts(&p).frag, 0);
  k.daddr = inet_addr("10.1.2.200");
  expect_pkt(&p, &k, PASS, "first fragment to the captured address");
  ck_assert_uint_eq(counts(&p).frag, 1);
  pair_close(&p);
}
END_TEST

START_TEST(ipv6_udp_to_a_captured_port_is_counted_when_any_address_is_captured) {
  uint8_t buf[256];
  pair_t p = pair_load(sixteen_ports(0));
  expect(&p, buf, frame_ipv6_udp(buf, 443), PASS, "IPv6 UDP to a captured port");
  expect(&p, buf, frame_ipv6_udp(buf, 80), PASS, "IPv6 UDP to another port");
  sl_xdp_counters_t c = counts(&p);
  ck_assert_uint_eq(c.ipv6, 1);
  ck_assert_uint_eq(c.frag + c.no_socket, 0);
  pair_close(&p);
  /* With an IPv4 bind address an IPv6 packet is not meant for sluice. */
  p = pair_load(sixteen_ports(inet_addr("10.1.2.200")));
  expect(&p, buf, frame_ipv6_udp(buf, 443), PASS, "IPv6 UDP with an IPv4 bind address");
  ck_assert_uint_eq(counts(&p).ipv6, 0);
  pair_close(&p);
}
END_TEST

START_TEST(a_match_on_a_queue_without_a_socket_is_counted) {
  pair_t p = pair_load(sixteen_ports(0));
  pkt_t k = udp_to(443);
  for (int i = 0; i < 3; i++) expect_pkt(&p, &k, MATCH, "UDP to a captured port, empty queue slot");
  k.dport = 80;
  expect_pkt(&p, &k, PASS, "UDP to another port");
  sl_xdp_counters_t c = counts(&p);
  ck_assert_uint_eq(c.no_socket, 3);
  ck_assert_uint_eq(c.frag + c.ipv6, 0);
  pair_close(&p);
}
END_TEST

START_TEST(without_a_counters_map_verdicts_are_the_same) {
  pair_t p = pair_load_opt(sixteen_ports(0), 0);
  pkt_t k = udp_to(443);
  expect_pkt(&p, &k, MATCH, "UDP to a captured port");
  k.frag = 0x2000;
  expect_pkt(&p, &k, PASS, "first fragment");
  uint8_t buf[256];
  expect(&p, buf, frame_ipv6_udp(buf, 443), PASS, "IPv6 UDP");
  sl_xdp_counters_t c = counts(&p); /* the reference was told not to count either */
  ck_assert_uint_eq(c.frag + c.ipv6 + c.no_socket, 0);
  pair_close(&p);
}
END_TEST

START_TEST(vlan_ipv6_arp_pass) {
  pair_t p = pair_load(sixteen_ports(0));
  pkt_t k = udp_to(443);
  k.vlan = 1;
  expect_pkt(&p, &k, PASS, "802.1Q-tagged UDP to a matching port");
  uint8_t buf[256];
  uint32_t len = frame_ipv6_udp(buf, 443);
  expect(&p, buf, len, PASS, "IPv6 UDP to a matching port");
  len = frame_arp(buf);
  expect(&p, buf, len, PASS, "ARP request");
  pair_close(&p);
}
END_TEST

START_TEST(other_protocols_to_matching_port_pass) {
  pair_t p = pair_load(sixteen_ports(0));
  uint8_t protos[] = {6 /* TCP */, 1 /* ICMP */, 136 /* UDP-Lite */, 0, 255};
  for (size_t i = 0; i < sizeof protos / sizeof *protos; i++) {
    pkt_t k = udp_to(443);
    k.proto = protos[i];
    expect_pkt(&p, &k, PASS, "non-UDP protocol to a matching port");
  }
  pair_close(&p);
}
END_TEST

START_TEST(ip_version_other_than_4_passes) {
  pair_t p = pair_load(sixteen_ports(0));
  for (uint8_t v = 0; v < 16; v++) {
    pkt_t k = udp_to(443);
    k.version = v;
    char what[32];
    snprintf(what, sizeof what, "IP version %u", v);
    expect_pkt(&p, &k, v == 4 ? MATCH : PASS, what);
  }
  pair_close(&p);
}
END_TEST

START_TEST(runts_pass_at_every_truncation) {
  pair_t p = pair_load(sixteen_ports(0));
  for (uint8_t ihl = 5; ihl <= 15; ihl += 10) {
    pkt_t k = udp_to(443);
    k.ihl = ihl;
    k.payload = 0;
    uint8_t buf[256];
    memset(buf, 0, sizeof buf);
    uint32_t full = frame_build(buf, sizeof buf, &k); /* 42 or 82 bytes: ends at the UDP header */
    for (uint32_t len = 0; len <= full + 8; len++) {
      char what[48];
      snprintf(what, sizeof what, "IHL %u frame cut to %u bytes", ihl, len);
      if (len < 14) {
        /* The kernel refuses frames shorter than an Ethernet header before
           any program sees them; were that to change, they must pass. */
        int g = run(p.gen_fd, buf, len), r = run(p.ref_fd, buf, len);
        if (g < 0 || r < 0) {
          ck_assert_msg(g == -EINVAL && r == -EINVAL, "%s: %s / %s", what, verdict_name(g),
                        verdict_name(r));
          continue;
        }
      }
      expect(&p, buf, len, len >= full ? MATCH : PASS, what);
    }
  }
  pair_close(&p);
}
END_TEST

START_TEST(oversize_frames_match_on_headers) {
  pair_t p = pair_load(sixteen_ports(0));
  uint32_t sizes[] = {1514, 3000, 3500, 4096, 9000};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    pkt_t k = udp_to(443);
    k.payload = sizes[i] - 42;
    static uint8_t buf[16384];
    uint32_t len = frame_build(buf, sizeof buf, &k);
    int g = run(p.gen_fd, buf, len);
    if (g < 0 && sizes[i] > 3000) {
      /* beyond one page TEST_RUN needs a frags-aware program; it refuses
         the frame before either program runs */
      ck_assert_int_eq(g, run(p.ref_fd, buf, len));
      continue;
    }
    expect(&p, buf, len, MATCH, "oversize frame to a matching port");
    k.dport = 444;
    len = frame_build(buf, sizeof buf, &k);
    expect(&p, buf, len, PASS, "oversize frame to another port");
  }
  pair_close(&p);
}
END_TEST

START_TEST(matching_frame_is_not_modified) {
  pair_t p = pair_load(one_port(9001));
  pkt_t k = udp_to(9001);
  uint8_t in[256], out[256];
  uint32_t len = frame_build(in, sizeof in, &k);
  sl_bpf_test_run_t t = {.data_in = in, .data_in_sz = len, .data_out = out,
                         .data_out_sz = sizeof out, .repeat = 1000};
  sl_err_t err;
  ck_assert_msg(sl_bpf_prog_test_run(p.gen_fd, &t, &err) == 0, "%s", err.msg);
  ck_assert_uint_eq(t.retval, MATCH);
  ck_assert_uint_eq(t.data_out_sz, len);
  ck_assert_mem_eq(in, out, len);
  pair_close(&p);
}
END_TEST

/* ---- raw loader error paths (privileged) ---- */

START_TEST(verifier_rejection_keeps_log_and_summarizes_it) {
  /* reads the packet without a bounds check */
  struct bpf_insn bad[] = {
      {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 0},
      {.code = BPF_LDX | BPF_MEM | BPF_B, .dst_reg = 0, .src_reg = 2, .off = 0},
      {.code = BPF_JMP | BPF_EXIT},
  };
  static char log[SL_XDP_LOG_SZ];
  sl_err_t err;
  int fd = sl_bpf_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, bad, 3, "sl_test_bad", log, sizeof log, 1,
                            &err);
  ck_assert_int_eq(fd, -1);
  ck_assert_msg(log[0] != 0, "empty verifier log");
  ck_assert_msg(strstr(err.msg, "verifier rejected the program"), "%s", err.msg);
  char last[256];
  sl_bpf_log_summary(log, last, sizeof last);
  ck_assert_msg(last[0] && strstr(err.msg, last), "error \"%s\" lacks the log's last line \"%s\"",
                err.msg, last);
  ck_assert_msg(strstr(log, "packet"), "log does not explain the packet access:\n%s", log);
}
END_TEST

START_TEST(map_create_errors_name_the_map) {
  sl_err_t err;
  int fd = sl_bpf_map_create(BPF_MAP_TYPE_XSKMAP, 4, 4, 0, 0, "sl_test", &err);
  ck_assert_int_eq(fd, -1);
  ck_assert_msg(strstr(err.msg, "BPF_MAP_CREATE") && strstr(err.msg, "0 entries"), "%s", err.msg);
}
END_TEST

/* ---- installer on a veth pair in a private namespace (privileged) ---- */

#define VETH "sl-bpf0"
#define PEER "sl-bpf1"

static int sh(const char *cmd) {
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Moves this test process (Check forks one per test) into a fresh network
   namespace, with /sys remounted so sysfs shows it, and makes a veth pair
   with 4 RX queues. The kernel deletes the namespace and the veth when the
   process exits, however it exits: nothing to clean up. */
static void enter_netns(void) {
  ck_assert_msg(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
  ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
  umount2("/sys", MNT_DETACH);
  ck_assert_msg(mount("sysfs", "/sys", "sysfs", 0, NULL) == 0, "mount sysfs: %s", strerror(errno));
  ck_assert_int_eq(sh("ip link add " VETH " numrxqueues 4 numtxqueues 4 type veth peer name " PEER
                      " && ip link set " VETH " up && ip link set " PEER " up"),
                   0);
}

/* What `ip -d link show` says about XDP on ifname: 0 none, SL_XDP_ATTACH_DRV
   ("xdp"), SL_XDP_ATTACH_SKB ("xdpgeneric"); *id the program id shown. */
static int ip_xdp_state(const char *ifname, uint32_t *id) {
  char cmd[128], out[4096];
  snprintf(cmd, sizeof cmd, "ip -d link show dev %s 2>&1", ifname);
  FILE *fp = popen(cmd, "r");
  ck_assert_ptr_nonnull(fp);
  size_t n = fread(out, 1, sizeof out - 1, fp);
  out[n] = 0;
  pclose(fp);
  *id = 0;
  const char *prog = strstr(out, "prog/xdp id ");
  if (prog) *id = (uint32_t)strtoul(prog + 12, NULL, 10);
  if (strstr(out, " xdpgeneric")) return SL_XDP_ATTACH_SKB;
  if (strstr(out, " xdp/") || strstr(out, " xdp ")) return SL_XDP_ATTACH_DRV;
  return prog ? -1 : 0;
}

/* Polls until ifname shows no XDP program (bounded: 3 s). */
static int wait_detached(const char *ifname) {
  uint64_t end = sl_now_ns() + 3000000000ull;
  uint32_t id;
  while (ip_xdp_state(ifname, &id) != 0) {
    if (sl_now_ns() > end) return -1;
    usleep(20000);
  }
  return 0;
}

/* sl_xdp_install on ifname with maps for queues 0..entries-1. */
static int install(sl_xdp_t *x, const char *ifname, const sl_xdp_filter_t *f, uint32_t entries, int mode,
                   sl_err_t *err) {
  return sl_xdp_install(x, ifname, if_nametoindex(ifname), entries, f, mode, 0, err);
}

static sl_xdp_t *xdp_new(void) {
  sl_xdp_t *x = malloc(sizeof *x);
  ck_assert_ptr_nonnull(x);
  sl_xdp_init(x);
  return x;
}

START_TEST(install_auto_attaches_drv_on_veth_and_close_detaches) {
  enter_netns();
  sl_xdp_t *x = xdp_new();
  sl_err_t err;
  sl_xdp_filter_t f = one_port(9001);
  ck_assert_msg(install(x, VETH, &f, 4, SL_XDP_ATTACH_AUTO, &err) == 0, "%s", err.msg);
  ck_assert_str_eq(sl_xdp_mode_str(x), "drv");
  ck_assert_str_eq(x->drv_why, "");
  ck_assert_int_ge(x->link_fd, 0);
  ck_assert_int_ge(x->prog_fd, 0);
  ck_assert_int_ge(x->map_fd, 0);
  ck_assert_int_ge(x->cnt_fd, 0);
  ck_assert_uint_eq(x->map_entries, 4);
  ck_assert_ptr_nonnull((const void *)x->counters);
  for (uint32_t q = 0; q < 4; q++) ck_assert_uint_eq(x->counters[q].no_socket, 0);
  uint32_t id;
  ck_assert_int_eq(ip_xdp_state(VETH, &id), SL_XDP_ATTACH_DRV);
  ck_assert_uint_eq(id, x->prog_id);
  sl_xdp_close(x);
  ck_assert_int_eq(x->link_fd, -1);
  ck_assert_msg(wait_detached(VETH) == 0, "XDP still attached after sl_xdp_close");
  sl_xdp_close(x); /* idempotent */
  free(x);
}
END_TEST

START_TEST(install_skb_mode_attaches_generic) {
  enter_netns();
  sl_xdp_t *x = xdp_new();
  sl_err_t err;
  sl_xdp_filter_t f = sixteen_ports(inet_addr("10.1.2.200"));
  ck_assert_msg(install(x, VETH, &f, 4, SL_XDP_ATTACH_SKB, &err) == 0, "%s", err.msg);
  ck_assert_str_eq(sl_xdp_mode_str(x), "skb");
  uint32_t id;
  ck_assert_int_eq(ip_xdp_state(VETH, &id), SL_XDP_ATTACH_SKB);
  ck_assert_uint_eq(id, x->prog_id);
  sl_xdp_close(x);
  ck_assert_msg(wait_detached(VETH) == 0, "XDP still attached after sl_xdp_close");
  free(x);
}
END_TEST

START_TEST(install_auto_falls_back_to_skb_and_says_why) {
  enter_netns();
  ck_assert_int_eq(sh("ip link set lo up"), 0);
  sl_xdp_t *x = xdp_new();
  sl_err_t err;
  sl_xdp_filter_t f = one_port(9001);
  /* lo has no native XDP */
  ck_assert_int_eq(install(x, "lo", &f, 1, SL_XDP_ATTACH_DRV, &err), -1);
  ck_assert_msg(strstr(err.msg, "lo") && strstr(err.msg, "xdp_mode"), "%s", err.msg);
  ck_assert_int_eq(x->map_fd, -1);
  ck_assert_int_eq(x->prog_fd, -1);
  ck_assert_msg(install(x, "lo", &f, 1, SL_XDP_ATTACH_AUTO, &err) == 0, "%s", err.msg);
  ck_assert_str_eq(sl_xdp_mode_str(x), "skb");
  ck_assert_msg(strstr(x->drv_why, "driver (drv) mode"), "drv_why: \"%s\"", x->drv_why);
  sl_xdp_close(x);
  free(x);
}
END_TEST

START_TEST(second_install_on_same_interface_fails_busy) {
  enter_netns();
  sl_xdp_t *a = xdp_new(), *b = xdp_new();
  sl_err_t err;
  sl_xdp_filter_t f = one_port(9001);
  ck_assert_msg(install(a, VETH, &f, 4, SL_XDP_ATTACH_AUTO, &err) == 0, "%s", err.msg);
  int modes[] = {SL_XDP_ATTACH_AUTO, SL_XDP_ATTACH_DRV, SL_XDP_ATTACH_SKB};
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(install(b, VETH, &f, 4, modes[i], &err), -1);
    ck_assert_msg(strstr(err.msg, "another XDP program is attached to " VETH) &&
                      strstr(err.msg, "ip link set dev " VETH " xdp off"),
                  "mode %d: %s", modes[i], err.msg);
    ck_assert_int_eq(b->link_fd, -1);
  }
  /* the first program is untouched */
  uint32_t id;
  ck_assert_int_eq(ip_xdp_state(VETH, &id), SL_XDP_ATTACH_DRV);
  ck_assert_uint_eq(id, a->prog_id);
  sl_xdp_close(a);
  free(a);
  free(b);
}
END_TEST

START_TEST(install_refuses_a_bad_interface_or_queue_count) {
  enter_netns();
  sl_xdp_t *x = xdp_new();
  sl_err_t err;
  sl_xdp_filter_t f = one_port(9001);
  ck_assert_int_eq(sl_xdp_install(x, "sl-nosuch0", 0, 1, &f, SL_XDP_ATTACH_AUTO, 0, &err), -1);
  ck_assert_msg(strstr(err.msg, "sl-nosuch0") && strstr(err.msg, "no interface index"), "%s", err.msg);
  ck_assert_int_eq(sl_xdp_install(x, "an-interface-name-too-long", 1, 1, &f, 0, 0, &err), -1);
  ck_assert_msg(strstr(err.msg, "longer than"), "%s", err.msg);
  ck_assert_int_eq(install(x, VETH, &f, 0, SL_XDP_ATTACH_AUTO, &err), -1);
  ck_assert_msg(strstr(err.msg, "zero queues"), "%s", err.msg);
  ck_assert_int_eq(x->map_fd, -1);
  uint32_t id;
  ck_assert_int_eq(ip_xdp_state(VETH, &id), 0);
  free(x);
}
END_TEST

START_TEST(program_detaches_when_owner_is_killed) {
  enter_netns();
  int ready[2];
  ck_assert_int_eq(pipe(ready), 0);
  pid_t child = fork();
  ck_assert_int_ge(child, 0);
  if (child == 0) {
    sl_xdp_t *x = xdp_new();
    sl_xdp_filter_t f = one_port(9001);
    char ok = install(x, VETH, &f, 4, SL_XDP_ATTACH_AUTO, NULL) == 0 ? 'y' : 'n';
    if (write(ready[1], &ok, 1) != 1) _exit(2);
    for (int i = 0; i < 300; i++) sleep(1); /* bounded: the parent kills it long before */
    _exit(0);
  }
  close(ready[1]);
  struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
  char ok = 0;
  int got = poll(&pfd, 1, 10000) == 1 && read(ready[0], &ok, 1) == 1;
  uint32_t id;
  int state = ip_xdp_state(VETH, &id);
  kill(child, SIGKILL);
  int st;
  ck_assert_int_eq(waitpid(child, &st, 0), child);
  ck_assert_msg(got && ok == 'y', "child did not install");
  ck_assert_int_eq(state, SL_XDP_ATTACH_DRV);
  ck_assert_msg(wait_detached(VETH) == 0, "XDP still attached after its owner died of SIGKILL");
}
END_TEST

/* An AF_XDP socket bound (copy mode) to ifname's queue 0, with an RX ring:
   what the XSKMAP accepts. The rings are never mapped: only the map entry
   is exercised. */
static int xsk_bound(uint32_t ifindex, void **umem, size_t umem_sz) {
  int s = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  ck_assert_msg(s >= 0, "socket(AF_XDP): %s", strerror(errno));
  *umem = mmap(NULL, umem_sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(*umem, MAP_FAILED);
  struct xdp_umem_reg reg = {.addr = (uintptr_t)*umem, .len = umem_sz, .chunk_size = 2048};
  ck_assert_int_eq(setsockopt(s, SOL_XDP, XDP_UMEM_REG, &reg, sizeof reg), 0);
  int n = 64;
  ck_assert_int_eq(setsockopt(s, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof n), 0);
  ck_assert_int_eq(setsockopt(s, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof n), 0);
  ck_assert_int_eq(setsockopt(s, SOL_XDP, XDP_RX_RING, &n, sizeof n), 0);
  struct sockaddr_xdp sa = {.sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = 0,
                            .sxdp_flags = XDP_COPY};
  ck_assert_msg(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0, "bind AF_XDP: %s",
                strerror(errno));
  return s;
}

START_TEST(registered_socket_turns_match_into_redirect) {
  enter_netns();
  sl_xdp_t *x = xdp_new();
  sl_err_t err;
  sl_xdp_filter_t f = one_port(9001); /* production fallback: XDP_PASS */
  ck_assert_msg(install(x, VETH, &f, 4, SL_XDP_ATTACH_AUTO, &err) == 0, "%s", err.msg);

  uint8_t buf[256];
  pkt_t k = udp_to(9001);
  uint32_t len = frame_build(buf, sizeof buf, &k);
  /* TEST_RUN sees rx_queue_index 0: no socket there yet, so the packet
     goes to the kernel and is counted, where the net tile reads it. */
  ck_assert_int_eq(run(x->prog_fd, buf, len), XDP_PASS);
  ck_assert_uint_eq(x->counters[0].no_socket, 1);

  int pfd[2];
  ck_assert_int_eq(pipe(pfd), 0);
  ck_assert_int_eq(sl_xdp_register(x, 0, pfd[0], &err), -1);
  ck_assert_msg(strstr(err.msg, "not an AF_XDP socket"), "%s", err.msg);
  ck_assert_int_eq(sl_xdp_register(x, 4, pfd[0], &err), -1);
  ck_assert_msg(strstr(err.msg, "queue 4 beyond"), "%s", err.msg);

  void *umem;
  int s = xsk_bound(x->ifindex, &umem, 64 * 2048);
  ck_assert_msg(sl_xdp_register(x, 0, s, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(run(x->prog_fd, buf, len), XDP_REDIRECT);
  ck_assert_uint_eq(x->counters[0].no_socket, 1); /* redirected: not counted */
  k.dport = 9002;
  uint32_t other = frame_build(buf + 128, 128, &k);
  ck_assert_int_eq(run(x->prog_fd, buf + 128, other), XDP_PASS);

  ck_assert_msg(sl_xdp_unregister(x, 0, &err) == 0, "%s", err.msg);
  ck_assert_int_eq(run(x->prog_fd, buf, len), XDP_PASS);
  ck_assert_msg(sl_xdp_unregister(x, 0, &err) == 0, "empty slot: %s", err.msg);
  close(s);
  munmap(umem, 64 * 2048);
  close(pfd[0]);
  close(pfd[1]);
  sl_xdp_close(x);
  free(x);
}
END_TEST

START_TEST(debug_install_keeps_the_verifier_log) {
  enter_netns();
  sl_xdp_t *x = xdp_new();
  sl_err_t err;
  sl_xdp_filter_t f = sixteen_ports(0);
  ck_assert_msg(sl_xdp_install(x, VETH, if_nametoindex(VETH), 4, &f, SL_XDP_ATTACH_SKB, 1, &err) == 0, "%s",
                err.msg);
  ck_assert_msg(x->log[0] != 0, "no verifier log at debug level");
  ck_assert_uint_gt(x->insn_cnt, 16);
  sl_xdp_close(x);
  ck_assert_msg(install(x, VETH, &f, 4, SL_XDP_ATTACH_SKB, &err) == 0, "%s", err.msg);
  ck_assert_str_eq(x->log, "");
  sl_xdp_close(x);
  free(x);
}
END_TEST

/* ---- suite ---- */

static int privileged(char *why, size_t sz) {
  sl_err_t err;
  int fd = sl_bpf_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0, "sl_probe", &err);
  if (fd < 0) {
    snprintf(why, sz, "%s", err.msg);
    return 0;
  }
  close(fd);
  if (geteuid() != 0) {
    snprintf(why, sz, "not root: namespaces and veth pairs need CAP_SYS_ADMIN and CAP_NET_ADMIN");
    return 0;
  }
  return 1;
}

static char unprivileged_why[SL_ERR_MAX + 64];

START_TEST(privileges_are_available) {
  ck_abort_msg("test_bpf needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN): %s. Run as root, or "
               "set SLUICE_ALLOW_SKIP_PRIVILEGED=1 to skip the privileged tests.",
               unprivileged_why);
}
END_TEST

int main(void) {
  Suite *s = suite_create("bpf");

  TCase *gen = tcase_create("gen");
  tcase_add_test(gen, gen_rejects_invalid_filters);
  tcase_add_test(gen, gen_largest_filter_fits_insn_max);
  tcase_add_test(gen, gen_jumps_stay_inside_the_program);
  tcase_add_test(gen, log_summary_skips_verifier_statistics);
  tcase_add_test(gen, insn_fmt_reads_like_the_kernel_dump);
  suite_add_tcase(s, gen);

  if (privileged(unprivileged_why, sizeof unprivileged_why)) {
    TCase *v = tcase_create("verdicts");
    tcase_add_test(v, every_configured_port_matches);
    tcase_add_test(v, unconfigured_ports_pass);
    tcase_add_test(v, dst_address_filter_matches_only_its_address);
    tcase_add_test(v, ip_options_are_skipped_for_every_ihl);
    tcase_add_test(v, ihl_below_5_passes);
    tcase_add_test(v, fragments_pass);
    tcase_add_test(v, vlan_ipv6_arp_pass);
    tcase_add_test(v, a_first_fragment_to_a_captured_port_is_counted_once_per_datagram);
    tcase_add_test(v, a_first_fragment_to_another_address_is_not_counted);
    tcase_add_test(v, ipv6_udp_to_a_captured_port_is_counted_when_any_address_is_captured);
    tcase_add_test(v, a_match_on_a_queue_without_a_socket_is_counted);
    tcase_add_test(v, without_a_counters_map_verdicts_are_the_same);
    tcase_add_test(v, other_protocols_to_matching_port_pass);
    tcase_add_test(v, ip_version_other_than_4_passes);
    tcase_add_test(v, runts_pass_at_every_truncation);
    tcase_add_test(v, oversize_frames_match_on_headers);
    tcase_add_test(v, matching_frame_is_not_modified);
    tcase_add_test(v, verifier_rejection_keeps_log_and_summarizes_it);
    tcase_add_test(v, map_create_errors_name_the_map);
    suite_add_tcase(s, v);

    TCase *in = tcase_create("install");
    tcase_add_test(in, install_auto_attaches_drv_on_veth_and_close_detaches);
    tcase_add_test(in, install_skb_mode_attaches_generic);
    tcase_add_test(in, install_auto_falls_back_to_skb_and_says_why);
    tcase_add_test(in, second_install_on_same_interface_fails_busy);
    tcase_add_test(in, install_refuses_a_bad_interface_or_queue_count);
    tcase_add_test(in, program_detaches_when_owner_is_killed);
    tcase_add_test(in, registered_socket_turns_match_into_redirect);
    tcase_add_test(in, debug_install_keeps_the_verifier_log);
    suite_add_tcase(s, in);
  } else if (getenv("SLUICE_ALLOW_SKIP_PRIVILEGED") &&
             strcmp(getenv("SLUICE_ALLOW_SKIP_PRIVILEGED"), "1") == 0) {
    fprintf(stderr, "test_bpf: SKIPPING privileged tests (%s)\n", unprivileged_why);
  } else {
    TCase *p = tcase_create("privileges");
    tcase_add_test(p, privileges_are_available);
    suite_add_tcase(s, p);
  }

  SRunner *sr = srunner_create(s);
  /* Install tests move their process into a private network namespace:
     they rely on Check's one-process-per-test. */
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
