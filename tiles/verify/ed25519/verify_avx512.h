/* tiles/verify/ed25519/verify_avx512.h: verify_ref.c's algorithm in the
   eight lanes of AVX-512 IFMA, one signature per lane. Every lane runs the
   same fixed-window schedule (a zero digit adds the identity), so the lanes
   never diverge; the tables differ per lane (-A) or are shared (B), and
   each lane's entry is gathered by its digit. */
#ifndef SL_TILES_VERIFY_ED25519_VERIFY_AVX512_H
#define SL_TILES_VERIFY_ED25519_VERIFY_AVX512_H

#include <stdint.h>

#include "tiles/verify/ed25519/ed25519.h"

#define SL_VERIFY_AVX512_LANES 8

/* sl_verify_avx512 checks items[0..n), 1 <= n <= 8, in one pass, writing
   out[i] = 0 (verifies) or -1: libsodium's verdict for each. Unused lanes
   compute on nothing. Assumes sl_ge_init ran and the CPU has AVX-512F and
   IFMA with ZMM state enabled (sl_ed25519_supported); executes AVX-512
   instructions, so nothing may call it before that check. No allocation. */
void sl_verify_avx512(const sl_ed25519_item_t *items, uint32_t n, int *out);

#endif
