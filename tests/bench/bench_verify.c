/* bench_verify: what the verify core costs on top of libsodium.

   On one pinned core, over the same transactions (the fixture transactions
   1, 2, 4 and 6 from $SLUICE_SHARED/vectors/solana-txn, 8 signatures):
     (a) baseline: a bare loop of crypto_sign_verify_detached over the
         transactions' (signature, key, message) triples, parsed beforehand;
     (b) sluice: sl_txn_parse + sl_sigverify_txn on the raw bytes.
   Single passes over the set alternate between the modes so both see the
   same machine; the fastest pass of each is compared (noise on a shared
   host only ever slows a pass down), and the means are shown beside it.
   Prints signatures/s for both and the ratio b/a.

   usage: bench_verify [--seconds TOTAL] [--cpu CPU] */
#include <sched.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/verify/sigverify.h"
#include "tiles/verify/txn.h"
#include "util/time.h"

#define TXN_CNT 4

typedef struct {
  uint8_t buf[SL_TXN_MTU];
  uint32_t sz;
} raw_txn_t;

typedef struct {
  const uint8_t *sig, *pk, *msg;
  uint32_t msg_sz;
} triple_t;

static raw_txn_t txns[TXN_CNT];
static triple_t triples[TXN_CNT * SL_TXN_SIG_MAX];
static uint32_t triple_cnt;

static int load(const char *shared) {
  static const char *names[TXN_CNT] = {"transaction1.bin", "transaction2.bin", "transaction4.bin",
                                       "transaction6.bin"};
  for (int k = 0; k < TXN_CNT; k++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/vectors/solana-txn/%s", shared, names[k]);
    FILE *f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "bench_verify: cannot open %s (set SLUICE_SHARED)\n", path);
      return -1;
    }
    txns[k].sz = (uint32_t)fread(txns[k].buf, 1, sizeof txns[k].buf, f);
    fclose(f);
    sl_txn_t t;
    int rc = sl_txn_parse(txns[k].buf, txns[k].sz, &t);
    if (rc != 0) {
      fprintf(stderr, "bench_verify: %s: %s\n", path, sl_txn_strerror(rc));
      return -1;
    }
    for (uint32_t i = 0; i < t.sig_cnt; i++)
      triples[triple_cnt++] = (triple_t){sl_txn_sig(txns[k].buf, &t, i),
                                         sl_txn_key(txns[k].buf, &t, i),
                                         txns[k].buf + t.msg_off, t.msg_sz};
  }
  return 0;
}

/* One pass of each mode verifies every signature of the set once and
   returns its duration in ns; *bad counts verifications that failed (must
   stay 0: every signature in the set is good). */
static uint64_t pass_bare(uint64_t *bad) {
  uint64_t t0 = sl_now_ns();
  for (uint32_t j = 0; j < triple_cnt; j++)
    *bad += crypto_sign_verify_detached(triples[j].sig, triples[j].msg, triples[j].msg_sz,
                                        triples[j].pk) != 0;
  return sl_now_ns() - t0;
}

static uint64_t pass_sluice(uint64_t *bad) {
  uint64_t t0 = sl_now_ns();
  for (int k = 0; k < TXN_CNT; k++) {
    sl_txn_t t;
    *bad += sl_txn_parse(txns[k].buf, txns[k].sz, &t) != 0;
    *bad += sl_sigverify_txn(txns[k].buf, &t) != 0;
  }
  return sl_now_ns() - t0;
}

/* Parse alone: ns per transaction over the set, fastest of 20 batches. */
static double parse_ns(uint64_t *bad) {
  double best = 1e18;
  for (int r = 0; r < 20; r++) {
    uint64_t t0 = sl_now_ns();
    for (int n = 0; n < 5000; n++)
      for (int k = 0; k < TXN_CNT; k++) {
        sl_txn_t t;
        *bad += sl_txn_parse(txns[k].buf, txns[k].sz, &t) != 0;
        __asm__ volatile("" : : "r"(&t) : "memory"); /* keep the parse */
      }
    double ns = (double)(sl_now_ns() - t0) / (5000.0 * TXN_CNT);
    best = ns < best ? ns : best;
  }
  return best;
}

typedef struct {
  uint64_t min_ns, sum_ns, passes;
} stat_t;

static void account(stat_t *s, uint64_t ns) {
  s->min_ns = ns < s->min_ns ? ns : s->min_ns;
  s->sum_ns += ns;
  s->passes++;
}

int main(int argc, char **argv) {
  double seconds = 6.0;
  int cpu = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) cpu = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: %s [--seconds TOTAL] [--cpu CPU]\n", argv[0]);
      return 2;
    }
  }
  if (!(seconds > 0 && seconds < 3600)) {
    fprintf(stderr, "bench_verify: --seconds must be in (0, 3600)\n");
    return 2;
  }

  /* One core, as a verify tile would have: default to the CPU we start on. */
  if (cpu < 0) cpu = sched_getcpu();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    fprintf(stderr, "bench_verify: cannot pin to CPU %d\n", cpu);
    return 1;
  }

  sl_err_t err;
  if (sl_sigverify_init(&err) != 0) {
    fprintf(stderr, "bench_verify: %s\n", err.msg);
    return 1;
  }
  const char *shared = getenv("SLUICE_SHARED");
  if (load(shared ? shared : "../shared") != 0) return 1;

  /* Passes alternate a, b, a, b ... so both modes see the same clock
     speed and the same neighbours. */
  uint64_t bad = 0;
  stat_t a = {UINT64_MAX, 0, 0}, b = {UINT64_MAX, 0, 0};
  for (int w = 0; w < 20; w++) pass_bare(&bad); /* warm caches, clocks */
  uint64_t end = sl_now_ns() + (uint64_t)(seconds * 1e9);
  while (sl_now_ns() < end) {
    account(&a, pass_bare(&bad));
    account(&b, pass_sluice(&bad));
  }
  double parse = parse_ns(&bad);
  if (bad) {
    fprintf(stderr, "bench_verify: %llu verifications failed on good signatures\n",
            (unsigned long long)bad);
    return 1;
  }
  double best_a = triple_cnt * 1e9 / (double)a.min_ns, best_b = triple_cnt * 1e9 / (double)b.min_ns;
  double mean_a = (double)(triple_cnt * a.passes) * 1e9 / (double)a.sum_ns;
  double mean_b = (double)(triple_cnt * b.passes) * 1e9 / (double)b.sum_ns;
  printf("verify: %d transactions, %u signatures per pass, CPU %d, %llu passes per mode "
         "in %.1f s\n",
         TXN_CNT, triple_cnt, cpu, (unsigned long long)a.passes, seconds);
  printf("  (a) bare crypto_sign_verify_detached : %8.0f sig/s fastest pass, %8.0f mean\n",
         best_a, mean_a);
  printf("  (b) sl_txn_parse + sl_sigverify_txn  : %8.0f sig/s fastest pass, %8.0f mean\n",
         best_b, mean_b);
  printf("  ratio b/a: %.1f %% fastest pass, %.1f %% mean\n", 100.0 * best_b / best_a,
         100.0 * mean_b / mean_a);
  printf("  sl_txn_parse alone: %.0f ns per transaction (mean size %u bytes)\n", parse,
         (txns[0].sz + txns[1].sz + txns[2].sz + txns[3].sz) / TXN_CNT);
  printf("RESULT bench=verify baseline_sig_per_s=%.0f sluice_sig_per_s=%.0f ratio=%.4f\n",
         best_a, best_b, best_b / best_a);
  return 0;
}
