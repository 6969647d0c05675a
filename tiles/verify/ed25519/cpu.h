/* tiles/verify/ed25519/cpu.h: which vector backends this CPU and its OS
   can run. A feature counts only when CPUID reports it and XGETBV shows the
   OS saves the registers it uses (YMM for AVX2; opmask and both ZMM halves
   for AVX-512). The choice is a pure function of the feature bits, so the
   tests can ask it about CPUs this machine is not (an AVX-512F Xeon
   without IFMA must get avx2). */
#ifndef SL_TILES_VERIFY_ED25519_CPU_H
#define SL_TILES_VERIFY_ED25519_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "tiles/verify/ed25519/ed25519.h"

enum {
  SL_CPU_AVX2 = 1u << 0,       /* CPUID.7.0:EBX[5] */
  SL_CPU_AVX512F = 1u << 1,    /* CPUID.7.0:EBX[16] */
  SL_CPU_AVX512IFMA = 1u << 2, /* CPUID.7.0:EBX[21] */
  SL_CPU_OS_YMM = 1u << 3,     /* OSXSAVE, XCR0 bits 1-2 */
  SL_CPU_OS_ZMM = 1u << 4,     /* OSXSAVE, XCR0 bits 1-2 and 5-7 */
  SL_CPU_AVX512BW = 1u << 5,   /* CPUID.7.0:EBX[30]: byte shuffles (SHA-512's byte order) */
};

/* sl_cpu_features: this CPU's SL_CPU_* bits (probed once, then cached). */
uint32_t sl_cpu_features(void);

/* sl_cpu_runs: 1 if a CPU with features f can run backend b, else 0. */
int sl_cpu_runs(sl_ed25519_backend_t b, uint32_t f);

/* sl_cpu_best: the fastest backend features f can run (avx512, avx2,
   else libsodium). */
sl_ed25519_backend_t sl_cpu_best(uint32_t f);

/* sl_cpu_missing: for a backend f cannot run, the missing feature in
   words ("AVX-512 IFMA", "OS support for ZMM registers", ...); "" if none. */
const char *sl_cpu_missing(sl_ed25519_backend_t b, uint32_t f);

/* sl_cpu_describe writes the features of f that the backends use, in
   words, into buf (sz bytes, truncated): "AVX2, AVX-512F, AVX-512 IFMA,
   AVX-512BW" (only those present and saved by the OS: a feature whose
   registers the OS does not save is left out), or "none of AVX2 and
   AVX-512". Returns buf. */
const char *sl_cpu_describe(uint32_t f, char *buf, size_t sz);

#endif
