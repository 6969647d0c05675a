/* libFuzzer harness for tiles/verify/ed25519: every backend this CPU runs
   must give libsodium's crypto_sign_verify_detached verdict on every input.

   Input: byte 0 = flags, then 64 bytes of signature, 32 of public key, and
   the message (the rest, up to 1232 bytes). Flags:
     bit 0     0: check (sig, pk, msg) as given; 1: make a real signature
               first (key from the pk bytes as a seed, over msg), then XOR
               the given sig bytes into it: zero bytes keep it valid, the
               rest are the fuzzer's mutations of a valid signature;
     bits 1-3  the lane the case takes in a vector pass;
     bits 4-6  how many lanes the pass fills (1..lanes, at least the
               case's lane + 1). The other lanes hold valid signatures,
               which must still verify: lanes are independent. A case that
               fails the checks before the curve (s < L, small order, A
               canonical) runs alone: it never reaches the lanes, and a pass
               of fillers would only slow the fuzzer down.
   A disagreement aborts (libFuzzer saves the input). */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/verify/ed25519/ed25519.h"
#include "tiles/verify/ed25519/prep.h"

#define MSG_MAX 1232

static struct {
  uint8_t pk[32], sig[64], msg[32];
} filler[SL_ED25519_LANES_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  sl_err_t err;
  if (sl_ed25519_init(&err)) {
    fprintf(stderr, "fuzz_ed25519: %s\n", err.msg);
    abort();
  }
  for (int i = 0; i < SL_ED25519_LANES_MAX; i++) {
    uint8_t seed[32] = {(uint8_t)i, 0x5e};
    uint8_t sk[64];
    crypto_sign_seed_keypair(filler[i].pk, sk, seed);
    memset(filler[i].msg, i, sizeof filler[i].msg);
    crypto_sign_detached(filler[i].sig, NULL, filler[i].msg, sizeof filler[i].msg, sk);
  }
  for (int b = 0; b < SL_ED25519_BACKEND_CNT; b++)
    fprintf(stderr, "fuzz_ed25519: backend %s %s\n", sl_ed25519_backend_name((sl_ed25519_backend_t)b),
            sl_ed25519_supported((sl_ed25519_backend_t)b) ? "checked" : "skipped (not on this CPU)");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 + 64 + 32) return 0;
  uint8_t flags = data[0], sig[64], pk[32];
  memcpy(sig, data + 1, 64);
  memcpy(pk, data + 65, 32);
  const uint8_t *msg = data + 97;
  uint32_t msg_sz = (uint32_t)(size - 97 > MSG_MAX ? MSG_MAX : size - 97);
  if (flags & 1) {
    uint8_t sk[64], real[64];
    crypto_sign_seed_keypair(pk, sk, data + 65);
    crypto_sign_detached(real, NULL, msg, msg_sz, sk);
    for (int i = 0; i < 64; i++) sig[i] ^= real[i];
  }
  int want = crypto_sign_verify_detached(sig, msg, msg_sz, pk) ? -1 : 0;
  int alone = sl_prep_checks(sig, pk) != 0;
  for (int b = 0; b < SL_ED25519_BACKEND_CNT; b++) {
    if (b == SL_ED25519_LIBSODIUM || !sl_ed25519_supported((sl_ed25519_backend_t)b)) continue;
    uint32_t lanes = sl_ed25519_backend_lanes((sl_ed25519_backend_t)b);
    uint32_t lane = alone ? 0 : ((flags >> 1) & 7) % lanes, n = alone ? 1 : 1 + ((flags >> 4) & 7) % lanes;
    if (n <= lane) n = lane + 1;
    sl_ed25519_item_t it[SL_ED25519_LANES_MAX];
    int out[SL_ED25519_LANES_MAX];
    for (uint32_t i = 0; i < n; i++)
      it[i] = (sl_ed25519_item_t){filler[i].sig, filler[i].msg, filler[i].pk, sizeof filler[i].msg};
    it[lane] = (sl_ed25519_item_t){sig, msg, pk, msg_sz};
    sl_ed25519_verify_lanes((sl_ed25519_backend_t)b, it, n, out);
    for (uint32_t i = 0; i < n; i++) {
      int expect = i == lane ? want : 0;
      if (out[i] != expect) {
        fprintf(stderr, "fuzz_ed25519: %s lane %u of %u says %d, libsodium %d%s\n",
                sl_ed25519_backend_name((sl_ed25519_backend_t)b), i, n, out[i], expect,
                i == lane ? "" : " (a filler lane)");
        abort();
      }
    }
  }
  return 0;
}
