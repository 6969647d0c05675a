#include "tiles/verify/ed25519/ed25519.h"

#include <sodium.h>
#include <string.h>

#include "tiles/verify/ed25519/cpu.h"
#include "tiles/verify/ed25519/ge.h"
#include "tiles/verify/ed25519/verify_avx2.h"
#include "tiles/verify/ed25519/verify_avx512.h"
#include "tiles/verify/ed25519/verify_ref.h"

/* Per backend: its name, its lanes, and the smallest group worth a vector
   pass (measured by bench_ed25519: below it, libsodium is faster for the
   group than one pass of all the lanes). */
static const struct {
  const char *name;
  uint32_t lanes, min_pass;
} BACKENDS[SL_ED25519_BACKEND_CNT] = {
    [SL_ED25519_LIBSODIUM] = {"libsodium", 1, 1},
    [SL_ED25519_REF] = {"ref", 1, 1},
    [SL_ED25519_AVX2] = {"avx2", SL_VERIFY_AVX2_LANES, 3},
    [SL_ED25519_AVX512] = {"avx512", SL_VERIFY_AVX512_LANES, 2},
};

int sl_ed25519_init(sl_err_t *err) {
  if (sodium_init() < 0)
    return sl_err_set(err, "ed25519: libsodium failed to initialize (sodium_init); "
                           "check that /dev/urandom or getrandom() is available");
  sl_ge_init();
  sl_verify_avx2_init();
  return 0;
}

const char *sl_ed25519_backend_name(sl_ed25519_backend_t b) {
  return (unsigned)b < SL_ED25519_BACKEND_CNT ? BACKENDS[b].name : "?";
}

uint32_t sl_ed25519_backend_lanes(sl_ed25519_backend_t b) {
  return (unsigned)b < SL_ED25519_BACKEND_CNT ? BACKENDS[b].lanes : 0;
}

int sl_ed25519_supported(sl_ed25519_backend_t b) {
  return sl_cpu_runs(b, sl_cpu_features());
}

sl_ed25519_backend_t sl_ed25519_auto(void) {
  return sl_cpu_best(sl_cpu_features());
}

int sl_ed25519_select(const char *name, sl_ed25519_backend_t *out, sl_err_t *err) {
  uint32_t f = sl_cpu_features();
  if (!strcmp(name, "auto")) {
    *out = sl_cpu_best(f);
    return 0;
  }
  for (int b = 0; b < SL_ED25519_BACKEND_CNT; b++) {
    if (strcmp(name, BACKENDS[b].name)) continue;
    if (!sl_cpu_runs((sl_ed25519_backend_t)b, f)) {
      char has[96];
      return sl_err_set(err,
                        "backend \"%s\" cannot run on this CPU (it lacks %s; it has %s); "
                        "use \"auto\" (here: \"%s\")",
                        name, sl_cpu_missing((sl_ed25519_backend_t)b, f), sl_cpu_describe(f, has, sizeof has),
                        BACKENDS[sl_cpu_best(f)].name);
    }
    *out = (sl_ed25519_backend_t)b;
    return 0;
  }
  return sl_err_set(err,
                    "backend \"%s\" is unknown: use \"auto\", \"libsodium\", \"avx2\" "
                    "or \"avx512\"",
                    name);
}

static int verify_libsodium(const uint8_t *sig, const uint8_t *msg, uint32_t msg_sz,
                            const uint8_t *pk) {
  return crypto_sign_verify_detached(sig, msg, msg_sz, pk) == 0 ? 0 : -1;
}

int sl_ed25519_verify(sl_ed25519_backend_t b, const uint8_t *sig, const uint8_t *msg,
                      uint32_t msg_sz, const uint8_t *pk) {
  if (b == SL_ED25519_REF) return sl_verify_ref(sig, msg, msg_sz, pk);
  return verify_libsodium(sig, msg, msg_sz, pk);
}

void sl_ed25519_verify_lanes(sl_ed25519_backend_t b, const sl_ed25519_item_t *items, uint32_t n,
                             int *out) {
  switch (b) {
    case SL_ED25519_AVX512:
      sl_verify_avx512(items, n, out);
      return;
    case SL_ED25519_AVX2:
      sl_verify_avx2(items, n, out);
      return;
    default:
      for (uint32_t i = 0; i < n; i++)
        out[i] = sl_ed25519_verify(b, items[i].sig, items[i].msg, items[i].msg_sz, items[i].pk);
      return;
  }
}

void sl_ed25519_verify_many(sl_ed25519_backend_t b, const sl_ed25519_item_t *items, uint32_t n,
                            int *out) {
  uint32_t lanes = BACKENDS[b].lanes, min_pass = BACKENDS[b].min_pass;
  for (uint32_t i = 0; i < n; i += lanes) {
    uint32_t k = n - i < lanes ? n - i : lanes;
    if (k >= min_pass) sl_ed25519_verify_lanes(b, items + i, k, out + i);
    else sl_ed25519_verify_lanes(SL_ED25519_LIBSODIUM, items + i, k, out + i);
  }
}
