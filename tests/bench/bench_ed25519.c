/* bench_ed25519: the signature check alone, each backend of
   tiles/verify/ed25519 this CPU runs against a bare libsodium loop.

   On one pinned core, for 200- and 1232-byte messages: a set of 64 valid
   signatures by 64 different keys. A round times one pass over the set in
   each mode, in turn (libsodium's crypto_sign_verify_detached one by one;
   ref, avx2 and avx512 through sl_ed25519_verify_many, full lanes), so all
   modes see the same machine; the result per mode is the median of its
   rounds with the 10th-90th percentile spread, and the ratio to libsodium
   is taken round by round (median and spread of those ratios).

   Where the time goes, per backend: the field multiplications and squarings
   one verification needs by its schedule (counted, times each one's cost in
   that backend's lanes, measured here, with decompression's and the final
   inversion's shares of them), the front half (checks, SHA-512 of
   R || A || M, reduction, recoding; measured as the backend runs it), and
   the rest (table lookups, the carries of additions, conversions,
   encoding). And from how many signatures on a vector pass beats
   libsodium (the smallest group sl_ed25519_verify_many sends to the lanes).

   usage: bench_ed25519 [--rounds N] [--cpu CPU] */
#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/verify/ed25519/ed25519.h"
#include "tiles/verify/ed25519/fe.h"
#include "tiles/verify/ed25519/fe_avx2.h"
#include "tiles/verify/ed25519/fe_avx512.h"
#include "tiles/verify/ed25519/prep.h"
#include "tests/bench/bench_stats.h"
#include "util/time.h"

#define SET 64
#define MSG_MAX 1232
#define ROUNDS_MAX 400

/* Field operations of one verification, by the schedule (prep.h): 252
   doublings (4 S, and 3 M to get back the p2 they read), 64 additions of
   -A's multiples (4 M to p3, 4 M), 32 of B's (4 M to p3, 3 M), the table of
   -A (7 additions, 8 conversions), decompression (the (p-5)/8 power: 251 S
   and 10 M, and 4 S, 9 M around it) and the encoding (the inversion: 254 S
   and 10 M, and 2 M). */
enum {
  OPS_DECOMP_S = 255, OPS_DECOMP_M = 19,
  OPS_ENCODE_S = 254, OPS_ENCODE_M = 12,
  OPS_S = 252 * 4 + OPS_DECOMP_S + OPS_ENCODE_S,
  OPS_M = 252 * 3 + 64 * 8 + 32 * 7 + 3 + 7 * 8 + 8 + OPS_DECOMP_M + OPS_ENCODE_M,
};

typedef struct {
  uint8_t pk[SET][32], sig[SET][64], msg[SET][MSG_MAX];
  sl_ed25519_item_t it[SET];
  uint32_t msg_sz;
} set_t;

static void make_set(set_t *s, uint32_t msg_sz) {
  s->msg_sz = msg_sz;
  for (int i = 0; i < SET; i++) {
    uint8_t sk[64];
    crypto_sign_keypair(s->pk[i], sk);
    randombytes_buf(s->msg[i], msg_sz);
    crypto_sign_detached(s->sig[i], NULL, s->msg[i], msg_sz, sk);
    s->it[i] = (sl_ed25519_item_t){s->sig[i], s->msg[i], s->pk[i], msg_sz};
  }
}

/* One pass over the set in mode m (-1: bare libsodium, else a backend);
   returns ns per signature; counts failures in *bad (must stay 0). */
static double pass(const set_t *s, int m, uint64_t *bad) {
  int out[SET];
  uint64_t t0 = sl_now_ns();
  if (m < 0) {
    for (int i = 0; i < SET; i++)
      *bad += crypto_sign_verify_detached(s->sig[i], s->msg[i], s->msg_sz, s->pk[i]) != 0;
  } else {
    sl_ed25519_verify_many((sl_ed25519_backend_t)m, s->it, SET, out);
    for (int i = 0; i < SET; i++) *bad += out[i] != 0;
  }
  return (double)(sl_now_ns() - t0) / SET;
}

/* ---- unit costs: one field operation in each backend's lanes ---------------- */

#define OPS_REPS 20000

/* ns per element (one lane's worth) of a mul and of a sq: four chains that
   feed each other (nothing loop-invariant to hoist), the fastest of 15
   tries. */
static void unit_ref(double *mul, double *sq) {
  sl_fe_t a[4];
  for (int i = 0; i < 4; i++) sl_fe_set(&a[i], 12345 + (uint64_t)i);
  *mul = *sq = 1e18;
  for (int t = 0; t < 15; t++) {
    uint64_t t0 = sl_now_ns();
    for (int r = 0; r < OPS_REPS; r++)
      for (int i = 0; i < 4; i++) sl_fe_mul(&a[i], &a[i], &a[(i + 1) & 3]);
    uint64_t t1 = sl_now_ns();
    for (int r = 0; r < OPS_REPS; r++)
      for (int i = 0; i < 4; i++) sl_fe_sq(&a[i], &a[i]);
    uint64_t t2 = sl_now_ns();
    __asm__ volatile("" : : "r"(a) : "memory");
    double m = (double)(t1 - t0) / (4.0 * OPS_REPS), s = (double)(t2 - t1) / (4.0 * OPS_REPS);
    *mul = m < *mul ? m : *mul;
    *sq = s < *sq ? s : *sq;
  }
}

static SL_AVX2 void unit_avx2(double *mul, double *sq) {
  sl_fe4_t a[4];
  sl_fe_t c;
  for (int i = 0; i < 4; i++) {
    sl_fe_set(&c, 12345 + (uint64_t)i);
    sl_fe4_bcast(&a[i], &c);
  }
  *mul = *sq = 1e18;
  for (int t = 0; t < 15; t++) {
    uint64_t t0 = sl_now_ns();
    for (int r = 0; r < OPS_REPS; r++)
      for (int i = 0; i < 4; i++) sl_fe4_mul(&a[i], &a[i], &a[(i + 1) & 3]);
    uint64_t t1 = sl_now_ns();
    for (int r = 0; r < OPS_REPS; r++)
      for (int i = 0; i < 4; i++) sl_fe4_sq(&a[i], &a[i]);
    uint64_t t2 = sl_now_ns();
    __asm__ volatile("" : : "r"(a) : "memory");
    double m = (double)(t1 - t0) / (16.0 * OPS_REPS), s = (double)(t2 - t1) / (16.0 * OPS_REPS);
    *mul = m < *mul ? m : *mul;
    *sq = s < *sq ? s : *sq;
  }
}

static SL_AVX512 void unit_avx512(double *mul, double *sq) {
  sl_fe8_t a[4];
  sl_fe_t c;
  for (int i = 0; i < 4; i++) {
    sl_fe_set(&c, 12345 + (uint64_t)i);
    sl_fe8_bcast(&a[i], &c);
  }
  *mul = *sq = 1e18;
  for (int t = 0; t < 15; t++) {
    uint64_t t0 = sl_now_ns();
    for (int r = 0; r < OPS_REPS; r++)
      for (int i = 0; i < 4; i++) sl_fe8_mul(&a[i], &a[i], &a[(i + 1) & 3]);
    uint64_t t1 = sl_now_ns();
    for (int r = 0; r < OPS_REPS; r++)
      for (int i = 0; i < 4; i++) sl_fe8_sq(&a[i], &a[i]);
    uint64_t t2 = sl_now_ns();
    __asm__ volatile("" : : "r"(a) : "memory");
    double m = (double)(t1 - t0) / (32.0 * OPS_REPS), s = (double)(t2 - t1) / (32.0 * OPS_REPS);
    *mul = m < *mul ? m : *mul;
    *sq = s < *sq ? s : *sq;
  }
}

/* ns per signature of the front half (checks, SHA-512 of R || A || M,
   reduction mod L, recoding) as backend m runs it: libsodium's SHA-512 one
   at a time for ref, one multi-buffer sweep per pass for avx2 and avx512;
   the fastest of 15 passes over the set. */
static double front_ns(const set_t *s, int m) {
  double best = 1e18;
  uint32_t lanes = sl_ed25519_backend_lanes((sl_ed25519_backend_t)m);
  sl_prep_hash_fn hash = m == SL_ED25519_AVX512 ? sl_sha512x8 : sl_sha512x4;
  for (int t = 0; t < 15; t++) {
    uint64_t t0 = sl_now_ns();
    for (int i = 0; i < SET; i += (int)lanes) {
      if (m == SL_ED25519_REF) {
        sl_prep_t d;
        if (sl_prep_checks(s->sig[i], s->pk[i]) == 0) sl_prep_scalars(&d, s->sig[i], s->msg[i], s->msg_sz, s->pk[i]);
        __asm__ volatile("" : : "r"(&d) : "memory");
      } else {
        int8_t a[SL_PREP_AN * SL_ED25519_LANES_MAX], b[SL_PREP_BN * SL_ED25519_LANES_MAX];
        int out[SL_ED25519_LANES_MAX];
        sl_prep_lanes(s->it + i, lanes, lanes, hash, a, b, out);
        __asm__ volatile("" : : "r"(a), "r"(b) : "memory");
      }
    }
    double ns = (double)(sl_now_ns() - t0) / SET;
    best = ns < best ? ns : best;
  }
  return best;
}

int main(int argc, char **argv) {
  int rounds = 41, cpu = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) cpu = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: %s [--rounds N] [--cpu CPU]\n", argv[0]);
      return 2;
    }
  }
  if (rounds < 5 || rounds > ROUNDS_MAX) {
    fprintf(stderr, "bench_ed25519: --rounds must be 5..%d\n", ROUNDS_MAX);
    return 2;
  }
  if (cpu < 0) cpu = sched_getcpu();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    fprintf(stderr, "bench_ed25519: cannot pin to CPU %d\n", cpu);
    return 1;
  }
  sl_err_t err;
  if (sl_ed25519_init(&err)) {
    fprintf(stderr, "bench_ed25519: %s\n", err.msg);
    return 1;
  }

  /* modes: -1 = bare libsodium, then our backends this CPU runs */
  int modes[SL_ED25519_BACKEND_CNT + 1], nm = 0;
  modes[nm++] = -1;
  for (int b = SL_ED25519_REF; b < SL_ED25519_BACKEND_CNT; b++) {
    if (sl_ed25519_supported((sl_ed25519_backend_t)b)) modes[nm++] = b;
    else printf("ed25519: backend %s skipped: this CPU cannot run it\n", sl_ed25519_backend_name((sl_ed25519_backend_t)b));
  }
  static set_t sets[2];
  static const uint32_t sizes[2] = {200, 1232};
  make_set(&sets[0], sizes[0]);
  make_set(&sets[1], sizes[1]);

  printf("ed25519: the check alone, %d signatures per pass, CPU %d, %d interleaved rounds\n", SET, cpu, rounds);
  uint64_t bad = 0;
  double lib_fast[2]; /* libsodium's p10: break-even from fast rounds of both */
  for (int z = 0; z < 2; z++) {
    static double t[SL_ED25519_BACKEND_CNT + 1][ROUNDS_MAX], ratio[SL_ED25519_BACKEND_CNT + 1][ROUNDS_MAX];
    for (int k = 0; k < nm; k++) pass(&sets[z], modes[k], &bad); /* warm caches, clocks */
    for (int r = 0; r < rounds; r++)
      for (int k = 0; k < nm; k++) t[k][r] = pass(&sets[z], modes[k], &bad);
    for (int k = 0; k < nm; k++)
      for (int r = 0; r < rounds; r++) ratio[k][r] = t[0][r] / t[k][r];
    printf("  %u-byte messages:\n", sizes[z]);
    double base = 0;
    for (int k = 0; k < nm; k++) {
      const char *name = modes[k] < 0 ? "libsodium (bare)" : sl_ed25519_backend_name((sl_ed25519_backend_t)modes[k]);
      double lo = bench_quant(t[k], rounds, 0.1), med = bench_quant(t[k], rounds, 0.5), hi = bench_quant(t[k], rounds, 0.9);
      if (k == 0) base = med, lib_fast[z] = lo;
      double rlo = bench_quant(ratio[k], rounds, 0.1), rmed = bench_quant(ratio[k], rounds, 0.5), rhi = bench_quant(ratio[k], rounds, 0.9);
      printf("    %-17s %8.0f sig/s  %7.2f us median (p10-p90 %.2f-%.2f)", name, 1e9 / med, med / 1e3, lo / 1e3, hi / 1e3);
      if (k) printf("  x%.2f libsodium (per round: median %.2f, p10-p90 %.2f-%.2f)", base / med, rmed, rlo, rhi);
      printf("\n");
      if (k)
        printf("RESULT bench=ed25519 backend=%s msg=%u sig_per_s=%.0f libsodium_sig_per_s=%.0f ratio=%.3f ratio_p10=%.3f ratio_p90=%.3f\n",
               name, sizes[z], 1e9 / med, 1e9 / base, rmed, rlo, rhi);
    }
  }
  if (bad) {
    fprintf(stderr, "bench_ed25519: %llu verifications failed on valid signatures\n", (unsigned long long)bad);
    return 1;
  }

  /* where the time goes, at 200 and 1232 bytes */
  printf("  where a verification's time goes (%d M + %d S by the schedule; decompression %d M + %d S, "
         "final inversion %d M + %d S of them):\n",
         OPS_M, OPS_S, OPS_DECOMP_M, OPS_DECOMP_S, OPS_ENCODE_M, OPS_ENCODE_S);
  for (int k = 1; k < nm; k++) {
    double mul, sq;
    if (modes[k] == SL_ED25519_REF) unit_ref(&mul, &sq);
    else if (modes[k] == SL_ED25519_AVX2) unit_avx2(&mul, &sq);
    else unit_avx512(&mul, &sq);
    double field = OPS_M * mul + OPS_S * sq;
    double decomp = OPS_DECOMP_M * mul + OPS_DECOMP_S * sq, enc = OPS_ENCODE_M * mul + OPS_ENCODE_S * sq;
    for (int z = 0; z < 2; z++) {
      double total = 0;
      double tt[ROUNDS_MAX];
      for (int r = 0; r < 9; r++) tt[r] = pass(&sets[z], modes[k], &bad);
      total = bench_quant(tt, 9, 0.5);
      double fast = bench_quant(tt, 9, 0.1);
      double front = front_ns(&sets[z], modes[k]);
      double rest = total - field - front;
      printf("    %-7s %4u B: %6.2f us = field ops %5.2f (%2.0f%%: mul %.2f ns, sq %.2f ns per lane; decompression "
             "%2.0f%%, inversion %2.0f%%) + checks, SHA-512, scalars %5.2f (%2.0f%%) + lookups, carries, rest %5.2f (%2.0f%%)\n",
             sl_ed25519_backend_name((sl_ed25519_backend_t)modes[k]), sizes[z], total / 1e3, field / 1e3,
             100 * field / total, mul, sq, 100 * decomp / total, 100 * enc / total, front / 1e3, 100 * front / total,
             rest / 1e3, 100 * rest / total);
      if (z == 0 && sl_ed25519_backend_lanes((sl_ed25519_backend_t)modes[k]) > 1) {
        /* a pass costs the same however many lanes it fills: it pays from
           the first n for which n libsodium checks take longer */
        uint32_t lanes = sl_ed25519_backend_lanes((sl_ed25519_backend_t)modes[k]), pays = lanes + 1;
        for (uint32_t nn = 1; nn <= lanes && pays > lanes; nn++)
          if (nn * lib_fast[0] > fast * lanes) pays = nn;
        printf("    %-7s a pass of %u lanes costs %.2f us (p10): it pays from %u signatures on (libsodium %.2f us "
               "each, p10)\n",
               sl_ed25519_backend_name((sl_ed25519_backend_t)modes[k]), lanes, fast * lanes / 1e3, pays,
               lib_fast[0] / 1e3);
      }
    }
  }
  return 0;
}
