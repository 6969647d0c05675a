#include "tiles/verify/ed25519/cpu.h"

#include <cpuid.h>
#include <stdio.h>

static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t)hi << 32 | lo;
}

static uint32_t probe(void) {
  uint32_t a, b, c, d, f = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (c & bit_OSXSAVE) { /* XGETBV exists and the OS manages XCR0 */
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) == 0x6) f |= SL_CPU_OS_YMM;
    if ((xcr0 & 0xe6) == 0xe6) f |= SL_CPU_OS_ZMM;
  }
  if (__get_cpuid_max(0, NULL) >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    if (b & (1u << 5)) f |= SL_CPU_AVX2;
    if (b & (1u << 16)) f |= SL_CPU_AVX512F;
    if (b & (1u << 21)) f |= SL_CPU_AVX512IFMA;
    if (b & (1u << 30)) f |= SL_CPU_AVX512BW;
  }
  return f;
}

uint32_t sl_cpu_features(void) {
  /* 0 until probed (bit 31 marks a probe); racing threads store the same. */
  static uint32_t cached;
  uint32_t f = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (!f) {
    f = probe() | 1u << 31;
    __atomic_store_n(&cached, f, __ATOMIC_RELAXED);
  }
  return f & ~(1u << 31);
}

const char *sl_cpu_missing(sl_ed25519_backend_t b, uint32_t f) {
  switch (b) {
    case SL_ED25519_AVX2:
      if (!(f & SL_CPU_AVX2)) return "AVX2";
      if (!(f & SL_CPU_OS_YMM)) return "OS support for YMM registers (XCR0)";
      return "";
    case SL_ED25519_AVX512:
      if (!(f & SL_CPU_AVX512F)) return "AVX-512F";
      if (!(f & SL_CPU_AVX512IFMA)) return "AVX-512 IFMA";
      if (!(f & SL_CPU_AVX512BW)) return "AVX-512BW";
      if (!(f & SL_CPU_OS_ZMM)) return "OS support for ZMM and opmask registers (XCR0)";
      return "";
    default:
      return "";
  }
}

int sl_cpu_runs(sl_ed25519_backend_t b, uint32_t f) {
  if ((unsigned)b >= SL_ED25519_BACKEND_CNT) return 0;
  return sl_cpu_missing(b, f)[0] == 0;
}

sl_ed25519_backend_t sl_cpu_best(uint32_t f) {
  if (sl_cpu_runs(SL_ED25519_AVX512, f)) return SL_ED25519_AVX512;
  if (sl_cpu_runs(SL_ED25519_AVX2, f)) return SL_ED25519_AVX2;
  return SL_ED25519_LIBSODIUM;
}

const char *sl_cpu_describe(uint32_t f, char *buf, size_t sz) {
  static const struct {
    uint32_t bits;
    const char *name;
  } FEATURES[] = {
      {SL_CPU_AVX2 | SL_CPU_OS_YMM, "AVX2"},
      {SL_CPU_AVX512F | SL_CPU_OS_ZMM, "AVX-512F"},
      {SL_CPU_AVX512IFMA | SL_CPU_OS_ZMM, "AVX-512 IFMA"},
      {SL_CPU_AVX512BW | SL_CPU_OS_ZMM, "AVX-512BW"},
  };
  size_t n = 0;
  buf[0] = 0;
  for (size_t i = 0; i < sizeof FEATURES / sizeof *FEATURES; i++) {
    if ((f & FEATURES[i].bits) != FEATURES[i].bits) continue;
    int w = snprintf(buf + n, sz - n, "%s%s", n ? ", " : "", FEATURES[i].name);
    if (w < 0 || (size_t)w >= sz - n) return buf;
    n += (size_t)w;
  }
  if (!n) snprintf(buf, sz, "none of AVX2 and AVX-512");
  return buf;
}
