/* tiles/verify/ed25519/ed25519.h: strict ed25519 verification with
   libsodium's verdicts, on the fastest code this CPU runs.

   The verdict on every input is that of libsodium 1.0.18's
   crypto_sign_verify_detached (the definition of strict in DESIGN.md
   "Signature checking"): s < L, R and A not of small order, A canonical and
   on the curve, and the encoding of [s]B - [k]A equal to R's 32 bytes,
   k = SHA-512(R || A || M) mod L. Backends:
     libsodium  crypto_sign_verify_detached itself
     ref        our plain-C implementation, the reference of the vector code
     avx2       ours, four signatures in the four 64-bit lanes of AVX2
     avx512     ours, eight signatures in the eight lanes of AVX-512 IFMA
   Each signature is checked on its own (one per lane): never a batch
   verification (a random linear combination of several), which accepts
   what single verification rejects. Public data only: nothing here is
   constant time. */
#ifndef SL_TILES_VERIFY_ED25519_ED25519_H
#define SL_TILES_VERIFY_ED25519_ED25519_H

#include <stdint.h>

#include "util/err.h"

typedef enum {
  SL_ED25519_LIBSODIUM = 0,
  SL_ED25519_REF = 1,
  SL_ED25519_AVX2 = 2,
  SL_ED25519_AVX512 = 3,
  SL_ED25519_BACKEND_CNT = 4
} sl_ed25519_backend_t;

/* One signature to check: sig (64 bytes, R || s) by pk (32 bytes) over
   msg[0..msg_sz). The pointers are only read. */
typedef struct {
  const uint8_t *sig;
  const uint8_t *msg;
  const uint8_t *pk;
  uint32_t msg_sz;
} sl_ed25519_item_t;

/* The most items sl_ed25519_verify_many checks in one vector pass (the
   lanes of the widest backend); a caller gathering work fills this many. */
#define SL_ED25519_LANES_MAX 8

/* sl_ed25519_init starts libsodium and builds the precomputed tables.
   Call once per process before any verification (again is harmless; it is
   thread-safe). Returns 0, or -1 with err set if libsodium cannot start. */
int sl_ed25519_init(sl_err_t *err);

/* sl_ed25519_backend_name: "libsodium", "ref", "avx2" or "avx512" (the
   config and log spelling); "?" for a value out of range. */
const char *sl_ed25519_backend_name(sl_ed25519_backend_t b);

/* sl_ed25519_backend_lanes: how many signatures b checks in one vector
   pass (8, 4, or 1 for libsodium and ref). */
uint32_t sl_ed25519_backend_lanes(sl_ed25519_backend_t b);

/* sl_ed25519_supported: 1 if this CPU and OS can run b (CPUID feature bits
   and the XGETBV register state the OS saves), else 0. libsodium and ref
   run everywhere; avx2 needs AVX2 with YMM state; avx512 needs AVX-512F,
   IFMA and BW with ZMM and opmask state (AVX-512F alone is not enough). */
int sl_ed25519_supported(sl_ed25519_backend_t b);

/* sl_ed25519_auto: the fastest backend this CPU supports: avx512, else
   avx2, else libsodium. */
sl_ed25519_backend_t sl_ed25519_auto(void);

/* sl_ed25519_select resolves a configured name ("auto", or a backend name)
   into *out: also the check `sluice config check` reports. Returns 0, or
   -1 with err set if the name is unknown or names a backend this CPU
   cannot run: 'backend "avx512" cannot run on this CPU (it lacks AVX-512
   IFMA; it has AVX2, AVX-512F, AVX-512BW); use "auto" (here: "avx2")'
   (the caller adds the key's name).
   Never changes *out on error. */
int sl_ed25519_select(const char *name, sl_ed25519_backend_t *out, sl_err_t *err);

/* sl_ed25519_verify checks one signature with backend b. Returns 0 if it
   verifies, -1 if not. Assumes sl_ed25519_init succeeded and b is
   supported. A vector backend checks a single signature with libsodium
   (one lane of a vector pass costs more than libsodium's whole check);
   sl_ed25519_verify_many is where the lanes pay. No allocation. */
int sl_ed25519_verify(sl_ed25519_backend_t b, const uint8_t *sig, const uint8_t *msg,
                      uint32_t msg_sz, const uint8_t *pk);

/* sl_ed25519_verify_many checks n independent signatures with backend b,
   writing out[i] = 0 if item i verifies, -1 if not (each the verdict
   sl_ed25519_verify would give). Items go through the lanes in order, a
   pass of b's lane count at a time; a last group too small to pay for a
   pass (see sl_ed25519_verify) goes to libsodium. Assumes
   sl_ed25519_init succeeded and b is supported. No allocation. */
void sl_ed25519_verify_many(sl_ed25519_backend_t b, const sl_ed25519_item_t *items, uint32_t n,
                            int *out);

/* sl_ed25519_verify_lanes runs exactly one pass of b over n items, n from
   1 to b's lane count, whatever n is: the vector code on partly filled
   lanes, for the tests and the fuzzer. Same verdicts, same assumptions. */
void sl_ed25519_verify_lanes(sl_ed25519_backend_t b, const sl_ed25519_item_t *items, uint32_t n,
                             int *out);

#endif
