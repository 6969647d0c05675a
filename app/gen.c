/* app/gen.c: `sluice gen` argument parsing and reporting; the work is in
   app/gen/gen_engine.c. */
#include "app/gen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/gen/gen_engine.h"
#include "app/gen/gen_xsk.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

static const char USAGE[] =
    "usage: sluice gen --dst IP:PORT[,PORT...] [--count N] [--rate PPS] [--dup R] [--bad-sig R]\n"
    "                  [--malformed R] [--seed S] [--sigs N] [--size B] [--version any|legacy|v0]\n"
    "                  [--pool N] [--threads N] [--src-port P] [--interface IF]\n"
    "  --dst         destination; several ports spread packets round-robin\n"
    "  --count       packets to send (default 1000)\n"
    "  --rate        packets per second, 0 = as fast as possible (default 0)\n"
    "  --dup, --bad-sig, --malformed\n"
    "                share of duplicates, badly signed and malformed packets (0..1, sum <= 1)\n"
    "  --seed        PRNG seed: the same seed sends the same bytes (default: from the clock)\n"
    "  --sigs        signatures per transaction, 1..4 (default: random)\n"
    "  --size        transaction size in bytes, up to 1232 (default: random; ~215 at least with 1 signer)\n"
    "  --version     message version (default any)\n"
    "  --pool        distinct packets signed before sending (default min(count, 131072));\n"
    "                beyond it packets repeat, and repeated valid ones count as duplicates\n"
    "  --threads     signing threads (default: one per online CPU)\n"
    "  --src-port    UDP source port (default: ephemeral)\n"
    "  --interface   send full frames through AF_XDP on every TX queue of IF\n"
    "Prints one JSON line: {\"sent\", \"valid_unique\", \"duplicates\", \"bad_sig\", \"malformed\", "
    "\"seconds\", \"pps\"}.\n";

static volatile int g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sluice gen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n%s", USAGE);
  va_end(ap);
  return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!s || !*s || *s == '-') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

static int parse_ratio(const char *s, double *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !(v >= 0.0 && v <= 1.0)) return -1;
  *out = v;
  return 0;
}

/* "IP:P1,P2,..." into o's destination. */
static int parse_dst(const char *s, sl_gen_opts_t *o) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || colon - s >= INET_ADDRSTRLEN) return -1;
  char ip[INET_ADDRSTRLEN];
  memcpy(ip, s, (size_t)(colon - s));
  ip[colon - s] = 0;
  if (inet_pton(AF_INET, ip, &o->dst_ip4) != 1) return -1;
  o->dst_port_cnt = 0;
  const char *p = colon + 1;
  for (;;) {
    char *end;
    errno = 0;
    if (*p < '0' || *p > '9') return -1;
    unsigned long v = strtoul(p, &end, 10);
    if (errno || v < 1 || v > 65535 || o->dst_port_cnt == SL_PORTS_MAX) return -1;
    o->dst_port[o->dst_port_cnt++] = (uint16_t)v;
    if (*end == 0) return 0;
    if (*end != ',') return -1;
    p = end + 1;
  }
}

int sl_cmd_gen(int argc, char **argv) {
  sl_gen_opts_t o;
  sl_gen_opts_default(&o);
  int have_dst = 0, have_seed = 0;
  const char *ifname = NULL;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(USAGE, stdout);
      return 0;
    }
    if (strncmp(a, "--", 2)) return usage_error("unexpected argument '%s'", a);
    /* --opt=value or --opt value */
    char name[32];
    const char *eq = strchr(a, '=');
    size_t nl = eq ? (size_t)(eq - a) : strlen(a);
    if (nl >= sizeof name) return usage_error("unknown option '%s'", a);
    memcpy(name, a, nl);
    name[nl] = 0;
    static const char *const known[] = {"--dst",  "--count", "--rate",    "--dup",     "--bad-sig",  "--malformed",
                                        "--seed", "--sigs",  "--size",    "--version", "--pool",     "--threads",
                                        "--src-port", "--interface"};
    size_t k = 0;
    while (k < sizeof known / sizeof *known && strcmp(known[k], name)) k++;
    if (k == sizeof known / sizeof *known) return usage_error("unknown option '%s'", name);
    if (eq) v = eq + 1;
    else if (i + 1 < argc) v = argv[++i];
    else return usage_error("%s needs a value", name);

    uint64_t u;
    if (!strcmp(name, "--dst")) {
      if (parse_dst(v, &o)) return usage_error("--dst '%s': expected IPv4:PORT[,PORT...] (at most 16 ports, 1..65535)", v);
      have_dst = 1;
    } else if (!strcmp(name, "--count")) {
      if (parse_u64(v, UINT64_MAX, &o.count)) return usage_error("--count '%s': expected a non-negative integer", v);
    } else if (!strcmp(name, "--rate")) {
      if (parse_u64(v, 100000000ull, &o.rate)) return usage_error("--rate '%s': expected packets per second, 0..100000000", v);
    } else if (!strcmp(name, "--dup")) {
      if (parse_ratio(v, &o.dup)) return usage_error("--dup '%s': expected a ratio in [0, 1]", v);
    } else if (!strcmp(name, "--bad-sig")) {
      if (parse_ratio(v, &o.bad_sig)) return usage_error("--bad-sig '%s': expected a ratio in [0, 1]", v);
    } else if (!strcmp(name, "--malformed")) {
      if (parse_ratio(v, &o.malformed)) return usage_error("--malformed '%s': expected a ratio in [0, 1]", v);
    } else if (!strcmp(name, "--seed")) {
      if (parse_u64(v, UINT64_MAX, &o.seed)) return usage_error("--seed '%s': expected a non-negative integer", v);
      have_seed = 1;
    } else if (!strcmp(name, "--sigs")) {
      if (parse_u64(v, SL_TXN_BUILD_SIGS_MAX, &u) || !u) return usage_error("--sigs '%s': expected 1..4", v);
      o.sigs = (uint8_t)u;
    } else if (!strcmp(name, "--size")) {
      if (parse_u64(v, SL_TXN_MTU, &u) || !u) return usage_error("--size '%s': expected 1..1232 bytes", v);
      o.size = (uint16_t)u;
    } else if (!strcmp(name, "--version")) {
      if (!strcmp(v, "any")) o.version = SL_TXN_VER_ANY;
      else if (!strcmp(v, "legacy")) o.version = SL_TXN_VER_LEGACY;
      else if (!strcmp(v, "v0")) o.version = SL_TXN_VER_V0;
      else return usage_error("--version '%s': expected any, legacy or v0", v);
    } else if (!strcmp(name, "--pool")) {
      if (parse_u64(v, 1ull << 24, &o.pool) || !o.pool) return usage_error("--pool '%s': expected 1..16777216", v);
    } else if (!strcmp(name, "--threads")) {
      if (parse_u64(v, 16, &u) || !u) return usage_error("--threads '%s': expected 1..16", v);
      o.threads = (uint32_t)u;
    } else if (!strcmp(name, "--src-port")) {
      if (parse_u64(v, 65535, &u) || !u) return usage_error("--src-port '%s': expected 1..65535", v);
      o.src_port = (uint16_t)u;
    } else { /* --interface */
      ifname = v;
    }
  }
  if (!have_dst) return usage_error("--dst is required");
  if (o.dup + o.bad_sig + o.malformed > 1.0 + 1e-9)
    return usage_error("--dup + --bad-sig + --malformed must sum to at most 1");
  if (!have_seed) {
    o.seed = sl_wall_ns() ^ ((uint64_t)getpid() << 32);
    SL_INFO("gen: seed %llu (pass --seed to send the same packets again)", (unsigned long long)o.seed);
  }

  sl_err_t err;
  sl_gen_pool_t pool;
  if (sl_gen_pool_new(&pool, &o, &err)) {
    fprintf(stderr, "sluice gen: %s\n", err.msg);
    return 1;
  }

  /* SIGINT/SIGTERM end the send loop; the summary still counts what left. */
  struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  g_stop = 0;
  o.stop = &g_stop;

  sl_gen_result_t res;
  int rc;
  if (ifname) {
    /* AF_XDP transmit: full frames on every TX queue of the interface. */
    sl_gen_xsk_opts_t xo;
    sl_gen_xsk_opts_default(&xo);
    xo.ifname = ifname;
    rc = sl_gen_send_xsk(&pool, &o, &xo, &res, &err);
  } else {
    rc = sl_gen_send(&pool, &o, &res, &err);
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sl_gen_pool_delete(&pool);

  char line[512];
  sl_gen_result_json(&res, line, sizeof line);
  printf("%s\n", line);
  fflush(stdout);
  if (rc) {
    fprintf(stderr, "sluice gen: %s\n", err.msg);
    return 1;
  }
  return 0;
}
