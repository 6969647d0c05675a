/* tiles/verify/ed25519/verify_avx2.h: verify_ref.c's algorithm in the four
   64-bit lanes of AVX2, one signature per lane: verify_avx512.c's structure
   on fe_avx2.h's radix 2^25.5. */
#ifndef SL_TILES_VERIFY_ED25519_VERIFY_AVX2_H
#define SL_TILES_VERIFY_ED25519_VERIFY_AVX2_H

#include <stdint.h>

#include "tiles/verify/ed25519/ed25519.h"

#define SL_VERIFY_AVX2_LANES 4

/* sl_verify_avx2_init builds the radix-2^25.5 copy of the base point's
   table from sl_ge_btab (plain C: safe on any CPU). Call after sl_ge_init;
   idempotent and thread-safe. */
void sl_verify_avx2_init(void);

/* sl_verify_avx2 checks items[0..n), 1 <= n <= 4, in one pass, writing
   out[i] = 0 (verifies) or -1: libsodium's verdict for each. Assumes
   sl_verify_avx2_init ran and the CPU has AVX2 with YMM state enabled
   (sl_ed25519_supported). No allocation. */
void sl_verify_avx2(const sl_ed25519_item_t *items, uint32_t n, int *out);

#endif
